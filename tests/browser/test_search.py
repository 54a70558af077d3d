"""Search as a reader meets it: the chapter named by the query first, snippets of the text
itself, one search box (issue 13, item 11)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.site

VISIBLE_SEARCH = """() => [...document.querySelectorAll(
    'input[type=search], input[name=q], .search-button__button, .search-button-field')]
  .filter(e => e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().width > 0)
  .length"""


def search(browser, base_url, query):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base_url}search.html?q={query}", wait_until="networkidle")
    page.wait_for_function(
        "document.querySelector('#search-results .search-summary')?.textContent.includes('found')"
    )
    # Snippets arrive one by one, each after a fetch of its page.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#search-results ul.search li')]
             .filter(li => li.querySelector('p.context')).length >= 3"""
    )
    results = page.evaluate(
        """() => [...document.querySelectorAll('#search-results ul.search li')].map(li => ({
             href: li.querySelector('a').getAttribute('href'),
             snippet: li.querySelector('p.context')?.textContent ?? null}))"""
    )
    page.close()
    return results


def test_searching_adam_finds_the_adam_chapter_first(browser, base_url):
    """It was fourth, after three API entries whose names contain "Adam"."""
    results = search(browser, base_url, "Adam")
    assert len(results) >= 5
    assert results[0]["href"].startswith("adam/01-adam-on-the-parabola.html"), results[:4]


ARTICLE_AS_READ = """() => {
  const article = document.querySelector('article.bd-article').cloneNode(true);
  // Copy buttons are interface: their icons' <title> ("Copy to clipboard") is no article text.
  article.querySelectorAll('details.hide, .headerlink, .copybtn, script, style')
    .forEach(e => e.remove());
  return article.textContent.replace(/\\s+/g, ' ');
}"""


@pytest.mark.parametrize("query", ["Adam", "learning+rate", "divergence"])
def test_search_snippets_quote_the_article_not_the_interface_or_hidden_code(
    browser, base_url, query
):
    """Sphinx quotes [role=main], which held the theme's buttons, the page's contents list
    and the collapsed code cells: every snippet must be text the reader sees in the article."""
    results = [r for r in search(browser, base_url, query) if r["snippet"]]
    assert len(results) >= 3
    page = browser.new_page()
    foreign = {}
    for result in results:
        page.goto(base_url + result["href"].split("#")[0], wait_until="load")
        snippet = " ".join(result["snippet"].split()).strip(".")
        if snippet not in page.evaluate(ARTICLE_AS_READ):
            foreign[result["href"]] = snippet[:100]
    page.close()
    assert foreign == {}


def test_a_desktop_page_shows_one_search_box_and_a_phone_at_least_one(browser, base_url, pages):
    counts = {}
    for width in (1280, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})
        for path in ("index.html", "adam/01-adam-on-the-parabola.html", "reference/api.html"):
            page.goto(base_url + path, wait_until="load")
            counts[width, path] = page.evaluate(VISIBLE_SEARCH)
        page.close()
    assert {key: n for key, n in counts.items() if key[0] == 1280 and n != 1} == {}
    assert all(n >= 1 for n in counts.values()), counts
