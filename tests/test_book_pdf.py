"""tools/book_pdf.py without a browser: which Chromium it prints with, and that a missing one
stops it at once with the way to get one (on a publisher's machine, not a hang or a traceback)."""

from __future__ import annotations

from pathlib import Path

import book_pdf  # tests/conftest.py puts tools/ on the path
import pytest


def test_lrsim_chromium_is_used_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "chrome-headless-shell"
    binary.write_text("")
    monkeypatch.setenv("LRSIM_CHROMIUM", str(binary))
    assert book_pdf.browser_path() == str(binary)


def test_a_wrong_lrsim_chromium_is_an_error_not_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRSIM_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(SystemExit, match=r"LRSIM_CHROMIUM=.*missing: no such file"):
        book_pdf.browser_path()


def test_no_chromium_anywhere_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LRSIM_CHROMIUM", raising=False)
    monkeypatch.setattr(book_pdf, "SYSTEM_CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="apt-get install chromium, or set LRSIM_CHROMIUM"):
        book_pdf.browser_path()
