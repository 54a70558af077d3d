"""What a reader takes away from the site: notebooks, the PDF, a citation, a link that previews.

Issue 17's machinery; ``conf.py`` only turns it on and sets the stock extensions
(sphinx-copybutton, sphinxext-opengraph, sphinx-sitemap, sphinx-notfound-page).

* **The site's address** comes from the environment, so that each publisher states its own:
  ``LRSIM_BASE_URL`` (the GitHub Pages workflow sets it), else Read the Docs'
  ``READTHEDOCS_CANONICAL_URL``, else the address of ``nox -s serve``. It is
  ``html_baseurl`` (canonical links, sitemap.xml), the OpenGraph site URL, and its path is
  where the 404 page finds the site's styles at any depth.
* **Notebooks.** Every executable page is written to ``_sources/<page>.ipynb`` beside its
  MyST source, with its outputs stripped: a reader runs it, the file stays small, and its
  bytes follow the source alone. The notebook runs with lrsim and a kernel only:
  ``from myst_nb import glue`` (the build's way of quoting numbers in the prose) becomes a
  stand-in that keeps the values in ``GLUED``. Cell ids are numbered, not random.
  ``tests/test_notebooks.py`` runs each in a clean environment.
* **Notebooks read as the page does.** Jupyter knows no MyST, so its roles and directives
  would show as raw text. Each becomes what the site shows: a glued number its value as the
  build computed it (the first cell says so; the cells recompute it), a cross-reference,
  equation or figure reference, or citation the site's words for it, linked to the site's
  page; a numbered equation keeps its number (``\\tag``); a code block a plain fence. The
  site's rendering is read from the built page, and a role the page does not render the same
  number of times is a build warning (an error under ``-W``), never a raw role.
* **The download menu** of the book theme offers the notebook, the source and, in place of
  the browser's "print this page", the whole book as a PDF (``nox -s pdf`` puts it at
  :data:`PDF_NAME` in the site's root).
* **Cite this book.** ``{cite-this-book}`` renders a BibTeX entry made from ``CITATION.cff``.
* **The build's commit and date** close the footer: the commit of the checkout and the day of
  ``SOURCE_DATE_EPOCH`` (the commit's time, set by ``lrsim_build``), never the clock's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from docutils import nodes
from lrsim_build import git  # docs/_ext is on the path of every extension
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
CITATION = ROOT / "CITATION.cff"
PDF_NAME = "why-learning-rates-diverge.pdf"
LOCAL_BASE_URL = "http://127.0.0.1:8000/"  # nox -s serve
logger = logging.getLogger(__name__)
GLUE_IMPORT = "from myst_nb import glue"
GLUE_STAND_IN = '''\
GLUED = {}


def glue(name, value, display=True):
    """Stand-in for myst_nb.glue: the site quotes `name` in its prose; here it is GLUED[name]."""
    GLUED[name] = value
    if display:
        from IPython.display import display as show

        show(value)'''


def published() -> str | None:
    """The address a publisher gave the site, if any."""
    return os.environ.get("LRSIM_BASE_URL") or os.environ.get("READTHEDOCS_CANONICAL_URL")


def base_url() -> str:
    """The site's root address, ending in "/": the publisher's, else ``nox -s serve``'s."""
    return (published() or LOCAL_BASE_URL).rstrip("/") + "/"


def build_stamp() -> str:
    """'Built from commit abc1234 of 2 December 2026.': the checkout's, not the clock's."""
    commit = git("rev-parse", "--short=10", "HEAD") or "unknown"
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    day = time.strftime("%-d %B %Y", time.gmtime(epoch))
    return f"Built from commit <code>{commit}</code> of {day}."


def configure(app: Sphinx, config: Config) -> None:
    url = base_url()
    config.html_baseurl = url
    config.ogp_site_url = url
    config.notfound_urls_prefix = urlsplit(url).path
    stamp = f'<p class="lrsim-build-stamp">{build_stamp()}</p>'
    config.html_theme_options = {**config.html_theme_options, "extra_footer": stamp}


def is_notebook(source: str) -> bool:
    """A MyST notebook: a jupytext header with a kernel, and code cells."""
    return source.startswith("---") and "kernelspec:" in source and "```{code-cell}" in source


def companions(source: str, folder: Path) -> list[str]:
    """Files beside the page that its code opens (``Path("crosscheck.json")``)."""
    named = re.findall(r'Path\("([\w.-]+)"\)', source)
    return sorted({name for name in named if (folder / name).is_file()})


# How the site renders each role the pages' prose uses, in the built page's HTML.
RENDERED = {
    "glue:text": r'<span class="pasted-text">(?P<text>.*?)</span>',
    "ref": r'<a class="reference internal" href="(?P<href>[^"]*)"><span class="std std-ref">'
    r"(?P<text>.*?)</span></a>",
    "numref": r'<a class="reference internal" href="(?P<href>[^"]*)"><span class="std '
    r'std-numref">(?P<text>.*?)</span></a>',
    "eq": r'<a class="reference internal" href="(?P<href>[^"]*#equation-[^"]*)">(?P<text>.*?)</a>',
    "cite:p": r'(?P<open>\[)<a class="reference internal" href="(?P<href>[^"]*bibliography'
    r'\.html#[^"]*)"[^>]*>(?P<text>.*?)</a>\]',
}
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`")
DIRECTIVE = re.compile(
    r"^```\{(?P<name>[\w-]+)\}(?P<argument>.*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL
)
NUMBERED = re.compile(
    r"^\$\$\n(?P<math>.*?)\n\$\$ \((?P<label>[\w-]+)\)$", re.MULTILINE | re.DOTALL
)
BUILT_NOTE = (
    "*This notebook is a page of the book [{title}]({url}). Numbers quoted in its text are the "
    "ones computed when the book was built; the code cells below compute them again.*"
)


class PageRendering:
    """What the built page shows for each role of its source, in order: a reference's words and
    link, a glued number's text, an equation's number."""

    def __init__(self, app: Sphinx, docname: str) -> None:
        import html as entities

        self.url = base_url() + f"{docname}.html"
        page = (Path(app.outdir) / f"{docname}.html").read_text(encoding="utf-8")
        article = page[page.index('<article class="bd-article">') : page.index("</article>")]
        self.rendered = {
            role: [
                (
                    entities.unescape(re.sub(r"<[^>]+>", "", match["text"])),
                    match.groupdict().get("href"),
                )
                for match in re.finditer(pattern, article, re.DOTALL)
            ]
            for role, pattern in RENDERED.items()
        }
        self.numbers = dict(
            re.findall(r'id="equation-([\w-]+)">\s*<span class="eqno">\((\d+)\)', article)
        )
        glue = Path(app.env.mystnb_config.output_folder) / f"{docname}.glue.json"
        data = json.loads(glue.read_text(encoding="utf-8")) if glue.is_file() else {}
        self.markdown = {key: value["data"].get("text/markdown") for key, value in data.items()}

    def link(self, text: str, href: str | None) -> str:
        return f"[{text}]({urljoin(self.url, href)})" if href else text

    def role(self, match: re.Match[str], seen: dict[str, int]) -> str:
        role, content = match["role"], match["content"]
        if role == "glue:md" and self.markdown.get(content):
            return str(self.markdown[content])
        rendered = self.rendered.get(role, [])
        index = seen[role] = seen.get(role, -1) + 1
        if index >= len(rendered):
            raise ValueError(f"{{{role}}}`{content}` has no rendering on the site's page")
        text, href = rendered[index]
        return f"[{self.link(text, href)}]" if role == "cite:p" else self.link(text, href)

    def check(self, seen: dict[str, int]) -> None:
        for role, rendered in self.rendered.items():
            used = seen.get(role, -1) + 1
            if used != len(rendered):
                raise ValueError(f"{{{role}}}: {len(rendered)} on the site's page, {used} here")


def plain_markdown(text: str, page: PageRendering, seen: dict[str, int]) -> str:
    """A Markdown cell's MyST as plain Markdown, as the site renders it (module docstring)."""

    def directive(match: re.Match[str]) -> str:
        name, argument, body = match["name"], match["argument"].strip(), match["body"]
        if name == "code-block":
            return f"```{argument}\n{body}```"
        if name == "cite-this-book":
            citation = yaml.safe_load(CITATION.read_text(encoding="utf-8"))
            return f"```bibtex\n{bibtex_entry(citation)}\n```"
        if name == "toctree":
            return f"The book's pages: [{page.url}]({page.url})."
        raise ValueError(f"no plain Markdown for the directive {name!r}")

    text = re.sub(r"^\([\w-]+\)=\n", "", text, flags=re.MULTILINE)  # MyST's label targets
    text = NUMBERED.sub(
        lambda match: f"$$\n{match['math']} \\tag{{{page.numbers[match['label']]}}}\n$$", text
    )
    text = DIRECTIVE.sub(directive, text)
    return ROLE.sub(lambda match: page.role(match, seen), text)


def notebook_json(source: str, path: Path, page: PageRendering) -> str:
    """The page as an .ipynb (nbformat 4, no outputs), runnable with lrsim and a kernel, with
    the files it reads (its companions) beside it, and its Markdown as the site renders it."""
    import nbformat
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(source, path=path)
    notebook.metadata.pop("jupytext", None)
    files = companions(source, path.parent)
    if files:
        notebook.metadata["lrsim"] = {"companions": files}
        listed = ", ".join(f"`{name}`" for name in files)
        notebook.cells.insert(0, nbformat.v4.new_markdown_cell(
            f"This notebook reads {listed}: download it from the same folder of the site as "
            "this notebook and keep it beside the notebook."
        ))  # fmt: skip
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace(GLUE_IMPORT, GLUE_STAND_IN)
        else:
            cell.source = plain_markdown(cell.source, page, seen)
    page.check(seen)
    title = next(line[2:] for line in source.splitlines() if line.startswith("# "))
    notebook.cells.insert(
        0, nbformat.v4.new_markdown_cell(BUILT_NOTE.format(title=title, url=page.url))
    )
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def find_notebooks(app: Sphinx, env: Any) -> None:
    """Note every executable page (docname: source path) once the sources are read."""
    found = {}
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and is_notebook(path.read_text(encoding="utf-8")):
            found[docname] = path
    app.lrsim_notebooks = found  # type: ignore[attr-defined]


def notebook_pages(app: Sphinx) -> dict[str, Path]:
    return getattr(app, "lrsim_notebooks", {})


def write_notebooks(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    for docname, path in notebook_pages(app).items():
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        source = path.read_text(encoding="utf-8")
        # A notebook is made from its page's source, its companions and its built HTML (the
        # glued values, the numbers), and Sphinx rewrites the HTML whenever what it shows
        # changes: a notebook newer than all of them is already up to date. Remaking the
        # ten of them took a tenth of every prose edit's rebuild.
        files = [path.parent / name for name in companions(source, path.parent)]
        inputs = [path, Path(app.outdir) / f"{docname}.html", *files]
        newest = max(item.stat().st_mtime_ns for item in inputs)
        if target.is_file() and target.stat().st_mtime_ns > newest:
            continue
        try:
            notebook = notebook_json(source, path, PageRendering(app, docname))
        except ValueError as problem:
            logger.warning("notebook of %s: %s", docname, problem)
            continue
        target.write_text(notebook, "utf-8")
        for file in files:
            shutil.copyfile(file, target.parent / file.name)


def single_page_anchors(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """In the single-page build (the PDF's source), a link to another page's section, figure or
    equation is "#document-<page>#<id>": Sphinx 9 joins the page's anchor and the target's
    (its singlehtml builder stopped repairing them), and Chromium then links nowhere. On one
    page the target's own id is the whole address."""
    if app.builder.name != "singlehtml":
        return
    for reference in doctree.findall(nodes.reference):
        double = re.fullmatch(r"#document-[^#]*(#.+)", reference.get("refuri", ""))
        if double:
            reference["refuri"] = double[1]


def settle_site_files(app: Sphinx, exception: Exception | None) -> None:
    """sitemap.xml in page order (sphinx-sitemap lists pages in the order parallel writers
    finished them), and no CNAME naming a local address (sphinx.ext.githubpages writes one for
    any html_baseurl that is not on github.io)."""
    if exception is not None or app.builder.name != "html":
        return
    sitemap = Path(app.outdir) / "sitemap.xml"
    if sitemap.is_file():
        text = sitemap.read_text(encoding="utf-8")
        urls = sorted(re.findall(r"<url>.*?</url>", text))
        start, end = text.index("<url>"), text.rindex("</url>") + len("</url>")
        sitemap.write_text(text[:start] + "".join(urls) + text[end:], encoding="utf-8")
    if not published():
        (Path(app.outdir) / "CNAME").unlink(missing_ok=True)


SUPERSCRIPTS = str.maketrans("0123456789+-−()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾ⁿ")
SUBSCRIPTS = str.maketrans("0123456789+-−()k", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎ₖ")
SPACED = {"=", "<", ">", "≤", "≥", "≈", "≠", "→", "∈"}


def plain_math(latex: str) -> str:
    r"""A formula as plain text, for a page's description, which cannot hold MathML.

    >>> plain_math(r"y = x^2"), plain_math(r"2/\lambda_{\max}"), plain_math(r"\eta < 2/L")
    ('y = x²', '2/λ_max', 'η < 2/L')
    """
    from xml.etree import ElementTree

    from latex2mathml.converter import convert

    def text(element: ElementTree.Element) -> str:
        tag = element.tag.rsplit("}", 1)[-1]
        parts = [text(child) for child in element]
        if tag in {"msup", "msub"} and len(parts) == 2:
            table, mark = (SUPERSCRIPTS, "^") if tag == "msup" else (SUBSCRIPTS, "_")
            small = parts[1].translate(table)
            if all(ord(c) in table for c in parts[1]):
                return parts[0] + small
            return (
                parts[0]
                + mark
                + (parts[1] if len(parts[1]) == 1 or mark == "_" else f"({parts[1]})")
            )
        if tag == "mfrac" and len(parts) == 2:
            return "/".join(parts)
        if tag == "msqrt":
            return "√" + "".join(parts)
        own = (element.text or "").strip()
        if tag == "mo" and own in SPACED:
            return f" {own} "
        return own + "".join(parts)

    return re.sub(r" +", " ", text(ElementTree.fromstring(convert(latex)))).strip()


def plain_math_for_descriptions(app: Sphinx, pagename: str, templatename: str,
                                context: dict[str, Any], doctree: Any) -> None:  # fmt: skip
    """Before sphinxext-opengraph reads the first paragraph (the body is already written):
    formulas become plain text, not LaTeX source."""
    if doctree is None:
        return
    for node in list(doctree.findall(nodes.math)):
        node.replace_self(nodes.Text(plain_math(node.astext())))


def root_links_on_404(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:  # fmt: skip
    """The 404 page is served at any depth: its text's links start from the site's root path
    (sphinx-notfound-page does this for the theme's links and files, not for the text)."""
    if pagename == app.config.notfound_pagename and "body" in context:
        prefix = app.config.notfound_urls_prefix
        context["body"] = re.sub(
            r'href="(?![a-z]+:|#|/)([^"]+)"', rf'href="{prefix}\1"', context["body"]
        )


def empty_toctree_on_404(app: Sphinx, pagename: str, templatename: str,
                         context: dict[str, Any], doctree: Any) -> None:  # fmt: skip
    """sphinx-notfound-page's toctree() gives None for a book without a toctree, where Sphinx
    gives "" and pydata-sphinx-theme needs a string (after notfound's 400, before the theme)."""
    if pagename == app.config.notfound_pagename and "toctree" in context:
        toctree = context["toctree"]
        context["toctree"] = lambda *args, **kwargs: toctree(*args, **kwargs) or ""


def download_menu(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                  doctree: Any) -> None:  # fmt: skip
    """The theme's download menu: notebook (executable pages), source, and the book's PDF."""
    pathto = context["pathto"]
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"] if b.get("label") == "download-source-button"]
        if pagename in notebook_pages(app):
            buttons.insert(0, {
                "type": "link",
                "url": f"{pathto('_sources', 1)}/{pagename}.ipynb",
                "text": ".ipynb",
                "tooltip": "Download this page as a Jupyter notebook",
                "icon": "fas fa-code",
                "label": "download-notebook-button",
            })  # fmt: skip
        buttons.append({
            "type": "link",
            "url": pathto(PDF_NAME, 1),
            "text": "Book (PDF)",
            "tooltip": "Download the whole book as a PDF",
            "icon": "fas fa-file-pdf",
            "label": "download-book-pdf-button",
        })  # fmt: skip
        group["buttons"] = buttons


def bibtex_entry(citation: dict[str, Any]) -> str:
    """A BibTeX entry from a CITATION.cff: its preferred citation if it has one.

    >>> print(bibtex_entry({"title": "lrsim", "version": "0.1.0", "preferred-citation": {
    ...     "type": "book", "title": "Why it diverges", "year": 2026,
    ...     "authors": [{"name": "The A team"}, {"family-names": "Doe", "given-names": "J."}]}}))
    @book{why_2026,
      title     = {Why it diverges},
      author    = {{The A team} and Doe, J.},
      year      = {2026},
      version   = {0.1.0},
    }
    """
    work = citation.get("preferred-citation", citation)

    def person(author: dict[str, str]) -> str:
        if "name" in author:  # an entity: braces keep BibTeX from splitting it into names
            return "{" + author["name"] + "}"
        return f"{author['family-names']}, {author['given-names']}"

    year = str(work.get("year") or work.get("date-released") or citation["date-released"])[:4]
    key = re.sub(r"\W+", "_", work["title"].split()[0].lower()) + f"_{year}"
    fields = {
        "title": work["title"],
        "author": " and ".join(person(author) for author in work["authors"]),
        "year": year,
        "version": citation.get("version"),
        "url": work.get("url") or citation.get("url"),
    }
    lines = [f"  {name:<9} = {{{value}}}," for name, value in fields.items() if value]
    kind = "book" if work.get("type") == "book" else "software"
    return "\n".join([f"@{kind}{{{key},", *lines, "}"])


class CiteThisBook(SphinxDirective):
    """The BibTeX entry of CITATION.cff, as a code block readers can copy."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(CITATION))
        citation = yaml.safe_load(CITATION.read_text(encoding="utf-8"))
        if published():  # a local build's address would mislead a reader who cites it
            citation.setdefault("url", base_url())
        entry = bibtex_entry(citation)
        block = nodes.literal_block(entry, entry, language="bibtex")
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", configure)
    # After the book theme has made its menu (priority 500).
    app.connect("html-page-context", download_menu, priority=600)
    app.connect("html-page-context", plain_math_for_descriptions, priority=400)
    app.connect("html-page-context", root_links_on_404)
    app.connect("html-page-context", empty_toctree_on_404, priority=450)
    app.connect("env-updated", find_notebooks)
    app.connect("doctree-resolved", single_page_anchors)
    app.connect("build-finished", write_notebooks)
    app.connect("build-finished", settle_site_files, priority=900)  # after the extensions'

    app.add_directive("cite-this-book", CiteThisBook)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
