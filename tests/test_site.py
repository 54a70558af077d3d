"""The built site: the worked numbers and the erratum are on the page, every image has alt text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path


class ImageCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def page_text(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_page_was_built(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert {"index.html", "parabola/01-worked-example.html", "parabola/02-regimes.html"} <= pages


def test_worked_example_shows_the_seed_numbers_the_eta_1_orbit_and_the_erratum(site):
    text = page_text(site / "parabola" / "01-worked-example.html")
    text = re.sub(r"\\[()]", "", text)  # drop the inline-math delimiters around glued numbers
    for number in ("0.6", "−0.36", "0.216", "1.4", "−1.96", "2.744", "1.2", "−1.44", "1.728"):
        assert f" {number} " in f" {text} ".replace("|", " "), number
    assert "A correction to the article" in text
    assert re.search(r"belongs to \\eta = 1\.1 , not 1\.2", text)
    assert re.search(r"x_1 = 1 , x_2 = -1 , x_3 = 1 , and so on forever", text)
    assert "period-two orbit" in text


def test_every_image_on_every_page_has_meaningful_alt_text(site):
    for page in site.rglob("*.html"):
        collector = ImageCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        for image in collector.images:
            alt = (image.get("alt") or "").strip()
            source = Path(image.get("src") or "").name
            assert len(alt.split()) >= 5, f"{page.name}: {source} has alt {alt!r}"
            assert source not in alt
            assert not re.fullmatch(r"[0-9a-f]{16,}.*", alt)


def test_figures_have_captions_and_labels(site):
    html = (site / "parabola" / "02-regimes.html").read_text(encoding="utf-8")
    for label in ("fig-regimes", "fig-rate-curve", "fig-eta-grid"):
        assert f'id="{label}"' in html
    assert html.count("<figcaption") >= 3
