"""Print the book's single-page HTML build to one PDF with Chromium: ``nox -s pdf``.

Why Chromium and not Sphinx's LaTeX builder: the PDF then shows exactly what the site shows,
with the same machinery. Figures stay the inline SVGs of the site (vector, in the light
theme's colours), math is the site's MathML in the book's own math font, glued numbers and
hidden cells are as on the site, and every extension of ``docs/_ext`` works unchanged; LaTeX
would need a second rendering of each (MathML and inline SVG mean nothing to it) and a TeX
distribution of about 1 GB from Debian. Chromium is what ``nox -s site`` already drives, from
Debian's packages, through Playwright (which downloads no browser). ``outline=True`` turns the
headings into PDF bookmarks, ``tagged=True`` writes a tagged (accessible) PDF, internal links
stay links, and the footer numbers the pages.

Chromium makes each bookmark's title from the glyphs it draws inside the heading (Skia's PDF
backend appends a drawn run's text to the title before it drops the glyphs that fall outside
the page). Two things follow. A heading whose glyphs overflow its line box is also drawn,
clipped away, on the neighbouring page when it sits at a page break, and its bookmark read
"Five regimesFive regimes": the print style gives headings a line height their font's glyphs
fit in. And a heading that wraps loses the space at the wrap ("Why learning ratesdiverge"):
the titles are set back to the headings' own text, after checking that only whitespace differs.

Usage: ``python tools/book_pdf.py build/singlehtml build/pdf/why-learning-rates-diverge.pdf``
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

BROWSER_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FOOTER = (
    '<div style="font: 9px sans-serif; width: 100%; text-align: center; color: #555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
# Print what a reader of the site reads: no theme furniture, figures not cut across pages.
PRINT_CSS = """
.bd-header-article, .header-article, .bd-sidebar-primary, .bd-sidebar-secondary,
.prev-next-area, .bd-footer, .bd-footer-article, .bd-footer-content, .skip-link,
.headerlink, #pst-back-to-top, .lrsim-explorer { display: none !important; }
figure, .cell_output, table, pre, math[display="block"] { break-inside: avoid; }
h1, h2, h3 { break-after: avoid; }
/* DejaVu Sans is 1.164 em from ascent to descent, the theme's 1.15 too little (module docstring) */
h1, h2, h3, h4, h5, h6, [role="heading"] { line-height: 1.25; }
span[id^="document-"] + section { break-before: page; }  /* each chapter on a new page */
"""


SYSTEM_CHROMIUM = Path("/usr/bin/chromium")  # Debian's, as nox -s site drives it
NO_CHROMIUM = (
    "no Chromium to print the PDF with: apt-get install chromium, or set LRSIM_CHROMIUM to a "
    "Chromium or Chrome binary (python -m playwright install chromium-headless-shell fetches one)"
)


def browser_path() -> str:
    """LRSIM_CHROMIUM if set, else Debian's Chromium, else a Chromium or Chrome on PATH (GitHub's
    runners); without one, stop at once and say how to get one."""
    if chosen := os.environ.get("LRSIM_CHROMIUM"):
        if not Path(chosen).is_file():
            raise SystemExit(f"LRSIM_CHROMIUM={chosen}: no such file. {NO_CHROMIUM}")
        return chosen
    if SYSTEM_CHROMIUM.is_file():
        return str(SYSTEM_CHROMIUM)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    raise SystemExit(NO_CHROMIUM)


# What Chromium makes bookmarks of: the headings a printed page shows, in document order.
HEADINGS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]')]
    .filter((heading) => heading.checkVisibility())
    .map((heading) => heading.innerText.replace(/\\s+/g, " ").trim())"""


def squeezed(text: str) -> str:
    return "".join(text.split())


def set_bookmark_titles(pdf: Path, headings: list[str]) -> None:
    """Give the bookmarks the headings' text, spaces included; fail if more than whitespace
    differs (a bookmark missing, or a title Chromium doubled again)."""
    from pypdf import PdfWriter  # noqa: PLC0415 (the pdf session's environment has it)
    from pypdf.generic import NameObject, TextStringObject  # noqa: PLC0415

    writer = PdfWriter(pdf, incremental=True)  # appends the new titles, leaves the rest as is
    items = []
    stack = [writer.root_object["/Outlines"].get("/First")]
    while stack:  # depth first, first child before next sibling: document order
        reference = stack.pop()
        if reference is None:
            continue
        item = reference.get_object()
        items.append(item)
        stack += [item.get("/Next"), item.get("/First")]
    titles = [str(item["/Title"]) for item in items]
    if len(titles) != len(headings):
        raise SystemExit(f"PDF: {len(titles)} bookmarks for {len(headings)} headings")
    for item, title, heading in zip(items, titles, headings, strict=True):
        if squeezed(title) != squeezed(heading):
            raise SystemExit(f"PDF bookmark {title!r} is not the heading {heading!r}")
        item[NameObject("/Title")] = TextStringObject(heading)
    written = pdf.with_suffix(".titled.pdf")
    writer.write(written)
    written.replace(pdf)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def print_book(site: Path, pdf: Path) -> None:
    # Here, not at the top: the tests collect tools/ for doctests, without Playwright.
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path(), args=BROWSER_FLAGS)
            page = browser.new_page(color_scheme="light")
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.emulate_media(media="print")  # which headings show, as printed
            page.add_style_tag(content=PRINT_CSS)
            page.evaluate("document.fonts.ready.then(() => true)")
            headings = page.evaluate(HEADINGS)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=pdf,
                format="A4",
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                outline=True,
                tagged=True,
            )
            browser.close()
        set_bookmark_titles(pdf, headings)
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    print_book(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"PDF written: {sys.argv[2]}")
