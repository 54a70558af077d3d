"""How the book is built, beyond Sphinx's settings: reproducible, cached and parallel execution.

``conf.py`` holds settings; this extension holds the machinery they need.

* **Reproducible kernels.** Every page runs in a fresh kernel that inherits this process's
  environment. ``SOURCE_DATE_EPOCH`` is set to the checked-out commit's time, so that
  matplotlib stamps the SVGs with it instead of the clock's. ``IPYTHONDIR`` points into
  ``build/`` so that no user startup file runs in a build. A stray ``MPLBACKEND`` is removed,
  because it makes matplotlib-inline drop every figure while the build still passes.
* **Parallel kernels that cannot collide.** With ``-j`` the reading processes start kernels at
  the same time, and each picks "free" TCP ports on its own: two kernels could be handed the
  same port ("Address already in use"). :class:`UnixSocketKernelManager` talks to kernels over
  Unix sockets named after a fresh UUID. Nothing in MyST-NB or jupyter-cache passes settings
  down to nbclient, whose kernel manager is whatever ``jupyter_client.AsyncKernelManager`` is
  when a page executes: this extension replaces it.
* **An execution cache keyed on what the pages read.** MyST-NB's cache hashes a page's code
  cells only. The cache folder is named after a digest of lrsim's source and of the cross-check
  record (which a page reads), so that a change to either re-executes every page; the same
  digest is the config value ``lrsim_source_digest``, so that Sphinx re-reads every page too.
  A ``-D nb_execution_cache_path=...`` on the command line (as the build benchmark passes) is
  kept. The cache's database is created before the parallel readers start, since each would
  otherwise create its tables at the same time as another ("table settings already exists").
* **Extensions as inputs.** The config value ``lrsim_extensions_digest`` follows every file in
  ``docs/_ext``, so that a change in how pages are transformed reaches every page without a
  clean build.

:func:`digest` is the one way the build names its inputs; the other extensions use it too.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import jupyter_client
from jupyter_client.manager import AsyncKernelManager
from sphinx.application import Sphinx
from sphinx.config import Config

import lrsim

DOCS = Path(__file__).resolve().parents[1]
BUILD = DOCS.parent / "build"
EXTENSIONS = DOCS / "_ext"
CROSSCHECK_RECORD = DOCS / "reference" / "crosscheck.json"
UNDATED = "1767225600"  # 2026-01-01, for a build outside a git clone


def digest(*inputs: bytes | str | Path) -> str:
    """Return 16 hex digits of SHA-256 over the inputs: bytes, text, or a file's path and bytes.

    A path that does not exist counts as its name alone, so that creating it changes the digest.
    """
    hashed = hashlib.sha256()
    for item in inputs:
        if isinstance(item, Path):
            hashed.update(item.as_posix().encode())
            hashed.update(item.read_bytes() if item.is_file() else b"")
        else:
            hashed.update(item.encode() if isinstance(item, str) else item)
    return hashed.hexdigest()[:16]


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
        return UNDATED
    return result.stdout.strip() or UNDATED


class UnixSocketKernelManager(AsyncKernelManager):
    """Kernels that talk to the build over Unix sockets at absolute, unique paths.

    Socket files named after a fresh UUID cannot collide, and absolute paths work in any
    page's folder. Two kernels given the same TCP port failed one of the ~50 parallel builds
    made while adopting -j.
    """

    def _transport_default(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"lrsim-kernel-{uuid.uuid4().hex}")


def key_execution_cache(app: Sphinx, config: Config) -> None:
    config.lrsim_source_digest = digest(lrsim.source_digest(), CROSSCHECK_RECORD)
    if "nb_execution_cache_path" not in config.overrides:
        config.nb_execution_cache_path = str(BUILD / "jupyter_cache" / config.lrsim_source_digest)


def create_execution_cache(app: Sphinx) -> None:
    from jupyter_cache import get_cache

    get_cache(app.config.nb_execution_cache_path).db  # noqa: B018 (creates the tables)


def setup(app: Sphinx) -> dict[str, Any]:
    os.environ.pop("MPLBACKEND", None)
    os.environ["IPYTHONDIR"] = str(BUILD / "ipython")
    os.environ.setdefault("SOURCE_DATE_EPOCH", commit_time())
    jupyter_client.AsyncKernelManager = UnixSocketKernelManager  # type: ignore[misc]
    # Sphinx re-reads every page when an "env" config value changes, even if no page did.
    app.add_config_value("lrsim_source_digest", "", "env")
    app.add_config_value("lrsim_extensions_digest", digest(*sorted(EXTENSIONS.glob("*.*"))), "env")
    app.connect("config-inited", key_execution_cache)
    app.connect("builder-inited", create_execution_cache)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
