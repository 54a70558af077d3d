/* Part IV's explorer: the learning rate over the steps of a training run for step, exponential
 * and cosine decay (with linear warmup, as Keras's CosineDecay has it), computed live with the
 * formulas of lrsim.schedules, which the browser tests compare with lrsim. */
(() => {
  "use strict";
  const kit = window.lrsimExplorer;
  const { format, colour, grey } = kit;

  /* lrsim.schedules.ExponentialDecay; the staircase floors a float32 quotient, as Keras does. */
  function exponential(initial, decaySteps, decayRate, staircase, step) {
    const exponent = staircase ? Math.floor(Math.fround(Math.fround(step) / Math.fround(decaySteps))) : step / decaySteps;
    return initial * decayRate ** exponent;
  }
  /* lrsim.schedules.CosineDecay; `warmupTarget` null: no warmup. */
  function cosine(initial, decaySteps, alpha, warmupTarget, warmupSteps, step) {
    const decay = (s, peak) => peak * ((1 - alpha) * (0.5 * (1 + Math.cos((Math.PI * s) / decaySteps))) + alpha);
    if (warmupTarget === null) return decay(Math.min(step, decaySteps), initial);
    const clipped = Math.min(step, warmupSteps + decaySteps);
    if (clipped < warmupSteps) return initial + (warmupTarget - initial) * (clipped / warmupSteps);
    return decay(Math.max(clipped - warmupSteps, 0), warmupTarget);
  }
  kit.sims.schedules = { exponential, cosine };

  const KINDS = [
    ["step", "step decay"],
    ["exponential", "exponential decay"],
    ["cosine", "cosine decay"],
  ];

  kit.define("schedules", (root, config) => {
    const parts = kit.frame(root, config.hint);
    const redraw = () => show();
    const kind = kit.choice(parts.controls, { label: "decay", options: KINDS, value: "cosine" }, redraw);
    const total = config.total;
    const warmup = kit.control(parts.controls, { ...config.warmup, label: "warmup steps W (cosine decay only, as in Keras)", symbol: "W", decimals: 0 }, redraw);
    const decaySteps = kit.control(parts.controls, { ...config.decay_steps, label: "decay steps s", symbol: "s", decimals: 0 }, redraw);
    const rate = kit.control(parts.controls, { ...config.decay_rate, label: "decay rate γ per s steps", symbol: "γ", log: true }, redraw);
    const alpha = kit.control(parts.controls, { ...config.alpha, label: "final fraction of the peak α", symbol: "α", decimals: 2 }, redraw);
    const lrChart = kit.chart(parts.charts, {
      title: "learning rate over the run",
      wide: true,
      x: { min: 0, max: total, label: "step t" },
      y: { min: 0, max: 1.1 * config.peak, label: "learning rate" },
    });

    /* The schedule as a function of the step, and how lrsim (and Keras) would build it. */
    function schedule() {
      const peak = config.peak;
      if (kind.value === "cosine") {
        const w = warmup.value;
        if (w === 0) return [(t) => cosine(peak, total, alpha.value, null, 0, t), `CosineDecay(${format(peak)}, ${total}, alpha=${format(alpha.value)})`];
        const start = config.warmup_start;
        return [
          (t) => cosine(start, total - w, alpha.value, peak, w, t),
          `CosineDecay(${format(start)}, ${total - w}, alpha=${format(alpha.value)}, warmup_target=${format(peak)}, warmup_steps=${w})`,
        ];
      }
      const stairs = kind.value === "step";
      return [
        (t) => exponential(peak, decaySteps.value, rate.value, stairs, t),
        `ExponentialDecay(${format(peak)}, ${decaySteps.value}, ${format(rate.value)}${stairs ? ", staircase=True" : ""})`,
      ];
    }

    function show() {
      const cosineKind = kind.value === "cosine";
      warmup.row.hidden = alpha.row.hidden = !cosineKind;
      decaySteps.row.hidden = rate.row.hidden = cosineKind;
      const [at, code] = schedule();
      const steps = Array.from({ length: total + 1 }, (_, t) => t);
      lrChart.clear();
      lrChart.hline(config.peak, { stroke: grey(55) }, "peak");
      if (cosineKind && warmup.value > 0) lrChart.vline(warmup.value, { stroke: grey(55) }, "W");
      lrChart.line(steps.map((t) => [t, at(t)]), { stroke: colour("blue"), "stroke-width": 2 });
      const middle = Math.round(total / 2);
      lrChart.describe(`The learning rate of ${code} over ${total} steps.`);
      parts.readout.textContent =
        `${code}: the rate is ${format(at(0))} at step 0, ${format(Math.max(...steps.map(at)))} at its highest, ` +
        `${format(at(middle))} at step ${middle} and ${format(at(total))} at step ${total}.`;
    }
    show();
  });
})();
