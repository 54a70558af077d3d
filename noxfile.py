"""The developer interface: every build, test and check is a nox session.

``nox -s docs`` builds the site into ``build/html``; ``nox -s tests`` runs the test suite
(which builds the site once, incrementally, and checks it); ``nox -s lint`` runs ruff and mypy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
BUILD = ROOT / "build"
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["docs", "tests", "lint"]

# Without compiled bytecode every kernel start and every build pays seconds of imports,
# because these machines set PYTHONDONTWRITEBYTECODE=1.
os.environ["UV_COMPILE_BYTECODE"] = "1"
# A stray MPLBACKEND makes matplotlib-inline drop every figure while the build still passes.
os.environ.pop("MPLBACKEND", None)


def install_groups(session: nox.Session, *groups: str) -> None:
    """Install lrsim (editable) and the named dependency groups of pyproject.toml."""
    requirements: list[str] = []
    for group in groups:
        requirements += nox.project.dependency_groups(PYPROJECT, group)
    session.install("-e", ".", *requirements)


def sphinx_build_args(builder: str = "html") -> list[str]:
    return [
        "-b",
        builder,
        "-W",
        "--keep-going",
        "-d",
        str(BUILD / "doctrees"),
        "docs",
        str(BUILD / builder),
    ]


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML site into build/html, warnings as errors."""
    install_groups(session, "docs")
    session.run("python", "-m", "sphinx", *sphinx_build_args(), *session.posargs)
    session.log(f"Site built: {BUILD / 'html' / 'index.html'}")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite: unit, property, doctests, worked numbers and built-site checks."""
    install_groups(session, "test", "docs")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and mypy --strict on src."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Live preview with sphinx-autobuild on http://127.0.0.1:8000 (rebuilds on change)."""
    install_groups(session, "docs")
    session.install("sphinx-autobuild")
    session.run(
        "sphinx-autobuild",
        *sphinx_build_args(),
        "--watch",
        "src",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        *session.posargs,
    )


@nox.session(venv_backend="none", default=False)
def clean(session: nox.Session) -> None:
    """Remove the build folder (site, doctrees and execution cache)."""
    if BUILD.exists():
        shutil.rmtree(BUILD)
        session.log(f"Removed {BUILD}")
