/* Part III's explorer: Keras's Adam on (L/2)x² beside gradient descent, computed live with the
 * arithmetic of lrsim.adam_dynamics.adam_on_parabola in float64 (epsilon added to the square
 * root of the uncorrected v, the bias corrections folded into the step size as Keras does),
 * which the browser tests compare with lrsim. */
(() => {
  "use strict";
  const kit = window.lrsimExplorer;
  const { format, colour, grey } = kit;

  /* lrsim.optimizers.Adam's update, step by step, and L·alpha_t/(sqrt(v_t) + epsilon) after
   * each (lrsim.optimizers.Adam.effective_learning_rate times L). */
  function run(lr, beta1, beta2, epsilon, x0, curvature, steps) {
    const x = [x0];
    const sharpness = [];
    let [position, m, v] = [x0, 0, 0];
    for (let k = 0; k < steps; k += 1) {
      const t = k + 1;
      const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const g = curvature * position;
      m += (g - m) * (1 - beta1);
      v += (g * g - v) * (1 - beta2);
      position -= (m * alpha) / (Math.sqrt(v) + epsilon);
      x.push(position);
      sharpness.push(curvature * (alpha / (Math.sqrt(v) + epsilon)));
    }
    return { x, sharpness };
  }
  /* lrsim.adam_dynamics.momentum_threshold(β₁, "ema"): (2 + 2β₁)/(1 − β₁), 38 at β₁ = 0.9. */
  const threshold = (beta1) => (2 + 2 * beta1) / (1 - beta1);
  kit.sims.adam = { run, threshold, descent: (lr, x0, curvature, steps) => kit.sims.parabolaIterate(lr, x0, steps, curvature) };

  /* lrsim.parabola.iterate, for gradient descent beside Adam. */
  kit.sims.parabolaIterate = (eta, x0, steps, curvature) => {
    const path = [x0];
    for (let k = 0; k < steps; k += 1) path.push(path[k] - eta * (curvature * path[k]));
    return path;
  };

  kit.define("adam", (root, config) => {
    const parts = kit.frame(root, config.hint);
    const redraw = () => show();
    const lr = kit.control(parts.controls, { ...config.learning_rate, label: "learning rate lr", symbol: "lr", log: true }, redraw);
    const beta1 = kit.control(parts.controls, { ...config.beta_1, label: "first-moment decay β₁", symbol: "β₁", decimals: 2 }, redraw);
    const beta2 = kit.control(parts.controls, { ...config.beta_2, label: "second-moment decay β₂", symbol: "β₂", decimals: 4 }, redraw);
    const steps = config.steps;
    const xChart = kit.chart(parts.charts, {
      title: "|xₜ|: Adam and gradient descent",
      x: { min: 0, max: steps, label: "step t" },
      y: { min: config.x_floor, max: config.x_ceiling, log: true, ticks: config.x_ticks, label: "|xₜ|" },
    });
    const sharpChart = kit.chart(parts.charts, {
      title: "Adam's preconditioned sharpness",
      x: { min: 0, max: steps, label: "step t" },
      y: { min: config.sharpness_floor, max: config.sharpness_ceiling, log: true, label: "L·αₜ/(√vₜ + ε̂)" },
    });
    const every = Math.max(1, Math.floor(steps / 800)); // about 800 points per curve

    function show() {
      const [rate, b1, b2] = [lr.value, beta1.value, beta2.value];
      const adam = run(rate, b1, b2, config.epsilon, config.x0, config.curvature, steps);
      const descent = kit.sims.parabolaIterate(rate, config.x0, steps, config.curvature);
      const edge = threshold(b1);
      const crossing = adam.sharpness.findIndex((s) => s > edge) + 1; // 0: never
      const thin = (values, offset = 0) => values.flatMap((y, t) => (t % every === 0 || t === values.length - 1 ? [[t + offset, y]] : []));

      xChart.clear();
      xChart.hline(1, { stroke: grey(60) }, "|x| = 1");
      xChart.line(thin(descent.map(Math.abs)), { stroke: colour("orange") });
      xChart.line(thin(adam.x.map(Math.abs)), { stroke: colour("blue") });
      kit.label(xChart.over, xChart.box.right - 6, xChart.box.bottom - 22, "— Adam", { "text-anchor": "end", fill: colour("blue-text"), "font-size": 11 });
      kit.label(xChart.over, xChart.box.right - 6, xChart.box.bottom - 8, "— gradient descent", { "text-anchor": "end", fill: colour("orange-text"), "font-size": 11 });
      xChart.describe(`|xₜ| on a log axis over ${steps} steps: Adam ends at ${format(Math.abs(adam.x[steps]))}, gradient descent at ${format(Math.abs(descent[steps]))}.`);

      sharpChart.clear();
      sharpChart.hline(edge, { stroke: colour("ink") }, format(edge));
      sharpChart.line(thin(adam.sharpness, 1), { stroke: colour("blue") });
      if (crossing) sharpChart.vline(crossing, { stroke: colour("vermillion") });
      sharpChart.describe(`The preconditioned sharpness on a log axis against its threshold ${format(edge)}.`);

      const crossed = crossing
        ? `crosses the threshold ${format(edge)} at step ${crossing}, when |x| is ${format(Math.abs(adam.x[crossing]))}`
        : `stays below the threshold ${format(edge)} for all ${steps} steps`;
      parts.readout.textContent =
        `lr = ${format(rate)}, β₁ = ${format(b1, 4)}, β₂ = ${format(b2, 5)}: Adam's preconditioned sharpness ${crossed}; ` +
        `after ${steps} steps |x| = ${format(Math.abs(adam.x[steps]))}. Gradient descent at the same rate multiplies x by ` +
        `${format(1 - rate * config.curvature)} per step: |x| = ${format(Math.abs(descent[steps]))} after ${steps} steps.`;
    }
    show();
  });
})();
