"""Build the Korean font subset that ships in ``surveykit/report/fonts/``.

No Korean font comes with ``pip install``, so surveykit bundles a subset of Noto Sans CJK KR
(SIL Open Font License 1.1) in two weights. Run this once on a machine with Debian's
``fonts-noto-cjk`` (or pass ``--regular``/``--bold`` pointing at any Noto Sans CJK .ttc/.otf)::

    python scripts/make_font_subset.py

The subset keeps Hangul syllables, Hangul Jamo (conjoining, compatibility, extended), Basic Latin
and Latin-1, digits, general punctuation, CJK symbols and punctuation, full-width forms, arrows,
common mathematical operators, enclosed alphanumerics, geometric shapes and a few miscellaneous
symbols (★ ☆ ✓ ...). Layout features are kept (Hangul jamo composition needs ``ljmo``/``vjmo``/
``tjmo``). The family is renamed to ``Surveykit Noto Sans KR`` so that a system-installed Noto
never stands in for the bundled file unnoticed. The output is deterministic: the ``head``
timestamps are copied from the source font, not set to the build time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FAMILY = "Surveykit Noto Sans KR"
POSTSCRIPT = "SurveykitNotoSansKR"
DEFAULT_DIR = Path("/usr/share/fonts/opentype/noto")
OUT_DIR = Path(__file__).resolve().parent.parent / "surveykit" / "report" / "fonts"

# (first, last) code points, inclusive
RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # Basic Latin: letters, digits, ASCII punctuation
    (0x00A0, 0x00FF),  # Latin-1 supplement: nbsp, ·, ±, ×, ÷, °, «», accented letters
    (0x0152, 0x0153),  # Œ œ
    (0x02C6, 0x02DC),  # modifier accents
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2000, 0x206F),  # General Punctuation: – — ‘ ’ “ ” … ‰ † ‡ • ′ ″ and spaces
    (0x2070, 0x209F),  # super/subscripts
    (0x20A9, 0x20AC),  # ₩ € and neighbours
    (0x2100, 0x214F),  # letterlike symbols (№, ™, ℃)
    (0x2150, 0x218F),  # number forms (½, Ⅰ Ⅱ ...)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators: − ≤ ≥ ≈ ≠ ∑ √ ∞
    (0x2300, 0x23FF),  # misc technical
    (0x2460, 0x24FF),  # enclosed alphanumerics: ① ② ...
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes: ■ □ ▲ △ ● ○ ◆
    (0x2600, 0x26FF),  # misc symbols: ★ ☆ ☐ ☑
    (0x2700, 0x27BF),  # dingbats: ✓ ✔ ✗
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、 。 「 」 『 』 〈 〉 《 》 【 】 〜
    (0x3130, 0x318F),  # Hangul Compatibility Jamo
    (0x3200, 0x32FF),  # enclosed CJK letters (㉠ ㈜)
    (0x3380, 0x33FF),  # CJK compatibility (㎡ ㎏)
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7A3),  # Hangul syllables (all 11,172)
    (0xD7B0, 0xD7FF),  # Hangul Jamo Extended-B
    (0xFF01, 0xFFEF),  # half-width and full-width forms
)


def codepoints() -> list[int]:
    """All code points the subset asks for (the font keeps those it has)."""
    return [cp for first, last in RANGES for cp in range(first, last + 1)]


def _load_korean(path: Path):
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in {".ttc", ".otc"}:
        for font in TTCollection(str(path), lazy=False).fonts:
            if font["name"].getDebugName(1).endswith("CJK KR"):
                return font
        raise SystemExit(f"{path}: no 'Noto Sans CJK KR' face in this collection")
    return TTFont(str(path), lazy=False)


def _rename(font, style: str) -> None:
    """Give the subset its own family name (OFL: a modified font may keep 'Noto')."""
    name = font["name"]
    full = f"{FAMILY} {style}" if style != "Regular" else FAMILY
    values = {1: FAMILY, 2: style, 3: f"{POSTSCRIPT}-{style};subset", 4: full,
              6: f"{POSTSCRIPT}-{style}", 16: FAMILY, 17: style}
    name.names = [n for n in name.names if n.nameID not in values]
    for name_id, value in values.items():
        name.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [f"{POSTSCRIPT}-{style}"]
        top = cff.topDictIndex[0]
        top.FamilyName, top.FullName = FAMILY, full


def subset(source: Path, style: str, out_dir: Path) -> Path:
    """Subset one weight of Noto Sans CJK KR and write ``SurveykitNotoSansKR-<style>.otf``."""
    from fontTools import subset as ftsubset

    font = _load_korean(source)
    font.recalcTimestamp = False  # keep the source's head.modified: reproducible output
    options = ftsubset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    sub = ftsubset.Subsetter(options=options)
    sub.populate(unicodes=codepoints())
    sub.subset(font)
    _rename(font, style)
    out = out_dir / f"{POSTSCRIPT}-{style}.otf"
    tmp = out.with_suffix(".tmp")
    font.save(str(tmp), reorderTables=True)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regular", type=Path, default=DEFAULT_DIR / "NotoSansCJK-Regular.ttc")
    parser.add_argument("--bold", type=Path, default=DEFAULT_DIR / "NotoSansCJK-Bold.ttc")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for style, source in (("Regular", args.regular), ("Bold", args.bold)):
        if not source.is_file():
            print(f"make_font_subset: error: {source} not found; install fonts-noto-cjk "
                  f"or pass --{style.lower()} PATH", file=sys.stderr)
            return 2
        out = subset(source, style, args.out)
        print(f"{out.name}: {out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
