"""The developer interface: every build, test and check is a nox session.

``nox -s docs`` builds the site into ``build/html``; ``nox -s tests`` runs the test suite
(which builds the site once, incrementally, and checks it); ``nox -s lint`` runs ruff and mypy.
``nox -s site`` checks the built site in a real browser (Chromium) and ``nox -s reproducible``
builds it twice from scratch and compares the bytes; CI runs both after the tests.
On request only: ``nox -s crosscheck`` compares lrsim with real Keras, ``nox -s bench`` times both.
"""

from __future__ import annotations

import filecmp
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


def sphinx_build_args(builder: str = "html", build: Path = BUILD) -> list[str]:
    # -j auto: pages execute in parallel, one reading process per core; the output is
    # byte-identical to a serial build (the reproducible session checks it).
    return [
        "-j",
        "auto",
        "-b",
        builder,
        "-W",
        "--keep-going",
        "-d",
        str(build / "doctrees"),
        "docs",
        str(build / builder),
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


@nox.session(default=False)
def site(session: nox.Session) -> None:
    """Check the built site in Chromium: clean loads, same-origin requests, images, formulas,
    search, the η explorer, axe-core; light and dark screenshots go to build/screenshots/."""
    install_groups(session, "test", "docs", "site")
    session.run("pytest", "-m", "site", "tests/browser", *session.posargs)


def differing_files(first: Path, second: Path) -> tuple[int, list[str]]:
    """Compare two folders byte by byte: (files compared, files that differ or exist once)."""
    names = {p.relative_to(first) for p in first.rglob("*") if p.is_file()}
    names |= {p.relative_to(second) for p in second.rglob("*") if p.is_file()}
    differ = [
        name.as_posix()
        for name in sorted(names)
        if not ((first / name).is_file() and (second / name).is_file())
        or not filecmp.cmp(first / name, second / name, shallow=False)
    ]
    return len(names), differ


@nox.session(default=False)
def reproducible(session: nox.Session) -> None:
    """Build the site twice from scratch (every page executed) and list any file that differs."""
    install_groups(session, "docs")
    builds = [BUILD / "reproducible" / name for name in ("first", "second")]
    for build in builds:
        shutil.rmtree(build, ignore_errors=True)
        # force: execute every page in both builds instead of sharing a cache.
        session.run(
            "python", "-m", "sphinx", *sphinx_build_args(build=build), "-q",
            "-D", "nb_execution_mode=force",
        )  # fmt: skip
    compared, differ = differing_files(builds[0] / "html", builds[1] / "html")
    for name in differ:
        session.warn(f"differs: {name}")
    if differ:
        session.error(f"{len(differ)} of {compared} files differ between two builds")
    session.log(f"Reproducible: {compared} files byte-identical in two clean builds")


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


KERAS_BACKENDS = ("tensorflow", "jax")


def keras_env(session: nox.Session, backend: str = "jax") -> dict[str, str]:
    """Environment for real Keras on one backend, on the CPU, nothing in or from ~/.keras."""
    return {
        "KERAS_BACKEND": backend,
        "JAX_PLATFORMS": "cpu",
        "CUDA_VISIBLE_DEVICES": "",
        # TensorFlow's C++ start-up chatter goes to stderr; errors still come through.
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_HOME": str(Path(session.create_tmp()) / "keras_home"),
        # Both frameworks may use the machine's 2 cores: OpenBLAS (numpy, lrsim) is capped at 2
        # threads here, and XLA's and TensorFlow's CPU thread pools size themselves to the 2
        # visible cores.
        "OMP_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
    }


@nox.session(default=False)
def crosscheck(session: nox.Session) -> None:
    """Compare lrsim with real Keras 3 on the TensorFlow and the JAX backend (CPU), one pytest
    process per backend, against the committed record docs/reference/crosscheck.json.

    ``nox -s crosscheck -- record`` re-makes the record instead of comparing with it.
    """
    install_groups(session, "test", "keras")
    args = list(session.posargs)
    env = {"LRSIM_CROSSCHECK": "1"}
    if "record" in args:
        args.remove("record")
        env["LRSIM_CROSSCHECK_RECORD"] = "write"
    for backend in KERAS_BACKENDS:
        session.log(f"Keras backend: {backend}")
        session.run(
            "pytest", "tests/crosscheck", "--durations=5", *args,
            env=keras_env(session, backend) | env,
        )  # fmt: skip


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Time lrsim against Keras (JAX, CPU) on the seed's three runs, and ensembles against loops."""
    install_groups(session, "keras")
    # -u: print each result as it comes; a full run takes minutes.
    session.run(
        "python",
        "-u",
        "tests/crosscheck/bench_training.py",
        *session.posargs,
        env=keras_env(session),
    )


@nox.session(venv_backend="none", default=False)
def clean(session: nox.Session) -> None:
    """Remove the build folder (site, doctrees and execution cache)."""
    if BUILD.exists():
        shutil.rmtree(BUILD)
        session.log(f"Removed {BUILD}")


@nox.session(default=False)
def bench_build(session: nox.Session) -> None:
    """Time clean builds of the whole book and of the book without each part (medians of 3)."""
    install_groups(session, "docs")
    session.run("python", "-u", "tests/bench_build.py", *session.posargs)
