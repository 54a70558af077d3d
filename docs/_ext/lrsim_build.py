"""How the book is built, beyond Sphinx's settings: reproducible, cached and parallel execution.

``conf.py`` holds settings; this extension holds the machinery they need.

* **Reproducible kernels.** Every page runs in a fresh kernel that inherits this process's
  environment. ``SOURCE_DATE_EPOCH`` is set to the checked-out commit's time, so that
  matplotlib stamps the SVGs with it instead of the clock's. ``IPYTHONDIR`` points into
  ``build/`` so that no user startup file runs in a build. A stray ``MPLBACKEND`` is removed,
  because it makes matplotlib-inline drop every figure while the build still passes.
* **Kernels that start and stop fast.** Each page still gets a fresh kernel, started without
  IPython's history database and stopped at once (not gracefully) when its outputs are in:
  together about a third of a second per page.
* **Parallel kernels that cannot collide.** With ``-j`` the reading processes start kernels at
  the same time, and each picks "free" TCP ports on its own: two kernels could be handed the
  same port ("Address already in use"). :class:`UnixSocketKernelManager` talks to kernels over
  Unix sockets named after a fresh UUID. Nothing in MyST-NB or jupyter-cache passes settings
  down to nbclient, whose kernel manager is whatever ``jupyter_client.AsyncKernelManager`` is
  when a page executes: this extension replaces it.
* **An execution cache keyed on what each page reads.** MyST-NB's cache hashes a page's code
  cells only. Each page gets a cache folder of its own, ``<cache>/<docname>/<key>``, where the
  key is a digest of the lrsim modules the page imports, closed over lrsim's own imports (read
  with :mod:`ast`, nothing executed), and of the files its code names (the cross-check record),
  so that an edit of ``schedules.py`` re-executes the pages that use schedules and no other.
  The same files are the page's Sphinx dependencies (``env.note_dependency``): Sphinx re-reads
  exactly the pages whose inputs changed. ``import lrsim`` (the whole namespace) or a name
  taken from ``lrsim`` itself (``source_digest`` reads every file) counts as all of lrsim. A
  ``-D nb_execution_cache_path=...`` on the command line (as the build benchmark passes) is
  kept as the folder the pages' folders go in. One folder per page also means one reading
  process per cache database, so parallel readers never create the same tables at once.
* **Readers that finish together, writers on every core.** :func:`balance_reading` orders the
  pages for Sphinx's reading processes from the pages' measured reading times
  (``reading_seconds.json``); :func:`write_on_every_core` gives the writing twice as many
  processes as the reading, where Sphinx would keep one back.
* **Extensions as inputs.** The config value ``lrsim_extensions_digest`` follows every file in
  ``docs/_ext``, so that a change in how pages are transformed reaches every page without a
  clean build.

:func:`digest` is the one way the build names its inputs; the other extensions use it too.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path
from queue import Empty
from typing import Any

import jinja2
import jupyter_client
import warm_kernels
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from myst_nb.core.read import create_nb_reader
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util.parallel import make_chunks
from traitlets import default

import lrsim

DOCS = Path(__file__).resolve().parents[1]
BUILD = DOCS.parent / "build"
EXTENSIONS = DOCS / "_ext"
EXECUTION_CACHE = BUILD / "jupyter_cache"  # MyST-NB's, unless -D nb_execution_cache_path=...
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


def git(*arguments: str) -> str:
    """What ``git <arguments>`` prints in the project, stripped; "" outside a git clone."""
    try:
        result = subprocess.run(
            ["git", *arguments], cwd=DOCS, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return result.stdout.strip()


def commit_time() -> str:
    """Seconds since the epoch of the checked-out commit; a fixed date outside a git clone."""
    return git("log", "-1", "--format=%ct") or UNDATED


class GreetedKernelClient(AsyncKernelClient):
    """A client that knows a kernel is ready when it has greeted it and answered ``kernel_info``.

    ipykernel greets every new IOPub subscriber (``iopub_welcome``); after the greeting, no
    IOPub message is lost. The stock wait asks for ``kernel_info`` at once, sleeps a fifth of
    a second whenever the reply's status messages were lost to a subscription still on its
    way, and then drains IOPub until it has been silent for another fifth of a second: about
    a quarter of a second per page. What it drains, nbclient would ignore anyway (it reads
    only messages whose parent is the cell it executes).
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        try:
            await self.iopub_channel.get_msg(timeout=min(timeout or 10.0, 10.0))
        except Empty:  # no greeting (an older kernel): the stock wait
            await super()._async_wait_for_ready(timeout)
            return
        reply = await self._async_recv_reply(self.kernel_info(), timeout=timeout)
        self._handle_kernel_info_reply(reply)

    wait_for_ready = _async_wait_for_ready


class UnixSocketKernelManager(AsyncKernelManager):
    """Kernels that talk to the build over Unix sockets at absolute, unique paths.

    Socket files named after a fresh UUID cannot collide, and absolute paths work in any
    page's folder. Two kernels given the same TCP port failed one of the ~50 parallel builds
    made while adopting -j.
    """

    @default("client_factory")
    def _client_factory_default(self) -> type[GreetedKernelClient]:
        return GreetedKernelClient

    def _transport_default(self) -> str:
        return "ipc"

    def _ip_default(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"lrsim-kernel-{uuid.uuid4().hex}")

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        # A page's kernel never looks back: IPython's history database only costs start-up.
        arguments = [*(extra_arguments or []), "--HistoryManager.enabled=False"]
        return super().format_kernel_cmd(arguments)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kernel = warm_kernels.spawn(kernel_cmd, kw["env"], str(kw.get("cwd") or Path.cwd()))
        if kernel is None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = kernel, kernel.pid, kernel.pid
        provisioner.cwd = kw.get("cwd")
        self._reconcile_connection_info(provisioner.connection_info)
        # A client that connects before the kernel has bound its sockets retries only every
        # tenth of a second, and its first IOPub messages are lost: a forked kernel binds
        # within a few milliseconds, so wait for its socket files instead.
        sockets = [Path(f"{self.ip}-{port}") for port in self.ports]
        while not all(path.exists() for path in sockets) and kernel.poll() is None:
            await asyncio.sleep(0.002)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        # The page's outputs are in; a graceful goodbye costs a fifth of a second per page.
        await super().shutdown_kernel(now=True, restart=restart)


PACKAGE = Path(lrsim.__file__).parent
EVERYTHING = "lrsim.*"  # the whole namespace: every module and file of the package
MAGIC = ("%", "!")  # IPython lines, which are not Python


def module_file(name: str) -> Path | None:
    """The source file of the lrsim module ``name`` (``lrsim.network``), None if there is none."""
    parts = name.split(".")
    if parts[0] != "lrsim":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    return next(
        (path for path in (base / "__init__.py", base.with_suffix(".py")) if path.is_file()), None
    )


def imported_modules(tree: ast.AST, package: str = "") -> set[str]:
    """The lrsim modules that code imports, anywhere in it; ``package`` resolves relative imports.

    ``import lrsim`` (or ``import lrsim.x``, which binds ``lrsim`` too) and a name imported from
    ``lrsim`` that is not a submodule reach the whole namespace: :data:`EVERYTHING`.

    Examples
    --------
    >>> imported_modules(ast.parse("from lrsim.experiments import CASE_STUDY"))
    {'lrsim.experiments'}
    >>> imported_modules(ast.parse("import lrsim")) == {EVERYTHING}
    True
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "lrsim" for alias in node.names):
                found.add(EVERYTHING)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] != "lrsim":
                continue
            found.add(module)
            for alias in node.names:
                if module_file(f"{module}.{alias.name}"):
                    found.add(f"{module}.{alias.name}")
                elif module == "lrsim":
                    found.add(EVERYTHING)
    return found


def lrsim_closure(names: set[str]) -> list[Path]:
    """The files of lrsim that importing these modules executes or that code can reach: each
    module, its parent packages and, transitively, every lrsim module they import.

    Examples
    --------
    >>> module_file("lrsim.network") in lrsim_closure({"lrsim.experiments"})  # experiments imports it
    True
    """
    if not names:
        return []
    files: set[Path] = {path for path in PACKAGE.rglob("*") if path.suffix != ".py"}
    files = {path for path in files if path.is_file() and "__pycache__" not in path.parts}
    todo = list(names)
    while todo:
        name = todo.pop()
        if name == EVERYTHING:
            files |= {path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
            break
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            path = module_file(prefix)
            if path is None or path in files:
                continue
            files.add(path)
            package = prefix if path.name == "__init__.py" else prefix.rpartition(".")[0]
            todo += imported_modules(ast.parse(path.read_bytes()), package)
    return sorted(files)


def named_file(folder: Path, value: object) -> Path | None:
    """The existing file a string in a page's code names, relative to the page's folder."""
    if not isinstance(value, str) or not value or "\n" in value or len(value) > 255:
        return None
    try:
        return (folder / value).resolve() if (folder / value).is_file() else None
    except (OSError, ValueError):
        return None


def page_inputs(code: list[str], folder: Path) -> list[Path]:
    """What a page's code cells read: lrsim's files (:func:`lrsim_closure`) of the modules it
    imports or names in a string, and every existing file a string in the code names, relative
    to the page's folder (where the page runs)."""
    modules: set[str] = set()
    data: set[Path] = set()
    for source in code:
        python = "\n".join(
            line for line in source.splitlines() if not line.lstrip().startswith(MAGIC)
        )
        try:
            tree = ast.parse(python)
        except SyntaxError:
            modules.add(EVERYTHING)
            continue
        modules |= imported_modules(tree)
        strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
        data |= {path for path in map(partial(named_file, folder), strings) if path}
        # A module named in a string, for importlib.import_module("lrsim.x").
        modules |= {value for value in strings if isinstance(value, str) and module_file(value)}
    return [*lrsim_closure(modules), *sorted(data)]


def code_cells(env: BuildEnvironment, path: Path, text: str) -> list[str] | None:
    """The sources of a page's code cells as MyST-NB reads them; None if it is no notebook."""
    reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
    if reader is None:
        return None
    return [cell.source for cell in reader.read(text).cells if cell.cell_type == "code"]


READING_SECONDS = EXTENSIONS / "reading_seconds.json"
"""Seconds each page took to read (and execute) in clean builds, medians written by
``nox -s bench_build -- --record``: what :func:`balance_reading` plans with."""
READING_LOG = "reading-seconds.jsonl"  # in the doctree folder: this build's own times
_reading_started: dict[str, float] = {}


def balance_reading(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Order the documents so that Sphinx's parallel readers finish together.

    Sphinx cuts the list into fixed-size runs, one process each, started in order as processes
    free up; in alphabetical order one process got the case studies and five other executed
    pages. Each page's cost is its time in :data:`READING_SECONDS` (an unlisted page counts
    as the median page), so both builds of ``nox -s reproducible`` read in one order. Heaviest
    first, each page goes into the run that then finishes soonest, simulating the processes.
    """
    if app.parallel <= 1 or len(docnames) < 2:
        return
    known = json.loads(READING_SECONDS.read_text(encoding="utf-8"))
    typical = statistics.median(known.values())
    cost = {docname: known.get(docname, typical) for docname in docnames}
    sizes = [len(run) for run in make_chunks(docnames, app.parallel)]
    docnames[:] = [name for run in plan_runs(cost, sizes, app.parallel) for name in run]


def plan_runs(cost: dict[str, float], sizes: list[int], processes: int) -> list[list[str]]:
    """Fill runs of the given sizes, heaviest page first, each into the run that then finishes
    soonest (the whole reading first, then that run), as :func:`finishing_times` schedules.

    >>> plan_runs({"a": 7, "b": 2, "c": 2, "d": 2, "e": 1}, [2, 2, 1], 2)
    [['a', 'e'], ['b', 'c'], ['d']]
    """
    runs: list[list[str]] = [[] for _ in sizes]
    loads = [0.0] * len(sizes)
    for page in sorted(cost, key=lambda name: (-cost[name], name)):
        outcomes = []
        for i in (i for i in range(len(runs)) if len(runs[i]) < sizes[i]):
            finishes = finishing_times(
                [*loads[:i], loads[i] + cost[page], *loads[i + 1 :]], processes
            )
            outcomes.append((max(finishes), finishes[i], i))
        chosen = min(outcomes)[2]
        runs[chosen].append(page)
        loads[chosen] += cost[page]
    return runs


def finishing_times(loads: list[float], processes: int) -> list[float]:
    """When each run finishes if Sphinx's ParallelTasks starts them: the first ``processes``
    at once, then each waiting run, the last added first, when a process frees up.

    >>> finishing_times([5.0, 3.0, 1.0], 2)
    [5.0, 3.0, 4.0]
    """
    finishes = [0.0] * len(loads)
    free = sorted(loads[:processes])
    finishes[:processes] = loads[:processes]
    for i in reversed(range(processes, len(loads))):
        start = free.pop(0)
        finishes[i] = start + loads[i]
        free = sorted([*free, finishes[i]])
    return finishes


def start_reading_log(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    (Path(app.doctreedir) / READING_LOG).unlink(missing_ok=True)


def time_reading(app: Sphinx, docname: str, source: list[str]) -> None:
    _reading_started[docname] = time.perf_counter()


def log_reading_time(app: Sphinx, doctree: Any) -> None:
    """Append this page's reading time to the build's log of them (read by the benchmark)."""
    docname = app.env.docname
    if docname in _reading_started:
        seconds = time.perf_counter() - _reading_started.pop(docname)
        entry = json.dumps({"page": docname, "seconds": round(seconds, 3)})
        with open(Path(app.doctreedir) / READING_LOG, "a", encoding="utf-8") as log:
            log.write(entry + "\n")  # one short write: the readers' lines never interleave


def cache_folder(app: Sphinx, docname: str, text: str) -> tuple[Path, list[Path]] | None:
    """The page's MyST-NB cache folder, named after its inputs, and those inputs; None for a
    page that executes nothing."""
    path = Path(app.env.doc2path(docname))
    code = code_cells(app.env, path, text)
    if code is None:
        return None
    inputs = page_inputs(code, path.parent)
    # Names relative to the package or the page, not absolute: the same key in any checkout.
    key = digest(
        *(
            part
            for dependency in inputs
            for part in (
                dependency.relative_to(
                    PACKAGE.parent if dependency.is_relative_to(PACKAGE) else path.parent
                ).as_posix(),
                dependency.read_bytes(),
            )
        )
    )
    return Path(app.config.nb_execution_cache_path) / docname / key, inputs


def key_page(app: Sphinx, docname: str, source: list[str]) -> None:
    """Point MyST-NB's cache for this page at the folder named after its inputs, and make them
    the page's dependencies. MyST-NB reads ``env.mystnb_config`` when it parses the page, which
    follows this event for the same page in the same process."""
    found = cache_folder(app, docname, source[0])
    if found is None:
        return
    folder, inputs = found
    for dependency in inputs:
        app.env.note_dependency(dependency)
    app.env.mystnb_config = app.env.mystnb_config.copy(execution_cache_path=str(folder))


def warm_up_kernels(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """Start the kernels' zygote before Sphinx forks its readers, if a page will execute.

    A page whose cache folder does not exist yet will execute (a clean build, an edited
    module); the zygote's imports then overlap with the readers' start and one zygote serves
    every reader. A page whose folder exists may still execute (an edited code cell): its
    reader starts the zygote when it needs it.
    """
    for docname in docnames:
        path = Path(env.doc2path(docname))
        found = path.is_file() and cache_folder(app, docname, path.read_text(encoding="utf-8"))
        if found and not found[0].exists():
            start_zygote()
            return


def start_zygote() -> None:
    """Start the kernels' zygote, unless ``LRSIM_COLD_KERNELS`` asks for stock kernels."""
    if not os.environ.get("LRSIM_COLD_KERNELS"):
        warm_kernels.start(sys.executable, os.environ)


def warm_up_kernels_early(app: Sphinx) -> None:
    """Start the kernels' zygote while Sphinx is still loading its extensions, if the build has
    no execution cache at all (a clean build: every page will execute). Its imports then run on
    the core that the loading leaves idle, a second before :func:`warm_up_kernels` would
    start them."""
    cache = Path(app.config.overrides.get("nb_execution_cache_path", EXECUTION_CACHE))
    if not cache.exists():
        start_zygote()


def write_on_every_core(app: Sphinx, builder: Any) -> None:
    """Write the pages with twice as many processes as Sphinx reads them with.

    Sphinx writes with one process fewer than it reads with, because its own process resolves
    each page before it hands out a run of them; on two cores that left one writer, and the
    pages were written one after another (3.4 s of a clean build). Twice as many processes cut
    the pages into runs of a few: the first writers start while Sphinx still resolves later
    pages, and the last run is short (2.4 s; one writer per core: 2.6 s).
    """
    if app.parallel > 1:
        app.parallel *= 2


def cache_compiled_templates(app: Sphinx) -> None:
    # Jinja compiles the theme's templates in every run, a tenth of a no-op build.
    templates = getattr(app.builder, "templates", None)
    if templates is not None and hasattr(templates, "environment"):
        folder = Path(app.doctreedir) / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        templates.environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def default_cache_path(app: Sphinx, config: Config) -> None:
    if "nb_execution_cache_path" not in config.overrides:
        config.nb_execution_cache_path = str(EXECUTION_CACHE)


def setup(app: Sphinx) -> dict[str, Any]:
    os.environ.pop("MPLBACKEND", None)
    os.environ["IPYTHONDIR"] = str(BUILD / "ipython")
    os.environ.setdefault("SOURCE_DATE_EPOCH", commit_time())
    jupyter_client.AsyncKernelManager = UnixSocketKernelManager  # type: ignore[misc]
    warm_up_kernels_early(app)
    # An "env" config value: a changed extension re-reads every page.
    app.add_config_value("lrsim_extensions_digest", digest(*sorted(EXTENSIONS.glob("*.*"))), "env")
    app.connect("config-inited", default_cache_path)
    app.connect("source-read", time_reading, priority=0)
    app.connect("source-read", key_page)
    app.connect("doctree-read", log_reading_time, priority=900)
    app.connect("env-before-read-docs", balance_reading)
    app.connect("env-before-read-docs", warm_up_kernels)
    app.connect("env-before-read-docs", start_reading_log)
    app.connect("builder-inited", cache_compiled_templates)
    app.connect("write-started", write_on_every_core)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
