"""Render the book's math to MathML at build time, so that no page needs MathJax or a CDN.

Sphinx's default HTML math renderer, MathJax, is a script fetched from a CDN in the reader's
browser. Current browsers render MathML natively, so this extension converts every ``math``
(inline, ``$...$``) and ``math_block`` (display, ``$$...$$`` and amsmath environments) node
with latex2mathml while the site is built. A formula latex2mathml cannot translate is a build
warning (an error under ``-W``), never a page showing raw LaTeX.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

# latex2mathml passes an unknown command through as the identifier "\foo" and an alignment
# point it cannot place as the identifier "&"; either means the reader would see raw LaTeX.
UNTRANSLATED = re.compile(r"<m[io]>(\\[A-Za-z]+|&amp;|&)</m[io]>")
# latex2mathml marks ⟺ and the ceiling/floor brackets as identifiers; as operators they get
# the spacing a reader expects around them.
OPERATORS_AS_IDENTIFIERS = re.compile(
    r"<mi>(&#x027FA;|&#x02308;|&#x02309;|&#x0230A;|&#x0230B;)</mi>"
)
# In TeX | and ‖ are ordinary symbols; as MathML operators in mid-formula (|r|^k |x_0|) the
# browser would space them like relations.
BARS = re.compile(r"<mo((?: [^>]*)?)>(&#x0007C;|&#x02016;)</mo>")
# latex2mathml writes \lVert as a bare ‖, which the browser stretches to the tallest thing in
# its row (a fraction, an integral) while the closing one, under a square, stays small; in TeX
# both keep their size.
DOUBLE_BAR = re.compile(r"<mo>&#x02016;</mo>")
# x' comes out as x with a superscript prime. The math font's prime (U+2032, ″, ‴) is already
# drawn raised, so as a superscript it shrank to a speck far above the letter: set it after
# its letter instead (and after a subscript, for c_i').
PRIMED = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>((?:&#x0203[234];)+)</mi></msup>")
PRIMED_BELOW = re.compile(
    r"<msubsup>(<mi>[^<]*</mi><m[ion]>[^<]*</m[ion]>)<mi>((?:&#x0203[234];)+)</mi></msubsup>"
)
PRIME = r'<mo lspace="0em" rspace="0em">\2</mo>'
# \hat is an ASCII ^ over its letter; the font draws that glyph at capital height, so the hat
# floated far above ε. U+02C6, the modifier circumflex, sits on the letter as TeX's does.
HAT = "<mo>&#x0005E;</mo></mover>"
# "$\eta =$ {glue}" ends a formula with its relation; the operator's space after it and the
# space before the glued number made a double gap ("η =  1"). The text's space is enough.
TRAILING_OPERATOR = re.compile(r"<mo>([^<]*)</mo>((?:</mrow>)*</math>)$")


def to_mathml(latex: str, node: nodes.Element, display: str) -> str:
    try:
        mathml = convert(latex, display=display)
    except Exception as error:  # noqa: BLE001 (latex2mathml raises many unrelated types)
        logger.warning("cannot render math %r to MathML: %s", latex, error, location=node)
        return f"<code>{html.escape(latex)}</code>"
    untranslated = UNTRANSLATED.search(mathml)
    if untranslated:
        logger.warning(
            "math %r: latex2mathml does not know %r", latex, untranslated.group(1), location=node
        )
    mathml = OPERATORS_AS_IDENTIFIERS.sub(r"<mo>\1</mo>", mathml)
    mathml = DOUBLE_BAR.sub('<mo stretchy="false">&#x02016;</mo>', mathml)
    mathml = BARS.sub(r'<mo\1 lspace="0em" rspace="0em">\2</mo>', mathml)
    mathml = PRIMED.sub(r"\1" + PRIME, mathml)
    mathml = PRIMED_BELOW.sub(r"<msub>\1</msub>" + PRIME, mathml)
    mathml = mathml.replace(HAT, "<mo>&#x002C6;</mo></mover>")
    if display == "inline":
        mathml = TRAILING_OPERATOR.sub(r'<mo rspace="0em">\1</mo>\2', mathml)
    # The page already sets the language and namespace; an alttext keeps the source for
    # screen readers that do not speak MathML and for copy-paste.
    return mathml.replace("<math ", f'<math alttext="{_attr(latex)}" ', 1)


def _attr(text: str) -> str:
    return html.escape(" ".join(text.split()))


def visit_math(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(to_mathml(node.astext(), node, "inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def visit_math_block(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    latex = node.astext()
    if not node.get("nowrap", False):
        # As MathJax does: blank lines separate equations, and \\ breaks lines in one of them.
        parts = [part for part in latex.split("\n\n") if part.strip()]
        latex = r" \\ ".join(parts)
        if r"\\" in latex:
            latex = r"\begin{split}" + latex + r"\end{split}"
    self.body.append(to_mathml(latex, node, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_math_block, None),
    )
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
