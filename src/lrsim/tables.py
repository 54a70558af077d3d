"""Plain Markdown tables of computed numbers, for pages to display (no pandas needed)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["format_number", "markdown_table"]


def format_number(value: Any, spec: str = ".4g") -> str:
    """Format a number for a table: a true minus sign, and ∞ / NaN spelled as readers expect.

    Examples
    --------
    >>> format_number(-0.36)
    '−0.36'
    >>> format_number(float("inf")), format_number(float("nan"))
    ('∞', 'NaN')
    >>> format_number(None)
    '—'

    Powers of ten are written out, never in e-notation:

    >>> format_number(1.6e-7, ".1e"), format_number(1e-14, ".0e"), format_number(2.034e4)
    ('1.6\xa0×\xa010⁻⁷', '10⁻¹⁴', '2.034\xa0×\xa010⁴')
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    number = float(value)
    if spec.endswith("d") and number.is_integer():
        return format(int(number), spec).replace("-", "−")
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return _powers_of_ten(format(number, spec)).replace("-", "−")


# What format_number writes for a number, alone in a cell (maybe with a unit or a percent sign).
_NUMBER = re.compile(
    r"[−-]?(\d[\d,]*(\.\d*)?|\.\d+)(\N{NO-BREAK SPACE}×\N{NO-BREAK SPACE}10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?"
    r"( ?%)?|[−-]?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+|[−-]?∞|NaN|—"
)
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _powers_of_ten(text: str) -> str:
    """Write Python's e-notation as readers write it: '1.6e-07' becomes '1.6 × 10⁻⁷'.

    The spaces around × do not break, so a number never splits across two lines.
    """
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    if int(exponent) == 0:
        return mantissa
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPTS)
    if mantissa == "1":
        return power
    return f"{mantissa}\N{NO-BREAK SPACE}×\N{NO-BREAK SPACE}{power}"


def _escape(text: str) -> str:
    """Escape the pipes in a cell (as in |x|), which would otherwise end the cell."""
    return text.replace("|", "\\|")


def markdown_table(
    columns: Mapping[str, Sequence[Any]],
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
) -> str:
    """Return a Markdown table with one column per mapping entry, all of the same length.

    Parameters
    ----------
    columns : mapping of str to sequence
        Header → cell values, in column order.
    formats : mapping of str to str or callable, optional
        Per column, a format spec for :func:`format_number` or a function giving the cell text.

    Examples
    --------
    >>> print(markdown_table({"k": [0, 1], "|x_k|": [1.0, 0.6]}, {"k": "d"}))
    | k | \\|x_k\\| |
    |---:|---:|
    | 0 | 1 |
    | 1 | 0.6 |
    >>> print(markdown_table({"regime": ["monotone", "divergent"], "rate": [0.5, 1.4]}))
    | regime | rate |
    |:---|---:|
    | monotone | 0.5 |
    | divergent | 1.4 |
    >>> print(markdown_table({"share": [0.39, 1.0]}, {"share": lambda s: f"{100 * s:.0f} %"}))
    | share |
    |---:|
    | 39 % |
    | 100 % |
    """
    formats = dict(formats or {})
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns must all have the same length, got lengths {sorted(lengths)}")
    headers = list(columns)
    rows = []
    for row in zip(*columns.values(), strict=True):
        cells = []
        for header, value in zip(headers, row, strict=True):
            formatter = formats.get(header, ".4g")
            cells.append(
                formatter(value) if callable(formatter) else format_number(value, formatter)
            )
        rows.append(cells)
    # Numbers line up on the right, whatever made them (a format spec or a function such as
    # f"{share:.0f} %"); everything else reads from the left.
    numeric = [all(_NUMBER.fullmatch(row[i]) for row in rows) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(_escape(header) for header in headers) + " |",
        "|" + "|".join("---:" if number else ":---" for number in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_escape(cell) for cell in cells) + " |" for cells in rows]
    return "\n".join(lines)
