"""Kernels forked from the build's warm zygote are fresh kernels, as the stock ones are."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import warm_kernels  # found through the line above
from lrsim_build import UnixSocketKernelManager  # found through the line above

PROBE = """
import json, os, random, sys
import matplotlib.pyplot as plt
import numpy as np
plt.plot([0, 1])
plt.show()
print(json.dumps({
    "pid": os.getpid(), "parent": os.getppid(), "cwd": os.getcwd(),
    "marker": os.environ.get("LRSIM_TEST_MARKER"), "random": [random.random(), np.random.random()],
    "lrsim": "lrsim" in sys.modules, "left_over": "left_over" in globals(),
    "backend": plt.get_backend(),
}))
left_over = 1
"""


async def run_in_fresh_kernel(cwd: Path) -> tuple[dict[str, Any], list[str]]:
    """What the probe reports in a new kernel, and the MIME types of what it displayed."""
    manager = UnixSocketKernelManager()
    await manager.start_kernel(cwd=str(cwd), env={**os.environ, "LRSIM_TEST_MARKER": "page"})
    client = manager.client()
    client.start_channels()
    outputs: list[dict[str, Any]] = []
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(PROBE, timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    text = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
    shown = [
        kind for m in outputs if m["msg_type"] == "display_data" for kind in m["content"]["data"]
    ]
    return json.loads(text), shown


def probe_twice(cwd: Path) -> list[tuple[dict[str, Any], list[str]]]:
    async def both() -> list[tuple[dict[str, Any], list[str]]]:
        return [await run_in_fresh_kernel(cwd) for _ in range(2)]

    return asyncio.run(both())


def test_forked_kernels_are_fresh_separate_processes(tmp_path: Path) -> None:
    (first, shown), (second, _) = probe_twice(tmp_path)
    assert first["parent"] != os.getpid()  # forked by the zygote, not started by the build
    assert first["parent"] == second["parent"]
    assert first["pid"] != second["pid"]
    assert not second["left_over"]  # nothing of the first page's namespace
    assert not first["lrsim"]  # the zygote never imports the book's package
    # Reseeded, as a fresh interpreter is: Python's generator, and NumPy's global one.
    assert first["random"][0] != second["random"][0]
    assert first["random"][1] != second["random"][1]
    assert first["cwd"] == str(tmp_path)
    assert first["marker"] == "page"
    assert "inline" in first["backend"]
    assert "image/png" in shown


def test_cold_kernels_are_started_the_stock_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRSIM_COLD_KERNELS", "1")
    (first, shown), (second, _) = probe_twice(tmp_path)
    assert first["parent"] == second["parent"] == os.getpid()
    assert not second["left_over"]
    assert "image/png" in shown


def test_a_killed_kernel_is_seen_to_exit(tmp_path: Path) -> None:
    async def start_and_kill() -> int | None:
        manager = UnixSocketKernelManager()
        await manager.start_kernel(cwd=str(tmp_path))
        kernel = manager.provisioner.process
        assert isinstance(kernel, warm_kernels.ForkedKernel)
        assert kernel.poll() is None
        await manager.shutdown_kernel(now=True)
        return kernel.poll()

    assert asyncio.run(start_and_kill()) is not None


def test_only_the_python_kernel_is_forked() -> None:
    assert warm_kernels.spawn(["/usr/bin/R", "--kernel"], {}, "/") is None


def test_closing_ends_the_zygote_while_a_fork_of_the_build_lives() -> None:
    """A fork of the build (sphinx-sitemap's manager) outlives the build's exit handlers.

    It holds the zygote's standard input open, so closing must not wait for the end of file.
    """
    zygote = warm_kernels.Zygote(sys.executable, os.environ)
    release = multiprocessing.get_context("fork").Event()
    holder = multiprocessing.get_context("fork").Process(target=release.wait, args=(60,))
    holder.start()
    closer = threading.Thread(target=zygote.close, daemon=True)
    try:
        closer.start()
        closer.join(timeout=30)
        assert not closer.is_alive(), "closing waited for the end of a pipe a fork holds open"
        assert zygote.process.poll() is not None
    finally:
        release.set()
        holder.join()
