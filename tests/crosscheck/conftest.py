"""Cross-checks of lrsim against real Keras 3 on the CPU; run them with ``nox -s crosscheck``.

One pytest process checks one Keras backend, named by ``KERAS_BACKEND`` (Keras fixes its
backend per process): ``tensorflow``, the seed's ``tf.keras`` and Keras 3's default, or ``jax``.
``nox -s crosscheck`` runs both. Keras, TensorFlow and JAX are heavy, optional and no
dependency of lrsim, so the default test run does not collect this folder at all;
``nox -s crosscheck`` installs them and sets ``LRSIM_CROSSCHECK=1``. From then on nothing here
may skip (a skipped cross-check would pass silently), no socket may connect anywhere (nothing
may download data or weights), and the largest deviations found are printed as a table at the
end of the run.

The record. At the end of a whole run the deviations, filed by family, are compared with the
committed record, ``docs/reference/crosscheck.json`` (see ``record.py``), which the book renders
as a table; a disagreement fails the run and says what differs and what to run:
``nox -s crosscheck -- record`` (``LRSIM_CROSSCHECK_RECORD=write``) re-makes this backend's
part of the record, with the versions and lrsim's source digest.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import lrsim

from .record import (
    BACKENDS,
    RECORD,
    RECORD_COMMAND,
    Deviation,
    disagreements,
    read_record,
    summarise,
    write_record,
)

CROSSCHECK_REQUESTED = os.environ.get("LRSIM_CROSSCHECK") == "1"

if not CROSSCHECK_REQUESTED:
    # Also keeps --doctest-modules from importing the helper modules, which import keras.
    collect_ignore_glob = ["*.py"]


DEVIATIONS = pytest.StashKey[list[Deviation]]()
MAX_ROWS_PER_FAMILY = 12
SETTING = pytest.StashKey[dict[str, Any]]()


def _refuse_network(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the cross-checks must not use the network (a download was attempted)")


def keras_backend() -> str:
    import keras

    return str(keras.backend.backend())


def framework_versions() -> dict[str, str]:
    """Keras and the backend's framework, as the record and the report header name them."""
    import keras

    versions = {"keras": keras.__version__, "numpy": np.__version__}
    if keras_backend() == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    else:
        import jax

        versions["jax"] = jax.__version__
    return versions


def _check_cpu_backend() -> None:
    backend = keras_backend()
    if backend not in BACKENDS:
        raise pytest.UsageError(f"KERAS_BACKEND must be one of {BACKENDS}, got {backend!r}")
    if backend == "tensorflow":
        import tensorflow as tf

        devices = sorted({d.device_type for d in tf.config.list_logical_devices()})
    else:
        import jax

        devices = sorted({d.platform.upper() for d in jax.devices()})
    if devices != ["CPU"]:
        raise pytest.UsageError(f"the cross-checks run on the CPU only, {backend} sees {devices}")


def pytest_configure(config: pytest.Config) -> None:
    if not CROSSCHECK_REQUESTED:
        return
    _check_cpu_backend()
    # Keras 3.15 converts its Variables with np.array(variable), whose __array__ lacks numpy 2's
    # `copy` keyword; the warning is Keras's own business, not a finding of these checks.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
    )
    socket.socket.connect = _refuse_network  # type: ignore[method-assign]
    socket.create_connection = _refuse_network  # type: ignore[assignment]
    config.stash[DEVIATIONS] = []
    config.stash[SETTING] = {}


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not CROSSCHECK_REQUESTED:
        return []
    versions = ", ".join(f"{name} {v}" for name, v in framework_versions().items())
    return [f"crosscheck: Keras backend {keras_backend()} on the CPU; {versions}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    if CROSSCHECK_REQUESTED and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"cross-checks must never skip or xfail; got: {report.longrepr}"
    return report


@pytest.fixture(scope="session")
def backend() -> str:
    """The Keras backend under test; lrsim's models compute as the same backend."""
    return keras_backend()


@pytest.fixture(scope="session")
def record_deviation(request: pytest.FixtureRequest) -> Any:
    """Return ``record(family, case, lrsim, keras, *, bound, scale, chaotic)``: store the max
    deviation of one check under its family.

    ``max_rel`` is ``|lrsim - keras| / max(|keras|, scale)``: relative to the Keras value, or
    to ``scale`` for values below it (the natural size of the quantity, so that values that
    converge to zero are not judged relative to themselves). Entries that are inf or NaN must
    be so in both (asserted here). ``chaotic`` marks deviations that the dynamics amplify
    from epoch to epoch, which the record compares with the wider factor.
    """
    table = request.config.stash[DEVIATIONS]

    def record(
        family: str,
        case: str,
        lrsim: Any,
        keras: Any,
        *,
        bound: str,
        scale: float = 0.0,
        chaotic: bool = False,
    ) -> Deviation:
        ours, theirs = np.asarray(lrsim, dtype=np.float64), np.asarray(keras, dtype=np.float64)
        assert ours.shape == theirs.shape, f"{family} {case}: shapes {ours.shape} != {theirs.shape}"
        finite = np.isfinite(ours) & np.isfinite(theirs)
        np.testing.assert_array_equal(
            ours[~finite], theirs[~finite], err_msg=f"{family} {case}: inf/NaN differ"
        )
        diff = np.abs(ours[finite] - theirs[finite])
        size = np.maximum(np.abs(theirs[finite]), scale)
        nonzero = size > 0
        deviation = Deviation(
            family,
            case,
            float(diff.max(initial=0.0)),
            float((diff[nonzero] / size[nonzero]).max(initial=0.0)),
            bound,
            chaotic,
        )
        table.append(deviation)
        return deviation

    return record


@pytest.fixture(scope="session")
def describe_setting(request: pytest.FixtureRequest) -> Any:
    """Return ``describe(key, value)``: file a fact about the experiments (a layer size, a
    sample count) in the record, so that the book quotes the setting the checks really used."""
    setting = request.config.stash[SETTING]

    def describe(key: str, value: Any) -> None:
        setting[key] = value

    return describe


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Compare the run's families with the committed record, or re-make the record."""
    config = session.config
    if not CROSSCHECK_REQUESTED or exitstatus != 0 or not config.stash.get(DEVIATIONS, None):
        return
    if config.getoption("keyword") or config.args != ["tests/crosscheck"]:
        return  # a partial run says nothing about the record
    fresh = summarise(config.stash[DEVIATIONS])
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    reporter.ensure_newline()
    if os.environ.get("LRSIM_CROSSCHECK_RECORD") == "write":
        write_record(keras_backend(), framework_versions(), fresh, config.stash[SETTING])
        reporter.write_line(f"crosscheck: wrote the {keras_backend()} part of {RECORD}")
        return
    entry = read_record()["backends"].get(keras_backend())
    problems = ["the record has no entry for this backend"] if entry is None else []
    if entry is not None:
        problems = disagreements(entry["families"], fresh)
        if entry["setting"] != config.stash[SETTING]:
            problems.append(
                f"the setting is {config.stash[SETTING]}, the record has {entry['setting']}"
            )
    if problems:
        reporter.section(
            "lrsim vs Keras: the fresh run disagrees with the committed record", red=True
        )
        for problem in problems:
            reporter.write_line(f"  {problem}")
        reporter.write_line(
            f"If lrsim changed on purpose, check the deviations above, then run `{RECORD_COMMAND}` "
            f"and commit {RECORD.relative_to(RECORD.parents[2])}."
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif entry["lrsim_source_digest"] != lrsim.source_digest():
        reporter.write_line(
            f"crosscheck: agrees with the record, which was made from lrsim source "
            f"{entry['lrsim_source_digest']} (now {lrsim.source_digest()}); `{RECORD_COMMAND}` "
            "refreshes it"
        )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if not CROSSCHECK_REQUESTED or not config.stash.get(DEVIATIONS, None):
        return
    deviations = config.stash[DEVIATIONS]
    checks = {d.family: sum(e.family == d.family for e in deviations) for d in deviations}
    # A family of many identical-kind checks is summarised in the table after this one.
    rows = [("family", "case", "max |abs|", "max rel", "bound")]
    rows += [
        (d.family, d.case, f"{d.max_abs:.3g}", f"{d.max_rel:.3g}", d.bound)
        for d in deviations
        if checks[d.family] <= MAX_ROWS_PER_FAMILY
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    terminalreporter.section(f"lrsim vs Keras ({keras_backend()} backend): maximum deviations")
    for number, row in enumerate(rows):
        terminalreporter.write_line(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        )
        if number == 0:
            terminalreporter.write_line("  ".join("-" * w for w in widths))
    terminalreporter.section(f"largest deviation per family ({keras_backend()} backend)")
    for row in summarise(config.stash[DEVIATIONS]):
        terminalreporter.write_line(
            f"{row['family']:<44} {row['checks']:>3} checks  max rel {row['max_rel']:.3g}"
            f"  (bound {row['bound']})"
        )
