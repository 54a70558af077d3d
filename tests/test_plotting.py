"""The book's figure style: log axes labelled without mathtext, minor ticks only where they help,
one figure width and readable text sizes, and a check that labels leave the data visible."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.scale
import pytest
from matplotlib.ticker import LogFormatterSciNotation

from lrsim.parabola import iterate
from lrsim.plotting import (
    BOOK_STYLE,
    FIGURE_WIDTH,
    MINOR_TICK_DECADES,
    PowerOfTenFormatter,
    figure_size,
    labels_over_data,
    plot_parabola_path,
    use_book_style,
    use_log_scale,
)


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
    use_log_scale(wide)
    use_log_scale(narrow)
    wide.plot([1e-5, 1.0])
    narrow.plot([1.0, 10.0**MINOR_TICK_DECADES])
    wide.set_ylim(1e-5, 1)
    narrow.set_ylim(1, 10.0**MINOR_TICK_DECADES)
    fig.canvas.draw()
    assert len(wide.get_yticks(minor=True)) == 0
    assert len(narrow.get_yticks(minor=True)) >= 8 * MINOR_TICK_DECADES
    labels = {text.get_text() for text in wide.get_yticklabels()}
    assert {"10⁻⁴", "10⁻²", "10⁰"} <= labels
    assert not any("$" in text for text in labels)
    plt.close(fig)


def test_the_book_log_scale_is_given_to_axes_and_leaves_matplotlibs_own_alone():
    use_book_style()
    fig = plt.figure()
    book, left, plain = (fig.add_subplot(2, 2, n) for n in (1, 2, 3))
    right = fig.add_subplot(2, 2, 4, sharey=left)
    assert type(matplotlib.scale.scale_factory("log", book.yaxis)) is matplotlib.scale.LogScale
    use_log_scale(book, "x")
    use_log_scale(left, "y")  # and right, which shares its y axis
    plain.set_yscale("log")
    for axis in (book.xaxis, left.yaxis, right.yaxis):
        assert axis.get_scale() == "log"  # autoscaling tests for this name
        assert type(axis.get_major_formatter()) is PowerOfTenFormatter
        assert type(axis.get_minor_formatter()) is PowerOfTenFormatter
    assert type(book.yaxis.get_major_formatter()) is not PowerOfTenFormatter
    assert type(plain.yaxis.get_major_formatter()) is LogFormatterSciNotation
    plt.close(fig)


def test_use_log_scale_names_the_axes_it_accepts():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match='which must be "x", "y" or "both"'):
        use_log_scale(ax, "z")
    plt.close(fig)


def test_no_text_in_the_book_style_is_below_9_points():
    """9 pt is 12 CSS px at a figure's own width, the size the site shows it at."""
    sizes = {
        key: value
        for key, value in BOOK_STYLE.items()
        if key.endswith(("font.size", "labelsize", "titlesize", "fontsize"))
    }
    assert {"font.size", "legend.fontsize", "xtick.labelsize", "axes.titlesize"} <= set(sizes)
    assert all(value >= 9 for value in sizes.values()), sizes


def test_every_figure_size_has_the_book_width():
    assert figure_size(2.5) == (FIGURE_WIDTH, 2.5)
    assert BOOK_STYLE["figure.figsize"][0] == FIGURE_WIDTH
    with pytest.raises(ValueError, match="height"):
        figure_size(0)


def test_a_legend_over_a_line_is_flagged_and_one_beside_it_is_not():
    use_book_style()
    fig, ax = plt.subplots(figsize=figure_size(3))
    ax.plot([0, 1], [1, 0], label="falling")
    ax.axhline(0.9, color="#888888")  # a reference line may run under a label
    ax.legend(loc="upper left")
    assert labels_over_data(fig) == ["legend (falling)"]
    ax.legend(loc="upper right")
    assert labels_over_data(fig) == []
    plt.close(fig)


def test_an_annotation_over_a_marker_only_line_is_flagged():
    use_book_style()
    fig, ax = plt.subplots(figsize=figure_size(3))
    ax.plot([0, 1, 2], [0, 1, 0], "o")
    ax.annotate("peak", (1, 1), ha="center", va="center")
    ax.annotate("valley", (1, 0.2), ha="center")
    assert labels_over_data(fig) == ["peak"]
    plt.close(fig)


@pytest.mark.parametrize("eta", [0.8, 1.0, 1.2])
def test_the_start_label_leaves_the_seeds_paths_visible(eta):
    use_book_style()
    fig, ax = plt.subplots(figsize=figure_size(3.2))
    plot_parabola_path(ax, iterate(eta, x0=-1.0, steps=3), x_limit=3.0 if eta > 1 else 1.5)
    assert labels_over_data(fig) == []
    plt.close(fig)
