/* Part II's explorer: gradient descent with heavy-ball momentum on ½(λ₁x₁² + λ₂x₂²), computed
 * live with the arithmetic of lrsim's SGD (Keras's: v ← v·β − g·η, w ← w + v; without momentum
 * w ← w − g·η) and the closed forms of lrsim.quadratic and lrsim.adam_dynamics, which the
 * browser tests compare with lrsim. */
(() => {
  "use strict";
  const kit = window.lrsimExplorer;
  const { format, colour, grey } = kit;

  /* lrsim.optimizers.SGD on the diagonal quadratic: every iterate [w₁, w₂] from w0. */
  function run(lambdas, eta, beta, w0, steps) {
    let w = [...w0];
    let v = [0, 0];
    const path = [w];
    for (let k = 0; k < steps; k += 1) {
      const step = w.map((x, i) => x * lambdas[i] * eta);
      if (beta === 0) w = w.map((x, i) => x - step[i]);
      else {
        v = v.map((u, i) => u * beta - step[i]);
        w = w.map((x, i) => x + v[i]);
      }
      path.push(w);
    }
    return path;
  }
  /* lrsim.adam_dynamics.spectral_radius(h, β, "heavy_ball"): the largest root modulus of
   * z² − (1 + β − h)z + β; |1 − h| without momentum. */
  function radius(h, beta) {
    const trace = 1 + beta - h;
    const discriminant = trace * trace - 4 * beta;
    if (discriminant < 0) return Math.sqrt(beta);
    const root = Math.sqrt(discriminant);
    return Math.max(Math.abs(trace + root), Math.abs(trace - root)) / 2;
  }
  /* lrsim.adam_dynamics.momentum_threshold(β, "heavy_ball") / λ_max: the largest stable η. */
  const edge = (beta, largest) => (2 + 2 * beta) / largest;
  /* lrsim.quadratic.optimal_learning_rate and optimal_momentum. */
  const bestEta = (smallest, largest) => 2 / (smallest + largest);
  function bestPair(smallest, largest) {
    const [small, large] = [Math.sqrt(smallest), Math.sqrt(largest)];
    return [4 / (large + small) ** 2, ((large - small) / (large + small)) ** 2];
  }
  kit.sims.momentum = { run, radius, edge, bestEta, bestPair };

  kit.define("momentum", (root, config) => {
    const parts = kit.frame(root, config.hint);
    const redraw = () => show();
    const eta = kit.control(parts.controls, { ...config.eta, label: "learning rate η", symbol: "η", decimals: 3 }, redraw);
    const kappa = kit.control(parts.controls, { ...config.kappa, label: "condition number κ = λₘₐₓ/λₘᵢₙ", symbol: "κ", log: true }, redraw);
    const beta = kit.control(parts.controls, { ...config.beta, label: "momentum β", symbol: "β", decimals: 2 }, redraw);
    const [x1, x2] = config.limits;
    const paths = kit.chart(parts.charts, {
      title: `${config.steps} steps on the contours of f`,
      x: { min: -x1, max: x1, label: "x₁ (flat)" },
      y: { min: -x2, max: x2, label: "x₂ (steep)" },
    });
    const rates = kit.chart(parts.charts, {
      title: "rate per step, each direction",
      x: { min: 0, max: config.eta.max, label: "learning rate η" },
      y: { min: 0, max: 1.5, label: "rate (spectral radius)" },
    });

    rates.draggable((value) => eta.set(value));

    function show() {
      const largest = config.lambda_max;
      const smallest = largest / kappa.value;
      const lambdas = [smallest, largest];
      const b = beta.value;
      const h = eta.value;
      const path = run(lambdas, h, b, config.start, config.steps);
      const perDirection = lambdas.map((l) => radius(h * l, b));
      const worst = Math.max(...perDirection);
      const verdict = worst < 1 ? "converges" : worst === 1 ? "never settles" : "diverges";
      const ink = colour(worst > 1 ? "vermillion" : "blue");
      const [pairEta, pairBeta] = bestPair(smallest, largest);

      paths.clear();
      const f0 = 0.5 * (smallest * config.start[0] ** 2 + largest * config.start[1] ** 2);
      for (const level of [1, 0.3, 0.1, 0.03, 0.01]) {
        const c = f0 * level;
        kit.element("ellipse", {
          cx: paths.px(0), cy: paths.py(0),
          rx: paths.px(Math.sqrt((2 * c) / smallest)) - paths.px(0),
          ry: paths.py(0) - paths.py(Math.sqrt((2 * c) / largest)),
          fill: "none", stroke: grey(30),
        }, paths.layer);
      }
      paths.line(path, { stroke: ink });
      path.forEach(([a, c]) => paths.dot(a, c, { fill: ink, r: 2.5 }));
      paths.dot(...config.start, { fill: colour("bg"), stroke: colour("ink"), "stroke-width": 2, r: 5 });
      paths.describe(`The path of ${config.steps} steps from (${config.start.map((v) => format(v)).join(", ")}): it ${verdict}.`);

      rates.clear();
      const grid = Array.from({ length: 201 }, (_, i) => (config.eta.max * i) / 200);
      const names = ["x₁", "x₂"];
      lambdas.forEach((l, i) => {
        const tone = i === 0 ? "green" : "orange";
        rates.line(grid.map((e) => [e, radius(e * l, b)]), { stroke: colour(tone) });
        rates.dot(h, perDirection[i], { fill: colour(tone), r: 5 });
        kit.label(rates.over, rates.box.left + 6, rates.box.top + 14 + 14 * i, `— along ${names[i]}`, { "text-anchor": "start", fill: colour(`${tone}-text`), "font-size": 11 });
      });
      rates.hline(1, { stroke: grey(60) });
      rates.vline(edge(b, largest), { stroke: colour("ink") }, b === 0 ? "2/λₘₐₓ" : "2(1 + β)/λₘₐₓ");
      if (b === 0) rates.vline(bestEta(smallest, largest), { stroke: grey(50), "stroke-dasharray": "2 3" }, "η*", true);
      else rates.dot(pairEta, Math.sqrt(pairBeta), { fill: "none", stroke: colour("ink"), "stroke-width": 1.5, r: 6 });
      rates.describe(`Rates per step along x₁ and x₂ against η for β = ${format(b)}: ${perDirection.map((r) => format(r)).join(" and ")} at η = ${format(h)}.`);

      parts.readout.textContent =
        `η = ${format(h)}, κ = ${format(kappa.value)}, β = ${format(b)}: the rate per step is ${format(perDirection[0])} along x₁ ` +
        `and ${format(perDirection[1])} along x₂, so the run ${verdict}. It is stable for η < ${format(edge(b, largest))}. ` +
        `Best without momentum: η = ${format(bestEta(smallest, largest))} (rate ${format((kappa.value - 1) / (kappa.value + 1))}); ` +
        `best pair with momentum: η = ${format(pairEta)}, β = ${format(pairBeta)} (rate ${format(Math.sqrt(pairBeta))}).`;
    }
    show();
  });
})();
