"""Shared fixtures: the built site, built once per test run exactly as `nox -s docs` builds it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples on every run, so a red build always reproduces; locally each
# run draws new examples and keeps searching.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
sys.path.insert(0, str(ROOT / "tools"))
from sphinx_command import sphinx_arguments  # found through the line above


def sphinx_build(docs: Path, build: Path, env: dict[str, str] | None = None) -> str:
    """Run the strict HTML build of `nox -s docs`; return its log, fail on any warning."""
    command = [sys.executable, "-m", "sphinx", *sphinx_arguments(build=build, docs=docs)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env or os.environ.copy(), check=False
    )
    log = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"sphinx-build failed ({result.returncode}):\n{log[-6000:]}")
    return log


def page_text(path: Path) -> str:
    """A built page's text as a reader sees it: tags dropped, entities decoded, spaces single."""
    markup = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def equations() -> tuple[dict[str, str], dict[str, Counter[str]]]:
    """From the pages' sources: each labelled display equation (``$$ ... $$ (label)``) and the
    page that holds it, and per page how often its prose refers to each label (``{eq}``)."""
    labels: dict[str, str] = {}
    references: dict[str, Counter[str]] = {}
    for path in sorted((ROOT / "docs").rglob("*.md")):
        docname = path.relative_to(ROOT / "docs").with_suffix("").as_posix()
        if docname.startswith("_"):
            continue
        source = path.read_text(encoding="utf-8")
        labels |= dict.fromkeys(re.findall(r"^\$\$ \(([\w-]+)\)$", source, re.MULTILINE), docname)
        if found := re.findall(r"\{eq\}`([\w-]+)`", source):
            references[docname] = Counter(found)
    return labels, references


@pytest.fixture(scope="session")
def site() -> Path:
    """The HTML site in build/html, brought up to date (a no-op if `nox -s docs` just ran)."""
    sphinx_build(ROOT / "docs", BUILD)
    return BUILD / "html"


@pytest.fixture(scope="session")
def pages(site: Path) -> list[str]:
    """Every HTML page of the built site, whatever parts exist, relative to its root.

    Folders starting with "_" hold assets (the theme ships a template fragment there), not pages.
    """
    paths = (path.relative_to(site) for path in site.rglob("*.html"))
    return sorted(path.as_posix() for path in paths if not path.parts[0].startswith("_"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say (never fail) when the cross-check record was made from another lrsim source.

    Editing src/ must not force a Keras run on every commit: CI's ``nox -s crosscheck``
    re-runs every check and fails only if the numbers moved.
    """
    from crosscheck.record import RECORD_COMMAND, read_record

    import lrsim

    current = lrsim.source_digest()
    stale = {
        backend: entry["lrsim_source_digest"]
        for backend, entry in read_record()["backends"].items()
        if entry["lrsim_source_digest"] != current
    }
    if stale:
        made = ", ".join(f"{backend} from {digest}" for backend, digest in stale.items())
        terminalreporter.write_line(
            f"cross-check record: made from an older lrsim source ({made}; now {current}). "
            f"`{RECORD_COMMAND}` refreshes it; CI's cross-check re-runs every check."
        )
