"""Lint the book's code cells with ruff, as the package is linted, naming the page and its line.

A page is a MyST notebook: ruff cannot read it, and a converted notebook would report cell
numbers. So each page becomes a Python text of the same number of lines, in which every line
of a ``{code-cell}`` keeps its place and everything else (prose, fences, cell options, IPython
magics) is blank; ruff reads it from stdin under the page's own name, and its findings point at
the page's lines. ``nox -s lint`` runs it, with the settings of ``pyproject.toml``.

Examples
--------
>>> page = '''Prose.
...
... ```{code-cell} ipython3
... :tags: [remove-cell]
...
... %config InlineBackend.figure_formats = ["svg"]
... import numpy as np
... ```
... '''
>>> code_lines(page)
['', '', '', '', '', '', 'import numpy as np', '']
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")


def code_lines(page: str) -> list[str]:
    """The page's lines with everything but the code of its code cells blanked."""
    lines = page.splitlines()
    kept = [""] * len(lines)
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        index += 1
        if not opening:
            continue
        if index < len(lines) and lines[index] == "---":  # a YAML block of cell options
            index = lines.index("---", index + 1) + 1
        while index < len(lines) and lines[index].startswith(":"):  # short options
            index += 1
        while index < len(lines) and lines[index].rstrip() != opening.group(1):
            if not lines[index].lstrip().startswith("%"):  # magics are not Python
                kept[index] = lines[index]
            index += 1
        index += 1
    return kept


def pages(root: Path = ROOT) -> list[Path]:
    """Every page of the book that has code cells."""
    return sorted(
        p
        for p in (root / "docs").rglob("*.md")
        if any(map(FENCE.match, p.read_text().splitlines()))
    )


def ruff(page: Path, *arguments: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``ruff check`` on a page's code, reported under the page's path."""
    name = page.relative_to(root).as_posix()
    source = "\n".join(code_lines(page.read_text())) + "\n"
    command = [sys.executable, "-m", "ruff", "check", "--quiet", "--extension", "md:python"]
    return subprocess.run(
        [*command, *arguments, "--stdin-filename", name, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )


def main() -> int:
    """Lint every page; print ruff's findings and return 1 if there are any."""
    failed = [page for page in pages() if report(ruff(page))]
    if failed:
        print(f"ruff found problems in the code cells of {len(failed)} page(s)", file=sys.stderr)
    return 1 if failed else 0


def report(result: subprocess.CompletedProcess[str]) -> bool:
    """Print what ruff found; true if it found anything."""
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    return result.returncode != 0


if __name__ == "__main__":
    sys.exit(main())
