"""Keep short tokens whole: a table's 2/η, 10–90 or 0.99–1.02, and inline code such as 1e-3.

A browser may break a line after a slash or a dash, so a narrow column split "2/η" into "2/" and
"η" and a range into "0.99–" and "1.02". This post-transform wraps every whitespace-delimited
token of a table's text that holds such a character in ``<span class="nobreak">``
(docs/_static/lrsim.css: no wrapping inside it); code and formulas are left alone.

Inline code may wrap anywhere, so that a long module path never widens a phone's page; but a
break at a hyphen turned ``1e-3`` into "1e-" and "3". Inline code of at most
:data:`SHORT_CODE` characters gets the class ``nobreak`` and stays on one line.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SHORT_CODE = 16
"""Longest inline code kept on one line: 16 characters of code are 138 px at the body size."""
BREAKABLE_TOKEN = re.compile(r"[^\s/–—−-]+(?:[/–—−-][^\s/–—−-]*)+|[/–—−-][^\s]+")


class NoBreakInTableTokens(SphinxPostTransform):
    default_priority = 901  # after the minus signs of glued numbers (minus_signs.py)

    def run(self, **kwargs: Any) -> None:
        for table in self.document.findall(nodes.table):
            for text in list(table.findall(nodes.Text)):
                if any(
                    isinstance(node, nodes.literal | nodes.math | nodes.raw)
                    for node in _ancestors(text)
                ):
                    continue
                source = str(text)
                pieces: list[nodes.Node] = []
                position = 0
                for match in BREAKABLE_TOKEN.finditer(source):
                    if match.start() > position:
                        pieces.append(nodes.Text(source[position : match.start()]))
                    pieces.append(nodes.inline(match.group(), match.group(), classes=["nobreak"]))
                    position = match.end()
                if not pieces:
                    continue
                if position < len(source):
                    pieces.append(nodes.Text(source[position:]))
                text.parent.replace(text, pieces)


class NoBreakInShortCode(SphinxPostTransform):
    default_priority = 901

    def run(self, **kwargs: Any) -> None:
        for literal in self.document.findall(nodes.literal):
            text = literal.astext()
            if len(text) <= SHORT_CODE and not any(character.isspace() for character in text):
                literal["classes"].append("nobreak")


def _ancestors(node: nodes.Node) -> list[nodes.Node]:
    found = []
    while node.parent is not None:
        node = node.parent
        found.append(node)
    return found


def setup(app: Any) -> dict[str, Any]:
    app.add_post_transform(NoBreakInTableTokens)
    app.add_post_transform(NoBreakInShortCode)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
