"""Time the edit loop: the four rows of README's table, medians of 3 (issue 15).

Run it with ``nox -s bench_build`` (``-- --repeats 1`` for a quick look, ``-- --parts`` for what
each part adds to a clean build instead). Everything happens in a copy of the working tree
(tracked and untracked files, as git sees them), built exactly as a contributor builds it:
``nox -s docs``, in the project's own ``.nox/docs`` environment (``--envdir``), with the copy's
``src`` first on the path, so that the project's ``build/`` and sources are left alone. Each
repeat times, in order:

1. a clean build (``build/`` removed, so every page executes);
2. one page's prose edited (a word added to a paragraph, no code cell touched);
3. nothing changed;
4. one lrsim module edited (a comment appended to ``schedules.py``): which pages re-execute.

Wall-clock seconds and the CPU seconds of every process the build ran. ``--kernel`` times
instead where one page's kernel spends its time (start, imports, a figure, shutdown), stock and
as the book starts it (forked from a warm zygote; the first kernel of a reading process starts
the zygote, and is reported apart). For ``--parts``, what a
part *adds* is the median whole-book build minus the median with that part's pages excluded
(without -W: the excluded pages leave dangling toctree entries).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fnmatch
import json
import os
import pickle
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from jupyter_client.manager import AsyncKernelManager
from lrsim_build import (
    BUILD,
    READING_LOG,
    READING_SECONDS,
    UnixSocketKernelManager,
)  # found through the line above
from sphinx_command import sphinx_arguments  # found through the line above
from working_tree import copy_working_tree  # found through the line above

PROSE_PAGE = Path("docs/parabola/01-worked-example.md")
PROSE = "The question that starts this book is a fair one"
MODULE = Path("src/lrsim/schedules.py")
PARTS = {
    "Part III (adam/)": ["adam/*"],
    "Parts II and IV (beyond/, practice/)": ["beyond/*", "practice/*"],
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Tree:
    """A copy of the project, built with ``nox -s docs`` in the project's environment."""

    def __init__(self, root: Path) -> None:
        self.root = root
        copy_working_tree(root)
        nox = shutil.which("nox")
        if nox is None:
            sys.exit("nox is not on PATH")
        self.command = [nox, "-s", "docs", "-f", str(root / "noxfile.py")]
        self.command += ["--envdir", str(ROOT / ".nox")]
        # The copy's lrsim shadows the editable install, in Sphinx and in the kernels.
        self.env = {**os.environ, "PYTHONPATH": str(root / "src")}
        self.run("--install-only")  # creates or syncs the environment if it needs it

    def run(self, *options: str) -> tuple[float, float, str]:
        """Wall-clock and CPU seconds of one ``nox -s docs``, and its output."""
        cpu, start = children_cpu(), time.perf_counter()
        result = subprocess.run(
            [*self.command, *options],
            cwd=self.root, env=self.env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - start
        log = result.stdout + result.stderr
        if result.returncode != 0:
            sys.exit(f"nox -s docs failed ({result.returncode}):\n{log[-4000:]}")
        return wall, children_cpu() - cpu, log

    def edit(self, path: Path, old: str, new: str) -> None:
        text = (self.root / path).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        (self.root / path).write_text(text.replace(old, new, 1), encoding="utf-8")


def executed(log: str) -> list[str]:
    return sorted(set(re.findall(r"docs/(\S+)\.md: Executing notebook", log)))


def read_count(log: str) -> str:
    match = re.search(r"(\d+) added, (\d+) changed", log)
    return f"{int(match[1]) + int(match[2])} read" if match else "? read"


def edit_loop(repeats: int, record: bool) -> None:
    rows = ["clean build", "one page's prose edited", "nothing changed", "one module edited"]
    reading: dict[str, list[float]] = collections.defaultdict(list)
    walls: dict[str, list[float]] = {row: [] for row in rows}
    cpus: dict[str, list[float]] = {row: [] for row in rows}
    with tempfile.TemporaryDirectory() as folder:
        tree = Tree(Path(folder))
        for repeat in range(repeats):
            shutil.rmtree(tree.root / "build", ignore_errors=True)
            results = {"clean build": tree.run()}
            for line in (tree.root / "build" / "doctrees" / READING_LOG).read_text().splitlines():
                entry = json.loads(line)
                reading[entry["page"]].append(entry["seconds"])
            tree.edit(PROSE_PAGE, PROSE, f"{PROSE} ({repeat})")
            results["one page's prose edited"] = tree.run()
            results["nothing changed"] = tree.run()
            module = tree.root / MODULE
            module.write_text(module.read_text(encoding="utf-8") + f"# edit {repeat}\n")
            results["one module edited"] = tree.run()
            for row, (wall, cpu, log) in results.items():
                walls[row].append(wall)
                cpus[row].append(cpu)
                pages = executed(log)
                print(
                    f"  {row:26} {wall:6.1f} s, {cpu:6.1f} s CPU; {read_count(log)}, "
                    f"{len(pages)} executed{': ' + ', '.join(pages) if pages else ''}",
                    flush=True,
                )
    print(f"\nMedian of {repeats}, nox -s docs (wall-clock; CPU of all its processes)")
    for row in rows:
        each = ", ".join(f"{wall:.1f}" for wall in walls[row])
        print(
            f"  {row:26} {statistics.median(walls[row]):6.1f} s ({each}); "
            f"{statistics.median(cpus[row]):.1f} s CPU"
        )
    medians = {page: round(statistics.median(times), 2) for page, times in sorted(reading.items())}
    print(f"\nReading each page in a clean build (with its execution), median of {repeats} (s)")
    for page, seconds in medians.items():
        print(f"  {page:40} {seconds:5.2f}")
    if record:
        READING_SECONDS.write_text(json.dumps(medians, indent=2) + "\n", encoding="utf-8")
        print(f"written to {READING_SECONDS.relative_to(ROOT)}: commit it")


def clean_build(build: Path, excluded: list[str]) -> tuple[float, dict[str, float]]:
    """Wall-clock seconds of one clean build, and each executed page's execution seconds."""
    shutil.rmtree(build, ignore_errors=True)
    settings = {"nb_execution_cache_path": str(build / "jupyter_cache")}
    if excluded:
        settings["exclude_patterns"] = ",".join(excluded)
    # Not strict: the excluded pages leave dangling toctree entries.
    arguments = sphinx_arguments(build=build, strict=False, quiet=True, settings=settings)
    command = [sys.executable, "-m", "sphinx", *arguments]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
    with (build / "doctrees" / "environment.pickle").open("rb") as file:
        environment = pickle.load(file)
    runtimes = {
        page: float(metadata["exec_data"]["runtime"])
        for page, metadata in environment.nb_metadata.items()
        if metadata.get("exec_data")
    }
    return wall, runtimes


def parts(repeats: int) -> None:
    variants = {"whole book": [], **PARTS}
    walls: dict[str, list[float]] = {name: [] for name in variants}
    runtimes: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeats):
            for name, excluded in variants.items():
                wall, pages = clean_build(Path(folder) / "build", excluded)
                walls[name].append(wall)
                print(f"  {name:40} {wall:6.1f} s", flush=True)
                if not excluded:
                    for page, seconds in pages.items():
                        runtimes.setdefault(page, []).append(seconds)

    print(f"\nExecution time per page, median of {repeats} (s)")
    for page, seconds in sorted(runtimes.items()):
        print(f"  {page:45} {statistics.median(seconds):6.2f}")
    whole = statistics.median(walls["whole book"])
    print(f"\nClean build, median of {repeats}: whole book {whole:.1f} s")
    for name, patterns in PARTS.items():
        without = statistics.median(walls[name])
        executing = sum(
            statistics.median(seconds)
            for page, seconds in runtimes.items()
            if any(fnmatch.fnmatch(page, pattern) for pattern in patterns)
        )
        pairs = zip(walls["whole book"], walls[name], strict=True)
        paired = ", ".join(f"{whole_time - part_time:.1f}" for whole_time, part_time in pairs)
        print(
            f"  {name:40} adds {whole - without:5.1f} s (book without it: {without:.1f} s; "
            f"repeat by repeat: {paired} s; its pages execute for {executing:.1f} s in all)"
        )


KERNEL_STEPS = {
    "config and numpy": '%config InlineBackend.figure_formats = ["svg"]\nimport numpy as np',
    "matplotlib.pyplot": "import matplotlib.pyplot as plt",
    "myst_nb.glue": "from myst_nb import glue",
    "lrsim (index's imports)": "import lrsim.parabola, lrsim.plotting; lrsim.plotting.use_book_style()",
    "first SVG figure": "plt.subplots()[1].plot([1, 2]); plt.show()",
}


async def kernel_once(manager: Any) -> dict[str, float]:
    """Seconds of each step of one page's kernel: start, the index page's imports, a figure,
    shutdown."""
    times = {}
    start = time.perf_counter()
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    times["start (process, ipykernel, IPython)"] = time.perf_counter() - start
    for step, code in KERNEL_STEPS.items():
        start = time.perf_counter()
        reply = await client.execute_interactive(code, output_hook=lambda message: None)
        assert reply["content"]["status"] == "ok", reply["content"]
        times[step] = time.perf_counter() - start
    start = time.perf_counter()
    client.stop_channels()
    await manager.shutdown_kernel()
    times["shutdown"] = time.perf_counter() - start
    return times


def kernel(repeats: int) -> None:
    """Where a page's kernel spends its time, stock (TCP, history, graceful shutdown) and as the
    book starts it (lrsim_build's UnixSocketKernelManager: forked from the zygote)."""
    os.environ["IPYTHONDIR"] = str(BUILD / "ipython")
    # The book forks kernels from a zygote that the first kernel of each reading process starts.
    first = asyncio.run(kernel_once(UnixSocketKernelManager(kernel_name="python3")))
    results: dict[str, list[dict[str, float]]] = {"stock": [], "book": []}
    for _ in range(repeats):
        for name, manager in (("stock", AsyncKernelManager), ("book", UnixSocketKernelManager)):
            results[name].append(asyncio.run(kernel_once(manager(kernel_name="python3"))))
    print(f"\nOne page's kernel, median of {repeats} (s): stock / as the book starts it")
    for step in results["stock"][0]:
        stock, book = (statistics.median(r[step] for r in results[name]) for name in results)
        print(f"  {step:38} {stock:5.2f} / {book:5.2f}")
    totals = [statistics.median(sum(r.values()) for r in results[name]) for name in results]
    print(f"  {'in all':38} {totals[0]:5.2f} / {totals[1]:5.2f}")
    print(
        f"  the first kernel of a reading process, which starts the zygote: {sum(first.values()):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument("--parts", action="store_true", help="what each part adds instead")
    parser.add_argument("--kernel", action="store_true", help="where a page's kernel spends")
    parser.add_argument(
        "--record",
        action="store_true",
        help=f"write the pages' reading times to {READING_SECONDS.name}",
    )
    arguments = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.1f}")
    if arguments.kernel:
        kernel(arguments.repeats)
    elif arguments.parts:
        parts(arguments.repeats)
    else:
        edit_loop(arguments.repeats, arguments.record)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
