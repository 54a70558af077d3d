"""Sphinx configuration of the book *Why learning rates diverge*: settings only.

Build it with ``nox -s docs`` (warnings are errors). Pages are MyST-Markdown notebooks executed
by MyST-NB against the installed ``lrsim``. How their execution is made reproducible, parallel
and cached on what the pages read is the extension ``docs/_ext/lrsim_build.py``.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))


project = "Why learning rates diverge"
author = "The lrsim authors"
copyright = "2026, the lrsim authors"
release = version("lrsim")
version = release

extensions = [
    "lrsim_build",  # docs/_ext: reproducible, parallel, cached execution (see its docstring)
    "myst_nb",
    "mathml",
    "math_font",  # docs/_ext: the math font, subset to the characters the pages' math uses
    "minus_signs",  # docs/_ext: glued negative numbers get a true minus sign
    "table_tokens",  # docs/_ext: tokens such as 2/η or 0.9–1.2 stay on one line in tables
    "theme_figures",  # docs/_ext: figures drawn inline in the colours of the reader's theme
    "explorers",  # docs/_ext: a page with an explorer loads its scripts, no other page does
    "explorer_data",  # docs/_ext: an explorer's bulk data in a file, fetched when needed
    "sphinx.ext.githubpages",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "author_year",  # docs/_ext: an author–year reference list, like the citations
    "sphinxcontrib.bibtex",
    "bibliography_roles",  # docs/_ext: list items in the reference list, as ARIA requires
    "lrsim_reference",  # docs/_ext: the Reference pages generated at build time
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]  # layout.html: the root page's <title> without a repeat
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
language = "en"

# --- MyST ---------------------------------------------------------------------------------
myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# --- API reference and citations -----------------------------------------------------------
# lrsim's docstrings are NumPy style; napoleon renders them. "Attributes" sections become
# :ivar: fields instead of attribute directives, which would duplicate autodoc's own entries.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# Signatures name NumPy's aliases instead of spelling them out: ArrayLike is a union of some
# thirty types, and expanded in every signature it made the API page a 3 MB doctree that cost
# a clean build 3.5 s.
autodoc_type_aliases = {
    name: f"numpy.typing.{name}" for name in ("ArrayLike", "NDArray", "DTypeLike")
}
autodoc_default_options = {"exclude-members": "__init__, __new__"}
# The module index adds a page of '-'/'+' toggle icons without alt text and nothing the
# API page's contents list does not already give.
html_domain_indices = False
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
bibtex_default_style = "authoryear"  # docs/_ext/author_year.py

# --- Execution: every page runs at build time; any error or stderr output fails the build ---
nb_execution_mode = "cache"
# nb_execution_cache_path is build/jupyter_cache, where lrsim_build gives every page a folder
# named after the lrsim modules and files it reads.
nb_execution_excludepatterns: list[str] = []
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 300
nb_output_stderr = "error"
nb_merge_streams = False
# Tables that cells display as Markdown need MyST (CommonMark has no tables).
nb_render_markdown_format = "myst"

# --- HTML -----------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Why learning rates diverge"
html_static_path = ["_static"]
# Math is MathML rendered at build time (docs/_ext/mathml.py): no MathJax, no CDN.
html_math_renderer = "mathml"
# icons.css: the theme's icons without Font Awesome's script (docs/_templates/layout.html).
html_css_files = ["lrsim.css", "icons.css"]
# Search ranks a page whose title holds the query first, and quotes only the article text.
# Absolute: Sphinx opens this path from the working directory, not from conf.py's folder.
html_search_scorer = str(DOCS / "_ext" / "search_scorer.js")
html_favicon = "_static/favicon.svg"
html_js_files = [
    # The themes wire only the first of their two menu buttons (docs/_static/sidebar-toggles.js).
    ("sidebar-toggles.js", {"defer": "defer"}),
    # Wide tables: a scroll cue, a tab stop and a name (docs/_static/tables.js).
    ("tables.js", {"defer": "defer"}),
]
html_last_updated_fmt = None
html_copy_source = False
html_show_sourcelink = False
# Without a default the theme logs "Got invalid theme mode" as a console error on first visit.
html_context = {"default_mode": "auto"}
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}

# --- Issue 17: take the book away (notebooks, PDF, citation, previews, 404, copy buttons) ---
# The machinery is docs/_ext/takeaway.py; it also sets html_baseurl, ogp_site_url and
# notfound_urls_prefix from LRSIM_BASE_URL (or Read the Docs' canonical URL) and the footer.
extensions += [
    "takeaway",
    "sphinx_copybutton",
    "sphinxext.opengraph",
    "sphinx_sitemap",
    "notfound.extension",
]
# The download menu: the page's MyST source (and, from takeaway, its notebook and the PDF).
html_copy_source = True
html_theme_options |= {"use_download_button": True, "navigation_with_keys": True}
# Copy code only: no prompts ($, >>>, ...) and no doctest output lines.
copybutton_exclude = ".linenos, .gp, .go"
# "Figure 3" numbers, continuous through the book, and {numref} references to them.
numfig = True
numfig_secnum_depth = 0
numfig_format = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s"}
# OpenGraph/Twitter tags: a description from each page's first paragraph and a preview card
# drawn at build time (sphinxext-opengraph's social cards). Their mark is the favicon as a PNG
# (the cards take no SVG); a path relative to docs/, because it is part of each card's name.
ogp_site_name = project
ogp_social_cards = {"line_color": "#D55E00", "image_mini": "_static/preview-mark.png"}
# sitemap.xml lists pages at their plain URLs (no language or version folders).
sitemap_url_scheme = "{link}"
sitemap_excludes = ["404.html", "search.html", "genindex.html"]
