"""Fixtures of the real-browser checks (`nox -s site`): the built site served on 127.0.0.1,
the system Chromium driven by Playwright, and one visit of every page that the tests share."""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
EXPLORER_CHECKS: list[str] = []
"""One line per comparison of an explorer's simulator with lrsim (test_explorers.py)."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the explorers' simulators were compared on, and keep it in the build folder."""
    if not EXPLORER_CHECKS:
        return
    terminalreporter.section("explorer simulators against lrsim (float64)")
    for line in EXPLORER_CHECKS:
        terminalreporter.write_line(line)
    report = SCREENSHOTS.parent / "explorer-checks.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(EXPLORER_CHECKS) + "\n", encoding="utf-8")


def chromium_path() -> Path:
    """The system Chromium; a failure in CI, a skip with the reason elsewhere."""
    found = CHROMIUM if CHROMIUM.exists() else None
    if found is None and shutil.which("chromium"):
        found = Path(shutil.which("chromium") or "")
    if found is None:
        message = "no Chromium at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@functools.cache
def gzipped(path: Path, modified: float) -> bytes:
    return gzip.compress(path.read_bytes(), 6, mtime=0)


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files gzip-compressed to a browser that accepts it, as GitHub Pages and Read the
    Docs do, so that timings on a throttled link see the bytes a reader's browser would."""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", ""):
            return super().send_head()
        body = gzipped(path, path.stat().st_mtime)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """A missing page gets the site's 404.html, with status 404, as GitHub Pages and Read
        the Docs serve it."""
        page = Path(str(self.directory)) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """build/screenshots/, where the browser tests leave what they saw for a reader to review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The built site served over HTTP on 127.0.0.1 (a free port) while the tests run."""
    handler = functools.partial(PagesHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    sync_api = pytest.importorskip("playwright.sync_api", reason="nox -s site installs playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class PageVisit:
    """What one page did in the browser, in the light theme."""

    path: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)  # inline <svg> figures
    formulas: list[dict[str, Any]] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    accessibility: dict[str, list[str]] = field(default_factory=dict)  # theme -> violations


MEASURE_PAGE = """() => ({
  images: [...document.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), alt: img.alt, complete: img.complete,
    naturalWidth: img.naturalWidth })),
  figures: [...document.querySelectorAll('svg.lrsim-figure')].map(svg => {
    const box = svg.getBoundingClientRect();
    return { label: svg.getAttribute('aria-label'), width: box.width, height: box.height };
  }),
  formulas: [...document.querySelectorAll('math')].map(math => {
    const box = math.getBoundingClientRect();
    return { source: math.getAttribute('alttext'), width: box.width, height: box.height };
  }),
  headings: [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
    .map(h => Number(h.tagName.slice(1))),
})"""


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def visit(
    browser: Any, base_url: str, path: str, color_scheme: str, viewport: dict[str, int] = DESKTOP
) -> tuple[PageVisit, Any]:
    context = browser.new_context(color_scheme=color_scheme, viewport=viewport)
    page = context.new_page()
    record = PageVisit(path)
    page.on("console", lambda m: m.type == "error" and record.console_errors.append(m.text))
    page.on("pageerror", lambda error: record.console_errors.append(str(error)))
    page.on("requestfailed", lambda r: record.failed_requests.append(f"{r.url}: {r.failure}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and record.failed_requests.append(f"{r.url}: HTTP {r.status}"),
    )
    page.on(
        "request",
        lambda r: (
            not r.url.startswith((base_url, "data:", "blob:"))
            and record.foreign_requests.append(r.url)
        ),
    )
    page.goto(base_url + path, wait_until="load")
    page.evaluate("document.fonts.ready")
    measured = page.evaluate(MEASURE_PAGE)
    record.images, record.formulas = measured["images"], measured["formulas"]
    record.figures = measured["figures"]
    record.headings = measured["headings"]
    return record, page


@pytest.fixture(scope="session")
def visits(pages: list[str], base_url: str, browser: Any) -> dict[str, PageVisit]:
    """Every page visited once per theme and checked by axe-core, then once more per theme on
    a 390 px phone; screenshots of the four views land in build/screenshots/ for review."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    records: dict[str, PageVisit] = {}
    for path in pages:
        name = path.removesuffix(".html").replace("/", "--")
        for scheme in ("light", "dark"):
            record, page = visit(browser, base_url, path, scheme)
            theme = page.evaluate("document.documentElement.dataset.theme")
            assert theme == scheme, f"{path}: asked for {scheme}, page shows {theme}"
            page.screenshot(path=SCREENSHOTS / f"{name}-{scheme}-1280.png", full_page=True)
            # No preload: axe would re-fetch the stylesheets and resolve the theme's
            # `@import "../basic.css"` against the page instead of the sheet (a false 404).
            options: dict[str, Any] = {"resultTypes": ["violations"], "preload": False}
            if scheme == "dark":  # the themes differ only in colour
                options["runOnly"] = {"type": "rule", "values": ["color-contrast"]}
            violations = axe.run(page, options=options).response["violations"]
            page.context.close()
            if scheme == "light":
                records[path] = record
            else:  # the dark visit must be as clean as the light one
                records[path].console_errors += record.console_errors
                records[path].failed_requests += record.failed_requests
                records[path].foreign_requests += record.foreign_requests
            records[path].accessibility[scheme] = [
                f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                for v in violations
            ]
            phone, page = visit(browser, base_url, path, scheme, PHONE)
            page.screenshot(path=SCREENSHOTS / f"{name}-{scheme}-390.png", full_page=True)
            page.context.close()
            records[path].console_errors += phone.console_errors
            records[path].failed_requests += phone.failed_requests
            records[path].foreign_requests += phone.foreign_requests
    return records
