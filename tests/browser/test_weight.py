"""What a first visit costs a reader on a slow phone link: the bytes every page makes the browser
fetch, gzip-compressed as GitHub Pages and Read the Docs serve them, and when it first paints.

Each page is opened in a fresh browser context (an empty cache) on a 390 px phone screen, over a
link throttled through the DevTools protocol to 1.6 Mbps down, 750 kbps up and 150 ms round
trips, with the CPU slowed 4×; paint times are the fastest of three such visits. The results
go to build/page-weight.txt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import gzipped

pytestmark = pytest.mark.site

log = logging.getLogger(__name__)

SLOW_LINK = {
    "offline": False,
    "latency": 150,  # ms, round trip
    "downloadThroughput": 1.6e6 / 8,  # bytes per second
    "uploadThroughput": 750e3 / 8,
}
CPU_SLOWDOWN = 4
MAX_BYTES = 350_000  # gzip-compressed, every request of a first visit
MAX_FIRST_PAINT_MS = 2_000
PAINT_TRIES = 3


@dataclass
class FirstVisit:
    files: list[Path]
    first_paint: float  # ms after navigation start
    first_contentful_paint: float
    load: float  # the load event's end, ms

    @property
    def wire(self) -> int:
        return sum(len(gzipped(f, f.stat().st_mtime)) for f in self.files)

    @property
    def raw(self) -> int:
        return sum(f.stat().st_size for f in self.files)


def first_visit(browser: Any, site: Path, base_url: str, path: str) -> FirstVisit:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.emulateNetworkConditions", SLOW_LINK)
    devtools.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base_url + path, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    times = page.evaluate(
        """() => Object.fromEntries([
             ...performance.getEntriesByType('paint').map(e => [e.name, e.startTime]),
             ['load', performance.getEntriesByType('navigation')[0].loadEventEnd]])"""
    )
    context.close()
    files = [
        site / unquote(urlsplit(url).path).lstrip("/")
        for url in dict.fromkeys(requested)
        if url.startswith(base_url)
    ]
    return FirstVisit(files, times["first-paint"], times["first-contentful-paint"], times["load"])


@pytest.fixture(scope="session")
def first_visits(
    site: Path, pages: list[str], base_url: str, browser: Any
) -> dict[str, FirstVisit]:
    """Every page's first visit, reported in build/page-weight.txt."""
    visits = {}
    for path in pages:
        visits[path] = first_visit(browser, site, base_url, path)
        # Paint times on a slowed CPU vary with what else the machine runs: the fastest of
        # a few first visits is the page's own.
        for _ in range(PAINT_TRIES - 1):
            again = first_visit(browser, site, base_url, path)
            visits[path].first_paint = min(visits[path].first_paint, again.first_paint)
            visits[path].first_contentful_paint = min(
                visits[path].first_contentful_paint, again.first_contentful_paint
            )
            visits[path].load = min(visits[path].load, again.load)
    link = (
        f"{SLOW_LINK['downloadThroughput'] * 8 / 1e6:g} Mbps down, "
        f"{SLOW_LINK['uploadThroughput'] * 8 / 1e3:g} kbps up, {SLOW_LINK['latency']} ms RTT"
    )
    title = (
        f"First visit, 390 px phone, {link}, CPU {CPU_SLOWDOWN}× slower; "
        f"bytes gzip-compressed as Pages serves them; times: fastest of {PAINT_TRIES} first visits"
    )
    lines = [
        title,
        f"{'page':42} {'transfer':>9} {'raw':>9} {'files':>5} {'paint':>7} {'content':>8} {'load':>7}",
    ]
    for path, visit in sorted(visits.items(), key=lambda item: -item[1].wire):
        lines.append(
            f"{path:42} {visit.wire / 1e3:7.0f}KB {visit.raw / 1e3:7.0f}KB {len(visit.files):5d} "
            f"{visit.first_paint:5.0f}ms {visit.first_contentful_paint:6.0f}ms {visit.load:5.0f}ms"
        )
    (site.parent / "page-weight.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.info("first visits (build/page-weight.txt):\n%s", "\n".join(lines))
    return visits


def test_every_page_weighs_at_most_350_kb_on_a_first_visit(first_visits):
    """Every request counts, fonts included; the theme's icon script alone was 543 KB."""
    heavy = {path: visit.wire for path, visit in first_visits.items() if visit.wire > MAX_BYTES}
    assert not heavy
    assert all(visit.files[0].suffix == ".html" for visit in first_visits.values())


def test_every_page_paints_within_2_s_on_a_slow_phone_link(first_visits):
    slow = {
        path: round(visit.first_contentful_paint)
        for path, visit in first_visits.items()
        if visit.first_contentful_paint > MAX_FIRST_PAINT_MS
    }
    assert not slow


def test_no_page_fetches_font_awesome(first_visits):
    """The theme's fontawesome.js (543 KB gzipped) and the icon font it named (156 KB): the
    icons are drawn by docs/_static/icons.css, and this would catch a theme that brings
    either back."""
    fetched = {
        path: [f.name for f in visit.files if "fontawesome" in f.as_posix() or "fa-" in f.name]
        for path, visit in first_visits.items()
    }
    assert {path: names for path, names in fetched.items() if names} == {}


ICONS = """() => [...document.querySelectorAll('[class*="fa-"]')]
  .filter(icon => icon.checkVisibility())
  .map(icon => {
    const box = icon.getBoundingClientRect();
    return { icon: icon.getAttribute('class'), width: box.width, height: box.height,
             mask: getComputedStyle(icon, '::before').maskImage };
  })"""


@pytest.mark.parametrize("width", [390, 1280])
def test_every_icon_the_theme_shows_is_drawn(browser, base_url, pages, width):
    """Without Font Awesome's script and font, an icon that docs/_static/icons.css does not
    know would have no width (or, drawn by the theme's font, no mask)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    shown: dict[str, list[dict[str, Any]]] = {}
    for path in pages:
        page.goto(base_url + path, wait_until="load")
        shown[path] = page.evaluate(ICONS)
    page.close()
    icons = [icon for found in shown.values() for icon in found]
    assert {"fa-bars", "fa-magnifying-glass"} <= {
        name for icon in icons for name in icon["icon"].split()
    }
    missing = {
        path: [i["icon"] for i in found if min(i["width"], i["height"]) <= 0 or i["mask"] == "none"]
        for path, found in shown.items()
    }
    assert {path: names for path, names in missing.items() if names} == {}
