from __future__ import annotations

import numpy as np
import pytest

from lrsim.tables import format_number, markdown_table


def test_numbers_use_a_true_minus_and_readable_non_finite_values():
    assert format_number(-1.96) == "−1.96"
    assert format_number(np.float32(-np.inf)) == "−∞"
    assert format_number(28.0, "d") == "28"
    assert format_number(np.inf, "d") == "∞"


@pytest.mark.parametrize(
    ("value", "spec", "typeset"),
    [
        (2e-7, ".0e", "2\N{NO-BREAK SPACE}×\N{NO-BREAK SPACE}10⁻⁷"),
        (-1.34e146, ".3g", "−1.34\N{NO-BREAK SPACE}×\N{NO-BREAK SPACE}10¹⁴⁶"),
        (1e-14, ".0e", "10⁻¹⁴"),
        (1.0, ".2e", "1.00"),
        (0.902, ".3g", "0.902"),
    ],
)
def test_powers_of_ten_are_written_as_readers_write_them(value, spec, typeset):
    assert format_number(value, spec) == typeset


def test_table_has_one_row_per_value_and_custom_formatters():
    table = markdown_table({"a": [1, 2], "b": ["x", "y"]}, {"a": "d", "b": str.upper})
    assert table.splitlines() == ["| a | b |", "|---:|:---|", "| 1 | X |", "| 2 | Y |"]


def test_text_columns_are_left_aligned_and_number_columns_right_aligned():
    """Issue 13: text columns were right-aligned like numbers."""
    table = markdown_table({"name": ["a", "b"], "value": [1.0, 2.5], "mixed": ["x", 3.0]})
    assert table.splitlines()[1] == "|:---|---:|:---|"


def test_alignment_follows_what_the_cells_show_not_the_python_type():
    """A column of numbers formatted by a function ("39 %", "2 × 10⁻⁷", "—") is numbers."""
    table = markdown_table(
        {"share": [0.39, 1.0], "gap": [2e-7, None], "range": ["0.9–1.2", "1.0–1.1"]},
        {"share": lambda s: f"{100 * s:.0f} %", "gap": ".0e", "range": str},
    )
    assert table.splitlines()[1] == "|---:|---:|:---|"


def test_columns_of_different_lengths_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        markdown_table({"a": [1], "b": [1, 2]})


def test_pipes_in_headers_and_cells_are_escaped_so_the_table_stays_a_table():
    table = markdown_table({"|x|": ["|1 − 2η|"]}, {"|x|": str})
    assert table.splitlines()[0] == "| \\|x\\| |"
    assert table.splitlines()[2] == "| \\|1 − 2η\\| |"
