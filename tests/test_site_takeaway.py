"""The built site's share-and-cite furniture (issue 17), read from the HTML: descriptions and
preview tags, canonical links and the sitemap, the citation, the 404 page, figure numbers and
the footer's build stamp."""

from __future__ import annotations

import html
import re
import sys
import time
from pathlib import Path

import yaml
from conftest import ROOT, equations, page_text

sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from lrsim_build import commit_time, git  # found through the line above
from takeaway import base_url

NOT_CONTENT = {"404.html", "search.html", "genindex.html"}


def meta(markup: str, key: str) -> list[str]:
    found = re.findall(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)"', markup)
    return [html.unescape(value) for value in found]


def first_paragraph(markup: str) -> str:
    article = markup[markup.index('<article class="bd-article">') :]
    paragraph = re.search(r"<p>(.*?)</p>", article, re.DOTALL)
    assert paragraph is not None
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", paragraph[1]))).strip()


def test_every_page_describes_itself_with_its_first_paragraph(site: Path, pages: list[str]):
    for path in pages:
        markup = (site / path).read_text(encoding="utf-8")
        if path in {"search.html", "genindex.html"}:
            continue
        (description,) = meta(markup, "description")
        assert description == meta(markup, "og:description")[0]
        assert "\\" not in description, f"{path}: LaTeX in {description!r}"
        # Letters only: the description sets x² and λ_max where the page has MathML.
        words = re.findall(r"[A-Za-z]+", description.removesuffix("..."))[:-1]  # last may be cut
        assert re.findall(r"[A-Za-z]+", first_paragraph(markup))[: len(words)] == words, path


def test_every_page_has_a_preview_card_drawn_at_build_time(site: Path, pages: list[str]):
    for path in pages:
        markup = (site / path).read_text(encoding="utf-8")
        if path in {"search.html", "genindex.html"}:
            continue
        assert meta(markup, "og:title"), path
        assert meta(markup, "twitter:card") == ["summary_large_image"], path
        (image,) = meta(markup, "og:image")
        assert image.startswith(base_url() + "_images/social_previews/"), path
        assert (site / image.removeprefix(base_url())).is_file(), path


def test_canonical_links_and_the_sitemap_use_the_sites_address(site: Path, pages: list[str]):
    content = [path for path in pages if path not in NOT_CONTENT]
    for path in content:
        markup = (site / path).read_text(encoding="utf-8")
        assert f'<link rel="canonical" href="{base_url()}{path}" />' in markup
    listed = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert listed == sorted(base_url() + path for path in content)


def test_the_index_cites_the_book_as_citation_cff_says(site: Path):
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    book = citation["preferred-citation"]
    markup = (site / "index.html").read_text(encoding="utf-8")
    block = re.search(r'<div class="highlight-bibtex.*?</pre>', markup, re.DOTALL)
    assert block is not None
    entry = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", block[0])))
    assert entry.startswith("@book{")
    assert f"title = {{{book['title']}}}" in entry
    assert f"year = {{{book['year']}}}" in entry
    assert f"author = {{{{{book['authors'][0]['name']}}}}}" in entry


def test_the_404_page_finds_its_styles_from_any_depth(site: Path):
    markup = (site / "404.html").read_text(encoding="utf-8")
    prefix = re.sub(r"^https?://[^/]+", "", base_url())
    styles = re.findall(r'<link rel="stylesheet"[^>]* href="([^"]+)"', markup)
    assert styles
    assert all(href.startswith(prefix + "_static/") for href in styles), styles


def test_figures_are_numbered_in_reading_order_through_the_book(site: Path):
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    toctrees = "\n".join(re.findall(r"```\{toctree\}(.*?)```", index, re.DOTALL))
    order = ["index", *re.findall(r"^([\w/-]+)$", toctrees, re.MULTILINE)]
    numbers = [
        int(number)
        for name in order
        for number in re.findall(
            r'caption-number">Figure (\d+) <', (site / f"{name}.html").read_text(encoding="utf-8")
        )
    ]
    assert len(numbers) >= 20
    assert numbers == list(range(1, len(numbers) + 1))


def test_the_footer_names_the_commit_and_its_day_not_the_clocks(site: Path):
    commit = git("rev-parse", "--short=10", "HEAD")
    day = time.strftime("%-d %B %Y", time.gmtime(int(commit_time())))
    stamp = f"Built from commit {commit} of {day}."
    assert stamp in page_text(site / "index.html")
    assert stamp in page_text(site / "parabola" / "01-worked-example.html")


def test_every_labelled_equation_is_numbered_and_every_eq_reference_links_its_number(site: Path):
    """Equations the prose refers back to carry a number, counted through the book like the
    figures, and each {eq} reference is a link to the equation that reads "(that number)"."""
    labels, references = equations()
    assert len(labels) >= 5
    numbers = {}
    for label, docname in labels.items():
        markup = (site / f"{docname}.html").read_text(encoding="utf-8")
        number = re.search(rf'id="equation-{label}">\s*<span class="eqno">\((\d+)\)', markup)
        assert number, f"{label} on {docname} has no number"
        numbers[label] = int(number[1])
    assert sorted(numbers.values()) == list(range(1, len(labels) + 1))
    assert set(labels) == {label for counts in references.values() for label in counts}, (
        "an equation is numbered only if the prose refers to it"
    )
    for docname, counts in references.items():
        page = site / f"{docname}.html"
        markup = page.read_text(encoding="utf-8")
        for label, count in counts.items():
            links = re.findall(
                rf'<a class="reference internal" href="([^"#]*)#equation-{label}">\((\d+)\)</a>',
                markup,
            )
            assert len(links) == count, (docname, label)
            for href, number in links:
                assert int(number) == numbers[label], (docname, label)
                target = (page.parent / href).resolve() if href else page
                assert target == (site / f"{labels[label]}.html").resolve(), (docname, label)
