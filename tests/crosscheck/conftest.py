"""Cross-checks of lrsim against real Keras 3 (JAX backend, CPU); run them with ``nox -s crosscheck``.

Keras and JAX are heavy, optional and no dependency of lrsim, so the default test run does not
collect this folder at all. ``nox -s crosscheck`` installs them and sets ``LRSIM_CROSSCHECK=1``;
from then on nothing here may skip (a skipped cross-check would pass silently), no socket may
connect anywhere (nothing may download data or weights), and the maximum deviations found are
printed as a table at the end of the run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

CROSSCHECK_REQUESTED = os.environ.get("LRSIM_CROSSCHECK") == "1"

if not CROSSCHECK_REQUESTED:
    # Also keeps --doctest-modules from importing the helper modules, which import keras.
    collect_ignore_glob = ["*.py"]


@dataclass(frozen=True)
class Deviation:
    """The largest difference between lrsim and Keras found by one check."""

    check: str
    case: str
    max_abs: float
    max_rel: float
    bound: str


DEVIATIONS = pytest.StashKey[list[Deviation]]()


def _refuse_network(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the cross-checks must not use the network (a download was attempted)")


def pytest_configure(config: pytest.Config) -> None:
    if not CROSSCHECK_REQUESTED:
        return
    import jax
    import keras

    if keras.backend.backend() != "jax" or jax.default_backend() != "cpu":
        raise pytest.UsageError(
            "the cross-checks need KERAS_BACKEND=jax and JAX_PLATFORMS=cpu, got "
            f"{keras.backend.backend()!r} on {jax.default_backend()!r}"
        )
    # Keras 3.15 converts its Variables with np.array(variable), whose __array__ lacks numpy 2's
    # `copy` keyword; the warning is Keras's own business, not a finding of these checks.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
    )
    socket.socket.connect = _refuse_network  # type: ignore[method-assign]
    socket.create_connection = _refuse_network  # type: ignore[assignment]
    config.stash[DEVIATIONS] = []


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not CROSSCHECK_REQUESTED:
        return []
    import jax
    import keras

    return [
        f"crosscheck: keras {keras.__version__} ({keras.backend.backend()}), jax {jax.__version__}"
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if CROSSCHECK_REQUESTED and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"cross-checks must never skip or xfail; got: {report.longrepr}"
    return report


@pytest.fixture(scope="session")
def record_deviation(request: pytest.FixtureRequest) -> Any:
    """Return ``record(check, case, lrsim, keras, *, bound, scale)``: store the max deviation.

    ``max_rel`` is ``|lrsim - keras| / max(|keras|, scale)``: relative to the Keras value, or
    to ``scale`` for values below it (the natural size of the quantity, so that values that
    converge to zero are not judged relative to themselves). Entries that are inf or NaN must
    be so in both (asserted here).
    """
    table = request.config.stash[DEVIATIONS]

    def record(
        check: str, case: str, lrsim: Any, keras: Any, *, bound: str, scale: float = 0.0
    ) -> Deviation:
        ours, theirs = np.asarray(lrsim, dtype=np.float64), np.asarray(keras, dtype=np.float64)
        assert ours.shape == theirs.shape, f"{check} {case}: shapes {ours.shape} != {theirs.shape}"
        finite = np.isfinite(ours) & np.isfinite(theirs)
        np.testing.assert_array_equal(
            ours[~finite], theirs[~finite], err_msg=f"{check} {case}: inf/NaN differ"
        )
        diff = np.abs(ours[finite] - theirs[finite])
        size = np.maximum(np.abs(theirs[finite]), scale)
        nonzero = size > 0
        deviation = Deviation(
            check,
            case,
            float(diff.max(initial=0.0)),
            float((diff[nonzero] / size[nonzero]).max(initial=0.0)),
            bound,
        )
        table.append(deviation)
        return deviation

    return record


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not CROSSCHECK_REQUESTED or not config.stash.get(DEVIATIONS, None):
        return
    rows = [("check", "case", "max |abs|", "max rel", "bound")]
    rows += [
        (d.check, d.case, f"{d.max_abs:.3g}", f"{d.max_rel:.3g}", d.bound)
        for d in config.stash[DEVIATIONS]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    terminalreporter.section("lrsim vs Keras: maximum deviations")
    for number, row in enumerate(rows):
        terminalreporter.write_line(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        )
        if number == 0:
            terminalreporter.write_line("  ".join("-" * w for w in widths))
