"""Typeset glued negative numbers with a true minus sign, as lrsim's tables already do.

Python formats -0.36 with a hyphen-minus, which is shorter than a minus, may break the line
after it, and reads as a dash; ``{glue:text}`` puts Python's formatting into the prose. This
post-transform replaces a hyphen-minus that starts a glued number with U+2212 MINUS SIGN.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

LEADING_HYPHEN = re.compile(r"^-(?=[0-9.∞]|inf)")


class MinusSignInGluedNumbers(SphinxPostTransform):
    """Replace the leading hyphen-minus of every ``{glue:text}`` number with a minus sign."""

    default_priority = 900  # after MyST-NB has resolved glue references to other pages

    def run(self, **kwargs: Any) -> None:
        for inline in self.document.findall(nodes.inline):
            if "pasted-text" not in inline["classes"]:
                continue
            for text in list(inline.findall(nodes.Text)):
                typeset = LEADING_HYPHEN.sub("\N{MINUS SIGN}", str(text))
                if typeset != text:
                    text.parent.replace(text, nodes.Text(typeset))


def setup(app: Any) -> dict[str, Any]:
    app.add_post_transform(MinusSignInGluedNumbers)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
