"""The book's figure style and plot helpers: the only lrsim module that imports matplotlib.

Every figure is :data:`FIGURE_WIDTH` wide (grids grow taller, not wider) and sets its text in
the sizes of :data:`BOOK_STYLE`, so that figure text is the same size on every page. Figures are
drawn on white in black, greys and the Okabe-Ito colour-blind-safe palette; the book's site
repaints exactly these colours in the reader's theme (``docs/_ext/theme_figures.py``), so a
figure should use no other colours for lines and text. Each of the seed's learning rates has
the same colour on every page (:data:`LEARNING_RATE_COLORS`).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from typing import Any

import matplotlib.scale
import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullLocator
from matplotlib.transforms import Bbox
from numpy.typing import ArrayLike

from lrsim.parabola import SEED_CURVATURE, loss

__all__ = [
    "BOOK_STYLE",
    "FIGURE_WIDTH",
    "IMAGE_INK",
    "LEARNING_RATE_COLORS",
    "MINOR_TICK_DECADES",
    "OKABE_ITO",
    "PowerOfTenFormatter",
    "explorer_html",
    "figure_size",
    "labels_over_data",
    "learning_rate_color",
    "plot_abs_iterates",
    "plot_contour_path",
    "plot_parabola_path",
    "plot_seed_band",
    "sparse_log_ticks",
    "use_book_style",
]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
"""The Okabe-Ito palette (distinguishable with the common colour-vision deficiencies)."""

LEARNING_RATE_COLORS = {
    1e-5: "#999999",
    1e-4: OKABE_ITO["sky"],
    1e-3: OKABE_ITO["blue"],
    1e-2: OKABE_ITO["green"],
    1e-1: OKABE_ITO["purple"],
    0.8: OKABE_ITO["blue"],
    1.0: OKABE_ITO["orange"],
    1.1: OKABE_ITO["purple"],
    1.2: OKABE_ITO["vermillion"],
}
"""Colour of each learning rate the book follows, the same on every page: the seed article's
0.8, 1, 1.1 and 1.2 in Part I, and Part III's decades (1 and 1.2 keep their Part I colours)."""

FIGURE_WIDTH = 7.0
"""Width of every figure in inches: 504 pt, 672 CSS px, just inside the site's text column at
1280 px, where a figure is shown at its own size and 9 pt text is 12 CSS px."""

BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (FIGURE_WIDTH, 3.6),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "figure.constrained_layout.use": True,
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    # Text sizes in points, none below 9 (12 CSS px at the figure's own size).
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": "cycler(color=[{}])".format(
        ", ".join(repr(OKABE_ITO[name]) for name in ("blue", "vermillion", "green", "orange"))
    ),
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "font.size": 11,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "savefig.facecolor": "white",
    # Same figure, same bytes: SVG ids are derived from this salt instead of a random one.
    "svg.hashsalt": "lrsim",
}
"""The matplotlib rcParams of every figure in the book."""


IMAGE_INK = "#101014"
"""Ink for lines drawn over a heat map. The site repaints black and greys in the reader's
theme (light ink on a dark page) but not a heat map's colours; this near-black is neither grey
nor an Okabe-Ito colour, so it stays dark on the map in both themes."""

MINOR_TICK_DECADES = 3
"""Log axes spanning more decades than this get no minor ticks: they would only crowd the axis."""

_SUPERSCRIPTS = str.maketrans("-0123456789", "\N{SUPERSCRIPT MINUS}⁰¹²³⁴⁵⁶⁷⁸⁹")
_MATHTEXT_EXPONENT = re.compile(r"\^\{(-?[0-9]+)\}")


class PowerOfTenFormatter(LogFormatterSciNotation):
    """Matplotlib's log-axis labels (10⁻³, 2×10⁻³) written in plain Unicode instead of mathtext.

    The labels are the same; only mathtext is avoided. Parsing one mathtext label costs about
    10 ms, and log-axis labels made a fifth of the time the book's figures took to render.

    Examples
    --------
    >>> label = PowerOfTenFormatter(labelOnlyBase=False)
    >>> label(1e-3), label(2e-3), label(1.0), label(-1e4)
    ('10⁻³', '2×10⁻³', '10⁰', '−10⁴')
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        label = super().__call__(x, pos)
        if not label.startswith("$"):
            return label
        body = label.removeprefix("$\\mathdefault{").removesuffix("}$").replace("\\times", "×")
        body = _MATHTEXT_EXPONENT.sub(lambda match: match.group(1).translate(_SUPERSCRIPTS), body)
        return body.replace("-", "\N{MINUS SIGN}")


class _SparseMinorLogLocator(LogLocator):
    """Minor ticks of a log axis, none at all once the view spans many decades."""

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        low, high = sorted((vmin, vmax))
        if low > 0 and math.log10(high / low) > MINOR_TICK_DECADES:
            return []
        return super().tick_values(vmin, vmax)


class _BookLogScale(matplotlib.scale.LogScale):
    """Matplotlib's "log" scale with the book's labels and minor ticks."""

    name = "log"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Matplotlib < 3.11 passes the axis first, later versions only when the constructor
        # names an `axis` parameter (and warn that it is deprecated): accept both.
        super().__init__(*args, **kwargs)

    def set_default_locators_and_formatters(self, axis: Axis) -> None:
        super().set_default_locators_and_formatters(axis)
        axis.set_major_formatter(PowerOfTenFormatter(self.base))
        axis.set_minor_formatter(
            PowerOfTenFormatter(self.base, labelOnlyBase=self.subs is not None)
        )
        subs = None if self.subs is None else [float(sub) for sub in self.subs]
        axis.set_minor_locator(_SparseMinorLogLocator(self.base, subs))


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` to matplotlib's global rcParams, and the book's log axes.

    From then on every log axis (``set_yscale("log")``, ``semilogy``, ``loglog``) labels its
    ticks with :class:`PowerOfTenFormatter` and has no minor ticks when it spans more than
    :data:`MINOR_TICK_DECADES` decades.

    Examples
    --------
    >>> import matplotlib
    >>> import matplotlib.pyplot as plt
    >>> use_book_style()
    >>> matplotlib.rcParams["svg.hashsalt"]
    'lrsim'
    >>> fig, ax = plt.subplots()
    >>> ax.set_xscale("log")
    >>> ax.set_xlim(1e-5, 1)
    (1e-05, 1)
    >>> [label.get_text() for label in ax.get_xticklabels()][1:4], len(ax.get_xticks(minor=True))
    (['10⁻⁵', '10⁻⁴', '10⁻³'], 0)
    >>> plt.close(fig)
    """
    matplotlib.style.use(BOOK_STYLE)
    matplotlib.scale.register_scale(_BookLogScale)


def figure_size(height: float) -> tuple[float, float]:
    """Return the ``figsize`` of a figure ``height`` inches tall: every figure is as wide.

    Examples
    --------
    >>> figure_size(5.4)
    (7.0, 5.4)
    """
    if not height > 0:
        raise ValueError(f"height must be a positive number of inches, got {height!r}")
    return (FIGURE_WIDTH, float(height))


def plot_parabola_path(
    ax: Axes,
    path: ArrayLike,
    *,
    curvature: float = SEED_CURVATURE,
    color: str = OKABE_ITO["blue"],
    label: str | None = None,
    x_limit: float | None = None,
) -> Axes:
    """Draw f(x) = (L/2)x² and the gradient-descent iterates on it, joined in order.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    path : array_like
        Iterates x_0, x_1, … (1-D), e.g. from :func:`lrsim.parabola.iterate`.
    curvature : float, default 2
        L of the parabola to draw.
    color : str
        Colour of the iterates.
    label : str, optional
        Legend label of the iterates.
    x_limit : float, optional
        Half-width of the x range drawn; by default just wider than the iterates.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from lrsim.parabola import iterate
    >>> fig, ax = plt.subplots()
    >>> _ = plot_parabola_path(ax, iterate(0.8, steps=3))
    >>> len(ax.lines)
    3
    >>> plt.close(fig)
    """
    xs = np.asarray(path, dtype=np.float64)
    finite = xs[np.isfinite(xs)]
    half_width = x_limit if x_limit is not None else 1.1 * float(np.max(np.abs(finite), initial=1))
    grid = np.linspace(-half_width, half_width, 401)
    ax.plot(grid, loss(grid, curvature), color="#888888", linewidth=1.5, zorder=1)
    ys = loss(xs, curvature)
    ax.plot(xs, ys, color=color, linewidth=1.2, alpha=0.7, zorder=2)
    ax.plot(xs, ys, "o", color=color, label=label, zorder=3)
    # Below the start on its outer side, outside the bowl, where no step ever goes: above it
    # the first step's line ran through the label.
    outward = -1 if xs[0] <= 0 else 1
    ax.annotate("start", (xs[0], ys[0]), textcoords="offset points", xytext=(6 * outward, -6),
                ha="right" if outward < 0 else "left", va="top")  # fmt: skip
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    return ax


def plot_abs_iterates(
    ax: Axes,
    path: ArrayLike,
    *,
    color: str = OKABE_ITO["blue"],
    label: str | None = None,
) -> Axes:
    """Plot ``|x_k|`` against step k on a log axis, where geometric growth or decay is a line.

    Zeros and non-finite values are left out (a log axis cannot show them).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from lrsim.parabola import iterate
    >>> fig, ax = plt.subplots()
    >>> _ = plot_abs_iterates(ax, iterate(1.2, steps=10))
    >>> ax.get_yscale()
    'log'
    >>> plt.close(fig)
    """
    magnitudes = np.abs(np.asarray(path, dtype=np.float64))
    steps = np.arange(magnitudes.size)
    shown = np.isfinite(magnitudes) & (magnitudes > 0)
    ax.plot(steps[shown], magnitudes[shown], "o-", color=color, label=label, markersize=4)
    ax.set_yscale("log")
    ax.set_xlabel("step k")
    ax.set_ylabel("|xₖ|")
    return ax


def plot_contour_path(
    ax: Axes,
    hessian: ArrayLike,
    path: ArrayLike,
    *,
    limits: tuple[float, float, float, float],
    color: str = OKABE_ITO["blue"],
    label: str | None = None,
) -> Axes:
    """Draw level sets of ½wᵀAw (2-D) and a gradient-descent path across them.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    hessian : array_like, shape (2, 2)
        A.
    path : array_like, shape (steps + 1, 2)
        Iterates, e.g. from :func:`lrsim.quadratic.iterate`; points outside ``limits`` are
        clipped by the axes, non-finite ones dropped.
    limits : (x1_min, x1_max, x2_min, x2_max)
        The region drawn.
    color : str
        Colour of the path.
    label : str, optional
        Legend label of the path.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from lrsim.quadratic import iterate
    >>> A = np.diag([0.2, 4.0])
    >>> fig, ax = plt.subplots()
    >>> _ = plot_contour_path(ax, A, iterate(A, 0.4, [-5.0, -2.0], 10), limits=(-6, 1, -3, 3))
    >>> [float(limit) for limit in ax.get_xlim()]
    [-6.0, 1.0]
    >>> plt.close(fig)
    """
    matrix = np.asarray(hessian, dtype=np.float64)
    x1_min, x1_max, x2_min, x2_max = limits
    grid_1, grid_2 = np.meshgrid(np.linspace(x1_min, x1_max, 200), np.linspace(x2_min, x2_max, 200))
    points = np.stack([grid_1, grid_2], axis=-1)
    values = 0.5 * np.einsum("...i,ij,...j->...", points, matrix, points)
    ax.contour(grid_1, grid_2, values, levels=12, colors="#bbbbbb", linewidths=0.8)
    xs = np.asarray(path, dtype=np.float64)
    shown = xs[np.all(np.isfinite(xs), axis=1)]
    ax.plot(shown[:, 0], shown[:, 1], "o-", color=color, label=label, markersize=3.5,
            linewidth=1.2)  # fmt: skip
    ax.plot(0, 0, "*", color="#333333", markersize=10)
    ax.set_xlim(x1_min, x1_max)
    ax.set_ylim(x2_min, x2_max)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    return ax


def plot_seed_band(
    ax: Axes,
    x: ArrayLike,
    runs: ArrayLike,
    *,
    color: str = OKABE_ITO["blue"],
    label: str | None = None,
) -> Axes:
    """Plot the median over seeds as a line and the range from min to max as a band.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    x : array_like
        (n,) positions, e.g. epochs.
    runs : array_like
        (n, K) values, one column per seed; NaN (a stopped run) is left out.
    color : str
        Colour of line and band.
    label : str, optional
        Legend label of the median line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = plot_seed_band(ax, [1, 2, 3], [[1.0, 2.0], [0.5, 1.5], [0.2, 0.4]])
    >>> ax.lines[0].get_ydata().tolist()
    [1.5, 1.0, 0.30000000000000004]
    >>> plt.close(fig)
    """
    values = np.asarray(runs, dtype=np.float64)
    positions = np.asarray(x, dtype=np.float64)
    shown = ~np.all(np.isnan(values), axis=1)
    values, positions = values[shown], positions[shown]
    ax.fill_between(
        positions, np.nanmin(values, axis=1), np.nanmax(values, axis=1), color=color, alpha=0.2,
        linewidth=0,
    )  # fmt: skip
    ax.plot(positions, np.nanmedian(values, axis=1), color=color, label=label)
    return ax


def learning_rate_color(learning_rate: float) -> str:
    """Return the book's colour for ``learning_rate`` (dark grey for rates it does not follow).

    Examples
    --------
    >>> learning_rate_color(1e-3), learning_rate_color(1.2), learning_rate_color(0.3)
    ('#0072B2', '#D55E00', '#555555')
    """
    for rate, color in LEARNING_RATE_COLORS.items():
        if np.isclose(learning_rate, rate, rtol=1e-9, atol=0):
            return color
    return "#555555"


def sparse_log_ticks(ax: Axes, numticks: int = 6) -> None:
    """Put at most ``numticks`` major ticks and no minor ticks on a log-scaled y axis.

    On axes spanning dozens of decades matplotlib's default log locators draw hundreds of
    ticks, which clutters the figure and slows every build.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax.set_yscale("log")
    >>> ax.set_ylim(1e-120, 1)
    (1e-120, 1)
    >>> sparse_log_ticks(ax)
    >>> len(ax.get_yticks()) <= 8
    True
    >>> plt.close(fig)
    """
    ax.yaxis.set_major_locator(LogLocator(numticks=numticks))
    ax.yaxis.set_minor_locator(NullLocator())


def labels_over_data(fig: Figure) -> list[str]:
    """Return the annotations and legends of ``fig`` that cover a plotted line or point.

    Data are the lines drawn in data coordinates (``plot``, ``semilogy``, ``step`` …);
    reference lines (``axhline``, ``axvline``), bands and images are not, so a label may sit
    on them. Pages assert that this is empty after drawing a figure with labels in it.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="diagonal")
    >>> _ = ax.annotate("on it", (0.5, 0.5))
    >>> _ = ax.annotate("clear of it", (0.05, 0.9))
    >>> labels_over_data(fig)
    ['on it']
    >>> plt.close(fig)
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    labels: list[tuple[str, Bbox]] = []
    for ax in fig.axes:
        labels += [(text.get_text(), text.get_window_extent(renderer)) for text in ax.texts]
    for legend in [ax.get_legend() for ax in fig.axes] + list(fig.legends):
        if legend is not None:
            names = ", ".join(text.get_text() for text in legend.get_texts())
            labels.append((f"legend ({names})", legend.get_window_extent(renderer)))
    covering = []
    for name, box in labels:
        if any(_covers(box, ax) for ax in fig.axes):
            covering.append(name)
    return covering


def _covers(box: Bbox, ax: Axes) -> bool:
    """Whether ``box`` (display coordinates) covers a data line of ``ax`` where it is shown."""
    shown = Bbox.intersection(box, ax.bbox)
    if shown is None:
        return False
    for line in ax.lines:
        if line.get_transform() != ax.transData or not line.get_visible():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            points = line.get_transform().transform(line.get_xydata())
        points = points[np.all(np.isfinite(points), axis=1)]
        if not len(points):
            continue
        if shown.count_contains(points) > 0:
            return True
        drawn = line.get_linestyle() not in ("None", "", " ") and len(points) > 1
        if drawn and Path(points).intersects_bbox(shown, filled=False):
            return True
    return False


def explorer_html(name: str, label: str, settings: dict[str, Any]) -> str:
    """Return the markup of a live explorer: ``docs/_static/explorer-<name>.js`` builds it.

    The explorer is hidden until its script shows it; without JavaScript a ``<noscript>`` note
    points to the page's figures. ``settings`` (numbers from ``lrsim``, the sentence that says
    what to try) travel as JSON, with ``</`` escaped so that no string can close the script.

    Parameters
    ----------
    name : str
        The explorer, lower-case letters and hyphens (``"parabola"``).
    label : str
        Its accessible name.
    settings : dict
        JSON-serialisable settings: ranges, defaults, the hint.

    Examples
    --------
    >>> markup = explorer_html("parabola", "Explorer", {"hint": "</script>"})
    >>> 'data-explorer="parabola" hidden' in markup, '{"hint": "<\\\\/script>"}' in markup
    (True, True)
    """
    if not re.fullmatch(r"[a-z]+(-[a-z]+)*", name):
        raise ValueError(f"name must be lower-case words joined by hyphens, got {name!r}")
    data = json.dumps(settings, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    return (
        "<noscript><p>The interactive explorer needs JavaScript; the figures on this page show "
        "the same dynamics.</p></noscript>"
        f'<div class="lrsim-explorer" data-explorer="{name}" hidden role="group" '
        f'aria-label="{html.escape(label)}"><script type="application/json">{data}</script></div>'
    )
