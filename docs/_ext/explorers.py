"""Each page loads the scripts of the explorers it holds, and no other page loads them.

An explorer is a ``<div class="lrsim-explorer" data-explorer="NAME">`` that a page's cell
writes (``docs/_static/explorer.js`` says how it is built). When a page's body holds one, this
extension adds the toolkit ``explorer.js`` and ``explorer-NAME.js`` to that page alone, deferred
and in that order: the other pages stay as light as they were.
"""

from __future__ import annotations

import re
from typing import Any

EXPLORER = re.compile(r'<div class="lrsim-explorer" data-explorer="([a-z-]+)"')


def explorer_scripts(body: str) -> list[str]:
    """The scripts a page body needs, toolkit first, each once, in the order of the page.

    >>> explorer_scripts('<div class="lrsim-explorer" data-explorer="adam" hidden>')
    ['explorer.js', 'explorer-adam.js']
    >>> explorer_scripts("<p>no explorer</p>")
    []
    """
    names = list(dict.fromkeys(EXPLORER.findall(body)))
    return ["explorer.js", *(f"explorer-{name}.js" for name in names)] if names else []


def add_explorer_scripts(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    for script in explorer_scripts(context.get("body", "")):
        app.add_js_file(script, defer="defer")


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", add_explorer_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
