"""The explorers in Chromium: each live simulator computes what lrsim computes, and each
explorer works by mouse, touch and keyboard, refuses a bad typed value, at 390 and 1280 px, in
the light and the dark theme.

Simulators are compared with lrsim in float64 on a grid of parameters, point by point, by the
relative deviation ``|js − lrsim| / max(|js|, |lrsim|)`` (0 where both are 0). Points where lrsim
overflowed (±inf, NaN) must be non-finite in the same way in JavaScript and are counted apart;
so are the points outside the well-conditioned part of a model, named per check: Adam after its
preconditioned sharpness first crosses the threshold (the run is chaotic from there on: the last
bit of a power function grows into a different run) and heavy-ball radii near a double root
(where the eigenvalue solver lrsim uses loses half its digits). Each check's count and largest
deviation go to the terminal summary and to build/explorer-checks.txt.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from lrsim.adam_dynamics import adam_on_parabola, momentum_threshold, spectral_radius
from lrsim.optimizers import SGD
from lrsim.parabola import classify
from lrsim.parabola import iterate as parabola_iterate
from lrsim.quadratic import optimal_learning_rate, optimal_momentum
from lrsim.schedules import CosineDecay, ExponentialDecay

from .conftest import EXPLORER_CHECKS, SCREENSHOTS

pytestmark = pytest.mark.site

PAGES = {
    "parabola": "parabola/02-regimes.html",
    "momentum": "beyond/01-curvature.html",
    "adam": "adam/01-adam-on-the-parabola.html",
    "schedules": "practice/01-choosing-a-learning-rate.html",
}
LIMIT = 1e-12


@pytest.fixture(scope="module")
def simulator(browser, base_url) -> Any:
    """Evaluates an expression in the page of an explorer, whose simulator it returns."""
    pages: dict[str, Any] = {}

    def evaluate(name: str, expression: str, argument: Any = None) -> Any:
        if name not in pages:
            pages[name] = browser.new_page()
            pages[name].goto(base_url + PAGES[name], wait_until="load")
        return pages[name].evaluate(expression, argument)

    yield evaluate
    for page in pages.values():
        page.close()


def record(
    check: str,
    js: Any,
    reference: Any,
    excluded: int = 0,
    *,
    why: str = "",
    limit: float | None = LIMIT,
) -> None:
    """Compare, keep the numbers for the summary, and fail above ``limit`` (None: report only)."""
    js_values = np.asarray(js, dtype=np.float64).ravel()
    expected = np.asarray(reference, dtype=np.float64).ravel()
    assert js_values.shape == expected.shape, check
    finite = np.isfinite(expected)
    # Overflow is data: the same points overflow, to the same infinities or NaN.
    np.testing.assert_array_equal(js_values[~finite], expected[~finite], err_msg=check)
    a, b = js_values[finite], expected[finite]
    scale = np.maximum(np.abs(a), np.abs(b))
    relative = np.divide(np.abs(a - b), scale, out=np.zeros_like(scale), where=scale > 0)
    largest = float(relative.max(initial=0.0))
    line = f"{check}: {a.size} points, largest relative deviation {largest:.2e}"
    if (~finite).sum():
        line += f"; {(~finite).sum()} overflowed points equal"
    if excluded:
        line += f"; {excluded} points {why} held apart"
    if limit is None:
        line += " (reported, not held to a limit)"
    EXPLORER_CHECKS.append(line)
    assert limit is None or largest <= limit, line


def test_parabola_simulator_is_lrsims_gradient_descent(simulator):
    etas = np.concatenate([np.linspace(-0.2, 1.5, 341), [0.0, 0.5, 1.0, 0.1, 1e100, -1e100]])
    starts = np.array([-1.0, 0.37, 2.5])
    steps = 60
    js = simulator(
        "parabola",
        """([etas, starts, steps]) => etas.map(eta => starts.map(
             x0 => lrsimExplorer.sims.parabola.iterate(eta, x0, steps, 2)))""",
        [etas.tolist(), starts.tolist(), steps],
    )
    with np.errstate(over="ignore", invalid="ignore"):
        reference = parabola_iterate(etas[:, None], starts[None, :], steps=steps)
    record("parabola: iterate", js, reference)
    regimes = simulator(
        "parabola",
        "etas => etas.map(eta => lrsimExplorer.sims.parabola.classify(eta, 2))",
        etas.tolist(),
    )
    assert regimes == [classify(eta).value for eta in etas]


def sgd_path(lambdas: list[float], eta: float, beta: float, w0: list[float], steps: int) -> Any:
    """lrsim's SGD (Keras's) on ½wᵀAw, A = diag(lambdas), the gradient formed as w @ A."""
    hessian = np.diag(lambdas)
    optimizer = SGD(eta, momentum=beta)
    w = np.array(w0, dtype=np.float64)
    state = optimizer.init_state(w)
    path = [w]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w, state = optimizer.update(w, w @ hessian, state, eta)
            path.append(w)
    return np.array(path)


def test_momentum_simulator_is_lrsims_sgd_and_its_rates(simulator):
    largest, start, steps = 4.0, [-5.0, -2.0], 40
    cases = [
        (kappa, eta, beta)
        for kappa in (1.0, 2.0, 20.0, 137.0, 1000.0)
        for eta in (0.01, 0.2, 0.4, 0.476, 0.5, 0.61, 0.8, 1.0)
        for beta in (0.0, 0.3, 0.6, 0.9, 0.95)
    ]
    js = simulator(
        "momentum",
        """([cases, largest, start, steps]) => cases.map(([kappa, eta, beta]) =>
             lrsimExplorer.sims.momentum.run([largest / kappa, largest], eta, beta, start, steps))""",
        [cases, largest, start, steps],
    )
    reference = [sgd_path([largest / k, largest], e, b, start, steps) for k, e, b in cases]
    record("momentum: SGD path", js, reference)

    h = np.linspace(0.0, 8.0, 801)
    betas = np.array([0.0, 0.2, 0.5, 0.9, 0.95])
    js = simulator(
        "momentum",
        """([h, betas]) => betas.map(beta => h.map(
             value => lrsimExplorer.sims.momentum.radius(value, beta)))""",
        [h.tolist(), betas.tolist()],
    )
    reference = np.array([spectral_radius(h, beta, "heavy_ball") for beta in betas])
    trace = 1 + betas[:, None] - h[None, :]
    double_root = np.abs(trace**2 - 4 * betas[:, None]) < 1e-6
    record(
        "momentum: heavy-ball rate",
        np.asarray(js)[~double_root],
        reference[~double_root],
        int(double_root.sum()),
        why="within 1e-6 of a double root",
    )

    kappas = np.geomspace(1.0, 1000.0, 31)
    js = simulator(
        "momentum",
        """([kappas, betas, largest]) => ({
             edges: betas.map(beta => lrsimExplorer.sims.momentum.edge(beta, largest)),
             best: kappas.map(kappa => lrsimExplorer.sims.momentum.bestEta(largest / kappa, largest)),
             pairs: kappas.map(kappa => lrsimExplorer.sims.momentum.bestPair(largest / kappa, largest)) })""",
        [kappas.tolist(), betas.tolist(), largest],
    )
    record(
        "momentum: edge, best η, best pair",
        [*js["edges"], *js["best"], *np.ravel(js["pairs"])],
        [
            *[momentum_threshold(beta, "heavy_ball") / largest for beta in betas],
            *[optimal_learning_rate(np.diag([largest / k, largest])) for k in kappas],
            *np.ravel([optimal_momentum(np.diag([largest / k, largest])) for k in kappas]),
        ],
    )


def compare_adam(simulator: Any, check: str, rates: list[float], steps: int, betas: Any) -> None:
    """Adam's iterates and sharpness, held to the limit up to the step at which the sharpness
    first crosses its threshold; the chaotic rest is compared and reported."""
    js_runs, reference_runs, masks = [], [], []
    for beta_1, beta_2 in betas:
        js = simulator(
            "adam",
            """([rates, b1, b2, steps]) => rates.map(lr => {
                 const run = lrsimExplorer.sims.adam.run(lr, b1, b2, 1e-7, -1, 2, steps);
                 return [...run.x.slice(1), ...run.sharpness]; })""",
            [rates, beta_1, beta_2, steps],
        )
        run = adam_on_parabola(rates, steps=steps, beta_1=beta_1, beta_2=beta_2)
        crossing = run.first_crossing(momentum_threshold(beta_1, "ema"))
        for lane, values in enumerate(js):
            end = steps if crossing[lane] < 0 else int(crossing[lane])
            calm = np.arange(steps) < end
            masks.append(np.concatenate([calm, calm]))
            js_runs.append(values)
            reference_runs.append(
                np.concatenate([run.x[lane, 1:], run.preconditioned_sharpness[lane]])
            )
    calm = np.concatenate(masks)
    js_all, reference_all = np.concatenate(js_runs), np.concatenate(reference_runs)
    why = "after the sharpness first crossed its threshold (chaotic)"
    record(check, js_all[calm], reference_all[calm], int((~calm).sum()), why=why)
    record(f"{check}, chaotic part", js_all[~calm], reference_all[~calm], limit=None)


def test_adam_simulator_is_lrsims_adam_on_the_parabola(simulator):
    grid = [(b1, b2) for b1 in (0.0, 0.5, 0.9, 0.99) for b2 in (0.9, 0.99, 0.999, 0.9999)]
    compare_adam(simulator, "adam: x and sharpness", [1e-4, 1e-3, 1e-2, 0.1, 0.37, 1.0], 3000, grid)
    # The page's runs: Keras's betas, the page's 16000 steps.
    compare_adam(
        simulator, "adam, page's runs: x and sharpness", [1e-2, 0.1, 1.0], 16_000, [(0.9, 0.999)]
    )
    betas = [0.0, 0.5, 0.9, 0.99]
    js = simulator("adam", "betas => betas.map(lrsimExplorer.sims.adam.threshold)", betas)
    record("adam: threshold", js, [momentum_threshold(beta, "ema") for beta in betas])
    assert js[2] == pytest.approx(38.0, rel=1e-12)


def test_schedule_simulators_are_lrsims_schedules(simulator):
    steps = np.arange(0, 2401)
    exponential = [
        (initial, decay_steps, rate, staircase)
        for initial in (1e-3, 0.1)
        for decay_steps in (1.1, 7.0, 100.0, 1000.0)
        for rate in (0.1, 0.5, 0.96, 1.0)
        for staircase in (False, True)
    ]
    js = simulator(
        "schedules",
        """([cases, steps]) => cases.map(([initial, decaySteps, rate, staircase]) => steps.map(
             t => lrsimExplorer.sims.schedules.exponential(initial, decaySteps, rate, staircase, t)))""",
        [exponential, steps.tolist()],
    )
    reference = [ExponentialDecay(*case)(steps) for case in exponential]
    record("schedules: exponential and step decay", js, reference)
    cosine = [
        (initial, decay_steps, alpha, target, warmup)
        for initial in (1e-3, 0.1)
        for decay_steps in (10.0, 418.0, 2300.0)
        for alpha in (0.0, 0.1, 1.0)
        for target, warmup in ((None, 0.0), (0.2, 0.0), (0.2, 5.0), (0.05, 100.0))
    ]
    js = simulator(
        "schedules",
        """([cases, steps]) => cases.map(([initial, decaySteps, alpha, target, warmup]) =>
             steps.map(t => lrsimExplorer.sims.schedules.cosine(
               initial, decaySteps, alpha, target, warmup, t)))""",
        [cosine, steps.tolist()],
    )
    reference = [
        CosineDecay(initial, decay, alpha=alpha, warmup_target=target, warmup_steps=warmup)(steps)
        for initial, decay, alpha, target, warmup in cosine
    ]
    record("schedules: cosine decay with warmup", js, reference)


VIEWS = [(width, scheme) for width in (390, 1280) for scheme in ("light", "dark")]


@pytest.fixture(
    scope="module",
    params=[(name, *view) for name in PAGES for view in VIEWS],
    ids=lambda p: "-".join(map(str, p)),
)
def explorer(request, browser, base_url) -> Any:
    """One explorer on its page, in a touch-enabled context of the given width and theme, which
    the interaction tests share (each leaves it as usable as it found it); a screenshot of it
    as it first appears is left in build/screenshots/ for review."""
    name, width, scheme = request.param
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, has_touch=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(base_url + PAGES[name], wait_until="load")
    root = page.locator(f'.lrsim-explorer[data-explorer="{name}"]')
    root.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)  # Part I draws its steps one after another
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The theme's sticky header would cover the explorer's top in the picture.
    hide_header = ".bd-header, .bd-header-article, .skip-link { visibility: hidden !important; }"
    root.screenshot(path=SCREENSHOTS / f"explorer-{name}-{scheme}-{width}.png", style=hide_header)
    yield page, root, width
    assert not errors
    context.close()


def readout(root: Any) -> str:
    return root.locator(".lrsim-explorer-readout").inner_text()


def first_slider(root: Any) -> Any:
    """The explorer's first slider, in the middle of the screen (the theme's header covers the
    top of a phone's screen)."""
    slider = root.locator("input[type=range]").first
    slider.evaluate("slider => slider.scrollIntoView({block: 'center'})")
    return slider


def test_explorer_fits_its_width_and_says_what_to_try(explorer):
    _, root, width = explorer
    assert root.is_visible()
    assert root.locator(".lrsim-explorer-hint").inner_text().strip()
    assert root.locator(".lrsim-explorer-readout").get_attribute("aria-live") == "polite"
    assert not re.search(r"\d-|-\d|\de[-+]?\d", readout(root)), readout(root)  # true minus signs
    box = root.bounding_box()
    assert box["width"] <= width
    overflowing = root.evaluate(
        """root => [...root.querySelectorAll('svg, input, label')]
             .filter(node => node.getBoundingClientRect().right > root.getBoundingClientRect().right + 1)
             .map(node => node.outerHTML.slice(0, 60))"""
    )
    assert not overflowing
    charts = root.locator("svg.lrsim-explorer-chart")
    assert charts.count() >= 1
    assert all(
        charts.nth(i).bounding_box()["width"] >= min(280, width - 60) for i in range(charts.count())
    )


def test_explorer_follows_the_mouse_dragging_its_slider(explorer):
    page, root, _ = explorer
    slider = first_slider(root)
    before, value = readout(root), slider.input_value()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.1 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.7 * box["width"], y, steps=8)
    page.mouse.up()
    assert slider.input_value() != value
    assert readout(root) != before
    low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    fraction = (float(slider.input_value()) - low) / (high - low)
    assert fraction == pytest.approx(0.7, abs=0.05)


def test_explorer_follows_a_touch_on_its_slider(explorer):
    page, root, _ = explorer
    slider = first_slider(root)
    before, value = readout(root), slider.input_value()
    box = slider.bounding_box()
    page.touchscreen.tap(box["x"] + 0.25 * box["width"], box["y"] + box["height"] / 2)
    assert slider.input_value() != value
    assert readout(root) != before


def test_explorer_moves_with_the_arrow_keys(explorer):
    page, root, _ = explorer
    slider = first_slider(root)
    number = root.locator("input[type=text]").first
    slider.focus()
    before, box = readout(root), number.input_value()
    page.keyboard.press("ArrowLeft")
    assert readout(root) != before
    assert number.input_value() != box
    page.keyboard.press("ArrowRight")
    assert number.input_value() == box


def test_explorer_refuses_a_typed_value_that_is_not_a_number_or_out_of_range(explorer):
    page, root, _ = explorer
    number = root.locator("input[type=text]").first
    slider = root.locator("input[type=range]").first
    message = root.locator(".lrsim-explorer-message").first
    before, position = readout(root), slider.input_value()
    assert message.is_hidden()
    number.fill("abc")
    number.press("Enter")
    assert message.is_visible()
    assert "not a number" in message.inner_text()
    assert number.get_attribute("aria-invalid") == "true"
    assert (readout(root), slider.input_value()) == (before, position)
    number.fill("1e9")
    number.press("Enter")
    assert "outside the range" in message.inner_text()
    assert "10⁹" in message.inner_text()
    assert (readout(root), slider.input_value()) == (before, position)
    page.keyboard.press("Tab")  # leaving the box keeps the refusal
    assert message.is_visible()
    slider.focus()
    page.keyboard.press("ArrowRight")  # a new value clears it
    assert message.is_hidden()
    assert number.get_attribute("aria-invalid") is None


def test_explorer_is_painted_in_the_colours_of_the_theme(explorer):
    _, root, _ = explorer
    painted = root.evaluate(
        """root => ({
             page: getComputedStyle(document.body).backgroundColor,
             paper: getComputedStyle(root.querySelector('svg rect')).fill,
             ink: getComputedStyle(root.querySelector('svg text')).fill,
             words: getComputedStyle(root.querySelector('.lrsim-explorer-readout')).color,
             text: getComputedStyle(document.querySelector('main p')).color })"""
    )
    assert painted["paper"] == painted["page"], painted
    assert painted["ink"] == painted["text"] == painted["words"], painted


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize(("name", "chart"), [("parabola", 0), ("momentum", 1)])
def test_dragging_or_tapping_across_the_rate_chart_sets_the_learning_rate(
    browser, base_url, name, chart, width
):
    """The charts whose x axis is η are handles on η: by mouse, and by touch."""
    context = browser.new_context(viewport={"width": width, "height": 900}, has_touch=True)
    page = context.new_page()
    page.goto(base_url + PAGES[name], wait_until="load")
    root = page.locator(f'.lrsim-explorer[data-explorer="{name}"]')
    svg = root.locator("svg.lrsim-explorer-chart").nth(chart)
    svg.evaluate("svg => svg.scrollIntoView({block: 'center'})")
    number = root.locator("input[type=text]").first
    low, high = (
        float(root.locator("input[type=range]").first.get_attribute(a)) for a in ("min", "max")
    )

    def eta_at(fraction: float) -> float:
        """η under the given fraction of the plot's width, from the chart's own axis box."""
        box = svg.bounding_box()
        plot = svg.evaluate(
            """svg => { const r = svg.querySelectorAll('rect')[1];
                        const width = svg.viewBox.baseVal.width;
                        return [r.x.baseVal.value / width, (r.x.baseVal.value + r.width.baseVal.value) / width]; }"""
        )
        return box["x"] + box["width"] * (plot[0] + fraction * (plot[1] - plot[0]))

    y = svg.bounding_box()["y"] + svg.bounding_box()["height"] / 2
    before = readout(root)
    page.mouse.move(eta_at(0.2), y)
    page.mouse.down()
    page.mouse.move(eta_at(0.9), y, steps=6)
    page.mouse.up()
    assert float(number.input_value()) == pytest.approx(low + 0.9 * (high - low), abs=0.02)
    assert readout(root) != before
    page.touchscreen.tap(eta_at(0.3), y)
    assert float(number.input_value()) == pytest.approx(low + 0.3 * (high - low), abs=0.02)
    context.close()


def test_part_one_explorer_reads_out_lrsims_iterates_for_a_typed_eta(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + PAGES["parabola"], wait_until="load")
    root = page.locator('.lrsim-explorer[data-explorer="parabola"]')
    number = root.locator("input[type=text]")
    number.fill("1.2")
    number.press("Enter")
    text = readout(root)
    assert "regime divergent" in text
    assert "the run diverges" in text
    assert "|1 − 2η| = 1.4" in text
    shown = [float(v.replace("−", "-")) for v in re.findall(r"x₄ = (.*), …", text)[0].split(", ")]
    np.testing.assert_allclose(shown, parabola_iterate(1.2, x0=-1.0, steps=4)[1:], rtol=1e-3)
    number.fill("−0.2")  # a true minus sign is a minus sign
    number.press("Enter")
    assert "η = −0.20" in readout(root)
    assert "regime no descent" in readout(root)
    page.close()


def test_adam_explorer_crosses_the_threshold_at_the_step_the_page_states(browser, base_url):
    page = browser.new_page()
    page.goto(base_url + PAGES["adam"], wait_until="load")
    run = adam_on_parabola(0.1, steps=16_000)
    crossing = int(run.first_crossing(momentum_threshold(0.9, "ema"))[0])
    text = readout(page.locator('.lrsim-explorer[data-explorer="adam"]'))
    assert f"crosses the threshold 38 at step {crossing}," in text
    page.close()
