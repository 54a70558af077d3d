"""The stub audit: replace a core part of lrsim with a trivial stub and count the tests that fail.

A test suite that still passes with ``fit`` doing nothing, Adam stepping as plain SGD or a
schedule returning a constant does not test that part. For every subject below this script
runs the unit tests and doctests (``tests/`` and ``src/lrsim``, without the checks of the built
site, whose pages were executed by an unstubbed lrsim) in a fresh pytest process with the stub
in place, and prints how many tests failed. Every stub must make at least one test fail; the
script exits with status 1 if one does not.

Run it with ``nox -s stub_audit`` (``-- NAME ...`` audits only the subjects named so). It runs
one pytest process per subject, a few minutes in all, so it is not part of ``nox -s tests``.
The stub is applied by this same file, loaded as a pytest plugin (``-p stub_audit``) that
patches the subject named by ``LRSIM_STUB`` before any test module is imported.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lrsim import callbacks, lr_finder, network, optimizers, schedules, tables, training

ROOT = Path(__file__).resolve().parent.parent

# Tests that read the built site (the `site` fixture) or build it: a stub cannot reach them.
SITE_TESTS = [
    "tests/test_site.py",
    "tests/test_site_practice.py",
    "tests/test_adam_pages.py",
    "tests/test_beyond_pages.py",
    "tests/test_docs_cache.py",
    "tests/test_experiments.py",
    "tests/test_crosscheck_record.py",
    "tests/test_lock.py",
]


def _constant(value: Any) -> Callable[..., Any]:
    def stub(*args: Any, **kwargs: Any) -> Any:
        return value

    return stub


def _stub_fit() -> None:
    def fit(model: Any, optimizer: Any, x: Any, y: Any, **kwargs: Any) -> Any:
        return training.History(getattr(model, "ensemble_size", None), {})

    training.fit = fit  # type: ignore[assignment]


def _stub_adam_as_sgd() -> None:
    def sgd_step(self: Any, variable: Any, gradient: Any, state: Any, rate: Any, **_: Any) -> None:
        variable -= rate * gradient

    optimizers.Adam._update_in_place = sgd_step  # type: ignore[method-assign]


def _stub_zero_gradients() -> None:
    original = network.Sequential.batch_gradients

    def batch_gradients(self: Any, x: Any, y: Any) -> Any:
        loss, probabilities = original(self, x, y)
        self.grads.fill(0.0)
        return loss, probabilities

    network.Sequential.batch_gradients = batch_gradients  # type: ignore[method-assign]


def _stub_zero_gradient_pass() -> None:
    original = network.GradientPass.run

    def run(self: Any, x: Any, y: Any) -> None:
        original(self, x, y)
        for grads in self._grads:
            grads.fill(0.0)

    network.GradientPass.run = run  # type: ignore[method-assign]


def _stub_early_stopping_never_stops() -> None:
    callbacks.EarlyStopping.on_epoch_end = _constant(None)  # type: ignore[method-assign]


def _stub_format_number_as_str() -> None:
    tables.format_number = lambda value, spec="g": format(value, spec)  # type: ignore[assignment]


def _stub_plateau_never_reduces() -> None:
    callbacks.ReduceLROnPlateau.on_epoch_end = _constant(None)  # type: ignore[method-assign]


def _stub_schedules_constant() -> None:
    for name in ("ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay"):
        cls = getattr(schedules, name)

        def initial(self: Any, step: Any) -> Any:
            return 0.1

        cls.__call__ = initial


def _stub_functions(module_name: str, *names: str, value: Any = 0.0) -> Callable[[], None]:
    def apply() -> None:
        module = importlib.import_module(f"lrsim.{module_name}")
        for name in names:
            setattr(module, name, _constant(value))

    return apply


def _stub_range_test_suggestions() -> None:
    for name in ("suggest_steepest", "suggest_minimum", "suggest_valley"):
        setattr(lr_finder.RangeTest, name, _constant(0.0))


SUBJECTS: dict[str, Callable[[], None]] = {
    "training.fit (trains nothing, records nothing)": _stub_fit,
    "optimizers.Adam (steps as plain SGD)": _stub_adam_as_sgd,
    "callbacks.ReduceLROnPlateau (never reduces)": _stub_plateau_never_reduces,
    "network.Sequential.batch_gradients (zero gradient)": _stub_zero_gradients,
    "network.GradientPass.run (zero gradient: fit's step)": _stub_zero_gradient_pass,
    "callbacks.EarlyStopping (never stops)": _stub_early_stopping_never_stops,
    "parabola.iterate (returns 0)": _stub_functions("parabola", "iterate"),
    "parabola.closed_form (returns 0)": _stub_functions("parabola", "closed_form"),
    "parabola.classify (returns 0)": _stub_functions("parabola", "classify"),
    "parabola.overflow (returns 0)": _stub_functions("parabola", "overflow"),
    "parabola.steps_to_tolerance (returns 0)": _stub_functions("parabola", "steps_to_tolerance"),
    "quadratic.iterate (returns 0)": _stub_functions("quadratic", "iterate"),
    "quadratic.closed_form (returns 0)": _stub_functions("quadratic", "closed_form"),
    "quadratic.critical_learning_rate (returns 0)": _stub_functions(
        "quadratic", "critical_learning_rate"
    ),
    "quadratic.convergence_rate (returns 0)": _stub_functions("quadratic", "convergence_rate"),
    "schedules (every schedule returns 0.1)": _stub_schedules_constant,
    "sharpness.top_eigenvalue (returns 0)": _stub_functions("sharpness", "top_eigenvalue"),
    "sharpness.hessian_vector_product (returns 0)": _stub_functions(
        "sharpness", "hessian_vector_product"
    ),
    "sharpness.full_batch_descent (returns 0)": _stub_functions("sharpness", "full_batch_descent"),
    "lr_finder.lr_range_test (returns 0)": _stub_functions("lr_finder", "lr_range_test"),
    "lr_finder.RangeTest suggestions (return 0)": _stub_range_test_suggestions,
    "quartic.iterate (returns 0)": _stub_functions("quartic", "iterate"),
    "adam_dynamics.adam_on_parabola (returns 0)": _stub_functions(
        "adam_dynamics", "adam_on_parabola"
    ),
    "adam_dynamics.momentum_threshold (returns 0)": _stub_functions(
        "adam_dynamics", "momentum_threshold"
    ),
    "summaries.keras_plateau_schedule (returns 0)": _stub_functions(
        "summaries", "keras_plateau_schedule"
    ),
    "diagnostics.dead_relu_fraction (returns 0)": _stub_functions(
        "diagnostics", "dead_relu_fraction"
    ),
    "datasets.spirals (returns 0)": _stub_functions("datasets", "spirals"),
    "tables.format_number (Python's format)": _stub_format_number_as_str,
    "plotting.labels_over_data (returns False)": _stub_functions(
        "plotting", "labels_over_data", value=False
    ),
}


def pytest_configure(config: Any) -> None:
    """As a pytest plugin: apply the stub ``LRSIM_STUB`` names, before tests are collected."""
    SUBJECTS[os.environ["LRSIM_STUB"]]()


def audit(subject: str) -> tuple[int, int]:
    """Run the tests with ``subject`` stubbed: (failed or errored, passed)."""
    ignored = [f"--ignore={path}" for path in SITE_TESTS]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "stub_audit"]
    command += ["--tb=no", "-o", "addopts=", "--doctest-modules", "-m", "not site"]
    command += ["--continue-on-collection-errors"]
    command += [*ignored, "tests", "src/lrsim"]
    env = os.environ | {"LRSIM_STUB": subject, "PYTHONPATH": str(ROOT / "tools")}
    result = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (failed|errors?|passed)", summary)}
    failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    return failed, counts.get("passed", 0)


def main(names: list[str]) -> int:
    chosen = [s for s in SUBJECTS if not names or any(n in s for n in names)]
    missed = []
    for subject in chosen:
        failed, passed = audit(subject)
        print(f"{failed:5d} failed, {passed:5d} passed   {subject}", flush=True)
        if failed == 0:
            missed.append(subject)
    if missed:
        print("No test fails with these stubbed:", *missed, sep="\n  ")
        return 1
    print(f"Every one of {len(chosen)} stubs makes some test fail.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
