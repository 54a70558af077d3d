/* Part III's explorer: the case studies' runs, epoch by epoch, for Adam or SGD at each learning
 * rate of the sweep and from each seed, and Adam with ReduceLROnPlateau where the page runs it.
 * A network is too heavy to train in the browser: lrsim trained every run when the book was
 * built (lrsim.case_studies.explorer_runs) and this script only draws what it embedded. */
(() => {
  "use strict";
  const kit = window.lrsimExplorer;
  const { format, colour, grey, element } = kit;
  const COLOURS = { adam: colour("vermillion"), sgd: colour("blue") };
  const NAMES = { adam: "Adam", sgd: "SGD" };
  const NOTE = "flex: 0 0 100%; margin: 0; font-size: 0.85em";

  const finite = (v) => v !== null && Number.isFinite(v);

  /* A fixed log axis over the whole decades that hold every value of `runs`. */
  function logAxis(runs, label) {
    let low = Infinity;
    let high = -Infinity;
    for (const v of runs.flat(3)) {
      if (finite(v) && v > 0) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
    return { log: true, min: 10 ** Math.floor(Math.log10(low)), max: 10 ** Math.ceil(Math.log10(high)), label };
  }

  /* The index of the value of `list` nearest to `v` on a log scale. */
  function nearest(list, v, log = true) {
    const f = log ? Math.log10 : (x) => x;
    let best = 0;
    list.forEach((x, i) => {
      if (Math.abs(f(x) - f(v)) < Math.abs(f(list[best]) - f(v))) best = i;
    });
    return best;
  }

  /* A small line of a chart's legend, dashed or not. */
  function key(parent, stroke, dash, text, width = 2) {
    const item = document.createElement("span");
    const svg = element("svg", { width: 22, height: 10, "aria-hidden": "true" }, item);
    element("line", { x1: 1, x2: 21, y1: 5, y2: 5, stroke, "stroke-width": width, "stroke-dasharray": dash }, svg);
    item.append(` ${text}`);
    parent.appendChild(item);
    return item;
  }

  /* The runs: fetched from their own file (docs/_ext/explorer_data.py) once the explorer comes
   * near the screen, so that a reader who never scrolls this far does not download them; read
   * inline if the page holds them. */
  function whenNear(root, parts, then) {
    const source = document.querySelector('script[data-explorer-data="cases"]');
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      observer.disconnect();
      const runs = source.dataset.src
        ? fetch(source.dataset.src).then((response) => {
            if (!response.ok) throw new Error(`${source.dataset.src}: HTTP ${response.status}`);
            return response.json();
          })
        : Promise.resolve(JSON.parse(source.textContent));
      runs.then(then, (error) => {
        parts.readout.textContent = `The runs could not be loaded (${error.message}); the figures above show them.`;
      });
    };
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && start(), { rootMargin: "800px 0px" });
    observer.observe(root);
  }

  kit.define("cases", (root, settings) => {
    const parts = kit.frame(root, settings.hint);
    parts.readout.textContent = "Loading the runs…";
    whenNear(root, parts, (data) => {
      build(root, parts, { ...settings, ...data });
      root.dataset.loaded = "true";
    });
  });

  function build(root, parts, data) {
    const sweeps = { adam: data.grids.adam, sgd: data.grids.sgd };
    const plateau = data.grids.plateau;
    const rates = sweeps.adam.rates;
    const seeds = data.seeds;
    // The sweep's rates at which the page also runs Adam with the callback.
    const withCallback = new Map(plateau.rates.map((r, i) => [nearest(rates, r), i]));
    const state = { optimizer: data.initial.optimizer, rate: nearest(rates, data.initial.rate), seed: seeds.indexOf(data.initial.seed), callback: false };

    const redraw = () => show();
    kit.choice(parts.controls, { label: "optimizer (Keras’s defaults)", options: Object.entries(NAMES), value: state.optimizer }, (v) => {
      state.optimizer = v;
      show();
    });
    const rate = kit.control(parts.controls, { label: `learning rate: the sweep’s ${rates.length}, three per decade`, symbol: "lr", min: rates[0], max: rates[rates.length - 1], step: 1 / 3, log: true, value: rates[state.rate] }, (v) => {
      if (snap(rate, rates, v, true, (near) => `${format(v)} is not one of the sweep’s rates: showing the nearest, ${format(near)}.`)) return;
      if (nearest(rates, v) !== state.rate) notes.get(rate).textContent = "";
      state.rate = nearest(rates, v);
      show();
    });
    const seed = kit.control(parts.controls, { label: `seed (its initial weights and shuffling order), one of ${seeds.length}`, symbol: "s", min: seeds[0], max: seeds[seeds.length - 1], step: 1, decimals: 0, value: seeds[state.seed] }, (v) => {
      if (snap(seed, seeds, v, false, (near) => `Seeds are whole numbers: showing seed ${near}.`)) return;
      if (nearest(seeds, v, false) !== state.seed) notes.get(seed).textContent = "";
      state.seed = nearest(seeds, v, false);
      show();
    });
    // Where a control says that it moved a typed value onto one the runs have; it stays until
    // the value changes (leaving the box re-sends the value it now shows).
    const notes = new Map(
      [rate, seed].map((control) => {
        const p = document.createElement("p");
        p.className = "lrsim-explorer-note";
        p.setAttribute("role", "status");
        p.style.cssText = NOTE;
        control.row.appendChild(p);
        return [control, p];
      }),
    );

    /* Moves a control onto the nearest value the runs have, saying so; true if it had to. */
    function snap(control, list, v, log, say) {
      const near = list[nearest(list, v, log)];
      if (Math.abs((log ? Math.log10(near / v) : near - v)) < 1e-3) return false;
      control.range.value = String(log ? Math.log10(near) : near);
      control.range.dispatchEvent(new Event("input")); // the control takes the value and redraws
      notes.get(control).textContent = say(near);
      return true;
    }

    const callbackRow = document.createElement("div");
    callbackRow.className = "lrsim-explorer-control";
    callbackRow.innerHTML =
      `<label><input type="checkbox"> with <code>${data.callback}</code></label>` +
      `<p class="lrsim-explorer-note" style="${NOTE}"></p>`;
    parts.controls.appendChild(callbackRow);
    const box = callbackRow.querySelector("input");
    const note = callbackRow.querySelector("p");
    note.textContent = `The page runs the callback with Adam at ${plateau.rates.map((r) => format(r)).join(" and ")}, from every seed.`;
    box.addEventListener("change", () => {
      state.callback = box.checked;
      show();
    });

    const legend = document.createElement("p");
    legend.className = "lrsim-explorer-bands";
    parts.controls.appendChild(legend);

    const epochs = sweeps.adam.loss[0][0].length;
    const x = { min: 0, max: epochs, label: "epoch" };
    const all = [sweeps.adam, sweeps.sgd, plateau];
    const lossChart = kit.chart(parts.charts, { title: "loss", wide: true, x, y: logAxis(all.flatMap((g) => [g.loss, g.val_loss]), "loss") });
    const lrAxis = logAxis([...all.map((g) => g.learning_rate).filter(Boolean), [[rates]]], "learning rate");
    // A decade of room above the highest rate, and a tick every third decade below it.
    lrAxis.ticks = [];
    for (let v = lrAxis.max; v >= lrAxis.min; v /= 1000) lrAxis.ticks.push(v);
    lrAxis.max *= 10;
    const lrChart = kit.chart(parts.charts, { title: "learning rate (the staircase)", wide: true, x, y: lrAxis });

    /* The run shown: its grid, the index of its rate in that grid, and its seed. */
    function run() {
      const callback = state.optimizer === "adam" && withCallback.has(state.rate) && state.callback;
      const grid = callback ? plateau : sweeps[state.optimizer];
      const r = callback ? withCallback.get(state.rate) : state.rate;
      return { grid, r, s: state.seed, callback };
    }

    function drawLoss({ grid, r, s }, stroke) {
      // A run stops where its loss stopped being finite (null): the curve ends there.
      const points = (values) => values.flatMap((v, e) => (finite(v) ? [[e + 1, v]] : []));
      lossChart.clear();
      grid.val_loss[r].forEach((values, other) => {
        if (other !== s) lossChart.line(points(values), { stroke: grey(30), "stroke-width": 1 });
      });
      lossChart.hline(grid.untrained_val_loss[r][s], { stroke: grey(60) }, "untrained");
      lossChart.line(points(grid.loss[r][s]), { stroke: grey(70), "stroke-dasharray": "6 3" });
      lossChart.line(points(grid.val_loss[r][s]), { stroke, "stroke-width": 2.2 });
      for (const cut of grid.cuts ? grid.cuts[r][s] : []) {
        lossChart.dot(cut, grid.val_loss[r][s][cut - 1], { fill: colour("ink"), r: 3 });
      }
      const diverged = grid.diverged_at[r][s];
      if (diverged !== null) {
        // Its loss was NaN or inf in that epoch: a cross at the top, where the curve ends.
        const [cx, cy] = [lossChart.px(diverged), lossChart.box.top + 6];
        for (const d of [-1, 1]) element("line", { x1: cx - 5, x2: cx + 5, y1: cy - 5 * d, y2: cy + 5 * d, stroke, "stroke-width": 2.5, class: "lrsim-explorer-diverged" }, lossChart.over);
        const right = cx > (lossChart.box.left + lossChart.box.right) / 2;
        kit.label(lossChart.over, cx + (right ? -9 : 9), cy + 4, `diverged in epoch ${diverged}`, { "text-anchor": right ? "end" : "start", "font-size": 11 });
      }
    }

    /* The rate used in each epoch, as a staircase; a dotted line at each epoch whose val_loss
     * made the callback cut it (the cut applies from the next epoch). */
    function drawRates({ grid, r, s }, stroke) {
      const recorded = grid.val_loss[r][s].filter(finite).length;
      const used = grid.learning_rate ? grid.learning_rate[r][s] : Array(recorded).fill(grid.rates[r]);
      const steps = used.flatMap((v, e) => (finite(v) ? [[e + 1, v], [e + 2, v]] : []));
      lrChart.clear();
      for (const cut of grid.cuts ? grid.cuts[r][s] : []) {
        element("line", { x1: lrChart.px(cut), x2: lrChart.px(cut), y1: lrChart.box.top, y2: lrChart.box.bottom, stroke: grey(45), "stroke-dasharray": "2 3" }, lrChart.layer);
      }
      lrChart.line(steps, { stroke, "stroke-width": 2 });
      return used.filter(finite);
    }

    function show() {
      const available = state.optimizer === "adam" && withCallback.has(state.rate);
      box.disabled = !available;
      if (!available) box.checked = state.callback = false;
      const shown = run();
      const { grid, r, s, callback } = shown;
      const stroke = COLOURS[state.optimizer];
      legend.replaceChildren();
      key(legend, stroke, "", `val_loss, seed ${seeds[s]}`);
      key(legend, grey(70), "6 3", "loss (training)");
      key(legend, grey(30), "", "val_loss, the other seeds", 1);
      key(legend, grey(60), "5 4", "untrained network’s val_loss", 1.6);

      drawLoss(shown, stroke);
      const used = drawRates(shown, stroke);
      const valLoss = grid.val_loss[r][s];
      const recorded = valLoss.filter(finite);
      const last = recorded.length;
      const best = Math.min(...recorded);
      const name = `${NAMES[state.optimizer]} at lr = ${format(rates[state.rate])}, seed ${seeds[s]}${callback ? `, with ReduceLROnPlateau` : ""}`;
      const diverged = grid.diverged_at[r][s];
      const untrained = grid.untrained_val_loss[r][s];
      let text = `${name}: `;
      if (diverged !== null) text += `the loss became NaN or infinite in epoch ${diverged} and the run stopped there. `;
      if (last) {
        text +=
          `val_loss ${format(recorded[last - 1])} after epoch ${last} (lowest ${format(best)}, in epoch ${valLoss.indexOf(best) + 1}; ` +
          `untrained ${format(untrained)}), training loss ${format(grid.loss[r][s][last - 1])}`;
        const accuracy = grid.final_val_accuracy[r][s];
        if (accuracy !== null) text += `, val_accuracy ${format(accuracy)}`;
        if (diverged === null && grid.diverged[r][s]) text += ": it ended worse than it started, which the page counts as diverged";
        else if (grid.at_chance[r][s]) text += ": at chance";
        text += ". ";
      }
      const cuts = grid.cuts ? grid.cuts[r][s] : null;
      if (cuts === null) text += `The learning rate stays ${format(grid.rates[r])}: no callback. `;
      else if (cuts.length) text += `The callback cut the learning rate ${cuts.length} times, first after epoch ${cuts[0]}, down to ${format(used[used.length - 1])}. `;
      else text += "The callback never cut the learning rate. ";
      const failed = grid.diverged[r].filter((d, i) => d || grid.at_chance[r][i]).length;
      text += `At this rate ${failed} of ${seeds.length} seeds diverged or ended at chance.`;
      parts.readout.textContent = text;
      lossChart.describe(`Training loss and val_loss per epoch of ${name}, the val_loss of the other seeds, and the untrained network's val_loss, ${format(untrained)}.`);
      lrChart.describe(`The learning rate per epoch of ${name}${cuts && cuts.length ? `, cut after epochs ${cuts.join(", ")}` : ", constant"}.`);
    }
    show();
  }
})();
