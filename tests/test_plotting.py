"""The book's log axes: matplotlib's labels without mathtext, and minor ticks only where they help."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.ticker import LogFormatterSciNotation

from lrsim.plotting import MINOR_TICK_DECADES, PowerOfTenFormatter, use_book_style


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (1e-3, "10⁻³"),
        (1.0, "10⁰"),
        (1e12, "10¹²"),
        (2e-3, "2×10⁻³"),
        (5e7, "5×10⁷"),
        (-1e4, "−10⁴"),
    ],
)
def test_labels_are_matplotlibs_written_in_unicode(value, label):
    mathtext = LogFormatterSciNotation(labelOnlyBase=False)(value)
    assert mathtext.startswith("$")  # what matplotlib would have parsed as mathtext
    assert PowerOfTenFormatter(labelOnlyBase=False)(value) == label


def test_book_log_axes_drop_minor_ticks_only_beyond_the_decade_limit():
    use_book_style()
    fig, (wide, narrow) = plt.subplots(1, 2)
    wide.semilogy([1e-5, 1.0])
    narrow.semilogy([1.0, 10.0**MINOR_TICK_DECADES])
    wide.set_ylim(1e-5, 1)
    narrow.set_ylim(1, 10.0**MINOR_TICK_DECADES)
    fig.canvas.draw()
    assert len(wide.get_yticks(minor=True)) == 0
    assert len(narrow.get_yticks(minor=True)) >= 8 * MINOR_TICK_DECADES
    labels = {text.get_text() for text in wide.get_yticklabels()}
    assert {"10⁻⁴", "10⁻²", "10⁰"} <= labels
    assert not any("$" in text for text in labels)
    plt.close(fig)
