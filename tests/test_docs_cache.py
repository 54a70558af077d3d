"""The execution cache is keyed on lrsim's source: editing src/ re-executes pages and changes them."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from conftest import ROOT, sphinx_build

import lrsim

PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Cache probe

```{code-cell} ipython3
:tags: [remove-cell]
from myst_nb import glue
from lrsim.parabola import critical_learning_rate
glue("critical", critical_learning_rate(), display=False)
```

The critical learning rate is {glue:text}`critical:.3f` today.
"""


def rendered_critical_rate(build: Path) -> str:
    html = (build / "html" / "index.html").read_text(encoding="utf-8")
    match = re.search(r"The critical learning rate is\s*(?:<[^>]+>\s*)*([0-9.]+)", html)
    assert match, "glued number missing from the page"
    return match.group(1)


def test_editing_a_constant_in_lrsim_reexecutes_and_changes_the_rendered_number(tmp_path):
    source = tmp_path / "src" / "lrsim"
    shutil.copytree(Path(lrsim.__file__).parent, source, ignore=shutil.ignore_patterns("__py*"))
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "docs" / "conf.py", docs / "conf.py")
    shutil.copy(ROOT / "docs" / "references.bib", docs / "references.bib")
    for folder in ("_ext", "_static", "_fonts"):  # the book's own extensions and assets
        shutil.copytree(
            ROOT / "docs" / folder, docs / folder, ignore=shutil.ignore_patterns("__py*")
        )
    (docs / "index.md").write_text(PAGE, encoding="utf-8")
    build = tmp_path / "build"
    # The copied package shadows the installed one, in Sphinx and in the kernels it starts.
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}

    first = sphinx_build(docs, build, env)
    assert "Executing notebook" in first
    assert rendered_critical_rate(build) == "1.000"

    unchanged = sphinx_build(docs, build, env)
    assert "Executing notebook" not in unchanged

    module = source / "parabola.py"
    module.write_text(
        module.read_text(encoding="utf-8").replace("SEED_CURVATURE = 2.0", "SEED_CURVATURE = 4.0"),
        encoding="utf-8",
    )
    edited = sphinx_build(docs, build, env)
    assert "Executing notebook" in edited
    assert rendered_critical_rate(build) == "0.500"
