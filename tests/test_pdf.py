"""The book's PDF (``nox -s pdf`` makes it, then runs these checks): every chapter is a bookmark,
the worked numbers are in the worked example's pages, every figure is there with its number,
pages are numbered and links inside the book still work. What is expected comes from the
sources, not from the build."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import equations

pytestmark = pytest.mark.pdf

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "build" / "pdf" / "why-learning-rates-diverge.pdf"
DOCS = ROOT / "docs"
SINGLE_PAGE = ROOT / "build" / "singlehtml" / "index.html"  # what tools/book_pdf.py prints
WORKED_EXAMPLE = DOCS / "parabola" / "01-worked-example.md"
# The seed's η = 0.8 numbers and the corrected η = 1.2 ones (DESIGN.md §4), minus signs true.
WORKED_NUMBERS = ["0.6", "−0.36", "0.216", "1.4", "−1.96", "2.744"]


def squeezed(text: str) -> str:
    """Text without whitespace (the PDF breaks lines where the page does), quotes plain (the
    site sets typographic ones)."""
    return re.sub(r"\s+", "", text).replace("’", "'")


def title(path: Path) -> str:
    return next(line[2:] for line in path.read_text("utf-8").splitlines() if line.startswith("# "))


def chapters() -> list[Path]:
    """Every page of the book's contents, from the toctrees of docs/index.md."""
    index = (DOCS / "index.md").read_text("utf-8")
    names = re.findall(
        r"^([\w/-]+)$",
        "\n".join(re.findall(r"```\{toctree\}(.*?)```", index, re.DOTALL)),
        re.MULTILINE,
    )
    return [DOCS / f"{name}.md" for name in names]


def figure_count() -> int:
    return sum(
        len(re.findall(r"^\s+name: fig-", p.read_text("utf-8"), re.MULTILINE))
        for p in [DOCS / "index.md", *chapters()]
    )


class Headings(HTMLParser):
    """The text of every heading (h1-h6 and role="heading") of a page, without the headerlink
    ("#") Sphinx puts in each, whitespace collapsed as a reader sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.stack: list[str] = []  # open tags inside the current heading
        self.skip = 0  # depth inside a headerlink

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self.stack:
            self.stack.append(tag)
            if self.skip or "headerlink" in (attributes.get("class") or "").split():
                self.skip += 1
        elif re.fullmatch(r"h[1-6]", tag) or attributes.get("role") == "heading":
            self.stack.append(tag)
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            return
        self.stack.pop()
        self.skip = max(self.skip - 1, 0)
        if not self.stack:
            self.found[-1] = " ".join(self.found[-1].split())

    def handle_data(self, data: str) -> None:
        if self.stack and not self.skip:
            self.found[-1] += data


def html_headings() -> list[str]:
    parser = Headings()
    parser.feed(SINGLE_PAGE.read_text("utf-8"))
    return parser.found


@pytest.fixture(scope="module")
def reader() -> Any:
    from pypdf import PdfReader

    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: `nox -s pdf` makes it")
    return PdfReader(PDF)


@pytest.fixture(scope="module")
def bookmarks(reader: Any) -> dict[str, int]:
    """Bookmark title (without whitespace): its page's index."""
    found: dict[str, int] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.setdefault(squeezed(item.title), reader.get_destination_page_number(item))

    walk(reader.outline)
    return found


@pytest.fixture(scope="module")
def titles(reader: Any) -> list[str]:
    """Every bookmark's title as the PDF spells it, in the outline's order."""
    found: list[str] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append(str(item.title))

    walk(reader.outline)
    return found


@pytest.fixture(scope="module")
def pages(reader: Any) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_every_chapter_is_a_bookmark(bookmarks: dict[str, int]) -> None:
    assert len(chapters()) >= 10
    missing = [title(path) for path in chapters() if squeezed(title(path)) not in bookmarks]
    assert not missing


def test_bookmark_titles_are_the_headings_of_the_book(titles: list[str]) -> None:
    """Each bookmark reads exactly as its heading does: no title doubled at a page break
    ("Five regimesFive regimes"), no space lost where a heading wraps ("ratesdiverge")."""
    headings = html_headings()
    assert len(headings) > 100
    strangers = [name for name in titles if name not in headings]
    assert not strangers
    sections = [
        heading for heading in headings if heading not in {"Contents", "On this page"}
    ]  # the single page's own furniture aside, every heading of the book has its bookmark
    assert [heading for heading in sections if heading not in titles] == []
    plain_quotes = {name.replace("’", "'") for name in titles}  # the site sets typographic ones
    assert {title(path) for path in chapters()} <= plain_quotes


def test_the_worked_numbers_are_in_the_worked_example(
    bookmarks: dict[str, int], pages: list[str]
) -> None:
    order = chapters()
    start = bookmarks[squeezed(title(WORKED_EXAMPLE))]
    end = bookmarks[squeezed(title(order[order.index(WORKED_EXAMPLE) + 1]))]
    chapter = " ".join(pages[start : end + 1])
    for number in WORKED_NUMBERS:
        assert re.search(rf"(?<![\d.−-]){re.escape(number)}(?![\d])", chapter), number


def link_uris(reader: Any) -> list[str]:
    return [
        str(annotation.get_object().get("/A", {}).get("/URI", ""))
        for page in reader.pages
        for annotation in page.get("/Annots", []) or []
    ]


def test_every_figure_is_in_the_pdf_with_its_number(reader: Any, pages: list[str]) -> None:
    count = figure_count()
    assert count >= 20
    text = squeezed(" ".join(pages))
    missing = [n for n in range(1, count + 1) if f"Figure{n}" not in text]
    assert not missing
    # Each inline figure links to its SVG file, so each figure drawn leaves one such link.
    drawn = {uri for uri in link_uris(reader) if uri.endswith(".svg")}
    assert len(drawn) == count


def test_pages_are_numbered(pages: list[str]) -> None:
    total = len(pages)
    assert total > 20
    for number in (1, total // 2, total):
        assert f"{number} / {total}" in pages[number - 1]


def test_links_inside_the_book_stay_links(reader: Any) -> None:
    internal = [
        annotation
        for page in reader.pages
        for annotation in (page.get("/Annots", []) or [])
        if "/Dest" in annotation.get_object()
        or annotation.get_object().get("/A", {}).get("/S") == "/GoTo"
    ]
    assert len(internal) > 50


def text_at(page: Any, rect: list[Any]) -> str:
    """The text of the runs that start inside rect on page (a link's area)."""
    left, bottom, right, top = (float(value) for value in rect)
    found: list[str] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        if left - 2 <= x <= right + 2 and bottom - 4 <= y <= top + 4:
            found.append(text)

    page.extract_text(visitor_text=visit)
    return "".join(found)


def test_equations_keep_their_numbers_and_their_references_link_to_them(
    reader: Any, pages: list[str]
) -> None:
    """Each labelled equation is a link target with its number beside it, and each {eq}
    reference in the prose is a link to it that reads "(its number)", as on the site."""
    labels, references = equations()
    single_page = SINGLE_PAGE.read_text("utf-8")
    numbers = {
        label: re.search(rf'id="equation-{label}">\s*<span class="eqno">(\(\d+\))', single_page)[1]  # type: ignore[index]
        for label in labels
    }
    destinations = reader.named_destinations
    for label, number in numbers.items():
        page = reader.get_destination_page_number(destinations[f"/equation-{label}"])
        assert number in pages[page], label
    links: dict[str, list[str]] = {label: [] for label in labels}
    for page in reader.pages:
        for annotation in page.get("/Annots", []) or []:
            target = str(annotation.get_object().get("/Dest", ""))
            if target.removeprefix("/equation-") in links:
                links[target.removeprefix("/equation-")].append(
                    text_at(page, annotation.get_object()["/Rect"])
                )
    for label, texts in links.items():
        assert len(texts) == sum(counts[label] for counts in references.values()), label
        assert all(text.startswith(numbers[label]) for text in texts), (label, texts)
