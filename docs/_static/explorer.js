/* The book's explorer toolkit: parameter controls, fixed-axis SVG charts and one number format.
 *
 * An explorer is a <div class="lrsim-explorer" data-explorer="NAME" hidden> in a page, holding
 * its settings (computed by lrsim when the page was built) as a JSON script element. The page's
 * script explorer-NAME.js registers a live simulator in `lrsimExplorer.sims` (the browser tests
 * compare each with lrsim) and a builder with `lrsimExplorer.define`; this file shows the div
 * and builds it once the page has loaded. Without JavaScript the div stays hidden and the page's
 * static figures carry the same facts. No framework, nothing from another origin.
 */
(() => {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const SUPERSCRIPTS = { "−": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  // The figures' colours (lrsim.css), so that explorers follow the theme as the figures do.
  const colour = (name) => `var(--lrsim-fig-${name})`;
  const INK = colour("ink");
  const PAPER = colour("bg");
  const grey = (percent) => `color-mix(in srgb, ${INK} ${percent}%, ${PAPER})`;

  /* Every number an explorer shows: `digits` significant digits, trailing zeros dropped, powers
   * of ten as the figures write them (1.4 × 10⁵), and true minus signs. */
  function format(value, digits = 3) {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
    if (value === 0) return "0";
    const size = Math.abs(value);
    let text;
    if (size >= 1e5 || size < 1e-3) {
      const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
      const shown = String(Number(mantissa));
      text = `${shown === "1" ? "" : shown === "-1" ? "-" : `${shown} × `}${powerOfTen(Number(exponent))}`;
    } else {
      text = String(Number(value.toPrecision(digits)));
    }
    return text.replace(/-/g, "−");
  }

  /* 10 to the power n with superscript digits: 10⁻³. */
  function powerOfTen(n) {
    return "10" + [...String(n).replace("-", "−")].map((c) => SUPERSCRIPTS[c]).join("");
  }

  function element(name, attributes = {}, parent = null) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) {
      // Colours are CSS (custom properties, color-mix), which presentation attributes reject.
      if (["fill", "stroke", "opacity"].includes(key)) node.style.setProperty(key, value);
      else node.setAttribute(key, value);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(parent, x, y, content, attributes = {}) {
    const node = element("text", { x, y, fill: INK, "font-size": 12, "text-anchor": "middle", ...attributes }, parent);
    node.textContent = content;
    return node;
  }

  /* Ticks of a fixed axis: every `every` decades on a log axis, 4 to 6 round values otherwise. */
  function ticks(axis) {
    if (axis.ticks) return axis.ticks;
    if (axis.log) {
      const low = Math.ceil(Math.log10(axis.min));
      const high = Math.floor(Math.log10(axis.max));
      const every = Math.max(1, Math.ceil((high - low) / 5));
      const values = [];
      for (let n = low; n <= high; n += every) values.push(10 ** n);
      return values;
    }
    const raw = (axis.max - axis.min) / 5;
    const unit = 10 ** Math.floor(Math.log10(raw));
    const step = unit * [1, 2, 5, 10].find((f) => f * unit >= raw);
    const values = [];
    for (let v = Math.ceil(axis.min / step - 1e-9) * step; v <= axis.max + 1e-9 * step; v += step) {
      values.push(Math.abs(v) < 1e-12 * step ? 0 : v);
    }
    return values;
  }

  const tickText = (axis, value) => (axis.log ? powerOfTen(Math.round(Math.log10(value))) : format(value));

  let charts = 0;
  /* A chart with fixed axes in its own <svg> (so that charts wrap onto separate rows on a
   * phone). Returns the pixel maps and a data layer, clipped to the plot, that `clear` empties. */
  function chart(parent, spec) {
    // A wide chart is drawn for the width it has, so that its text keeps the size of the others'.
    const width = spec.wide ? Math.round(Math.max(330, Math.min(640, parent.clientWidth))) : 330;
    const height = spec.wide ? 260 : 240;
    const box = { left: 56, top: 26, right: width - 14, bottom: height - 42 };
    const svg = element("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: `lrsim-explorer-chart${spec.wide ? " lrsim-explorer-wide" : ""}` }, parent);
    const title = element("title", {}, svg);
    element("rect", { x: 0, y: 0, width, height, fill: PAPER }, svg);
    label(svg, (box.left + box.right) / 2, 16, spec.title);
    const scale = (axis, from, to) => {
      const f = axis.log ? Math.log10 : (v) => v;
      const low = f(axis.min);
      const span = f(axis.max) - low;
      return (v) => from + ((f(v) - low) / span) * (to - from);
    };
    const px = scale(spec.x, box.left, box.right);
    const py = scale(spec.y, box.bottom, box.top);
    for (const value of ticks(spec.x)) {
      element("line", { x1: px(value), x2: px(value), y1: box.top, y2: box.bottom, stroke: grey(12) }, svg);
      label(svg, px(value), box.bottom + 15, tickText(spec.x, value));
    }
    for (const value of ticks(spec.y)) {
      element("line", { x1: box.left, x2: box.right, y1: py(value), y2: py(value), stroke: grey(12) }, svg);
      label(svg, box.left - 5, py(value) + 4, tickText(spec.y, value), { "text-anchor": "end" });
    }
    element("rect", { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top, fill: "none", stroke: grey(47) }, svg);
    label(svg, (box.left + box.right) / 2, height - 6, spec.x.label);
    const yLabel = label(svg, 0, 0, spec.y.label);
    yLabel.setAttribute("transform", `translate(13,${(box.top + box.bottom) / 2}) rotate(-90)`);
    charts += 1;
    const clipId = `lrsim-explorer-clip-${charts}`;
    const clip = element("clipPath", { id: clipId }, element("defs", {}, svg));
    element("rect", { x: box.left, y: box.top, width: box.right - box.left, height: box.bottom - box.top }, clip);
    const layer = element("g", { "clip-path": `url(#${clipId})` }, svg);
    const over = element("g", {}, svg); // labels may leave the plot area

    // Values off a log axis (0, overflow) are drawn at its edge, not lost.
    const clampY = (v) => {
      if (spec.y.log && !(v > 0)) return box.bottom + 4;
      const y = py(v);
      return Number.isFinite(y) ? Math.min(box.bottom + 4, Math.max(box.top - 4, y)) : v > 0 ? box.top - 4 : box.bottom + 4;
    };
    return {
      svg,
      box,
      px,
      py: clampY,
      pyUnclamped: py, // for lines that should leave the plot where they really do
      layer,
      over,
      /* Dragging (or tapping) across the chart calls `onValue` with the x value under the
       * pointer: a direct handle on the parameter that the x axis shows. */
      draggable(onValue) {
        svg.classList.add("lrsim-explorer-draggable");
        const pick = (event) => {
          const point = svg.createSVGPoint();
          [point.x, point.y] = [event.clientX, event.clientY];
          const x = point.matrixTransform(svg.getScreenCTM().inverse()).x;
          const f = (x - box.left) / (box.right - box.left);
          onValue(spec.x.min + Math.min(1, Math.max(0, f)) * (spec.x.max - spec.x.min));
        };
        svg.addEventListener("pointerdown", (event) => {
          svg.setPointerCapture(event.pointerId);
          pick(event);
        });
        svg.addEventListener("pointermove", (event) => {
          if (svg.hasPointerCapture(event.pointerId)) pick(event);
        });
      },
      describe(text) {
        title.textContent = text;
        svg.setAttribute("aria-label", text);
      },
      clear() {
        layer.replaceChildren();
        over.replaceChildren();
      },
      line(points, style, parentLayer = layer) {
        const kept = points.filter(([x, y]) => Number.isFinite(x) && !Number.isNaN(y));
        const d = kept.map(([x, y]) => `${px(x).toFixed(1)},${clampY(y).toFixed(1)}`).join(" ");
        return element("polyline", { points: d, fill: "none", "stroke-width": 1.6, ...style }, parentLayer);
      },
      dot(x, y, style, parentLayer = layer) {
        return element("circle", { cx: px(x), cy: clampY(y), r: 4, ...style }, parentLayer);
      },
      hline(y, style, text) {
        element("line", { x1: box.left, x2: box.right, y1: clampY(y), y2: clampY(y), "stroke-dasharray": "5 4", ...style }, layer);
        if (text) label(over, box.right - 3, clampY(y) - 4, text, { "text-anchor": "end", "font-size": 11 });
      },
      vline(x, style, text, low = false) {
        element("line", { x1: px(x), x2: px(x), y1: box.top, y2: box.bottom, "stroke-dasharray": "5 4", ...style }, layer);
        if (text) label(over, px(x) + (low ? -3 : 3), low ? box.bottom - 5 : box.top + 12, text, { "text-anchor": low ? "end" : "start", "font-size": 11 });
      },
    };
  }

  /* Reads a typed number: a true minus sign or a hyphen, a decimal point or comma; NaN if it
   * is not a number at all. */
  function parse(text) {
    const cleaned = text.trim().replace(/^[−–]/, "-").replace(",", ".");
    return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned) ? Number(cleaned) : NaN;
  }

  let controls = 0;
  /* A slider and a number box bound to one value. The slider may be logarithmic (`log`), may
   * shade bands of values (`bands`: [{to, colour}] in increasing order) and moves by `step`
   * (in decades when logarithmic) with the arrow keys. A typed value outside [min, max], or
   * not a number, is refused with a message beside the box and the value is kept. */
  function control(parent, spec, onChange) {
    controls += 1;
    const id = `lrsim-explorer-control-${controls}`;
    const row = document.createElement("div");
    row.className = "lrsim-explorer-control";
    const toSlider = (v) => (spec.log ? Math.log10(v) : v);
    const fromSlider = (s) => (spec.log ? Number((10 ** s).toPrecision(3)) : Number(s));
    const shown = (v) => (spec.decimals === undefined ? format(v) : v.toFixed(spec.decimals).replace("-", "−"));
    row.innerHTML =
      `<label for="${id}-range">${spec.label}</label>` +
      `<input id="${id}-range" type="range" min="${toSlider(spec.min)}" max="${toSlider(spec.max)}" step="${spec.step}">` +
      `<label for="${id}-number" class="lrsim-explorer-symbol">${spec.symbol} =</label>` +
      `<input id="${id}-number" type="text" inputmode="decimal" autocomplete="off" spellcheck="false" aria-describedby="${id}-message">` +
      `<p id="${id}-message" class="lrsim-explorer-message" role="alert"></p>`;
    parent.appendChild(row);
    const [range, box] = row.querySelectorAll("input");
    const message = row.querySelector("p");
    if (spec.bands) {
      // The slider's track, coloured band by band; the thumb's centre travels 8 px in from
      // each end, so each stop sits where the thumb stands for that value.
      const low = toSlider(spec.min);
      const span = toSlider(spec.max) - low;
      let from = 0;
      const stops = spec.bands.map((band) => {
        const to = Math.min(1, (toSlider(band.to) - low) / span);
        const at = (f) => `calc(8px + (100% - 16px) * ${f.toFixed(4)})`;
        const stop = `${band.colour} ${at(from)} ${at(to)}`;
        from = to;
        return stop;
      });
      range.classList.add("lrsim-explorer-banded");
      range.style.setProperty("--lrsim-explorer-track", `linear-gradient(to right, ${stops.join(", ")})`);
      const legend = document.createElement("p");
      legend.className = "lrsim-explorer-bands";
      for (const band of spec.bands) {
        const key = document.createElement("span");
        key.innerHTML = `<span class="lrsim-explorer-swatch" style="background:${band.colour}"></span>${band.name}`;
        legend.appendChild(key);
      }
      row.appendChild(legend);
    }
    let value = spec.value;
    const steps = (v) => {
      const low = toSlider(spec.min);
      const s = low + Math.round((toSlider(v) - low) / spec.step) * spec.step;
      return fromSlider(Number(s.toFixed(10)));
    };
    const set = (v, source) => {
      value = v;
      if (source !== range) range.value = String(toSlider(v));
      box.value = shown(v); // a typed 1.2 reads back as the slider writes it, 1.20
      message.textContent = "";
      box.removeAttribute("aria-invalid");
      if (source) onChange(v);
    };
    range.addEventListener("input", () => set(fromSlider(range.value), range));
    const typed = () => {
      const v = parse(box.value);
      const bounds = `${shown(spec.min)} to ${shown(spec.max)}`;
      let refusal = "";
      if (Number.isNaN(v)) refusal = `“${box.value.trim()}” is not a number: type one from ${bounds}.`;
      else if (v < spec.min || v > spec.max) refusal = `${format(v)} is outside the range ${bounds}; ${spec.symbol} stays ${shown(value)}.`;
      if (refusal) {
        message.textContent = refusal;
        box.setAttribute("aria-invalid", "true");
      } else set(v, box);
    };
    box.addEventListener("change", typed);
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") typed();
    });
    set(value, null);
    return {
      get value() {
        return value;
      },
      /* A value from elsewhere (a drag on a chart), on the slider's steps. */
      set(v) {
        set(Math.min(spec.max, Math.max(spec.min, steps(v))), "elsewhere");
      },
      range,
      box,
      row,
    };
  }

  /* A group of radio buttons; `onChange` gets the chosen value. */
  function choice(parent, spec, onChange) {
    controls += 1;
    const group = document.createElement("fieldset");
    group.className = "lrsim-explorer-choice";
    group.innerHTML =
      `<legend>${spec.label}</legend>` +
      spec.options
        .map(([value, text]) => `<label><input type="radio" name="lrsim-explorer-choice-${controls}" value="${value}"${value === spec.value ? " checked" : ""}> ${text}</label>`)
        .join("");
    parent.appendChild(group);
    let value = spec.value;
    group.addEventListener("change", (event) => {
      value = event.target.value;
      onChange(value);
    });
    return { get value() { return value; } };
  }

  /* The explorer's frame: a sentence on what to try, the controls, a live read-out, charts. */
  function frame(root, hint) {
    const parts = {};
    for (const [name, tag] of [["hint", "p"], ["controls", "div"], ["readout", "p"], ["charts", "div"]]) {
      parts[name] = document.createElement(tag);
      parts[name].className = `lrsim-explorer-${name}`;
      root.appendChild(parts[name]);
    }
    parts.hint.textContent = hint;
    parts.readout.setAttribute("aria-live", "polite");
    return parts;
  }

  /* Builds every explorer of this name on the page, once the page is parsed. */
  function define(name, build) {
    const start = () => {
      for (const root of document.querySelectorAll(`.lrsim-explorer[data-explorer="${name}"]`)) {
        if (root.dataset.built) continue;
        root.hidden = false; // first, so that charts can measure the width they have
        build(root, JSON.parse(root.querySelector("script[type='application/json']").textContent));
        root.dataset.built = "true";
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }

  window.lrsimExplorer = { sims: {}, format, powerOfTen, element, label, chart, control, choice, frame, colour, grey, INK, define };
})();
