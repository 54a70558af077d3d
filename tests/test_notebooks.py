"""Every page a reader can download as a notebook runs on its own.

The site offers each executable page as ``_sources/<page>.ipynb`` (docs/_ext/takeaway.py).
Each is executed here with nbclient in a new environment that holds lrsim, its dependencies
and a Jupyter kernel only (the ``notebook`` group of uv.lock), from an empty folder holding
the notebook and the files it declares it reads, with no IPython profile, no MPLBACKEND and
nothing of the build's environment: what works here works for a reader.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import docname, source_pages
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from takeaway import is_notebook  # found through the line above

KERNEL = "lrsim-reader"


def executable_pages() -> list[str]:
    """docnames of the pages with code cells, from the sources (not from the build)."""
    return sorted(
        docname(path) for path in source_pages() if is_notebook(path.read_text(encoding="utf-8"))
    )


@pytest.fixture(scope="module")
def reader_kernel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A kernel in a new environment of lrsim, its dependencies and ipykernel; the environment
    variables a notebook then runs with."""
    home = tmp_path_factory.mktemp("reader")
    env = home / "env"
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    subprocess.run(
        [uv, "sync", "--locked", "--offline", "--no-default-groups", "--group=notebook",
         "--quiet", f"--project={ROOT}"],
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(env)}, check=True,
    )  # fmt: skip
    spec = home / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [str(env / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "lrsim reader", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    keep = ("LANG", "LC_ALL", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    return {
        **{name: os.environ[name] for name in keep if name in os.environ},
        "HOME": str(home),
        "PATH": f"{env / 'bin'}{os.pathsep}/usr/bin:/bin",
        "VIRTUAL_ENV": str(env),
        "JUPYTER_PATH": str(home / "jupyter"),
        "IPYTHONDIR": str(home / "ipython"),
    }


def test_every_executable_page_has_a_notebook(site: Path) -> None:
    offered = sorted(
        path.relative_to(site / "_sources").with_suffix("").as_posix()
        for path in (site / "_sources").rglob("*.ipynb")
    )
    assert offered == executable_pages()
    assert "parabola/01-worked-example" in offered


@pytest.mark.parametrize("page", executable_pages())
def test_downloaded_notebook_runs_in_a_clean_folder_with_only_lrsim(
    page: str, site: Path, reader_kernel: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    downloaded = site / "_sources" / f"{page}.ipynb"
    notebook = nbformat.read(downloaded, as_version=4)
    nbformat.validate(notebook)
    assert not any(cell.get("outputs") for cell in notebook.cells), "outputs are stripped"
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "import myst_nb" not in code, "the build's glue is not needed"
    assert "from myst_nb" not in code, "the build's glue is not needed"
    for name in notebook.metadata.get("lrsim", {}).get("companions", []):
        shutil.copyfile(downloaded.parent / name, tmp_path / name)
    shutil.copyfile(downloaded, tmp_path / downloaded.name)
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in reader_kernel.items():
        monkeypatch.setenv(name, value)

    client = NotebookClient(
        notebook, kernel_name=KERNEL, timeout=600, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()

    ran = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert ran
    assert all(cell.execution_count for cell in ran)
    errors = [o for cell in ran for o in cell.outputs if o.output_type == "error"]
    assert not errors


def markdown_of(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("page", executable_pages())
def test_downloaded_notebook_has_no_myst_left_in_its_text(page: str, site: Path) -> None:
    """Jupyter shows MyST roles and directives as raw text: none may be left."""
    text = markdown_of(nbformat.read(site / "_sources" / f"{page}.ipynb", as_version=4))
    assert not re.findall(r"\{[\w:-]+\}`[^`]*`", text), "a MyST role"
    assert not re.findall(r"^(?:```|:::)\s*\{", text, re.MULTILINE), "a MyST directive"
    assert not re.findall(r"^\$\$ \(", text, re.MULTILINE), "a MyST equation label"
    assert not re.findall(r"^\([\w-]+\)=$", text, re.MULTILINE), "a MyST target"


@pytest.mark.parametrize("page", executable_pages())
def test_downloaded_notebook_quotes_the_numbers_the_site_shows(page: str, site: Path) -> None:
    """Every glued number of the page reads in the notebook as the built site shows it, and the
    notebook says that its cells compute them again."""
    notebook = nbformat.read(site / "_sources" / f"{page}.ipynb", as_version=4)
    text = markdown_of(notebook)
    built = (site / f"{page}.html").read_text(encoding="utf-8")
    glued = [html.unescape(value) for value in re.findall(r'class="pasted-text">(.*?)<', built)]
    assert [value for value in glued if value not in text] == []
    assert "computed when the book was built" in notebook.cells[0].source


def test_the_worked_examples_numbers_are_in_its_notebook(site: Path) -> None:
    notebook = nbformat.read(site / "_sources" / "parabola" / "01-worked-example.ipynb", 4)
    text = markdown_of(notebook)
    for quoted in ("$x_2 =$ −0.36", "$x_3 =$ 0.216", "$x_2 =$ −1.96", "$x_3 =$ 2.744"):
        assert quoted in text
    assert "\\tag{1}" in text, "the equation keeps the number the site gives it"
