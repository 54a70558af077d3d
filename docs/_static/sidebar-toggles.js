/* Every menu button opens its drawer.
 *
 * The locked theme pair (pydata-sphinx-theme 0.17 with sphinx-book-theme 1.3, and 0.20 with
 * 1.4 alike) renders two `.primary-toggle` and two `.secondary-toggle` buttons, one in the
 * navbar (hidden) and one in the article header (shown), and wires only the first of each:
 * on a phone the contents and "On this page" could not be opened, and on a desktop the
 * sidebar could not be hidden. A click on any other button of the class is passed on to the
 * wired one, unless the theme already reacted to it (a later theme that wires every button
 * then gets no second click).
 */
(() => {
  const stateOf = () =>
    [
      document.getElementById("pst-primary-sidebar-modal")?.open,
      document.getElementById("pst-secondary-sidebar-modal")?.open,
      document.getElementById("pst-primary-sidebar")?.classList.contains("pst-sidebar-hidden"),
      document.getElementById("pst-secondary-sidebar")?.classList.contains("pst-sidebar-hidden"),
    ].join();

  const wire = () => {
    for (const kind of [".primary-toggle", ".secondary-toggle"]) {
      const [wired, ...others] = document.querySelectorAll(kind);
      for (const button of others) {
        button.addEventListener("click", () => {
          const before = stateOf();
          setTimeout(() => {
            if (stateOf() === before) wired.click();
          }, 0);
        });
      }
    }
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
