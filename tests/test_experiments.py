"""The book's named networks: one definition each, and the prose takes its descriptions from it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from lrsim.experiments import CASE_STUDY, EDGE_OF_STABILITY, RANGE_TEST

DOCS = Path(__file__).resolve().parents[1] / "docs"
NETWORKS = (CASE_STUDY, RANGE_TEST, EDGE_OF_STABILITY)
CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```", re.MULTILINE | re.DOTALL)


def prose(page: Path) -> str:
    """A page's Markdown outside its code cells and its front matter."""
    text = page.read_text(encoding="utf-8").split("---", 2)[-1]
    return CODE_CELL.sub("", text)


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: n.name)
def test_each_network_builds_what_it_describes(network):
    model = network.model(seed=[0, 1], dtype="float32", backend="jax")
    kernels = model.get_weights()[::2]
    assert [k.shape[1:] for k in kernels] == list(itertools.pairwise(network.widths))
    for kernel, limit in zip(kernels, network.glorot_limits, strict=True):
        assert np.abs(kernel).max() <= limit
        assert np.abs(kernel).max() > 0.9 * limit  # the bound is the one drawn from
    data = network.data()
    assert len(data.x_train) + len(data.x_val) == network.n_samples
    assert data.n_features == network.n_features
    assert data.n_classes == network.n_classes
    assert model.backend == "jax"


def test_the_networks_have_distinct_names_so_the_prose_can_tell_them_apart():
    assert len({network.name for network in NETWORKS}) == len(NETWORKS)


def test_no_page_types_an_architecture_or_calls_another_network_the_books():
    """Issue 11: three networks were each called 'the book's'; sizes were typed in prose."""
    for page in sorted(DOCS.rglob("*.md")):
        text = prose(page)
        assert not re.search(r"\d+\s*(→|->)\s*\d+", text), f"{page}: an architecture typed in prose"
        assert "the book's case-study network" not in text, page
        assert not re.search(r"hidden layers of\s+\d", text), f"{page}: layer sizes typed"


def test_the_pages_glue_each_network_they_use(site):
    """Each page shows the architecture of the network it trains, as lrsim defines it."""
    pages = {
        CASE_STUDY: "adam/02-case-studies.html",
        RANGE_TEST: "practice/01-choosing-a-learning-rate.html",
        EDGE_OF_STABILITY: "beyond/02-non-quadratic.html",
    }
    for network, page in pages.items():
        html = (site / page).read_text(encoding="utf-8")
        assert network.architecture in html, (page, network.architecture)
        assert network.name in html, (page, network.name)
