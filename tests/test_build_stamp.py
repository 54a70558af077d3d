"""The docs session's stamp: it skips Sphinx only while nothing the build reads has changed."""

from __future__ import annotations

import pickle
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from build_stamp import Stamp, inputs_digest, project_files  # found through the line above

ARGUMENTS = ["-b", "html", "docs", "build/html"]
ENVIRON = {"LRSIM_BASE_URL": "https://example.org/", "SOURCE_DATE_EPOCH": "1", "TERM": "xterm"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("docs/index.md", "docs/_ext/book.py", "src/lrsim/core.py", "uv.lock"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"contents of {name}\n")
    return tmp_path


def fake_build(build: Path) -> None:
    (build / "doctrees").mkdir(parents=True, exist_ok=True)
    (build / "html").mkdir(parents=True, exist_ok=True)
    (build / "doctrees" / "environment.pickle").write_bytes(b"environment")
    (build / "html" / "index.html").write_text("<html></html>")


@pytest.mark.parametrize(
    "edit",
    [
        lambda root: (root / "docs" / "index.md").write_text("edited prose\n"),
        lambda root: (root / "src" / "lrsim" / "core.py").write_text("edited code\n"),
        lambda root: (root / "docs" / "new-page.md").write_text("# New\n"),
        lambda root: (root / "uv.lock").unlink(),
        lambda root: (root / "docs" / "index.md").rename(root / "docs" / "start.md"),
    ],
    ids=["prose", "module", "new file", "deleted file", "renamed file"],
)
def test_any_edit_of_a_project_file_changes_the_digest(project: Path, edit) -> None:
    before = inputs_digest(project, ARGUMENTS, ENVIRON)
    edit(project)
    assert inputs_digest(project, ARGUMENTS, ENVIRON) != before


def test_outputs_caches_and_unrelated_variables_do_not_count(project: Path) -> None:
    before = inputs_digest(project, ARGUMENTS, ENVIRON)
    for folder in ("build/html", ".nox/docs", "src/lrsim/__pycache__", "x.egg-info"):
        (project / folder).mkdir(parents=True)
        (project / folder / "file").write_text("output")
    assert inputs_digest(project, ARGUMENTS, {**ENVIRON, "TERM": "dumb", "PWD": "/"}) == before


@pytest.mark.parametrize(
    "change",
    [
        {"LRSIM_BASE_URL": "https://elsewhere.org/"},
        {"SOURCE_DATE_EPOCH": "2"},
        {"PYTHONPATH": "/elsewhere/src"},
        {"LANG": "de_DE.UTF-8"},
    ],
)
def test_variables_the_build_reads_change_the_digest(project: Path, change: dict) -> None:
    before = inputs_digest(project, ARGUMENTS, ENVIRON)
    assert inputs_digest(project, ARGUMENTS, {**ENVIRON, **change}) != before
    assert inputs_digest(project, [*ARGUMENTS, "-E"], ENVIRON) != before


@pytest.fixture
def stamp(project: Path, monkeypatch: pytest.MonkeyPatch) -> Stamp:
    monkeypatch.setattr("os.environ", dict(ENVIRON))
    return Stamp(project, project / "build", ARGUMENTS)


def test_the_stamp_holds_until_an_input_or_the_build_changes(project: Path, stamp: Stamp) -> None:
    build = stamp.build
    assert not stamp.up_to_date(stamp.inputs())  # never built
    fake_build(build)
    assert not stamp.up_to_date(stamp.inputs())  # built, but not by the docs session
    stamp.write(stamp.inputs())
    assert stamp.up_to_date(stamp.inputs())

    (build / "doctrees" / "environment.pickle").write_bytes(b"another build's environment")
    assert not stamp.up_to_date(stamp.inputs())  # the tests rebuilt the site from other inputs
    stamp.write(stamp.inputs())
    (build / "html" / "index.html").unlink()
    assert not stamp.up_to_date(stamp.inputs())
    fake_build(build)
    stamp.write(stamp.inputs())
    (project / "docs" / "index.md").write_text("edited\n")
    assert not stamp.up_to_date(stamp.inputs())


def test_a_stamp_taken_before_the_build_misses_no_edit_made_during_it(
    project: Path, stamp: Stamp
) -> None:
    inputs = stamp.inputs()
    (project / "docs" / "index.md").write_text("edited while Sphinx ran\n")
    fake_build(stamp.build)
    stamp.write(inputs)
    assert not stamp.up_to_date(stamp.inputs())


def test_every_file_sphinx_read_is_an_input_of_the_stamp(site: Path) -> None:
    # Sphinx's own record of what the book was built from: pages and their dependencies.
    with (site.parent / "doctrees" / "environment.pickle").open("rb") as file:
        environment = pickle.load(file)
    docs = Path(environment.srcdir)
    read = {docs / environment.doc2path(name, base=False) for name in environment.found_docs}
    for dependencies in environment.dependencies.values():
        read |= {(docs / name).resolve() for name in dependencies}
    # The figures that executing a page wrote are outputs of this same build, not inputs; the
    # installed packages' files are uv.lock's pins, which are an input.
    read = {path for path in read if not path.is_relative_to(site.parent)}
    read = {path for path in read if not path.is_relative_to(ROOT / ".nox")}
    inputs = set(project_files(ROOT))
    assert read <= inputs, sorted(map(str, read - inputs))
    assert len(read) > len(environment.found_docs)  # the pages' lrsim modules and records


def test_the_copy_of_a_project_has_the_same_digest(project: Path, tmp_path_factory) -> None:
    copy = tmp_path_factory.mktemp("copy") / "project"
    shutil.copytree(project, copy)
    assert inputs_digest(copy, ARGUMENTS, ENVIRON) == inputs_digest(project, ARGUMENTS, ENVIRON)
