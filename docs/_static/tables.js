/* Wide tables scroll sideways inside the text column, and say so.
 *
 * pydata-sphinx-theme wraps every table in a scrolling box, which on a phone hid whole columns
 * (the regimes table's "converges") with no sign that there was more. Each box gets a frame
 * whose edges show a shadow on the side where more of the table is, and, while it scrolls,
 * a tab stop and a name, so that a keyboard can scroll it and a screen reader says what it is.
 * Without JavaScript the tables still scroll.
 */
(() => {
  const describe = (table) => {
    const caption = table.querySelector("caption");
    if (caption) return caption.textContent.trim().replace(/\s+/g, " ");
    const headers = [...table.querySelectorAll("thead th")].map((th) =>
      th.textContent.trim().replace(/\s+/g, " "),
    );
    return `Table of ${headers.join(", ")} (scrolls sideways)`;
  };

  const update = (frame) => {
    const box = frame.firstElementChild;
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    const left = box.scrollLeft;
    frame.classList.toggle("table-more-left", scrolls && left > 1);
    frame.classList.toggle("table-more-right", scrolls && left + box.clientWidth < box.scrollWidth - 1);
    box.tabIndex = scrolls ? 0 : -1;
    if (scrolls) {
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", describe(box.querySelector("table")));
    } else {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  };

  const frames = [];
  document.querySelectorAll("article .pst-scrollable-table-container").forEach((box) => {
    const frame = document.createElement("div");
    frame.className = "table-frame";
    box.replaceWith(frame);
    frame.appendChild(box);
    box.addEventListener("scroll", () => update(frame), { passive: true });
    frames.push(frame);
  });
  const observer = new ResizeObserver(() => frames.forEach(update));
  frames.forEach((frame) => observer.observe(frame.firstElementChild));
  // Web fonts and formulas change widths after the first layout.
  document.fonts?.ready.then(() => frames.forEach(update));
  frames.forEach(update);
})();
