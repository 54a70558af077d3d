/* The book's search ranking and snippets (conf.py: html_search_scorer).
 *
 * Sphinx inlines this file into _static/language_data.js, which the search page loads after
 * searchtools.js, so both Scorer and Search can be adjusted here before any search runs.
 *
 * Ranking: a page whose title holds every word of the query comes first. Sphinx's weights put
 * API objects whose name contains the word (lrsim.optimizers.Adam: 11 + 5) above a page with
 * the word in one of its headings (15), so "Adam" found the Adam chapter fourth.
 */
var Scorer = {
  score: (result) => {
    const [, title, anchor, , score, , kind] = result;
    const query = new URLSearchParams(window.location.search).get("q") || "";
    const words = query.toLowerCase().split(/\s+/).filter((word) => word.length > 0);
    const pageTitle = String(title || "").split(" > ")[0].toLowerCase();
    const startsWord = (word) =>
      pageTitle.split(/[^\p{L}\p{N}]+/u).some((token) => token.startsWith(word));
    const wholePage = (kind === "text" || kind === "title") && !anchor;
    return wholePage && words.length > 0 && words.every(startsWord) ? score + 100 : score;
  },
  // Sphinx's own weights (searchtools.js), unchanged.
  objNameMatch: 11,
  objPartialMatch: 6,
  objPrio: { 0: 15, 1: 5, 2: -5 },
  objPrioDefault: 0,
  title: 15,
  partialTitle: 7,
  term: 5,
  partialTerm: 2,
};

/* Snippets: Sphinx takes a result's text from [role="main"], which in these themes also holds
 * the header's buttons ("System Settings Light Dark ...") and the collapsed code cells. Only
 * the article, without its title (the result shows it) and without what a reader sees
 * collapsed, is text a reader would recognise. */
if (typeof Search !== "undefined") {
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    const article = doc.querySelector("article.bd-article") || doc.querySelector('[role="main"]');
    if (!article) return "";
    article
      .querySelectorAll("h1, .headerlink, script, style, details.hide")
      .forEach((element) => element.remove());
    const target = anchor ? article.querySelector(anchor) : null;
    return (target || article).textContent.replace(/\s+/g, " ").trim();
  };
}
