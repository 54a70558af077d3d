"""Tables on a phone and on a desktop: each fits its column or scrolls with a visible cue and a
keyboard stop; no header breaks inside a word; text reads from the left, numbers line up on
the right (issue 13, item 6)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.site

MEASURE_TABLES = """async () => {
  const settle = () => new Promise(resolve => setTimeout(resolve, 250));  // the cue fades in
  const cue = (frame, side) => {
    const style = getComputedStyle(frame, side);
    return Number(style.opacity) > 0.9 && style.backgroundImage.includes('gradient');
  };
  // Every whitespace-delimited run of characters must sit on one line.
  const brokenTokens = (cell) => {
    const broken = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                          .map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
    return broken;
  };
  const NUMBER = /^[−-]?(\\d[\\d,]*(\\.\\d+)?|\\.\\d+)(\\s?×\\s?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?\\s?%?$|^[−-]?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+$|^[−-]?∞$|^NaN$/;
  const tables = [];
  for (const table of document.querySelectorAll('article table')) {
    const box = table.closest('.pst-scrollable-table-container') || table.parentElement;
    const frame = box.parentElement;
    box.scrollLeft = 0;
    await settle();
    const record = {
      headers: [...table.querySelectorAll('th')].map(th => th.textContent.trim()).join(' | '),
      fits: box.scrollWidth <= box.clientWidth + 1
            && box.getBoundingClientRect().right <= document.documentElement.clientWidth,
      tabindex: box.getAttribute('tabindex'),
      name: box.getAttribute('aria-label') || '',
      role: box.getAttribute('role'),
      brokenHeaders: [...table.querySelectorAll('th')].flatMap(brokenTokens),
      misaligned: [...table.querySelectorAll('tbody td')].flatMap(td => {
        const text = td.textContent.trim().replace(/\\s+/g, ' ');
        const align = getComputedStyle(td).textAlign;
        if (NUMBER.test(text) && !['right', 'end'].includes(align)) return [`${text}: ${align}`];
        if (!NUMBER.test(text) && /[A-Za-z]{3}/.test(text) && !['left', 'start'].includes(align))
          return [`${text.slice(0, 20)}: ${align}`];
        return [];
      }),
    };
    if (!record.fits) {
      record.cueAtStart = [cue(frame, '::before'), cue(frame, '::after')];
      box.scrollLeft = box.scrollWidth;
      await settle();
      record.cueAtEnd = [cue(frame, '::before'), cue(frame, '::after')];
      box.scrollLeft = 0;
    }
    tables.push(record);
  }
  return tables;
}"""


@pytest.fixture(scope="module")
def tables(browser, base_url, pages):
    """Every table of every page, measured at a phone's and a desktop's width."""
    found = {}
    for width in (390, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        for path in pages:
            page.goto(base_url + path, wait_until="load")
            page.evaluate("document.fonts.ready")
            for index, table in enumerate(page.evaluate(MEASURE_TABLES)):
                found[width, path, index] = table
        page.close()
    return found


def test_the_book_has_tables_that_overflow_a_phone_to_check(tables):
    assert sum(not t["fits"] for (width, *_), t in tables.items() if width == 390) >= 5


def test_every_table_fits_on_a_desktop(tables):
    """The schedules table overflowed its column and clipped its formulas."""
    wide = {key: t["headers"][:60] for key, t in tables.items() if key[0] == 1280 and not t["fits"]}
    assert wide == {}


def test_a_table_that_does_not_fit_scrolls_with_a_cue_and_a_keyboard_stop(tables):
    """On a phone, 9 tables overflowed with no sign (the regimes table hid "converges")."""
    bad = {}
    for key, table in tables.items():
        if table["fits"]:
            continue
        problems = []
        if table["tabindex"] != "0" or table["role"] != "region" or len(table["name"]) < 10:
            problems.append(
                f"tabindex {table['tabindex']}, role {table['role']}, name {table['name']!r}"
            )
        if table["cueAtStart"] != [False, True] or table["cueAtEnd"] != [True, False]:
            problems.append(f"cue at start {table['cueAtStart']}, at end {table['cueAtEnd']}")
        if problems:
            bad[key] = problems
    assert bad == {}


def test_no_table_header_breaks_inside_a_word(tables):
    """Headers broke as "2/" + "η", "lrsim.schedule" + "s", "10–" + "90"."""
    broken = {key: t["brokenHeaders"] for key, t in tables.items() if t["brokenHeaders"]}
    assert broken == {}


def test_text_cells_read_from_the_left_and_numbers_line_up_on_the_right(tables):
    misaligned = {key: t["misaligned"][:3] for key, t in tables.items() if t["misaligned"]}
    assert misaligned == {}
