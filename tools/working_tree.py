"""A copy of the working tree as git sees it, for sessions that build or edit the book away
from the checkout (``nox -s upgrade``, the build benchmark)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_working_tree(target: Path, root: Path = ROOT) -> None:
    """Copy the tracked and untracked files of ``root`` (ignored ones left out) into ``target``:
    the book as it would be committed."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    for name in filter(None, listing.split("\0")):
        if (root / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target / name)
