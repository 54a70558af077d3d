/* Part I's explorer: gradient descent on y = x² for any learning rate, computed live with the
 * arithmetic of lrsim.parabola (x − η·(L·x) in float64), which the browser tests compare with
 * lrsim on a grid of learning rates and starting points. */
(() => {
  "use strict";
  const kit = window.lrsimExplorer;
  const { format, colour, grey } = kit;

  /* lrsim.parabola.iterate: x_0, …, x_steps, each step x − η·(L·x). */
  function iterate(eta, x0, steps, curvature) {
    const path = [x0];
    for (let k = 0; k < steps; k += 1) path.push(path[k] - eta * (curvature * path[k]));
    return path;
  }
  /* lrsim.parabola.contraction_factor and classify: the regime from r = 1 − ηL, exactly. */
  const factor = (eta, curvature) => 1 - eta * curvature;
  function classify(eta, curvature) {
    const r = factor(eta, curvature);
    if (r >= 1) return "no descent";
    if (r > 0) return "monotone";
    if (r === 0) return "one step";
    if (r > -1) return "oscillating, converges";
    if (r === -1) return "period two";
    return "divergent";
  }
  kit.sims.parabola = { iterate, factor, classify };

  const outcome = (regime, rate) =>
    ["monotone", "one step", "oscillating, converges"].includes(regime)
      ? "converges"
      : rate > 1
        ? "diverges"
        : "neither converges nor diverges";

  kit.define("parabola", (root, config) => {
    const L = config.curvature;
    const parts = kit.frame(root, config.hint);
    const tint = (name) => `color-mix(in srgb, ${colour(name)} 55%, ${colour("bg")})`;
    const eta = kit.control(
      parts.controls,
      {
        ...config.eta,
        label: "learning rate η",
        symbol: "η",
        decimals: 2,
        bands: [
          { to: 0, colour: grey(30), name: "no descent" },
          { to: config.optimal, colour: tint("green"), name: "monotone" },
          { to: config.critical, colour: tint("blue"), name: "oscillating" },
          { to: config.eta.max, colour: tint("vermillion"), name: "divergent" },
        ],
      },
      (value) => show(value),
    );
    const rateChart = kit.chart(parts.charts, {
      title: "rate |1 − 2η| per step",
      x: { min: config.eta.min, max: config.eta.max, label: "learning rate η" },
      y: { min: 0, max: 2.5, label: "|1 − 2η|" },
    });
    const curveChart = kit.chart(parts.charts, {
      title: `first ${config.parabola_steps} steps on y = x²`,
      x: { min: -config.x_limit, max: config.x_limit, label: "x" },
      y: { min: 0, max: config.x_limit ** 2, label: "y = x²" },
    });
    const logChart = kit.chart(parts.charts, {
      title: `|xₖ| over ${config.steps} steps`,
      x: { min: 0, max: config.steps, label: "step k" },
      y: { min: config.log_floor, max: config.log_ceiling, log: true, label: "|xₖ|" },
    });

    rateChart.draggable((value) => eta.set(value));
    // What does not change with η is drawn once, under the data layers.
    const etas = Array.from({ length: 341 }, (_, i) => config.eta.min + ((config.eta.max - config.eta.min) * i) / 340);
    rateChart.line(etas.map((e) => [e, Math.abs(factor(e, L))]), { stroke: grey(55) }, rateChart.svg);
    const xs = Array.from({ length: 161 }, (_, i) => -config.x_limit + (2 * config.x_limit * i) / 160);
    curveChart.line(xs.map((x) => [x, (L / 2) * x * x]), { stroke: grey(55) }, curveChart.svg);
    rateChart.svg.appendChild(rateChart.layer);
    rateChart.svg.appendChild(rateChart.over);
    curveChart.svg.appendChild(curveChart.layer);
    curveChart.svg.appendChild(curveChart.over);

    let drawn = 0;
    function show(value) {
      // Steps appear one after another, except while the slider is being dragged.
      const animate = performance.now() - drawn > 300;
      drawn = performance.now();
      const r = factor(value, L);
      const rate = Math.abs(r);
      const regime = classify(value, L);
      const result = outcome(regime, rate);
      const path = iterate(value, config.x0, config.steps, L);
      const ink = colour(result === "diverges" ? "vermillion" : "blue");
      const shownEta = value.toFixed(2).replace("-", "−");

      rateChart.clear();
      rateChart.hline(1, { stroke: grey(60) }, "1");
      rateChart.dot(value, rate, { fill: ink, r: 5 });
      rateChart.describe(`The rate |1 − 2η| against η, marked at η = ${shownEta}: ${format(rate)}. Drag across it to change η.`);

      curveChart.clear();
      const first = path.slice(0, config.parabola_steps + 1);
      first.slice(1).forEach((x, k) => {
        // Drawn one after another (lrsim.css staggers them), unless the reader asks for no motion.
        const step = kit.element("line", {
          x1: curveChart.px(first[k]), y1: curveChart.pyUnclamped(first[k] ** 2 * (L / 2)),
          x2: curveChart.px(x), y2: curveChart.pyUnclamped(x ** 2 * (L / 2)),
          stroke: ink, "stroke-width": 1.6,
        }, curveChart.layer);
        const dot = kit.element("circle", { cx: curveChart.px(x), cy: curveChart.pyUnclamped(x ** 2 * (L / 2)), r: 4, fill: ink }, curveChart.layer);
        if (animate) {
          step.classList.add("lrsim-explorer-step");
          dot.classList.add("lrsim-explorer-step");
          step.style.animationDelay = `${k * 0.15}s`;
          dot.style.animationDelay = `${k * 0.15 + 0.1}s`;
        }
      });
      curveChart.dot(config.x0, config.x0 ** 2 * (L / 2), { fill: colour("bg"), stroke: colour("ink"), "stroke-width": 2, r: 5 });
      kit.label(curveChart.over, curveChart.px(config.x0), curveChart.py(config.x0 ** 2 * (L / 2)) - 9, "x₀");
      curveChart.describe(`The first ${config.parabola_steps} steps from x₀ = ${format(config.x0)} on y = x² at η = ${shownEta}.`);

      logChart.clear();
      logChart.hline(1, { stroke: grey(60) }, "|x| = 1");
      logChart.line(path.map((x, k) => [k, Math.abs(x)]), { stroke: ink });
      path.forEach((x, k) => logChart.dot(k, Math.abs(x), { fill: ink, r: 3 }));
      logChart.describe(`|xₖ| on a log axis: ${format(Math.abs(path[config.steps]))} after ${config.steps} steps.`);

      parts.readout.textContent =
        `η = ${shownEta}: regime ${regime}; |1 − 2η| = ${format(rate)}, so the run ${result}. ` +
        `From x₀ = ${format(config.x0)}: x₁, …, x₄ = ${path.slice(1, 5).map((x) => format(x, 4)).join(", ")}, …`;
      root.dataset.eta = String(value);
    }
    show(eta.value);
  });
})();
