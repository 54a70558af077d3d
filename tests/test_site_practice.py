"""The built Part IV and Reference pages: figures, citations, and the generated listings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_practice_page_links_its_citations_to_the_reference_list(site):
    html = (site / "practice" / "01-choosing-a-learning-rate.html").read_text(encoding="utf-8")
    for citation in ("Smith", "Nesterov", "Loshchilov", "Goyal"):
        assert re.search(rf'href="[^"]*bibliography\.html#[^"]*"[^>]*>{citation}', html), citation


def test_api_page_documents_every_public_module(site):
    html = (site / "reference" / "api.html").read_text(encoding="utf-8")
    modules = sorted(
        path.stem for path in (ROOT / "src" / "lrsim").glob("*.py") if not path.stem.startswith("_")
    )
    for module in modules:
        assert f'id="module-lrsim.{module}"' in html, module
    assert ".. py:" not in html  # autodoc's reST was parsed, not shown as text


def test_verification_page_lists_every_test(site):
    text = (site / "reference" / "verification.html").read_text(encoding="utf-8")
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                title = node.name.removeprefix("test_").replace("_", " ")
                assert title in text, f"{path.name}: {node.name}"
