"""An explorer's bulk data leave its page for a file of their own, fetched only when the reader
comes near the explorer, so that a first visit of the page stays light.

A page's cell can only write into the page, so it writes the data inline, as
``<script type="application/json" data-explorer-data="NAME">…</script>`` (the explorer still
works from that, e.g. in a notebook). When the page is written, this extension moves each such
payload to ``_explorer-data/<page>--NAME.json`` in the output folder and leaves the element
empty, with the file's relative URL in ``data-src``; ``docs/_static/explorer-NAME.js`` fetches
it. The file holds the payload's bytes as they were (``<\\/`` is a valid JSON escape), so two
builds stay byte-identical.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PAYLOAD = re.compile(
    r'<script type="application/json" data-explorer-data="([a-z]+(?:-[a-z]+)*)">(.*?)</script>',
    re.DOTALL,
)
FOLDER = "_explorer-data"


def move_payloads(body: str, page: str, write: Any, url: Any) -> str:
    """Return ``body`` with each payload replaced by a reference to the file ``write`` got.

    >>> files = {}
    >>> body = '<script type="application/json" data-explorer-data="cases">[1, 2]</script>'
    >>> move_payloads(body, "adam/02-x", files.__setitem__, lambda name: "../" + name)
    '<script type="application/json" data-explorer-data="cases" data-src="../_explorer-data/adam--02-x--cases.json"></script>'
    >>> files
    {'adam--02-x--cases.json': '[1, 2]'}
    """

    def move(match: re.Match[str]) -> str:
        name, payload = match.groups()
        file = f"{page.replace('/', '--')}--{name}.json"
        write(file, payload)
        return (
            f'<script type="application/json" data-explorer-data="{name}" '
            f'data-src="{url(f"{FOLDER}/{file}")}"></script>'
        )

    return PAYLOAD.sub(move, body)


def write_payloads(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    body = context.get("body", "")
    if "data-explorer-data=" not in body:
        return
    folder = Path(app.outdir) / FOLDER

    def write(file: str, payload: str) -> None:
        folder.mkdir(exist_ok=True)
        (folder / file).write_text(payload, encoding="utf-8")

    context["body"] = move_payloads(body, pagename, write, lambda name: context["pathto"](name, 1))


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", write_payloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
