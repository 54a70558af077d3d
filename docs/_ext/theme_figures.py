"""Notebook figures drawn inline, in the colours of the reader's theme.

A figure shown as ``<img src="….svg">`` keeps the colours it was drawn with: white paper and
dark ink, which the dark theme could only dim on a light-grey card. This extension puts each
matplotlib SVG into the page instead, as ``<svg role="img" aria-label="(the alt text)">``, and
writes its colours as CSS custom properties that ``lrsim.css`` defines per theme:

- white is the figure's background (``--lrsim-fig-bg``), grey text is ink (``--lrsim-fig-ink``),
  and other greys (grid, spines, reference curves) are mixes of the two in the same proportion
  as the grey was of black and white;
- each Okabe-Ito colour is ``--lrsim-fig-<name>``, with a lighter variant in the dark theme, and
  text drawn in one of them uses ``--lrsim-fig-<name>-text``, a mix with the ink that reads at
  WCAG AA on either background;
- any other colour is left as it is: a heat map keeps its colours in both themes, and so does
  a line drawn over it in ``lrsim.plotting.IMAGE_INK``.

Ids get a per-figure prefix (glyph definitions such as ``DejaVuSans-30`` recur in every figure
of a page), the metadata with its date is dropped, and the figure links to its SVG file, which
stays as matplotlib wrote it: the phone reader's tap-to-enlarge (at the figure's natural size,
text at 12 CSS px or more) and a standalone file for anyone who saves it. Nothing here depends
on the clock or on ordering: the same build, the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PALETTE = {
    "#000000": "black",
    "#e69f00": "orange",
    "#56b4e9": "sky",
    "#009e73": "green",
    "#f0e442": "yellow",
    "#0072b2": "blue",
    "#d55e00": "vermillion",
    "#cc79a7": "purple",
}
"""The Okabe-Ito palette of ``lrsim.plotting.OKABE_ITO`` (lower case, as matplotlib writes it)."""

# Sphinx writes every notebook figure as one <img> with its alt text first.
FIGURE_IMG = re.compile(
    r'<img alt="(?P<alt>[^"]*)" src="(?P<src>(?:\.\./)*_images/(?P<name>[^"/]+\.svg))" />'
)
# matplotlib draws text as glyph paths in a group it scales to the font size.
TEXT_GROUP = re.compile(r'<g style="(?P<style>[^"]*)" transform="(?P<transform>[^"]*scale\([^"]*)"')
COLOUR = re.compile(r"(?P<property>fill|stroke): (?P<hex>#[0-9a-f]{6})")


def css_colour(hex_colour: str, *, text: bool = False) -> str:
    """The CSS that paints ``hex_colour`` in the reader's theme (itself if it has no role).

    >>> css_colour("#ffffff"), css_colour("#333333", text=True)
    ('var(--lrsim-fig-bg)', 'var(--lrsim-fig-ink)')
    >>> css_colour("#dddddd")
    'color-mix(in srgb, var(--lrsim-fig-ink) 13%, var(--lrsim-fig-bg))'
    >>> css_colour("#0072b2"), css_colour("#d55e00", text=True), css_colour("#123456")
    ('var(--lrsim-fig-blue)', 'var(--lrsim-fig-vermillion-text)', '#123456')

    The palette is lrsim's own (copied, so that the build need not import matplotlib):

    >>> from lrsim.plotting import OKABE_ITO
    >>> PALETTE == {hex_colour.lower(): name for name, hex_colour in OKABE_ITO.items()}
    True
    """
    name = PALETTE.get(hex_colour)
    if name == "black" or (text and name is None and _grey(hex_colour) is not None):
        return "var(--lrsim-fig-ink)"
    if name is not None:
        return f"var(--lrsim-fig-{name}{'-text' if text else ''})"
    level = _grey(hex_colour)
    if level is None:
        return hex_colour
    if level == 255:
        return "var(--lrsim-fig-bg)"
    ink = round(100 * (255 - level) / 255)
    return f"color-mix(in srgb, var(--lrsim-fig-ink) {ink}%, var(--lrsim-fig-bg))"


def _grey(hex_colour: str) -> int | None:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return red if red == green == blue else None


def themed_svg(svg: str, *, prefix: str, label: str) -> str:
    """Return matplotlib's SVG document ``svg`` as inline markup for an HTML page.

    ``label`` is the (HTML-escaped) alt text; ``prefix`` makes the figure's ids unique.

    >>> source = ('<?xml version="1.0"?>\\n<svg width="10pt" viewBox="0 0 10 10">'
    ...           '<metadata>2026</metadata><defs><path id="g1"/></defs>'
    ...           '<g style="fill: #333333" transform="translate(1 2) scale(0.1 -0.1)">'
    ...           '<use xlink:href="#g1"/></g><path style="fill: none; stroke: #dddddd"/></svg>')
    >>> print(themed_svg(source, prefix="f1-", label="A line"))
    <svg role="img" aria-label="A line" class="lrsim-figure" style="fill: var(--lrsim-fig-ink)" width="10pt" viewBox="0 0 10 10"><defs><path id="f1-g1"/></defs><g style="fill: var(--lrsim-fig-ink)" transform="translate(1 2) scale(0.1 -0.1)"><use xlink:href="#f1-g1"/></g><path style="fill: none; stroke: color-mix(in srgb, var(--lrsim-fig-ink) 13%, var(--lrsim-fig-bg))"/></svg>
    """
    svg = svg[svg.index("<svg") :].strip()
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = re.sub(r'href="#', f'href="#{prefix}', svg)
    svg = svg.replace("url(#", f"url(#{prefix}")

    def text_group(match: re.Match[str]) -> str:
        style = COLOUR.sub(
            lambda c: f"{c['property']}: {css_colour(c['hex'], text=True)}", match["style"]
        )
        return f'<g style="{style}" transform="{match["transform"]}"'

    svg = TEXT_GROUP.sub(text_group, svg)
    svg = COLOUR.sub(lambda c: f"{c['property']}: {css_colour(c['hex'])}", svg)
    # matplotlib leaves black unsaid (SVG's default fill): the root's fill makes it the ink.
    root = f'<svg role="img" aria-label="{label}" class="lrsim-figure" style="fill: var(--lrsim-fig-ink)" '
    return svg.replace("<svg ", root, 1)


def inline_figures(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                   doctree: Any) -> None:  # fmt: skip
    """Replace each matplotlib ``<img>`` in the page's body by its themed inline SVG."""
    body = context.get("body")
    if not body or ".svg" not in body:
        return
    sources = {name: Path(app.srcdir, uri) for uri, name in app.builder.images.items()}

    def inline(match: re.Match[str]) -> str:
        source = sources.get(match["name"])
        if source is None or not source.is_file():
            return match[0]
        svg = source.read_text(encoding="utf-8")
        if "Matplotlib" not in svg[:2000]:
            return match[0]
        figure = themed_svg(svg, prefix=f"f{match['name'][:10]}-", label=match["alt"])
        return (
            f'<a class="lrsim-figure-link" href="{match["src"]}" '
            f'title="Open the figure on its own, full size">{figure}</a>'
        )

    context["body"] = FIGURE_IMG.sub(inline, body)


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", inline_figures)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
