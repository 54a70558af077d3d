"""Time clean builds of the site: the whole book, and the book without each part.

Run it with ``nox -s bench_build`` (``-- --repeats 1`` for a quick look). Each build starts from
nothing (no doctrees, no execution cache) and is made as ``nox -s docs`` makes it, with
``-j auto``. What a part *adds* to a clean build is the median whole-book time minus the median
time of the same build with that part's pages excluded. Without -W, since the excluded pages
leave dangling toctree entries; the whole-book build is the strict one ``nox -s docs`` runs.

Beside the wall-clock times it prints each page's execution time (MyST-NB's own record, kernel
start included), which does not depend on how the pages were spread over the cores.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from sphinx_command import sphinx_arguments  # found through the line above

PARTS = {
    "Part III (adam/)": ["adam/*"],
    "Parts II and IV (beyond/, practice/)": ["beyond/*", "practice/*"],
}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="builds per median (default 3)")
    repeats = parser.parse_args().repeats
    print(f"{os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.1f}")
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
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
