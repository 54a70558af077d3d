"""The cross-check record, ``docs/reference/crosscheck.json``: what it holds, how a fresh run is
compared with it, and how it is re-made. Plain Python (no Keras), so that the default test run
can check the record and this logic.

Every deviation a cross-check finds is filed under a family (the optimizers against eager Keras,
one ``fit`` configuration, ...). The record holds, per Keras backend, the versions, the digest of
lrsim's source, the experiments' setting and one row per family: its number of checks, its
largest relative deviation and the bound of the check where that occurred. A fresh run disagrees
with the record when a family was added or dropped, when its number of checks changed, or when
its largest deviation differs from the recorded one by more than the agreement factor (0 must
stay 0).
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lrsim

RECORD = Path(__file__).resolve().parents[2] / "docs" / "reference" / "crosscheck.json"
RECORD_COMMAND = "nox -s crosscheck -- record"
BACKENDS = ("tensorflow", "jax")
# Deviations at the level of float32 rounding move by a factor of about 2 between BLAS builds,
# CPUs and framework versions; the chaotic runs' late epochs amplify that. A fresh run must
# stay within this factor of the recorded largest deviation, either way.
AGREEMENT_FACTOR = 4.0
CHAOTIC_AGREEMENT_FACTOR = 16.0


@dataclass(frozen=True)
class Deviation:
    """The largest difference between lrsim and Keras found by one check."""

    family: str
    case: str
    max_abs: float
    max_rel: float
    bound: str
    chaotic: bool = False


def summarise(deviations: list[Deviation]) -> list[dict[str, Any]]:
    """One row per family, in the order first seen: checks, the largest deviation, its bound."""
    families: dict[str, list[Deviation]] = {}
    for deviation in deviations:
        families.setdefault(deviation.family, []).append(deviation)
    rows = []
    for family, members in families.items():
        worst = max(members, key=lambda d: d.max_rel)
        rows.append(
            {
                "family": family,
                "checks": len(members),
                "max_rel": worst.max_rel,
                "max_abs": max(d.max_abs for d in members),
                "worst_case": worst.case,
                "bound": worst.bound,
                "chaotic": any(d.chaotic for d in members),
            }
        )
    return rows


def disagreements(recorded: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> list[str]:
    """What a fresh run's families say that the record does not, within the agreement factors."""
    problems = []
    old = {row["family"]: row for row in recorded}
    new = {row["family"]: row for row in fresh}
    problems += [
        f"family {name!r} is in the record but was not checked" for name in old.keys() - new.keys()
    ]
    problems += [
        f"family {name!r} was checked but is not in the record" for name in new.keys() - old.keys()
    ]
    for name in old.keys() & new.keys():
        was, now = old[name], new[name]
        if was["checks"] != now["checks"]:
            problems.append(f"{name}: {now['checks']} checks, the record has {was['checks']}")
        factor = CHAOTIC_AGREEMENT_FACTOR if now["chaotic"] else AGREEMENT_FACTOR
        a, b = was["max_rel"], now["max_rel"]
        agree = a == b == 0 or (a > 0 and b > 0 and max(a, b) / min(a, b) <= factor)
        if not agree:
            problems.append(
                f"{name}: largest relative deviation {b:.3g} ({now['worst_case']}), "
                f"the record has {a:.3g} (agreement within a factor of {factor:g})"
            )
    return sorted(problems)


def read_record() -> dict[str, Any]:
    if RECORD.exists():
        record: dict[str, Any] = json.loads(RECORD.read_text())
        return record
    return {"backends": {}}


def write_record(
    backend: str, versions: dict[str, str], fresh: list[dict[str, Any]], setting: dict[str, Any]
) -> None:
    """Replace ``backend``'s part of the record; the other backend's part stays as it was."""
    record = read_record()
    record["backends"][backend] = {
        "versions": versions | {"python": platform.python_version()},
        "lrsim_source_digest": lrsim.source_digest(),
        "setting": dict(sorted(setting.items())),
        "families": fresh,
    }
    order = sorted(record["backends"], key=BACKENDS.index)
    record["backends"] = {name: record["backends"][name] for name in order}
    RECORD.write_text(json.dumps(record, indent=1) + "\n")
