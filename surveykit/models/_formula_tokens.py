"""Tokens of model formulas: a small hand-written scanner and patsy's factor-name spacing.

Nothing here evaluates text. The scanner knows names, numbers, quoted strings and operators,
enforces the formula limits that need no parse (length, token count, bracket depth) and
reports errors in the project's wording with 1-based columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surveykit.errors import ModelError

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "MAX_TOKENS", "Token", "formula_error", "spaced", "string_value", "tokenize"]

MAX_LENGTH = 2000  # characters of a formula
MAX_TOKENS = 600  # names, numbers, strings and operators
MAX_DEPTH = 12  # nesting of brackets, e.g. ((a + b):c) is depth 2

_NAME = re.compile(r"[^\W\d]\w*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPS = (
    "**",
    "//",
    "==",
    "!=",
    "<=",
    ">=",
    "<>",
    "+",
    "-",
    "*",
    "/",
    "%",
    ":",
    "~",
    "(",
    ")",
    ",",
    "=",
    "<",
    ">",
    ".",
    "[",
    "]",
    "{",
    "}",
    "@",
    "&",
    "|",
    "^",
    "!",
    ";",
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is NAME, NUMBER, STRING, OP or END; ``pos`` its 0-based offset."""

    kind: str
    text: str
    pos: int

    @property
    def column(self) -> int:
        return self.pos + 1

    def shown(self) -> str:
        return "the end of the formula" if self.kind == "END" else repr(self.text)


def formula_error(formula: str, must: str, got: str, column: int, fix: str) -> ModelError:
    """``formula 'y ~ x +' must <must>; got <got> at column 7. <fix>.``"""
    return ModelError(f"formula {formula!r} must {must}; got {got} at column {column}. {fix}.")


def _string(formula: str, i: int) -> int:
    """End offset of the quoted string starting at *i*."""
    quote, j = formula[i], i + 1
    while j < len(formula):
        if formula[j] == "\\":
            j += 2
            continue
        if formula[j] == quote:
            return j + 1
        j += 1
    raise formula_error(formula, "close every quoted name", f"an unclosed {quote}", i + 1, f"Add the closing {quote}")


def string_value(text: str) -> str:
    """The value of a quoted string token (simple backslash escapes; nothing evaluated)."""
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def _scan(formula: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(formula)
    while i < n:
        ch = formula[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "'\"":
            j = _string(formula, i)
            tokens.append(Token("STRING", formula[i:j], i))
        elif m := _NUMBER.match(formula, i):
            j = m.end()
            tokens.append(Token("NUMBER", m.group(), i))
        elif m := _NAME.match(formula, i):
            j = m.end()
            tokens.append(Token("NAME", m.group(), i))
        else:
            op = next((o for o in _OPS if formula.startswith(o, i)), None)
            if op is None:
                raise formula_error(
                    formula,
                    "use names, numbers, quoted names and + - * : ( ) ~",
                    repr(ch),
                    i + 1,
                    "Remove the character",
                )
            j = i + len(op)
            tokens.append(Token("OP", op, i))
        if len(tokens) > MAX_TOKENS:
            raise formula_error(
                formula, f"have at most {MAX_TOKENS} tokens", "more", i + 1, "Split the model or shorten the formula"
            )
        i = j
    tokens.append(Token("END", "", n))
    return tokens


def _check_brackets(formula: str, tokens: list[Token]) -> None:
    stack: list[Token] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for tok in tokens:
        if tok.kind != "OP":
            continue
        if tok.text in "([{":
            stack.append(tok)
            if len(stack) > MAX_DEPTH:
                raise formula_error(
                    formula,
                    f"nest brackets at most {MAX_DEPTH} deep",
                    f"depth {len(stack)}",
                    tok.column,
                    "Remove redundant brackets",
                )
        elif tok.text in pairs:
            if not stack or stack[-1].text != pairs[tok.text]:
                raise formula_error(
                    formula,
                    "have balanced brackets",
                    f"{tok.text!r}",
                    tok.column,
                    "Remove it or add the opening bracket",
                )
            stack.pop()
    if stack:
        raise formula_error(
            formula,
            "have balanced brackets",
            f"an unclosed {stack[-1].text!r}",
            stack[-1].column,
            "Add the closing bracket",
        )


def tokenize(formula: str) -> list[Token]:
    """The tokens of *formula* (ending with an END token), or a ModelError.

    Raises
    ------
    ModelError
        Too long, too many tokens, an unknown character, an unclosed string or unbalanced or
        too deeply nested brackets.
    """
    if not isinstance(formula, str):
        raise ModelError(f"a formula must be text, as 'y ~ x1 + x2'; got {type(formula).__name__}.")
    if len(formula) > MAX_LENGTH:
        raise formula_error(
            formula[:40] + "...",
            f"have at most {MAX_LENGTH} characters",
            f"{len(formula)}",
            MAX_LENGTH + 1,
            "Split the model or shorten the formula",
        )
    tokens = _scan(formula)
    _check_brackets(formula, tokens)
    return tokens


_SPACE_BOTH = set("+-*/%&^|<>") | {"==", "<>", "!=", "<=", ">=", "<<", ">>", "**", "//"}
_SPACE_BEFORE = _SPACE_BOTH | {"!", "~"}
_SPACE_AFTER = _SPACE_BOTH | {",", ":"}


def spaced(tokens: list[Token]) -> str:
    """The text of *tokens* spaced as patsy names factors (``I(z**2)`` -> ``I(z ** 2)``)."""
    text: list[str] = []
    wants_space = space_delim = after_open = object_like = False
    brackets: list[str] = []
    for tok in tokens:
        if tok.kind in ("NAME", "NUMBER", "STRING"):
            if wants_space or space_delim:
                text.append(" ")
            text.append(tok.text)
            wants_space, space_delim = False, True
        else:
            t = tok.text
            if t in "([{":
                brackets.append(t)
            elif brackets and t in ")]}":
                brackets.pop()
            before, after = t in _SPACE_BEFORE, t in _SPACE_AFTER
            if t == ":" and brackets and brackets[-1] == "[":
                after = False
            if t in ("*", "**") and after_open:
                before = after = False
            if t == "=" and not brackets:
                before = after = True
            if t in ("+", "-") and not object_like:
                before = after = False
            if wants_space or before:
                text.append(" ")
            text.append(t)
            wants_space, space_delim = after, False
        object_like = tok.kind in ("NAME", "NUMBER", "STRING") or tok.text == ")"
        after_open = tok.text in ("(", ",")
    return "".join(text)
