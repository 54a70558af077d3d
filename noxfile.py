"""The developer interface: every build, test and check is a nox session.

``nox -s docs`` builds the site into ``build/html``; ``nox -s tests`` runs the test suite
(which builds the site once, incrementally, and checks it); ``nox -s lint`` runs ruff and mypy.
``nox -s site`` checks the built site in a real browser (Chromium) and ``nox -s reproducible``
builds it twice from scratch and compares the bytes; CI runs both after the tests.
On request only: ``nox -s crosscheck`` compares lrsim with real Keras, ``nox -s bench`` times both.

Every environment is installed from ``uv.lock``, exactly; ``nox -s lock`` re-locks after an edit
of ``pyproject.toml``, and ``nox -s upgrade`` tries the newest versions its bounds allow.
"""

from __future__ import annotations

import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox
import nox.virtualenv

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "tools"))
from build_stamp import Stamp  # found through the line above
from sphinx_command import sphinx_arguments  # found through the line above
from working_tree import copy_working_tree  # found through the line above

BUILD = ROOT / "build"
LOCK_COMMAND = "nox -s lock"
INPUTS = ("pyproject.toml", "uv.lock")  # what an environment is installed from

# Only uv installs from uv.lock.
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["docs", "tests", "lint"]

# Without compiled bytecode every kernel start and every build pays seconds of imports,
# because these machines set PYTHONDONTWRITEBYTECODE=1.
os.environ["UV_COMPILE_BYTECODE"] = "1"
# A stray MPLBACKEND makes matplotlib-inline drop every figure while the build still passes.
os.environ.pop("MPLBACKEND", None)


def check_lock(session: nox.Session, project: Path = ROOT) -> None:
    """Stop at once if pyproject.toml changed since uv.lock was made, naming the fix."""
    # --offline: whether the lock still matches is a question for the two files alone.
    check = [nox.virtualenv.UV, "lock", "--check", "--offline", "--quiet", "--project", project]
    if subprocess.run(check, capture_output=True, check=False).returncode != 0:
        session.error(
            f"uv.lock does not match pyproject.toml: run `{LOCK_COMMAND}` and commit uv.lock"
        )


def sync(session: nox.Session, env: Path | str, *groups: str, project: Path = ROOT) -> bool:
    """Make env hold exactly lrsim (editable) and the named groups as project's uv.lock pins them;
    False if nox skipped it (``--no-install``)."""
    return session.run_install(
        nox.virtualenv.UV, "sync", "--locked", "--no-default-groups",
        *(f"--group={group}" for group in groups), f"--project={project}",
        env={"UV_PROJECT_ENVIRONMENT": str(env)},
        external=True,
    ) is not None  # fmt: skip


def install_groups(session: nox.Session, *groups: str) -> None:
    """Install lrsim (editable) and the named dependency groups from uv.lock into the session,
    unless a stamp in the environment says it already holds them for today's pyproject.toml and
    uv.lock: the check and the sync cost a second even when nothing changed.

    A new environment has no stamp (`nox -s NAME --reuse-venv=no` makes one, e.g. after
    installing something into it by hand).
    """
    env = Path(session.virtualenv.location)
    stamp = env / "lrsim-install-inputs"
    files = [(ROOT / name).read_bytes() for name in INPUTS]
    inputs = hashlib.sha256(b"\0".join([*map(str.encode, groups), *files])).hexdigest()
    if stamp.is_file() and stamp.read_text() == inputs:
        session.log(f"{' and '.join(INPUTS)} unchanged since {env.name} was installed")
        return
    check_lock(session)
    if sync(session, env, *groups):
        stamp.write_text(inputs)


def in_env(env: Path) -> dict[str, str]:
    """Run in env without activating it; kernels find its python on PATH."""
    return {"VIRTUAL_ENV": str(env), "PATH": f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}"}


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML site into build/html, warnings as errors; skipped when nothing it is built
    from changed since the last build (tools/build_stamp.py), unless arguments follow ``--``."""
    install_groups(session, "docs")
    arguments = sphinx_arguments()
    stamp = Stamp(ROOT, BUILD, arguments)
    inputs = stamp.inputs()  # taken before the build: an edit made while it runs is seen later
    if not session.posargs and stamp.up_to_date(inputs):
        session.log(f"Site up to date (nothing it is built from changed): {stamp.path}")
        return
    # python -m sphinx, but without the half second Python takes to free the build's heap at exit
    built = session.run("python", "tools/run_sphinx.py", *arguments, *session.posargs)
    if built is not None and not session.posargs:  # None: --install-only skipped the build
        stamp.write(inputs)
    session.log(f"Site built: {BUILD / 'html' / 'index.html'}")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite: unit, property, doctests, worked numbers and built-site checks."""
    install_groups(session, "test", "docs")
    # The lock's test runs uv: the one nox found.
    session.run("pytest", *session.posargs, env={"UV": nox.virtualenv.UV})


@nox.session(default=False)
def stub_audit(session: nox.Session) -> None:
    """Stub each core part of lrsim in turn and count the tests that fail (tools/stub_audit.py);
    fails if a stub makes none fail. ``-- NAME`` audits the subjects whose names contain NAME."""
    install_groups(session, "test")
    session.run("python", "tools/stub_audit.py", *session.posargs)


@nox.session(default=False)
def site(session: nox.Session) -> None:
    """Check the built site in Chromium: clean loads, same-origin requests, images, formulas,
    search, the η explorer, axe-core; light and dark screenshots go to build/screenshots/."""
    install_groups(session, "test", "docs", "site")
    session.run("pytest", "-m", "site", "tests/browser", *session.posargs)


PDF = BUILD / "pdf" / "why-learning-rates-diverge.pdf"  # docs/_ext/takeaway.py links it


@nox.session(default=False)
def pdf(session: nox.Session) -> None:
    """The whole book as one PDF in build/pdf/: the single-page HTML build (from the same
    execution cache as the site) printed by Chromium (tools/book_pdf.py says why), its text
    checked (tests/test_pdf.py), and a copy put in build/html for the site's download menu."""
    install_groups(session, "test", "docs", "site")
    built = session.run("python", "-m", "sphinx", *sphinx_arguments("singlehtml"), *session.posargs)
    if built is None:  # --install-only (Read the Docs): nothing was built, so nothing to copy
        return
    session.run("python", "tools/book_pdf.py", str(BUILD / "singlehtml"), str(PDF))
    session.run("pytest", "-m", "pdf", "tests/test_pdf.py")
    if (BUILD / "html").is_dir():
        shutil.copy2(PDF, BUILD / "html" / PDF.name)
    session.log(f"PDF: {PDF}")


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


def fresh_build(session: nox.Session, build: Path, *groups: str, project: Path = ROOT) -> Path:
    """Install the groups from project's lock into a new environment, build/env, build project's
    site into build/html with every page executed (no shared cache), return the environment."""
    shutil.rmtree(build, ignore_errors=True)
    env = build / "env"
    session.run(nox.virtualenv.UV, "venv", "--quiet", f"--python={sys.executable}", env)
    sync(session, env, "docs", *groups, project=project)
    session.run(
        env / "bin" / "python", "-m", "sphinx",
        *sphinx_arguments(
            build=build, docs=project / "docs", quiet=True,
            settings={"nb_execution_mode": "force"},
        ),
        env=in_env(env), external=True,
    )  # fmt: skip
    return env


@nox.session(venv_backend="none", default=False)
def reproducible(session: nox.Session) -> None:
    """Build the site twice, each from a new environment installed from uv.lock and with every
    page executed, and list any file that differs."""
    check_lock(session)
    builds = [BUILD / "reproducible" / name for name in ("first", "second")]
    for build in builds:
        fresh_build(session, build)
    compared, differ = differing_files(builds[0] / "html", builds[1] / "html")
    for name in differ:
        session.warn(f"differs: {name}")
    if differ:
        session.error(f"{len(differ)} of {compared} files differ between two builds")
    session.log(f"Reproducible: {compared} files byte-identical in two clean builds")


@nox.session(venv_backend="none", default=False)
def lock(session: nox.Session) -> None:
    """Re-lock uv.lock after an edit of pyproject.toml (arguments go to `uv lock`, e.g.
    `nox -s lock -- --upgrade-package sphinx`)."""
    session.run(nox.virtualenv.UV, "lock", *session.posargs, external=True)


def freeze(session: nox.Session, env: Path) -> dict[str, str]:
    """name: version of every package installed in env, lrsim left out."""
    listing = session.run(
        nox.virtualenv.UV, "pip", "freeze", "--exclude-editable", "--python", env / "bin" / "python",
        silent=True, external=True,
    )  # fmt: skip
    return dict(line.split("==", 1) for line in str(listing).splitlines() if "==" in line)


@nox.session(venv_backend="none", default=False)
def upgrade(session: nox.Session) -> None:
    """The upgrade canary: build and test the book with the newest versions pyproject.toml's
    bounds allow, say which differ from uv.lock and whether the site still has the same bytes.

    Works on a copy of the working tree in build/upgrade/tree, whose uv.lock is upgraded, so
    neither uv.lock nor build/html changes. Fails if the build or the tests fail.
    """
    check_lock(session)
    work = BUILD / "upgrade"
    tree = work / "tree"
    shutil.rmtree(work, ignore_errors=True)
    copy_working_tree(tree)

    locked = fresh_build(session, work / "locked", "test", project=tree)
    session.run(nox.virtualenv.UV, "lock", "--upgrade", "--project", tree, external=True)
    newest = fresh_build(session, work / "newest", "test", project=tree)

    old, new = freeze(session, locked), freeze(session, newest)
    changes = [
        f"{name}: {old.get(name, '-')} -> {new.get(name, '-')}"
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]
    compared, differ = differing_files(work / "locked" / "html", work / "newest" / "html")
    report = [
        f"{len(changes)} packages differ from uv.lock" + (":" if changes else ""),
        *(f"  {change}" for change in changes),
        f"site: {compared - len(differ)} of {compared} files byte-identical to the locked build"
        + (", these differ:" if differ else ""),
        *(f"  {name}" for name in differ),
    ]
    (work / "report.txt").write_text("\n".join(report) + "\n")
    session.log("\n".join(report))

    # The tests build tree/build/html themselves (conftest.py), with the newest versions.
    session.chdir(tree)
    session.run(newest / "bin" / "python", "-m", "pytest", env=in_env(newest), external=True)
    session.log(f"Newest versions build and pass the tests; report in {work / 'report.txt'}")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check and mypy --strict on src; ruff check on the pages' code."""
    install_groups(session, "lint")
    session.run("ruff", "check", ".")
    session.run("python", "tools/lint_pages.py")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Live preview with sphinx-autobuild on http://127.0.0.1:8000 (rebuilds on change)."""
    install_groups(session, "serve")
    session.run(
        "sphinx-autobuild",
        *sphinx_arguments(),
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
        "benchmarks/bench_training.py",
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
    session.run("python", "-u", "benchmarks/bench_build.py", *session.posargs)
