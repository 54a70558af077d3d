/* The η explorer on the regimes page: a slider and a number box for the learning rate that
 * redraw gradient descent on y = x² from data computed by lrsim when the site was built.
 *
 * This script simulates nothing. The page embeds, for every η on a grid, the iterates, the
 * rate |1 − 2η|, the regime and the outcome as lrsim computed them (a JSON script element);
 * a typed η snaps to the nearest grid point, and the script only draws and reads out that
 * point. Without JavaScript the page's static figures show the same facts.
 */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  // The book's figure colours (lrsim.css), so that the explorer follows the theme like them.
  const PAPER = "var(--lrsim-fig-bg)";
  const INK = "var(--lrsim-fig-ink)";
  const MUTED = "color-mix(in srgb, var(--lrsim-fig-ink) 47%, var(--lrsim-fig-bg))";
  const PATH_COLOR = "var(--lrsim-fig-blue)";
  const DIVERGENT_COLOR = "var(--lrsim-fig-vermillion)";
  const SUPERSCRIPTS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) {
      // Colours are CSS (custom properties, color-mix), which presentation attributes reject.
      if (key === "fill" || key === "stroke") node.style.setProperty(key, value);
      else node.setAttribute(key, value);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, anchor) {
    const node = element("text", { x, y, fill: INK, "font-size": 12, "text-anchor": anchor || "middle" }, parent);
    node.textContent = content;
    return node;
  }

  function formatNumber(value) {
    if (!Number.isFinite(value)) return String(value);
    return Number(value.toPrecision(4)).toString().replace("-", "−");
  }

  /* η as the box shows it, two decimals, with a true minus sign. */
  function formatEta(eta) {
    return eta.toFixed(2).replace("-", "−");
  }

  /* 10 to the power n, written as the book's figures write it (10⁻³). */
  function powerOfTen(n) {
    return "10" + [...String(n)].map((c) => SUPERSCRIPTS[c]).join("");
  }

  /* One panel: a white box with its axes, mapping data to pixels. */
  function panel(svg, left, title, xLabel, yLabel) {
    const box = { left: left + 52, top: 28, width: 230, height: 170 };
    element("rect", { x: left, y: 0, width: 300, height: 240, fill: PAPER }, svg);
    text(svg, box.left + box.width / 2, 16, title);
    text(svg, box.left + box.width / 2, box.top + box.height + 34, xLabel);
    const label = text(svg, 0, 0, yLabel);
    label.setAttribute("transform", `translate(${left + 14},${box.top + box.height / 2}) rotate(-90)`);
    element("rect", { x: box.left, y: box.top, width: box.width, height: box.height, fill: "none", stroke: MUTED }, svg);
    return box;
  }

  function draw(svg, data, index) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const path = data.paths[index];
    const color = data.outcomes[index] === "diverges" ? DIVERGENT_COLOR : PATH_COLOR;
    const shown = path.slice(0, data.parabola_steps + 1).filter(Number.isFinite);

    // Left: the first steps on the parabola.
    const left = panel(svg, 0, `first ${data.parabola_steps} steps on y = x²`, "x", "y = x²");
    const half = 1.1 * Math.max(1, ...shown.map(Math.abs));
    const px = (x) => left.left + ((x + half) / (2 * half)) * left.width;
    const py = (y) => left.top + left.height - (y / (half * half)) * left.height;
    const curve = [];
    for (let i = 0; i <= 100; i += 1) {
      const x = -half + (2 * half * i) / 100;
      curve.push(`${px(x).toFixed(1)},${py(x * x).toFixed(1)}`);
    }
    element("polyline", { points: curve.join(" "), fill: "none", stroke: MUTED, "stroke-width": 1.5 }, svg);
    const points = shown.map((x) => `${px(x).toFixed(1)},${py(x * x).toFixed(1)}`);
    element("polyline", { points: points.join(" "), fill: "none", stroke: color, "stroke-width": 1.2 }, svg);
    for (const x of shown) element("circle", { cx: px(x), cy: py(x * x), r: 4, fill: color }, svg);
    text(svg, left.left + 4, left.top + left.height + 14, formatNumber(-half), "start");
    text(svg, left.left + left.width - 4, left.top + left.height + 14, formatNumber(half), "end");

    // Right: |xₖ| on a log axis, where geometric growth or decay is a straight line.
    const right = panel(svg, 310, `|xₖ| over ${data.steps} steps (log axis)`, "step k", "|xₖ|");
    const magnitudes = path.map(Math.abs);
    const positive = magnitudes.filter((m) => Number.isFinite(m) && m > 0);
    const top = Math.ceil(Math.log10(Math.max(...positive)) + 1e-9) || 1;
    const bottom = Math.min(Math.floor(Math.log10(Math.min(...positive))), top - 1);
    const rx = (k) => right.left + (k / data.steps) * right.width;
    const ry = (m) => right.top + ((top - Math.log10(m)) / (top - bottom)) * right.height;
    text(svg, right.left - 4, right.top + 4, powerOfTen(top), "end");
    text(svg, right.left - 4, right.top + right.height, powerOfTen(bottom), "end");
    const logPoints = [];
    magnitudes.forEach((m, k) => {
      if (Number.isFinite(m) && m > 0) {
        logPoints.push(`${rx(k).toFixed(1)},${ry(m).toFixed(1)}`);
        element("circle", { cx: rx(k), cy: ry(m), r: 3, fill: color }, svg);
      }
    });
    element("polyline", { points: logPoints.join(" "), fill: "none", stroke: color, "stroke-width": 1.5 }, svg);
    text(svg, right.left, right.top + right.height + 14, "0", "start");
    text(svg, right.left + right.width, right.top + right.height + 14, String(data.steps), "end");
  }

  function build(root) {
    const data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    const first = data.etas[0];
    const last = data.etas[data.etas.length - 1];
    const spacing = data.eta_step;
    const id = root.id;

    const controls = document.createElement("div");
    controls.className = "eta-explorer-controls";
    controls.innerHTML =
      `<label for="${id}-range">learning rate η</label>` +
      `<input id="${id}-range" type="range" min="${first}" max="${last}" step="${spacing}">` +
      `<label for="${id}-number" class="eta-explorer-number-label">η =</label>` +
      `<input id="${id}-number" type="number" min="${first}" max="${last}" step="${spacing}">`;
    const output = document.createElement("p");
    output.className = "eta-explorer-output";
    output.setAttribute("aria-live", "polite");
    output.id = `${id}-output`;
    const svg = element("svg", { viewBox: "0 0 610 240", role: "img", class: "eta-explorer-plot" });
    const title = element("title", {}, svg);
    root.append(controls, output, svg);
    const range = controls.querySelector("input[type=range]");
    const number = controls.querySelector("input[type=number]");
    range.setAttribute("aria-describedby", output.id);

    function show(value, source) {
      const index = Math.min(data.etas.length - 1, Math.max(0, Math.round((value - first) / spacing)));
      const eta = data.etas[index];
      if (source !== range) range.value = String(eta);
      if (source !== number || Number(number.value) !== eta) number.value = eta.toFixed(2);
      const iterates = data.paths[index].slice(1, 5).map(formatNumber).join(", ");
      output.textContent =
        `η = ${formatEta(eta)}: regime ${data.regimes[index]}; ` +
        `|1 − 2η| = ${formatNumber(data.rates[index])}, so the run ${data.outcomes[index]}. ` +
        `From x₀ = ${formatNumber(data.x0)}: x₁, …, x₄ = ${iterates}, …`;
      root.dataset.eta = String(eta);
      draw(svg, data, index);
      svg.insertBefore(title, svg.firstChild);
      title.textContent = `Gradient descent on y = x² with η = ${formatEta(eta)}: ${data.outcomes[index]}.`;
    }
    range.addEventListener("input", () => show(Number(range.value), range));
    number.addEventListener("change", () => {
      if (number.value !== "") show(Number(number.value), number);
    });
    show(data.initial_eta, null);
    root.hidden = false;
  }

  function start() {
    document.querySelectorAll(".eta-explorer").forEach(build);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
