"""The built site: the worked numbers and the erratum are on the page, every image has alt text,
math is MathML drawn with the book's own math font, nothing comes from another origin, every
page has one viewport tag, and the η explorer carries lrsim's numbers. (What each page weighs
is measured in a browser: tests/browser/test_weight.py.)"""

from __future__ import annotations

import html as html_lib
import json
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from conftest import ROOT, glued, page_text, pasted_texts, source_pages

from lrsim.adam_dynamics import adam_on_parabola, momentum_threshold
from lrsim.case_studies import EPOCHS, PLATEAU_RATES, RATES
from lrsim.optimizers import Adam
from lrsim.parabola import (
    SEED_CURVATURE,
    contraction_factor,
    critical_learning_rate,
    iterate,
    optimal_learning_rate,
)
from lrsim.quadratic import optimal_momentum
from lrsim.tables import format_number

log = logging.getLogger(__name__)


class ImageCollector(HTMLParser):
    """Every image of a page: <img>, and the inline <svg role="img"> figures, whose
    aria-label is their alt text (collected as "alt", their link as "src")."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self._link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a":
            self._link = attributes.get("href")
        if tag == "img":
            self.images.append(attributes)
        elif tag == "svg" and attributes.get("role") == "img":
            self.images.append({"alt": attributes.get("aria-label"), "src": self._link})

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._link = None


# The attribute through which each tag makes the browser load something.
LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "link": "href"}
# <link rel="index|search|next|prev"> are links to follow, not resources to load.
NAVIGATION_LINKS = {"index", "search", "next", "prev", "canonical"}


class ResourceCollector(HTMLParser):
    """Every URL a page makes the browser load: scripts, styles, icons, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (tag, url)
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get(LOADING.get(tag, ""))
        if url is not None and not (tag == "link" and attributes.get("rel") in NAVIGATION_LINKS):
            self.urls.append((tag, url))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies.append(data)


def resources(page: Path) -> ResourceCollector:
    collector = ResourceCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def test_every_source_page_was_built(site):
    sources = source_pages()
    assert len(sources) >= 12
    built = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    missing = [path.relative_to(ROOT / "docs").with_suffix(".html").as_posix() for path in sources]
    assert [page for page in missing if page not in built] == []


def test_every_named_figure_of_every_page_is_a_figure_with_that_id(site):
    """A figure named in a page's source (``name: fig-...`` in its cell's metadata) is a
    <figure> with that id in the page built from it, whatever the page and however many."""
    named = 0
    for source in source_pages():
        names = re.findall(r"^\s+name: (fig-[\w-]+)$", source.read_text("utf-8"), re.MULTILINE)
        page = site / source.relative_to(ROOT / "docs").with_suffix(".html")
        built = page.read_text(encoding="utf-8")
        for name in names:
            assert re.search(rf'<figure\b[^>]*\bid="{name}"', built), f"{page.name}: {name}"
        named += len(names)
    assert named >= 20


def test_worked_example_shows_lrsims_iterates_the_eta_1_orbit_and_the_erratum(site):
    """The page's numbers are lrsim's iterates from x₀ = −1: η = 0.8 and 1.2 as they are, and
    the seed's printed "η = 1.2" numbers, which are those of the η whose factor is −1.2."""
    text = f" {page_text(site / 'parabola' / '01-worked-example.html')} ".replace("|", " ")
    seeds_eta = (1 - -1.2) / 2  # 1 − 2η = −1.2
    for eta in (0.8, 1.2, seeds_eta):
        for x in iterate(eta, x0=-1.0, steps=3)[1:]:
            assert f" {format_number(float(x), '.4g')} " in text, (eta, x)
    # The erratum and the η = 1 orbit are glued into prose: checked by glue name, not wording.
    page = "parabola/01-worked-example"
    numbers, on_page = glued(site, page), pasted_texts(site / f"{page}.html")
    assert numbers["eta_of_printed"].value == pytest.approx(seeds_eta)
    assert numbers["factor_of_printed"].value == pytest.approx(contraction_factor(seeds_eta))
    orbit = iterate(1.0, x0=-1.0, steps=3)[1:]
    assert [numbers[f"x{k}_1_0"].value for k in (1, 2, 3)] == orbit.tolist()
    for name in ("eta_of_printed", "factor_of_printed", "x1_1_0", "x2_1_0", "x3_1_0"):
        assert numbers[name].text in on_page, name


def test_glued_negative_numbers_use_a_minus_sign_not_a_hyphen(site, pages):
    numbers = [n for page in pages for n in pasted_texts(site / page)]
    negative = [n for n in numbers if n.startswith(("-", "−"))]
    assert len(negative) >= 10  # the worked example alone glues several
    assert all(n.startswith("−") and n[1:2].isdigit() for n in negative), negative


def test_every_image_on_every_page_has_meaningful_alt_text(site):
    for page in site.rglob("*.html"):
        collector = ImageCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        for image in collector.images:
            alt = (image.get("alt") or "").strip()
            source = Path(image.get("src") or "").name
            assert len(alt.split()) >= 5, f"{page.name}: {source} has alt {alt!r}"
            assert source not in alt
            assert not re.fullmatch(r"[0-9a-f]{16,}.*", alt)


def test_figures_have_captions_and_labels(site):
    html = (site / "parabola" / "02-regimes.html").read_text(encoding="utf-8")
    assert 'id="fig-eta-grid"' in html
    assert html.count("<figcaption") >= 1
    # The rate curve is drawn once, on the first page; this page links to it.
    assert 'href="../index.html#fig-index-rate"' in html


def test_no_page_shows_a_markdown_table_as_a_paragraph_of_pipes(site, pages):
    for page in (site / path for path in pages):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<p>\|[^<]*\n\|(?:[-—:]+\|)+", html), page.name


def test_every_page_loads_its_scripts_styles_images_and_frames_from_the_site_itself(site, pages):
    foreign = []
    for page in (site / path for path in pages):
        for tag, url in resources(page).urls:
            parts = urlsplit(url)
            if parts.scheme not in ("", "data") or parts.netloc or url.startswith("//"):
                foreign.append((page.name, tag, url))
    assert not foreign
    assert "index.html" in pages


def test_no_page_loads_mathjax_and_every_formula_is_mathml(site, pages):
    for page in (site / path for path in pages):
        collector = resources(page)
        html = page.read_text(encoding="utf-8")
        assert not [url for _, url in collector.urls if "mathjax" in url.lower()], page.name
        assert not [body for body in collector.script_bodies if "MathJax" in body], page.name
        # Left-over TeX delimiters or latex2mathml errors would show as raw text.
        assert not re.search(r"\\\(|\\\[|<merror", html), page.name
    regimes = (site / "parabola" / "02-regimes.html").read_text(encoding="utf-8")
    assert regimes.count("<math ") >= 30
    for symbol in ("&#x0220E;", "&#x027FA;", "&#x02308;", "&#x003B5;", "<mfrac>", "<msup>"):
        assert symbol in regimes, symbol  # ∎ ⟺ ⌈ ε, \tfrac, powers


def test_an_inline_formula_ending_in_a_relation_adds_no_space_after_it(site, pages):
    """ "$\\eta =$ {glue}" showed "η =  1": the relation's own space, then the text's."""
    ending = re.compile(
        r'<span class="math[^"]*"><math\b[^>]*>(?:(?!</math>).)*?'
        r"(<mo[^>]*>([^<]*)</mo>)(?:</mrow>)*</math>"
    )
    closing = {"&#x00029;", ")", "&#x0005D;", "&#x0007D;", "&#x0007C;", "&#x02016;"}
    endings = [
        (match.group(1), path)
        for path in pages
        for match in ending.finditer((site / path).read_text("utf-8"))
        if match.group(2) not in closing  # a closing bracket has no space after it anyway
    ]
    assert sum("&#x0003D;" in mo for mo, _ in endings) >= 20  # formulas ending in "="
    assert [(mo, path) for mo, path in endings if 'rspace="0em"' not in mo] == []


EXPLORER_PAGES = {
    "parabola": "parabola/02-regimes.html",
    "momentum": "beyond/01-curvature.html",
    "adam": "adam/01-adam-on-the-parabola.html",
    "schedules": "practice/01-choosing-a-learning-rate.html",
    "cases": "adam/02-case-studies.html",
}
EXPLORER = re.compile(
    r'<div class="lrsim-explorer" data-explorer="([a-z-]+)" hidden[^>]*>'
    r'<script type="application/json">(.*?)</script></div>'
)


def explorers(site: Path, path: str) -> dict[str, dict]:
    """The explorers of a built page, by name, with their settings."""
    html = (site / path).read_text(encoding="utf-8")
    return {name: json.loads(data) for name, data in EXPLORER.findall(html)}


def test_each_explorer_is_on_its_page_and_only_its_pages_load_explorer_scripts(site, pages):
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        scripts = re.findall(r'<script defer="defer" src="[./]*_static/(explorer[a-z-]*)\.js', html)
        names = [name for name, page in EXPLORER_PAGES.items() if page == path]
        assert list(explorers(site, path)) == names, path
        assert scripts == (["explorer", *(f"explorer-{name}" for name in names)] if names else [])


def test_explorer_settings_are_lrsims_numbers(site):
    parabola = explorers(site, EXPLORER_PAGES["parabola"])["parabola"]
    assert (parabola["critical"], parabola["optimal"]) == (
        critical_learning_rate(),
        optimal_learning_rate(),
    )
    assert parabola["curvature"] == SEED_CURVATURE
    momentum = explorers(site, EXPLORER_PAGES["momentum"])["momentum"]
    hessian = np.diag([momentum["lambda_max"] / momentum["kappa"]["value"], momentum["lambda_max"]])
    eta, beta = optimal_momentum(hessian)
    assert f"η = {eta:.2f} with β = {beta:.2f}" in momentum["hint"]
    adam = explorers(site, EXPLORER_PAGES["adam"])["adam"]
    keras = Adam()
    assert (adam["beta_1"]["value"], adam["beta_2"]["value"], adam["epsilon"]) == (
        keras.beta_1,
        keras.beta_2,
        keras.epsilon,
    )
    edge = momentum_threshold(keras.beta_1, "ema")
    crossing = adam_on_parabola(0.1, steps=adam["steps"]).first_crossing(edge)[0]
    numbers = set(re.findall(r"\d+(?:\.\d+)?", adam["hint"]))  # whatever the words around them
    assert {f"{edge:g}", str(crossing)} <= numbers, adam["hint"]
    schedules = explorers(site, EXPLORER_PAGES["schedules"])["schedules"]
    assert schedules["warmup_start"] == schedules["peak"] / 10
    assert 0 < schedules["warmup"]["value"] < schedules["total"]


def test_the_case_studies_runs_leave_the_page_for_a_file_of_their_own(site):
    """The page's first visit stays light: the explorer fetches its runs when it is near."""
    html = (site / EXPLORER_PAGES["cases"]).read_text(encoding="utf-8")
    url = "../_explorer-data/adam--02-case-studies--cases.json"
    assert f'<script type="application/json" data-explorer-data="cases" data-src="{url}">' in html
    runs = json.loads((site / "adam" / url).read_text(encoding="utf-8"))
    assert list(runs["grids"]) == ["adam", "sgd", "plateau"]
    for name, rates in (("adam", RATES), ("sgd", RATES), ("plateau", PLATEAU_RATES)):
        grid = runs["grids"][name]
        np.testing.assert_array_equal(grid["rates"], rates)
        assert np.shape(grid["val_loss"]) == (len(rates), len(runs["seeds"]), EPOCHS)
    assert runs["grids"]["plateau"]["cuts"] is not None


def test_every_explorer_page_keeps_a_no_script_fallback(site):
    for path in EXPLORER_PAGES.values():
        html = (site / path).read_text(encoding="utf-8")
        assert re.search(r"<noscript>.*?figures on this page.*?</noscript>", html), path
        assert re.search(r'<svg[^>]*class="lrsim-figure"', html), path  # the static figures


class SvgText(HTMLParser):
    """Every piece of text a matplotlib SVG carries: <text> content and comments (matplotlib
    draws text as paths and keeps the string in a comment beside them)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._in_text = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_text += tag == "text"

    def handle_endtag(self, tag: str) -> None:
        self._in_text -= tag == "text"

    def handle_data(self, data: str) -> None:
        if self._in_text and data.strip():
            self.texts.append(data.strip())

    def handle_comment(self, data: str) -> None:
        self.texts.append(data.strip())


# _{ ^{ ^k and backslash commands, code such as sqrt( and log10, and a one-letter symbol with
# a TeX subscript (x_k, λ_max), which a code name such as val_loss is not.
TEX_MARKUP = re.compile(
    r"_\{|\^[{\w]|\\[A-Za-z]+|\bsqrt\(|\blog10\b|(?<![^\W\d_])[^\W\d_]_[^\W_]{1,3}\b"
)
# A hyphen-minus before a number, where a minus sign belongs ("x = -1"; not "1e-4" or "1-2").
HYPHEN_MINUS = re.compile(r"(?<![\w.)\]])-(?=\.?[0-9])")


def tex_markup(text: str) -> bool:
    """True if ``text`` shows TeX or code a reader should never see: ``_{``, ``^{``, ``^k``, a
    backslash command, ``sqrt(``, ``log10``, a hyphen for a minus sign, or an unmatched ``$``."""
    return bool(TEX_MARKUP.search(text) or HYPHEN_MINUS.search(text)) or text.count("$") % 2 == 1


def test_tex_markup_detector_flags_raw_tex_and_passes_plain_text():
    flagged = ["|x_{k+1}| / |x_k|", "10^{-6}", r"\eta", "costs $5", r"$\mathdefault{10}$"]
    flagged += ["|x_k|", "learning rate × λ_max", "x_0", "0.6^k", "basin edge sqrt(2/η)"]
    flagged += ["η = -0.1", "from x = -1 and", "(-5, -2)", "log10 |x₃₀|"]
    plain = ["|xₖ₊₁| / |xₖ|", "val_loss", "learning rate η", "log₁₀ |xₖ| (clipped to ±6)"]
    plain += ["learning_rate", "val_accuracy", "λₘₐₓ", "η = −0.1", "Adam 1e-4", "epochs 1-100"]
    plain += ["√(2/η)", "0.6ᵏ", "ReLU", "x-axis", "heavy-ball"]
    assert all(tex_markup(text) for text in flagged), [t for t in flagged if not tex_markup(t)]
    assert not any(tex_markup(text) for text in plain), [t for t in plain if tex_markup(t)]


INLINE_FIGURE = re.compile(r'<svg role="img"[^>]*>.*?</svg>', re.DOTALL)
CAPTION = re.compile(r"<figcaption>(.*?)</figcaption>", re.DOTALL)


def test_no_figure_shows_raw_tex(site, pages):
    """Nor does its caption or alt text: the figure's text is written as the prose writes it,
    with Unicode or MathML, and with true minus signs."""
    raw, figures = [], 0
    for page in (site / path for path in pages):
        html = page.read_text(encoding="utf-8")
        for figure in INLINE_FIGURE.findall(html):
            figures += 1
            parser = SvgText()
            parser.feed(figure)
            raw += [(page.name, text) for text in parser.texts if tex_markup(text)]
        collector = ImageCollector()
        collector.feed(html)
        alts = [image.get("alt") or "" for image in collector.images]
        raw += [(page.name, "alt", alt) for alt in alts if tex_markup(html_lib.unescape(alt))]
        for caption in CAPTION.findall(html):
            text = html_lib.unescape(
                re.sub(r"<math.*?</math>|<[^>]+>", " ", caption, flags=re.DOTALL)
            )
            raw += [(page.name, "caption", text)] if tex_markup(text) else []
    assert figures >= 23
    assert not raw


def test_every_figure_is_one_width(site, pages):
    """One width for all figures (lrsim.plotting.FIGURE_WIDTH): shown at its own size in the
    column, every figure's text has the size BOOK_STYLE gives it."""
    widths = {}
    for page in (site / path for path in pages):
        for figure in INLINE_FIGURE.findall(page.read_text(encoding="utf-8")):
            label = re.search(r'aria-label="([^"]{,40})', figure)
            widths[f"{page.name}: {label.group(1) if label else ''}"] = re.search(
                r'width="([^"]+)"', figure
            ).group(1)  # type: ignore[union-attr]
    assert len(widths) >= 23
    assert set(widths.values()) == {"504pt"}, widths


def test_every_title_names_the_page_and_the_book_once(site, pages):
    """Issue 13: the index's <title> was "Why learning rates diverge — Why learning rates diverge"."""
    book = "Why learning rates diverge"
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        title = html_lib.unescape(
            re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)
        ).strip()
        assert title.count(book) == 1, (path, title)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>\s*Why learning rates diverge\s*</title>", index)


def test_verification_lists_the_pages_in_reading_order(site):
    """Issue 13: it listed them in file order (adam before parabola)."""
    index = (site / "index.html").read_text(encoding="utf-8")
    toc = re.findall(r'class="reference internal" href="([^"#]+\.html)"', index)
    # The book opens with the index itself, which its own contents list does not link.
    reading = list(dict.fromkeys(["index.html", *(href.split("/")[-1] for href in toc)]))
    html = (site / "reference" / "verification.html").read_text(encoding="utf-8")
    listed = [
        href.split("/")[-1] for href in re.findall(r'On the page <a[^>]*href="([^"#]+)"', html)
    ]
    assert len(listed) >= 7
    assert listed == sorted(listed, key=reading.index)


def test_every_page_has_one_title_element(site, pages):
    """A "<title>" in a test's docstring reached the verification page as raw HTML: the
    browser read the rest of the page, scripts included, as a title, and the theme never ran."""
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        assert html.count("<title>") == 1, path


# A number as Python prints it, not as a reader writes it: e-notation (2e-07, 1.3e+146),
# a run of zeros that says nothing (38.000000000), or ten and more decimals.
RAW_NUMBER = re.compile(r"\d(?:\.\d+)?[eE][+−-]?\d+\b|\d\.\d*0{5}(?!\d)|\d?\.\d{10,}")


class ProseCollector(HTMLParser):
    """The article's text as a reader reads it: no code, no formulas, no scripts."""

    SKIPPED = frozenset({"code", "pre", "math", "script", "style", "svg"})

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._article = 0
        self._skipped = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._article += tag == "article"
        self._skipped += tag in self.SKIPPED

    def handle_endtag(self, tag: str) -> None:
        self._article -= tag == "article"
        self._skipped -= tag in self.SKIPPED and self._skipped > 0

    def handle_data(self, data: str) -> None:
        if self._article and not self._skipped:
            self.chunks.append(data)


def prose(html: str) -> str:
    collector = ProseCollector()
    collector.feed(html)
    return re.sub(r"\s+", " ", " ".join(collector.chunks))


DOCSTRING_PAGES = frozenset({"reference/api.html", "reference/verification.html"})
"""Pages whose text is lrsim's docstrings and the tests' names, shown as written."""


def test_no_page_shows_markdown_it_was_meant_to_render(site, pages):
    """Text glued as plain text showed its Markdown: the cross-check page printed
    "`nox -s crosscheck` re-runs" with its backticks while its record was older than lrsim."""
    leaks = {}
    for path in set(pages) - DOCSTRING_PAGES:
        text = prose((site / path).read_text(encoding="utf-8"))
        found = [text[max(0, m.start() - 30) : m.end() + 30] for m in re.finditer("`", text)]
        if found:
            leaks[path] = found
    assert leaks == {}


def raw_numbers(html: str) -> list[str]:
    text = prose(html)
    return [text[max(0, m.start() - 40) : m.end() + 10] for m in RAW_NUMBER.finditer(text)]


def test_raw_number_detector_flags_python_formatting_and_passes_typeset_numbers():
    article = "<article><p>{}</p><pre>lr = 1e-4</pre><code>Adam(1e-3)</code></article>"
    for raw in ("2e-07", "2e−07", "1.34e+146", "38.000000000", "1.3571428571"):
        assert raw_numbers(article.format(f"is {raw} here")), raw
    for typeset in ("2 × 10⁻⁷", "10⁻¹⁴", "−0.9000008", "0.10000", "38", "arXiv:2207.14484"):
        assert raw_numbers(article.format(f"is {typeset} here")) == [], typeset


def test_no_page_prints_a_number_in_python_notation(site, pages):
    """Issue 13: the prose showed '38.000000000' and '2e−07'. Code and formulas may use e-notation;
    so may the API and verification pages, whose text is lrsim's and the tests' docstrings."""
    found = {
        page: raw_numbers((site / page).read_text("utf-8"))
        for page in pages
        if page not in DOCSTRING_PAGES
    }
    assert len(found) >= 10
    assert {page: raw for page, raw in found.items() if raw} == {}


def test_the_reference_list_is_author_year_and_links_every_web_source(site):
    """Issue 13: citations read "(Kingma and Ba, 2015)" but the list was numbered [1], [2], ...,
    and the two blog posts the book corrects had no author, and no address."""
    from pybtex.database import parse_file

    bib = parse_file(ROOT / "docs" / "references.bib")
    html = (site / "reference" / "bibliography.html").read_text("utf-8")
    labels = re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">',
        html,
    )
    assert len(labels) == len(bib.entries)
    for label in labels:  # an author or organisation, then a year (or n.d.): never a number
        assert re.fullmatch(r"[^\W\d][^,]*, (\d{4}[a-z]?|n\.d\.)", label), label
    assert "prash24goel, n.d." in labels  # the Medium post: its author's handle, no date
    # Every web address, DOI and arXiv number is a link; every web page has an address, except
    # the one whose address the seed does not keep.
    no_address = {"seed_necessary"}
    hrefs = {html_lib.unescape(href) for href in re.findall(r'href="([^"]*)"', html)}
    for key, entry in bib.entries.items():
        links = [entry.fields.get("url")]
        links.append(entry.fields.get("doi") and f"https://doi.org/{entry.fields['doi']}")
        links.append(
            entry.fields.get("eprint") and f"https://arxiv.org/abs/{entry.fields['eprint']}"
        )
        links = [link for link in links if link]
        assert links or key in no_address, f"{key} has no address"
        for link in links:
            assert link in hrefs, link


def test_every_page_has_one_viewport_tag(site, pages):
    """Issue 13: Sphinx, docutils and the theme each wrote one."""
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        assert len(re.findall(r"<meta\s+name=\"viewport\"", html)) == 1, path


def test_the_math_font_has_every_character_of_every_formula(site, pages):
    """The subset is made from the built pages; this fails if the source font lacks one."""
    from fontTools.ttLib import TTFont

    font = TTFont(site / "_static" / "fonts" / "math.woff2")
    assert "MATH" in font  # stretchy brackets, big operators and script positions
    covered = set(map(chr, font.getBestCmap()))
    used: dict[str, str] = {}
    for path in pages:
        html = (site / path).read_text(encoding="utf-8")
        for formula in re.findall(r"<math\b[^>]*>(.*?)</math>", html, re.DOTALL):
            for character in html_lib.unescape(re.sub(r"<[^>]+>", "", formula)):
                used.setdefault(character, path)
    assert {"∑", "∫", "η", "′"} <= used.keys()
    assert {c: path for c, path in used.items() if c not in covered and not c.isspace()} == {}


def test_api_signatures_name_numpys_aliases_instead_of_expanding_them(site: Path) -> None:
    """ArrayLike is a union of about thirty types; spelled out in every signature it buried
    the parameters and made the API page the heaviest part of a clean build."""
    text = page_text(site / "reference" / "api.html")
    assert "iterate(eta:ArrayLike,x0:ArrayLike" in re.sub(r"\s+", "", text)
    assert "_SupportsArray" not in text
    assert "_NestedSequence" not in text
