"""Whether the built site is already what ``nox -s docs`` would build: a make-style stamp.

A Sphinx run that finds nothing to do still costs about two seconds: it imports every
extension, loads the environment and walks every doctree to number the figures. The docs
session skips it when nothing the build reads has changed since the stamp was written:

* every file of the project outside the folders git ignores (sources, pages, extensions, the
  tests the verification page lists, ``CITATION.cff``, the lock file), by content;
* the variables of the environment the build, its kernels or Python read (the site's address,
  ``SOURCE_DATE_EPOCH``, locale, thread counts, ``PYTHONPATH``, ...);
* the checked-out commit, which the footer prints;
* the Sphinx command line;
* the state of the build itself (the size and time of Sphinx's saved environment), so that
  a build made by the tests, or a deleted page, is not mistaken for this one.

The stamp is written only after a build succeeded; a command line with extra arguments
(``nox -s docs -- -E``) always runs Sphinx.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     root = Path(folder)
...     _ = (root / "page.md").write_text("# A page")
...     first = inputs_digest(root, ["-b", "html"], environ={})
...     _ = (root / "page.md").write_text("# A page, edited")
...     first == inputs_digest(root, ["-b", "html"], environ={})
False
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# Never inputs: outputs, environments and caches (as in .gitignore).
IGNORED = {
    "build", ".nox", ".venv", ".git", "__pycache__", ".hypothesis", ".pytest_cache",
    ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints",
}  # fmt: skip
# Variables that change what the build makes: the book's own, Sphinx's and docutils', the
# publishers' (the site's address), Python's, locale, and the numeric libraries' threads.
VARIABLES = (
    "LRSIM_", "SOURCE_DATE_EPOCH", "READTHEDOCS", "SPHINX", "DOCUTILS", "PYTHON", "LANG",
    "LC_", "LANGUAGE", "TZ", "MPL", "JUPYTER", "IPYTHON", "JPY", "OMP_", "OPENBLAS", "MKL",
    "NUMPY", "PATH", "VIRTUAL_ENV",
)  # fmt: skip


def project_files(root: Path) -> list[Path]:
    """Every file under ``root`` outside :data:`IGNORED` folders, in a fixed order."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(
            name for name in subfolders if name not in IGNORED and not name.endswith(".egg-info")
        )
        found += [Path(folder) / name for name in sorted(files)]
    return found


def commit(root: Path) -> str:
    """The checked-out commit, "" outside a git clone."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip()


def inputs_digest(
    root: Path, arguments: Sequence[str], environ: Mapping[str, str] | None = None
) -> str:
    """A digest of everything a build of ``root`` with these Sphinx ``arguments`` reads."""
    environ = os.environ if environ is None else environ
    digest = hashlib.sha256()
    for part in (
        *arguments,
        commit(root),
        *(f"{name}={environ[name]}" for name in sorted(environ) if name.startswith(VARIABLES)),
    ):
        digest.update(part.encode() + b"\0")
    for path in project_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def build_state(build: Path) -> str:
    """The size and time of Sphinx's saved environment: another build of ``build`` changes it."""
    try:
        status = (build / "doctrees" / "environment.pickle").stat()
        (build / "html" / "index.html").stat()
    except FileNotFoundError:
        return "no build"
    return f"{status.st_size} {status.st_mtime_ns}"


class Stamp:
    """The stamp of the site in ``build``, for the build of ``root`` with ``arguments``."""

    def __init__(self, root: Path, build: Path, arguments: Sequence[str]) -> None:
        self.root, self.build, self.arguments = root, build, list(arguments)
        self.path = build / "docs-inputs"

    def inputs(self) -> str:
        """The digest of the inputs as they are now: take it before the build starts."""
        return inputs_digest(self.root, self.arguments)

    def up_to_date(self, inputs: str) -> bool:
        """Whether the site was built from exactly ``inputs``, the digest :meth:`inputs` gives."""
        expected = f"{inputs} {build_state(self.build)}"
        return self.path.is_file() and self.path.read_text() == expected

    def write(self, inputs: str) -> None:
        """Record that the build that has just succeeded read ``inputs`` (taken before it
        started, so that an edit made while it ran is seen by the next run)."""
        self.path.write_text(f"{inputs} {build_state(self.build)}")
