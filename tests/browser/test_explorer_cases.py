"""The case-studies explorer in Chromium: it shows the runs lrsim trained when the book was built,
number for number, for any optimizer, learning rate and seed; it loads them only when the reader
comes near it; it marks a run whose loss became NaN or infinite where it stopped; and it works
by mouse, touch and keyboard at 390 and 1280 px in both themes, with no serious or critical
axe-core violation.

The displayed numbers are compared with the file the page fetches (what `explorer_runs` wrote,
which tests/test_case_studies.py compares with lrsim's grids), through the toolkit's own format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.site

PAGE = "adam/02-case-studies.html"
DATA = "_explorer-data/adam--02-case-studies--cases.json"
ROOT = '.lrsim-explorer[data-explorer="cases"]'
HIDE_HEADER = ".bd-header, .skip-link { visibility: hidden !important; }"


@pytest.fixture(scope="module")
def runs(site: Path) -> dict[str, Any]:
    return json.loads((site / DATA).read_text(encoding="utf-8"))


def open_explorer(browser: Any, base_url: str, width: int = 1280, scheme: str = "light") -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, has_touch=True
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.goto(base_url + PAGE, wait_until="load")
    page.locator(ROOT).scroll_into_view_if_needed()
    page.wait_for_selector(f"{ROOT}[data-loaded]")
    return page


VIEWS = [(width, scheme) for width in (390, 1280) for scheme in ("light", "dark")]


@pytest.fixture(scope="module", params=VIEWS, ids=lambda p: f"{p[0]}-{p[1]}")
def explorer(request, browser, base_url) -> Any:
    """The explorer in a touch-enabled context of one width and theme, shared by the tests of
    that view; a screenshot of it as it first appears goes to build/screenshots/."""
    width, scheme = request.param
    page = open_explorer(browser, base_url, width, scheme)
    root = page.locator(ROOT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root.screenshot(path=SCREENSHOTS / f"explorer-cases-{scheme}-{width}.png", style=HIDE_HEADER)
    yield page, root, width, scheme
    assert not page.errors
    page.context.close()


def readout(root: Any) -> str:
    return root.locator(".lrsim-explorer-readout").inner_text()


def formatted(page: Any, values: list[float]) -> list[str]:
    """The values as the toolkit writes them (3 significant digits, true minus signs)."""
    return page.evaluate("values => values.map(v => lrsimExplorer.format(v))", values)


def choose(root: Any, optimizer: str, rate: float, seed: int) -> None:
    root.get_by_label(optimizer, exact=True).check()
    for index, value in ((0, rate), (1, seed)):
        box = root.locator("input[type=text]").nth(index)
        box.fill(f"{value:.15g}")
        box.press("Enter")


def check_readout(page: Any, root: Any, grid: dict[str, Any], r: int, s: int) -> None:
    """The read-out quotes the run's last and lowest val_loss, its training loss, untrained
    val_loss and accuracy, and the count of failed seeds, as the data hold them."""
    val_loss = [v for v in grid["val_loss"][r][s] if v is not None]
    last, lowest = len(val_loss), min(val_loss)
    expected = formatted(
        page,
        [
            val_loss[-1],
            lowest,
            grid["untrained_val_loss"][r][s],
            grid["loss"][r][s][last - 1],
            grid["final_val_accuracy"][r][s],
        ],
    )
    text = readout(root)
    assert (
        f"val_loss {expected[0]} after epoch {last} (lowest {expected[1]}, in epoch "
        f"{val_loss.index(lowest) + 1}; untrained {expected[2]}), training loss {expected[3]}, "
        f"val_accuracy {expected[4]}"
    ) in text, text
    failed = sum(d or c for d, c in zip(grid["diverged"][r], grid["at_chance"][r], strict=True))
    assert f"At this rate {failed} of {len(grid['diverged'][r])} seeds" in text
    drawn = root.locator("svg.lrsim-explorer-chart").first.locator("polyline")
    # The other seeds, then the training loss, then the chosen seed's val_loss.
    assert drawn.count() == len(grid["val_loss"][r]) + 1
    assert len(drawn.last.get_attribute("points").split()) == last


CHOICES = [("Adam", 6, 3), ("Adam", 15, 0), ("SGD", 0, 9), ("SGD", 12, 5)]


def test_explorer_shows_the_embedded_runs_for_any_optimizer_rate_and_seed(explorer, runs):
    page, root, _, _ = explorer
    for optimizer, r, s in CHOICES:
        grid = runs["grids"][optimizer.lower()]
        choose(root, optimizer, grid["rates"][r], runs["seeds"][s])
        assert f"{optimizer} at lr = {formatted(page, [grid['rates'][r]])[0]}, seed {s}:" in (
            readout(root)
        )
        check_readout(page, root, grid, r, s)
        assert "The learning rate stays" in readout(root)


def test_explorer_draws_the_callbacks_staircase_where_the_page_ran_it(explorer, runs):
    page, root, _, _ = explorer
    plateau = runs["grids"]["plateau"]
    callback = root.locator("input[type=checkbox]")
    for r, rate in enumerate(plateau["rates"]):
        choose(root, "Adam", rate, 4)
        assert callback.is_enabled()
        callback.check()
        check_readout(page, root, plateau, r, 4)
        cuts = plateau["cuts"][r][4]
        lr = [v for v in plateau["learning_rate"][r][4] if v is not None]
        text = readout(root)
        if cuts:
            last = formatted(page, [lr[-1]])[0]
            assert f"cut the learning rate {len(cuts)} times, first after epoch {cuts[0]}, " in text
            assert f"down to {last}." in text
        else:
            assert "The callback never cut the learning rate." in text
        staircase = root.locator("svg.lrsim-explorer-chart").nth(1)
        assert staircase.locator("line[stroke-dasharray='2 3']").count() == len(cuts)
        assert len(staircase.locator("polyline").get_attribute("points").split()) == 2 * len(lr)
    choose(root, "Adam", runs["grids"]["adam"]["rates"][-1], 4)  # no run with the callback here
    assert callback.is_disabled()
    assert not callback.is_checked()
    assert "The learning rate stays" in readout(root)
    choose(root, "SGD", plateau["rates"][-1], 4)
    assert callback.is_disabled()


def slider_box(root: Any, index: int) -> dict[str, float]:
    slider = root.locator("input[type=range]").nth(index)
    slider.evaluate("slider => slider.scrollIntoView({block: 'center'})")
    return slider.bounding_box()


def test_explorer_follows_the_mouse_and_a_touch_onto_the_sweeps_rates(explorer, runs):
    page, root, _, _ = explorer
    rates = runs["grids"]["adam"]["rates"]
    choose(root, "Adam", rates[0], 0)
    box = slider_box(root, 0)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.05 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.7 * box["width"], y, steps=8)
    page.mouse.up()
    shown = root.locator("input[type=text]").first.input_value()
    assert shown in formatted(page, rates[9:13])  # about 70 % of the way, on one of the rates
    assert f"lr = {shown}, seed 0:" in readout(root)
    box = slider_box(root, 1)
    page.touchscreen.tap(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
    assert root.locator("input[type=text]").nth(1).input_value() == str(runs["seeds"][-1])
    assert f"seed {runs['seeds'][-1]}:" in readout(root)


def test_explorer_steps_through_the_sweeps_rates_with_the_arrow_keys(explorer, runs):
    page, root, _, _ = explorer
    rates = runs["grids"]["adam"]["rates"]
    choose(root, "Adam", rates[6], 0)
    root.locator("input[type=range]").first.focus()
    page.keyboard.press("ArrowRight")
    assert root.locator("input[type=text]").first.input_value() == formatted(page, [rates[7]])[0]
    check_readout(page, root, runs["grids"]["adam"], 7, 0)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    check_readout(page, root, runs["grids"]["adam"], 5, 0)


def test_explorer_moves_a_typed_rate_or_seed_it_has_no_run_for_to_the_nearest(explorer, runs):
    page, root, _, _ = explorer
    choose(root, "Adam", 0.003, 2.6)
    notes = root.locator(".lrsim-explorer-control .lrsim-explorer-note")
    assert notes.nth(0).inner_text() == (
        "0.003 is not one of the sweep’s rates: showing the nearest, 0.00215."
    )
    assert notes.nth(1).inner_text() == "Seeds are whole numbers: showing seed 3."
    assert root.locator("input[type=text]").first.input_value() == "0.00215"
    check_readout(page, root, runs["grids"]["adam"], 7, 3)
    box = root.locator("input[type=text]").first
    box.fill("abc")
    box.press("Enter")
    assert "not a number" in root.locator(".lrsim-explorer-message").first.inner_text()
    assert root.locator("input[type=text]").first.get_attribute("aria-invalid") == "true"
    assert "lr = 0.00215, seed 3:" in readout(root)


def test_explorer_is_within_its_width_and_has_no_serious_axe_violation(explorer):
    from axe_playwright_python.sync_playwright import Axe

    page, root, width, scheme = explorer
    assert root.bounding_box()["width"] <= width
    overflowing = root.evaluate(
        """root => [...root.querySelectorAll('svg, input, label, p')]
             .filter(node => node.getBoundingClientRect().right > root.getBoundingClientRect().right + 1)
             .map(node => node.outerHTML.slice(0, 60))"""
    )
    assert not overflowing
    options = {"resultTypes": ["violations"], "preload": False}
    violations = Axe().run(page, context=ROOT, options=options).response["violations"]
    serious = [
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, (scheme, serious)


def test_a_run_whose_loss_became_nan_ends_with_a_cross_at_that_epoch(browser, base_url, runs):
    """The sweep on this page has no such run, so the test serves one: Adam at 0.1, seed 0,
    stopped in epoch 8 as fit stops a run whose batch loss is NaN."""
    grid = runs["grids"]["adam"]
    r = grid["rates"].index(0.1)
    diverged = json.loads(json.dumps(runs))
    adam = diverged["grids"]["adam"]
    for key in ("loss", "val_loss"):
        adam[key][r][0][7:] = [None] * (len(adam[key][r][0]) - 7)
    adam["diverged_at"][r][0], adam["diverged"][r][0] = 8, True
    adam["final_val_accuracy"][r][0] = None
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(f"**/{DATA}", lambda route: route.fulfill(json=diverged))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + PAGE, wait_until="load")
    root = page.locator(ROOT)
    root.scroll_into_view_if_needed()
    page.wait_for_selector(f"{ROOT}[data-loaded]")
    text = readout(root)
    assert "the loss became NaN or infinite in epoch 8 and the run stopped there." in text
    assert "after epoch 7 " in text
    assert "val_accuracy" not in text
    loss_chart = root.locator("svg.lrsim-explorer-chart").first
    assert "diverged in epoch 8" in loss_chart.inner_html()
    assert loss_chart.locator("line.lrsim-explorer-diverged").count() == 2
    assert len(loss_chart.locator("polyline").last.get_attribute("points").split()) == 7
    root.screenshot(path=SCREENSHOTS / "explorer-cases-diverged-1280.png", style=HIDE_HEADER)
    assert not errors
    context.close()


def test_the_runs_load_only_when_the_reader_comes_near_the_explorer(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(base_url + PAGE, wait_until="load")
    page.wait_for_load_state("networkidle")
    assert not [url for url in requested if url.endswith(".json")]
    assert page.locator(ROOT).get_attribute("data-loaded") is None
    page.locator(ROOT).scroll_into_view_if_needed()
    page.wait_for_selector(f"{ROOT}[data-loaded]")
    assert [url for url in requested if url.endswith(".json")] == [base_url + DATA]
    context.close()
