"""Give the reference list's entries the role their list requires.

Docutils writes citations as ``role="doc-biblioentry"`` children of a ``role="list"`` block.
ARIA 1.2 deprecates that role and a list must own list items, so axe-core reported a critical
violation (aria-required-children) on the bibliography page.
"""

from __future__ import annotations

from typing import Any


def mark_citations_as_list_items(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    body = context.get("body")
    if isinstance(body, str) and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", mark_citations_as_list_items)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
