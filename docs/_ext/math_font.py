"""Ship the book's math font: a subset of Noto Sans Math with the glyphs the pages use.

Browsers draw MathML with the reader's math font. Without one (common on Linux and Android)
∑ and ∫ stay text-sized, brackets do not stretch and primes float away from their letter. At
the end of each HTML build this extension collects every character inside the built pages'
``<math>`` elements, subsets ``docs/_fonts/NotoSansMath-Regular.ttf`` (SIL OFL 1.1, from the
npm package @fontsource/noto-sans-math 5.3.0: its WOFF2, unpacked by fontTools) to them, and
writes the result to ``_static/fonts/math.woff2``, which ``_static/lrsim.css`` declares for
``math``. The source is kept unpacked because unpacking a WOFF2 rebuilds its whole glyph table:
four fifths of the subsetting's time, paid in every clean build.

The subsetter keeps the OpenType MATH table and closes the glyph set over it, so the larger
variants and the pieces from which the browser assembles a tall bracket or root stay in. All
layout features are kept (``ssty`` gives primes and scripts their script-size shapes). The
subset is cached under the doctree folder, named after a digest of its inputs, so an unchanged
book pays only for reading its pages; the output is byte-identical for the same inputs.
"""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import fontTools
from lrsim_build import digest
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

FONT = Path(__file__).parents[1] / "_fonts" / "NotoSansMath-Regular.ttf"
OUTPUT = Path("_static") / "fonts" / "math.woff2"
FORMULA = re.compile(r"<math\b[^>]*>(.*?)</math>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")
# A browser draws these from the math font although no page's text holds them: the radical
# sign of <msqrt>, and U+210E, the italic h (Unicode has no MATHEMATICAL ITALIC SMALL H).
ALWAYS = {" ", "\u00a0", "√", "ℎ"}


def math_italic(character: str) -> str | None:
    """The Mathematical Italic form a browser shows for a one-letter ``<mi>``, if any."""
    name = unicodedata.name(character, "")
    for word in ("LATIN ", "GREEK ", "LETTER ", "LUNATE "):
        name = name.replace(word, "")
    try:
        return unicodedata.lookup(f"MATHEMATICAL ITALIC {name}")
    except KeyError:
        return None


def math_characters(site: Path) -> set[str]:
    """Every character inside the pages' ``<math>`` elements, with the italic forms of its
    letters."""
    characters = set(ALWAYS)
    for page in sorted(site.rglob("*.html")):
        for formula in FORMULA.findall(page.read_text(encoding="utf-8")):
            characters |= set(html.unescape(TAG.sub("", formula)))
    italics = {math_italic(character) for character in characters}
    return characters | {italic for italic in italics if italic}


def subset_font(characters: set[str], target: Path) -> None:
    # Imported here: a build whose subset is cached would pay a tenth of a second for it.
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # the copyright and the licence stay in the font
    options.hinting = False  # the source's TrueType hints are a third of its size
    options.flavor = "woff2"
    font = subset.load_font(str(FONT), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(map(ord, characters)))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(target), options)


def write_math_font(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    characters = math_characters(site)
    name = digest(FONT, "".join(sorted(characters)), fontTools.version, Path(__file__))
    cached = Path(app.doctreedir) / "math-font" / f"{name}.woff2"
    if not cached.exists():
        subset_font(characters, cached)
        logger.info("math font: %d characters, %d bytes", len(characters), cached.stat().st_size)
    (site / OUTPUT).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, site / OUTPUT)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", write_math_font)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
