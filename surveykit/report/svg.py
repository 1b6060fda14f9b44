"""Make chart SVG safe to inline: an allow-list of drawing elements, ids prefixed per chart.

Inline SVG lets the page's ``@font-face`` reach chart text (so Hangul shows even where no Korean
font is installed) and keeps the text searchable. Because inline SVG is live markup, every chart
is rebuilt from an allow-list: scripts, ``foreignObject``, event handlers, external references
and entity declarations are refused with a :class:`~surveykit.errors.ReportError`. Ids (and the
``url(#...)`` / ``href="#..."`` references to them) get a per-chart prefix so several charts can
share a page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from surveykit.errors import ReportError

__all__ = ["sanitize_svg"]

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
_TAGS = frozenset(
    {
        "svg",
        "g",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "defs",
        "clipPath",
        "use",
        "style",
        "title",
        "desc",
        "linearGradient",
        "radialGradient",
        "stop",
        "pattern",
        "mask",
        "symbol",
        "image",
    }
)
_DROP = frozenset({"metadata"})
_ATTRS = frozenset(
    {
        "id",
        "class",
        "style",
        "d",
        "x",
        "y",
        "x1",
        "x2",
        "y1",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "width",
        "height",
        "viewBox",
        "transform",
        "points",
        "fill",
        "stroke",
        "stroke-width",
        "clip-path",
        "clip-rule",
        "fill-rule",
        "opacity",
        "fill-opacity",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-miterlimit",
        "stroke-dashoffset",
        "font-size",
        "font-family",
        "font-weight",
        "text-anchor",
        "dominant-baseline",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "patternUnits",
        "preserveAspectRatio",
        "type",
        "version",
        "href",
        "dx",
        "dy",
        "mask",
        "role",
        "aria-label",
        "overflow",
    }
)
_PROLOGUE = re.compile(
    r'^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1\.1//EN"\s*'
    r'"http://www\.w3\.org/Graphics/SVG/1\.1/DTD/svg11\.dtd">\s*)?'
)
_URL_REF = re.compile(r"url\(\s*#([^)\s]+)\s*\)")
_EXTERNAL = re.compile(r"url\(\s*(?!#)|@import|expression\(|javascript:", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # e.g. matplotlib's copy of a label: never shown


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        return ns, local
    return "", name


def _parse(svg: str, where: str) -> ET.Element:
    body = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    if "<!" in body:
        raise ReportError(
            f"{where}: SVG must not contain DOCTYPE/ENTITY/CDATA declarations beyond "
            f"the standard SVG 1.1 one; got '<!' in the markup. Re-export the chart."
        )
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise ReportError(f"{where}: SVG is not well-formed XML ({exc}). Re-export the chart.") from None


def _check_attr(name: str, value: str, tag: str, where: str) -> None:
    ns, local = _local(name)
    if ns not in ("", XLINK_NS) or local not in _ATTRS:
        raise ReportError(
            f"{where}: attribute {local!r} on <{tag}> is not allowed in a chart "
            f"(event handlers and foreign attributes are refused)."
        )
    if local == "href" and not value.startswith("#"):
        raise ReportError(
            f"{where}: <{tag}> links to {value[:60]!r}; a chart may only refer to "
            f"its own elements ('#id'). Embed the content instead."
        )
    if _EXTERNAL.search(value):
        raise ReportError(
            f"{where}: <{tag}> {local}= refers to an external resource or script; "
            f"only 'url(#id)' references are allowed."
        )


def _rewrite(value: str, prefix: str, local: str) -> str:
    if local == "id":
        return prefix + value
    if local == "href":
        return "#" + prefix + value[1:]
    return _URL_REF.sub(lambda m: f"url(#{prefix}{m.group(1)})", value)


_PRESENTATION = frozenset(
    {
        "fill",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-miterlimit",
        "stroke-dashoffset",
        "opacity",
        "fill-opacity",
        "stroke-opacity",
        "font-size",
        "font-family",
        "font-weight",
        "text-anchor",
        "clip-path",
        "fill-rule",
        "clip-rule",
    }
)


def _unstyle(elem: ET.Element) -> None:
    """Move ``style="fill: ...; ..."`` declarations to presentation attributes.

    Inline SVG styles are also parsed as HTML CSS by WeasyPrint, which warns once per unknown
    property (``fill``...) and spends time on it; attributes mean the same to every renderer.
    """
    style = elem.attrib.pop("style", None)
    if style is None:
        return
    kept = []
    for decl in filter(None, (d.strip() for d in style.split(";"))):
        name, _, value = (part.strip() for part in decl.partition(":"))
        if name in _PRESENTATION and name not in elem.attrib:
            elem.set(name, value)
        else:
            kept.append(decl)
    if kept:
        elem.set("style", "; ".join(kept))


def _clean(elem: ET.Element, prefix: str, where: str) -> None:
    for child in list(elem):
        ns, tag = _local(child.tag)
        if tag in _DROP:
            elem.remove(child)
            continue
        if ns != SVG_NS or tag not in _TAGS:
            raise ReportError(
                f"{where}: element <{tag}> is not allowed in a chart (only drawing "
                f"elements are). Remove it or re-export the chart."
            )
        _clean(child, prefix, where)
    _, tag = _local(elem.tag)
    if tag == "style" and _EXTERNAL.search(elem.text or ""):
        raise ReportError(f"{where}: <style> refers to an external resource or script.")
    for name, value in list(elem.attrib.items()):
        _check_attr(name, value, tag, where)
        elem.set(name, _rewrite(value, prefix, _local(name)[1]))
    _unstyle(elem)


def sanitize_svg(svg: str, prefix: str, *, where: str = "chart") -> str:
    """Return *svg* rebuilt from allowed elements, with ids prefixed by *prefix*.

    Parameters
    ----------
    svg : str
        SVG markup, e.g. from :mod:`surveykit.report.charts`.
    prefix : str
        Prefix for every id (e.g. ``"fig3-"``); must be unique per chart on a page.
    where : str
        How to name the chart in error messages.
    """
    root = _parse(svg, where)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ReportError(f"{where}: markup must have an <svg> root in the SVG namespace; got <{_local(root.tag)[1]}>.")
    _clean(root, prefix, where)
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    return "".join(_serialise(root))


def _serialise(elem: ET.Element) -> list[str]:
    """XML text of a cleaned tree (own writer: ElementTree's needs a global namespace registry)."""
    tag = _local(elem.tag)[1]
    attrs = "".join(
        f" {'xlink:' if _local(k)[0] == XLINK_NS else ''}{_local(k)[1]}={quoteattr(v)}" for k, v in elem.attrib.items()
    )
    out = [f"<{tag}{attrs}>", escape(elem.text or "")]
    for child in elem:
        out += _serialise(child)
        out.append(escape(child.tail or ""))
    out.append(f"</{tag}>")
    return out
