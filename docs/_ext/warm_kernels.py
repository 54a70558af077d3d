"""Fresh kernels without the import bill: each page's kernel is forked from a warm parent.

A page's kernel spends most of its life starting: Python, ipykernel, IPython, NumPy and
matplotlib take about 0.8 s to import, and the page's own code often runs in a fraction of
that. A *zygote* pays it once per build: a process that imports those modules, touches
nothing else, and waits on a Unix socket. Asked for a kernel, it forks; the child takes the
page's environment, working directory and command line, reseeds NumPy's global generator if
it was imported (as a fresh interpreter seeds it from the OS), and runs ipykernel's own entry
point. Every page still gets a process of its own that no other page has touched, with
nothing of the build's Python state in it: the zygote never imports lrsim, never creates a
kernel or a ZeroMQ context, and never resolves matplotlib's backend (the inline backend's
module must be imported inside the kernel, where it finds IPython).

The zygote runs this file as a script; the build's side is :func:`start` (the build calls it
before Sphinx forks its reading processes, which then share the zygote) and :func:`spawn`.
Kernels come back as :class:`ForkedKernel`, which jupyter_client's provisioner drives like
the ``Popen`` it expects. The zygote lives in a private directory (mode 0700, so no other
user can ask it for a process) and exits when the process that started it does (it reads its
standard input to the end). ``LRSIM_COLD_KERNELS=1`` starts every kernel the stock way.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import multiprocessing.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LAUNCHER = ["-m", "ipykernel_launcher"]  # the command jupyter_client's Python kernel spec gives
PRELOADED = (
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
    "ipykernel.debugger",
    "myst_nb.ext.glue",  # nbformat and jsonschema: a tenth of a second in every page that glues
)
READY_WITHIN = 60.0  # seconds; a zygote that takes longer has failed


class ForkedKernel:
    """The handle of a kernel forked by the zygote: the part of ``Popen`` the provisioner uses.

    The zygote, not this process, is the kernel's parent, and it reaps its children at once:
    a pid that no longer exists is a kernel that has exited.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                # The third field is the state; Z: exited, waiting for the zygote to reap it.
                state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                state = "Z"
            except OSError:  # no /proc
                state = "Z" if not _exists(self.pid) else "R"
            if state == "Z":
                self.returncode = 0  # the zygote reaps it; its status is not ours to read
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.001)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        # The provisioner polls a killed kernel every tenth of a second: wait the millisecond
        # it takes to die here, so that its first poll finds it gone.
        self.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.wait(timeout=0.1)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Zygote:
    """The warm parent of the kernels of the process that started it and of its forks."""

    def __init__(self, python: str, env: Mapping[str, str]) -> None:
        self.python, self.owner = python, os.getpid()
        self.folder = Path(tempfile.mkdtemp(prefix="lrsim-zygote-"))
        self.address = str(self.folder / "socket")
        # Its standard input is a pipe from this process: end of file means the build is gone.
        self.process = subprocess.Popen(
            [python, __file__, self.address], stdin=subprocess.PIPE, env=dict(env)
        )

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
        deadline = time.monotonic() + READY_WITHIN
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            while True:
                try:
                    connection.connect(self.address)
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the kernel zygote did not start") from None
                    time.sleep(0.01)
            connection.sendall(request)
            reply = connection.makefile("rb").readline()
        if not reply:
            raise RuntimeError("the kernel zygote closed the connection without a kernel")
        return ForkedKernel(json.loads(reply)["pid"])

    def close(self) -> None:
        """End the zygote and wait for it (so its CPU time is counted as this process's).

        Only in the process that started it: a reading process forked from that one holds a
        copy of this object, and its exit must not end the zygote the others still use.
        """
        if os.getpid() != self.owner or self.process.stdin is None or self.process.stdin.closed:
            return
        self.process.stdin.close()
        # A process forked from this one after the zygote started holds a copy of the pipe
        # (sphinx-sitemap's multiprocessing manager lives until after this handler), so the
        # end of file may come too late: the zygote would wait for it, and this process for the
        # zygote. End of file remains for a build that dies without closing.
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_zygotes: dict[str, Zygote] = {}  # by the Python that runs them


def start(python: str, env: Mapping[str, str]) -> Zygote:
    """Start the zygote for kernels run by ``python``, unless one is running already.

    The build calls it before Sphinx forks its reading processes, so that the zygote's imports
    overlap with the readers' start and one zygote serves them all; a process that needs a
    kernel and has none starts its own.
    """
    zygote = _zygotes.get(python)
    if zygote is None or zygote.process.poll() is not None:
        zygote = _zygotes[python] = Zygote(python, env)
        # A reading process started by Sphinx's -j leaves through multiprocessing, which runs
        # its finalizers but not atexit's; the main process leaves through atexit.
        multiprocessing.util.Finalize(zygote, zygote.close, exitpriority=10)
        atexit.register(zygote.close)
    return zygote


def spawn(kernel_cmd: list[str], env: dict[str, str], cwd: str) -> ForkedKernel | None:
    """Fork a kernel for ``kernel_cmd`` from the zygote (:func:`start` ed if need be).

    None when the command is not the Python kernel the zygote can stand in for, or when
    ``LRSIM_COLD_KERNELS`` is set: the caller then starts the kernel the stock way.
    """
    if os.environ.get("LRSIM_COLD_KERNELS") or kernel_cmd[1:3] != LAUNCHER:
        return None
    return start(kernel_cmd[0], env).spawn(["ipykernel_launcher", *kernel_cmd[3:]], env, cwd)


def _serve(address: str) -> None:
    """The zygote: import, then fork one kernel per request until standard input closes."""
    import selectors

    del sys.path[0]  # this file's folder: a kernel's path starts as ipykernel_launcher leaves it
    # Set before matplotlib is imported, which is when it reads the variable; ipykernel would set
    # the same value later, and the inline backend itself is imported only in the kernel.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # debugpy warns at import that it may miss breakpoints in frozen modules; a build sets none.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in PRELOADED:
        __import__(name)
    signal.signal(signal.SIGCHLD, _reap)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is sys.stdin:
                if not sys.stdin.buffer.read1(4096):
                    return
                continue
            connection, _ = listener.accept()
            with connection:
                request = json.loads(connection.makefile("rb").readline())
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    connection.close()
                    _become_kernel(**request)
                connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def _reap(signum: int, frame: Any) -> None:
    # Reaped by waiting, not by ignoring SIGCHLD: so their CPU time is counted as the zygote's
    # children's, and the build benchmark's count of the build's CPU stays whole.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """Run in the forked child: become the kernel ``argv`` asks for, and never return."""
    import traceback

    status = 1
    try:
        os.setpgrp()  # the provisioner signals the kernel's process group, as for a Popen
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # A fresh interpreter seeds NumPy's global generator from the OS when numpy.random is
        # first imported; had the zygote imported it, every fork would share its draw. (The
        # random module reseeds itself in a forked child.)
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        # ipykernel read JPY_PARENT_PID when the zygote imported it; the kernel's parent is the
        # zygote, and with the zygote gone the kernel should go too, as with its stock parent.
        sys.argv = [*argv, f"--IPKernelApp.parent_handle={os.getppid()}"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    except Exception:  # noqa: BLE001 - say why the kernel failed; never return to the loop
        traceback.print_exc()
    finally:
        os._exit(status)  # never back into the zygote's loop


if __name__ == "__main__":
    _serve(sys.argv[1])
