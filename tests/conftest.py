"""Shared fixtures: the built site, built once per test run exactly as `nox -s docs` builds it."""

from __future__ import annotations

import ast
import html
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

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


class Glued(NamedTuple):
    """A number a page glued into its prose: the value its build recorded, and what it reads as."""

    value: Any
    text: str


def glued(site: Path, page: str) -> dict[str, Glued]:
    """Every ``{glue:text}`` of a page's source (``page`` as "adam/02-case-studies"), by name.

    The value is the one the page's build recorded (MyST-NB's ``<page>.glue.json`` beside the
    site), the text what the reader sees: the value formatted by the spec of the source's first
    ``{glue:text}`name:spec```, as MyST-NB formats it, with docs/_ext/minus_signs.py's minus.
    A test that checks the numbers of a passage by name survives any rewording around them.
    """
    # The build's own formatting; imported here, as the sessions without Sphinx load this file.
    from myst_nb.core.variables import format_plain_text

    if str(ROOT / "docs" / "_ext") not in sys.path:
        sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    from minus_signs import LEADING_HYPHEN

    record = site.parent / "jupyter_execute" / f"{page}.glue.json"
    recorded = json.loads(record.read_text(encoding="utf-8"))
    source = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
    found: dict[str, Glued] = {}
    for name, spec in re.findall(r"\{glue:text\}`(\w+)(?::([^`]*))?`", source):
        plain = recorded[name]["data"]["text/plain"]
        text = LEADING_HYPHEN.sub("\N{MINUS SIGN}", format_plain_text(plain, spec))
        try:
            value = ast.literal_eval(plain)
        except (SyntaxError, ValueError):
            value = plain
        found.setdefault(name, Glued(value, text))
    return found


def pasted_texts(path: Path) -> list[str]:
    """The texts of a built page's glued numbers, in page order."""
    return re.findall(r'class="pasted-text">([^<]*)<', path.read_text(encoding="utf-8"))


def page_text(path: Path) -> str:
    """A built page's text as a reader sees it: tags dropped, entities decoded, spaces single."""
    markup = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def source_pages() -> list[Path]:
    """Every page of the book, as its MyST source under docs/ (the assets' folders excepted)."""
    docs = ROOT / "docs"
    return sorted(
        path for path in docs.rglob("*.md") if not path.relative_to(docs).parts[0].startswith("_")
    )


def docname(source: Path) -> str:
    """A page's name as Sphinx knows it ("adam/02-case-studies") from its source's path."""
    return source.relative_to(ROOT / "docs").with_suffix("").as_posix()


def equations() -> tuple[dict[str, str], dict[str, Counter[str]]]:
    """From the pages' sources: each labelled display equation (``$$ ... $$ (label)``) and the
    page that holds it, and per page how often its prose refers to each label (``{eq}``)."""
    labels: dict[str, str] = {}
    references: dict[str, Counter[str]] = {}
    for path in source_pages():
        source = path.read_text(encoding="utf-8")
        labels |= dict.fromkeys(
            re.findall(r"^\$\$ \(([\w-]+)\)$", source, re.MULTILINE), docname(path)
        )
        if found := re.findall(r"\{eq\}`([\w-]+)`", source):
            references[docname(path)] = Counter(found)
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
