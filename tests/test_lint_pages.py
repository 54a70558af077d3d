"""The pages' code cells are linted where they stand: every code line keeps its page line."""

from __future__ import annotations

from pathlib import Path

from lint_pages import code_lines, pages  # tools/ is on sys.path through conftest

ROOT = Path(__file__).resolve().parents[1]

PAGE = """\
(slug)=
# A title

```{code-cell} ipython3
:tags: [remove-cell]

%config InlineBackend.figure_formats = ["svg"]
import os
```

Prose with `import sys` in it.

````{code-cell} ipython3
---
tags: [hide-input]
mystnb:
  figure:
    name: fig-x
---
x = 1
```python
not_code = True
```
````
"""


def test_code_lines_keep_their_page_line_and_blank_everything_else():
    lines = code_lines(PAGE)
    assert len(lines) == len(PAGE.splitlines())
    kept = {number: line for number, line in enumerate(lines, start=1) if line}
    # A nested fence is code of the outer cell; options, magics and prose are not Python.
    assert kept == {8: "import os", 20: "x = 1", 21: "```python", 22: "not_code = True", 23: "```"}


def test_every_page_with_code_cells_is_linted():
    linted = {page.relative_to(ROOT).as_posix() for page in pages(ROOT)}
    assert "docs/adam/02-case-studies.md" in linted
    assert "docs/reference/plateau-keras-vs-pytorch.md" in linted
    assert "docs/reference/bibliography.md" not in linted  # no code cells
    assert all(any(code_lines(page.read_text())) for page in pages(ROOT))
