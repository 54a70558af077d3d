"""Sphinx configuration of the book *Why learning rates diverge*.

Build it with ``nox -s docs`` (warnings are errors). Pages are MyST-Markdown notebooks executed
by MyST-NB against the installed ``lrsim``; their outputs are cached, and the cache is keyed on
a digest of lrsim's source and of the cross-check record, so that a change to either
re-executes every page.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

import jupyter_client
from jupyter_client.manager import AsyncKernelManager

import lrsim

DOCS = Path(__file__).parent
BUILD = DOCS.parent / "build"

# A stray MPLBACKEND makes matplotlib-inline drop every figure while the build still passes;
# the kernels inherit this process's environment.
os.environ.pop("MPLBACKEND", None)
sys.path.insert(0, str(DOCS / "_ext"))


def commit_time() -> str:
    """Seconds since the epoch of the checked-out commit; a fixed date outside a git clone."""
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=DOCS,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "1767225600"  # 2026-01-01
    return result.stdout.strip() or "1767225600"


class UnixSocketKernelManager(AsyncKernelManager):
    """Kernels that talk to the build over Unix sockets at absolute, unique paths.

    With -j, the reading processes start kernels at the same time, and each picks "free" TCP
    ports on its own: two kernels could be handed the same port ("Address already in use"),
    which failed one of the ~50 parallel builds made while adopting -j. Socket files named
    after a fresh UUID cannot collide, and absolute paths work in any page's folder.
    """

    def _transport_default(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"lrsim-kernel-{uuid.uuid4().hex}")


# Nothing in MyST-NB or jupyter-cache passes configuration down to nbclient, whose default
# kernel manager is whatever jupyter_client.AsyncKernelManager is when a page executes.
jupyter_client.AsyncKernelManager = UnixSocketKernelManager

# An IPython directory of their own (under build/), so that no user startup file runs in a
# build and changes what the pages print.
os.environ["IPYTHONDIR"] = str(BUILD / "ipython")

# Same commit, same bytes: matplotlib stamps SVGs with this date instead of the clock's, and
# the kernels inherit it.
os.environ.setdefault("SOURCE_DATE_EPOCH", commit_time())


project = "Why learning rates diverge"
author = "The lrsim authors"
copyright = "2026, the lrsim authors"
release = version("lrsim")
version = release

extensions = [
    "myst_nb",
    "mathml",
    "math_font",  # docs/_ext: the math font, subset to the characters the pages' math uses
    "minus_signs",  # docs/_ext: glued negative numbers get a true minus sign
    "table_tokens",  # docs/_ext: tokens such as 2/η or 0.9–1.2 stay on one line in tables
    "theme_figures",  # docs/_ext: figures drawn inline in the colours of the reader's theme
    "sphinx.ext.githubpages",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "author_year",  # docs/_ext: an author–year reference list, like the citations
    "sphinxcontrib.bibtex",
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
autodoc_default_options = {"exclude-members": "__init__, __new__"}
# The module index adds a page of '-'/'+' toggle icons without alt text and nothing the
# API page's contents list does not already give.
html_domain_indices = False
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
bibtex_default_style = "authoryear"  # docs/_ext/author_year.py

# --- Execution: every page runs at build time; any error or stderr output fails the build ---
# The cross-check record (written by `nox -s crosscheck -- record`) is read by a page, so it
# counts as a source of the pages like lrsim's own files.
CROSSCHECK_RECORD = DOCS / "reference" / "crosscheck.json"
RECORD_BYTES = CROSSCHECK_RECORD.read_bytes() if CROSSCHECK_RECORD.exists() else b""
LRSIM_SOURCE_DIGEST = hashlib.sha256(lrsim.source_digest().encode() + RECORD_BYTES).hexdigest()[:16]
nb_execution_mode = "cache"
# The stock cache hashes only the code cells; keying its folder on lrsim's source and the
# record makes a change in src/ or in the record re-execute every page.
nb_execution_cache_path = str(BUILD / "jupyter_cache" / LRSIM_SOURCE_DIGEST)
lrsim_source_digest = LRSIM_SOURCE_DIGEST
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
    ("eta-explorer.js", {"defer": "defer"}),
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


def setup(app):  # type: ignore[no-untyped-def]
    # A config value that changes with lrsim's source: Sphinx re-reads every page when it
    # changes, even if no page's text did.
    app.add_config_value("lrsim_source_digest", LRSIM_SOURCE_DIGEST, "env")
    app.connect("builder-inited", create_execution_cache)


def create_execution_cache(app) -> None:  # type: ignore[no-untyped-def]
    """Create the execution cache's database before the parallel readers (-j) start.

    Each reading process would otherwise find no database and create its tables at the same
    time as another ("table settings already exists").
    """
    from jupyter_cache import get_cache

    get_cache(app.config.nb_execution_cache_path).db  # noqa: B018 (creates the tables)
