"""Incremental builds do exactly the work an edit calls for, in a copy of the project.

A page re-executes when an lrsim module it imports changes, directly or through other lrsim
modules, and no other page does; an edit of a page's prose re-reads that page alone; the
generated verification page is re-read when a page's assertions change. Which pages were read
comes from Sphinx's ``env-before-read-docs`` event, which pages executed from MyST-NB's log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, docname, page_text, source_pages, sphinx_build
from sphinx.util.parallel import ParallelTasks

import lrsim

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from lrsim_build import (  # found through the line above
    READING_LOG,
    READING_SECONDS,
    finishing_times,
)

HEADER = """\
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

"""

PAGES = {
    # lrsim.parabola, which no other page imports, even indirectly.
    "index": """\
# Cache probe

```{toctree}
direct
indirect
reference/api
reference/verification
```

```{code-cell} ipython3
:tags: [remove-cell]
from myst_nb import glue
from lrsim.parabola import critical_learning_rate
glue("critical", critical_learning_rate(), display=False)
```

The critical learning rate is {glue:text}`critical:.3f` today.
""",
    # lrsim.schedules and what it imports; nothing imports lrsim.network.
    "direct": """\
# Imports schedules

```{code-cell} ipython3
from lrsim.schedules import ExponentialDecay
assert float(ExponentialDecay(0.1, 10, 0.5)(0)) == 0.1
```

A paragraph of prose.
""",
    # lrsim.experiments, which imports lrsim.network.
    "indirect": """\
# Imports experiments

```{code-cell} ipython3
from lrsim.experiments import CASE_STUDY
CASE_STUDY.architecture
```
""",
}

# Sphinx calls this extension before reading, with the documents it is about to read.
RECORDER = """
from pathlib import Path

def record(app, env, docnames):
    Path(app.outdir).parent.joinpath("read.txt").write_text("\\n".join(sorted(docnames)))

def setup(app):
    app.connect("env-before-read-docs", record)
    return {"parallel_read_safe": True}
"""


class Project:
    """A copy of the book's build setup, of lrsim and of the probe pages, and its builds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.source = root / "src" / "lrsim"
        shutil.copytree(
            Path(lrsim.__file__).parent, self.source, ignore=shutil.ignore_patterns("__py*")
        )
        self.docs = root / "docs"
        self.docs.mkdir()
        for name in ("conf.py", "references.bib"):
            shutil.copy(ROOT / "docs" / name, self.docs / name)
        for folder in ("_ext", "_static", "_fonts", "_templates"):
            shutil.copytree(
                ROOT / "docs" / folder, self.docs / folder, ignore=shutil.ignore_patterns("__py*")
            )
        (self.docs / "_ext" / "read_record.py").write_text(RECORDER, encoding="utf-8")
        with (self.docs / "conf.py").open("a", encoding="utf-8") as conf:
            conf.write('\nextensions.append("read_record")\n')
        for name, text in PAGES.items():
            (self.docs / f"{name}.md").write_text(HEADER + text, encoding="utf-8")
        (self.docs / "reference").mkdir()
        # lrsim_reference appends the generated text to these two.
        for name in ("api", "verification"):
            (self.docs / "reference" / f"{name}.md").write_text(f"# {name}\n", encoding="utf-8")
        self.build = root / "build"
        # The copied package shadows the installed one, in Sphinx and in the kernels it starts.
        self.env = {**os.environ, "PYTHONPATH": str(root / "src")}

    def rebuild(self) -> tuple[set[str], set[str]]:
        """Build; return the documents Sphinx read and the pages that executed."""
        log = sphinx_build(self.docs, self.build, self.env)
        record = self.build / "read.txt"
        read = set(record.read_text(encoding="utf-8").split()) if record.exists() else set()
        record.unlink(missing_ok=True)
        executed = {
            Path(path).relative_to(self.docs).with_suffix("").as_posix()
            for path in re.findall(r"^(\S+\.md): Executing notebook", log, re.MULTILINE)
        }
        return read, executed

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path.name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def critical_rate(self) -> str:
        html = (self.build / "html" / "index.html").read_text(encoding="utf-8")
        match = re.search(r"The critical learning rate is\s*(?:<[^>]+>\s*)*([0-9.]+)", html)
        assert match, "glued number missing from the page"
        return match.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The probe project, built once: every page read and executed."""
    project = Project(tmp_path_factory.mktemp("incremental"))
    read, executed = project.rebuild()
    assert read == {"index", "direct", "indirect", "reference/api", "reference/verification"}
    assert executed == {"index", "direct", "indirect"}
    assert project.critical_rate() == "1.000"
    return project


def test_nothing_changed_reads_nothing(project: Project) -> None:
    assert project.rebuild() == (set(), set())


def test_prose_edit_rereads_that_page_alone_and_executes_nothing(project: Project) -> None:
    notebooks = project.build / "html" / "_sources"
    untouched = (notebooks / "indirect.ipynb").stat().st_mtime_ns
    project.edit(project.docs / "direct.md", "A paragraph of prose.", "A paragraph of new prose.")
    assert project.rebuild() == ({"direct"}, set())
    # The build's log of reading times (what `nox -s bench_build -- --record` plans with).
    times = (project.build / "doctrees" / READING_LOG).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["page"] for line in times] == ["direct"]
    # The edited page's download is remade; another page's is left as it was.
    assert "A paragraph of new prose." in (notebooks / "direct.ipynb").read_text(encoding="utf-8")
    assert (notebooks / "indirect.ipynb").stat().st_mtime_ns == untouched


def test_the_reading_plan_names_only_pages_of_the_book() -> None:
    pages = {docname(path) for path in source_pages()}
    planned = json.loads(READING_SECONDS.read_text(encoding="utf-8"))
    assert set(planned) <= pages, "a page was renamed: run `nox -s bench_build -- --record`"


def test_sphinx_starts_waiting_runs_as_the_reading_plan_assumes() -> None:
    """finishing_times models Sphinx's ParallelTasks: a run that waits for a process starts
    when one frees up, the last added first. With one process and a first run still busy,
    runs 1 and 2 wait, and 2 starts (and so finishes) before 1."""
    finished: list[int] = []
    tasks = ParallelTasks(1)
    for run, seconds in enumerate((0.3, 0.0, 0.0)):
        tasks.add_task(time.sleep, seconds, lambda _, __, run=run: finished.append(run))
    tasks.join()
    assert finished == [0, 2, 1]
    assert finishing_times([0.3, 0.1, 0.1], 1) == pytest.approx([0.3, 0.5, 0.4])


def test_a_new_assertion_rereads_its_page_and_the_verification_page(project: Project) -> None:
    project.edit(project.docs / "direct.md", "(0)) == 0.1\n", "(0)) == 0.1\nassert 2 > 1\n")
    read, executed = project.rebuild()
    assert (read, executed) == ({"direct", "reference/verification"}, {"direct"})
    assert "2 > 1" in page_text(project.build / "html" / "reference" / "verification.html")


def test_module_edit_reexecutes_only_the_page_that_imports_it_indirectly(project: Project) -> None:
    project.edit(project.source / "network.py", "\n", "\n# an edit\n")
    read, executed = project.rebuild()
    assert executed == {"indirect"}
    # The API and verification pages show every module's docstrings and doctests.
    assert read == {"indirect", "reference/api", "reference/verification"}


def test_module_edit_reexecutes_only_the_page_that_imports_it_directly(project: Project) -> None:
    project.edit(project.source / "schedules.py", "\n", "\n# an edit\n")
    read, executed = project.rebuild()
    assert executed == {"direct"}
    assert read == {"direct", "reference/api", "reference/verification"}


def test_module_edit_changes_the_number_its_page_renders(project: Project) -> None:
    project.edit(project.source / "parabola.py", "SEED_CURVATURE = 2.0", "SEED_CURVATURE = 4.0")
    assert project.rebuild() == ({"index", "reference/api", "reference/verification"}, {"index"})
    assert project.critical_rate() == "0.500"
