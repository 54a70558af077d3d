"""uv.lock: every environment nox creates is installed from it, so it must match pyproject.toml
and must not pin a version that pyproject.toml's bounds exclude for a known breakage."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def lock_check(project: Path) -> subprocess.CompletedProcess[str]:
    """`uv lock --check` as nox runs it before every session, with the uv nox found."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv not found: nox installs every environment with it (pip install uv)")
    command = [uv, "lock", "--check", "--offline", "--project", str(project)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_lock_matches_pyproject() -> None:
    result = lock_check(ROOT)
    assert result.returncode == 0, f"uv.lock is stale, run `nox -s lock`:\n{result.stderr}"


def test_an_edited_bound_makes_the_lock_stale(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path)
    assert lock_check(tmp_path).returncode == 0
    pyproject = tmp_path / "pyproject.toml"
    edited = pyproject.read_text().replace('"sphinx>=8.1,<10"', '"sphinx>=8.1,<9"')
    assert edited != pyproject.read_text()
    pyproject.write_text(edited)
    assert lock_check(tmp_path).returncode != 0


def locked_versions() -> dict[str, list[str]]:
    packages = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    versions: dict[str, list[str]] = {}
    for package in packages:
        versions.setdefault(package["name"], []).append(package["version"])
    return versions


@pytest.mark.parametrize(
    ("name", "known_good"),
    [
        # With sphinx-book-theme 1.4 (0.20) the phone menu does not open.
        ("pydata-sphinx-theme", "<0.20"),
        # The build's extensions are tested against Sphinx 8 and 9.
        ("sphinx", ">=8,<10"),
    ],
)
def test_locked_versions_avoid_known_breakages(name: str, known_good: str) -> None:
    versions = locked_versions()[name]
    assert all(version in SpecifierSet(known_good) for version in versions), versions
