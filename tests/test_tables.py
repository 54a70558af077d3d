from __future__ import annotations

import numpy as np
import pytest

from lrsim.tables import format_number, markdown_table


def test_numbers_use_a_true_minus_and_readable_non_finite_values():
    assert format_number(-1.96) == "−1.96"
    assert format_number(np.float32(-np.inf)) == "−∞"
    assert format_number(28.0, "d") == "28"
    assert format_number(np.inf, "d") == "∞"


def test_table_has_one_row_per_value_and_custom_formatters():
    table = markdown_table({"a": [1, 2], "b": ["x", "y"]}, {"a": "d", "b": str.upper})
    assert table.splitlines() == ["| a | b |", "|---:|:---|", "| 1 | X |", "| 2 | Y |"]


def test_text_columns_are_left_aligned_and_number_columns_right_aligned():
    """Issue 13: text columns were right-aligned like numbers."""
    table = markdown_table({"name": ["a", "b"], "value": [1.0, 2.5], "mixed": ["x", 3.0]})
    assert table.splitlines()[1] == "|:---|---:|---:|"


def test_columns_of_different_lengths_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        markdown_table({"a": [1], "b": [1, 2]})


def test_pipes_in_headers_and_cells_are_escaped_so_the_table_stays_a_table():
    table = markdown_table({"|x|": ["|1 − 2η|"]}, {"|x|": str})
    assert table.splitlines()[0] == "| \\|x\\| |"
    assert table.splitlines()[2] == "| \\|1 − 2η\\| |"
