"""Charts of the analytics page as SVG, drawn on the server with matplotlib (no pyplot, no
JavaScript). Text stays text (``svg.fonttype: none``) so the browser renders the Chinese labels
with its own fonts; the SVG has no script and no external reference.

Drawing costs a few hundred milliseconds, so each chart is kept for the data it was drawn from
(:func:`chart`, an LRU keyed by the data: new data draws anew, nothing is ever stale), and
:func:`warm_up` loads matplotlib and its fonts before the first lead asks (the console does it
in the background when it starts).
"""
from __future__ import annotations

import io
import logging
import threading
import warnings
from functools import lru_cache
from typing import Any, Callable, List, Optional, Sequence, Tuple

from .labels import intent_label
from .metrics import DayPoint

FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
         "DejaVu Sans"]
STYLE = {
    "svg.fonttype": "none", "svg.hashsalt": "fenqi-analytics", "font.family": ["sans-serif"],
    "font.sans-serif": FONTS, "font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
    "axes.edgecolor": "#9aa5b1", "axes.labelcolor": "#334e68", "xtick.color": "#52606d", "ytick.color": "#52606d",
    "axes.grid": True, "grid.color": "#e4e7eb", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "legend.frameon": False,
}
BLUE, ORANGE, RED, GREEN, GREY = "#2f6fde", "#f0883e", "#d64545", "#3f9142", "#9aa5b1"
SIZE = (7.2, 2.8)


_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings: one drawing at a time


def _render(draw: Callable[[Any], None], size: Tuple[float, float] = SIZE) -> str:
    """Draw on a fresh figure and return its SVG text."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with _LOCK, matplotlib.rc_context(STYLE), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph the server's fonts lack: the browser has its own
        figure = Figure(figsize=size, dpi=100)
        FigureCanvasSVG(figure)
        draw(figure)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _empty(axes: Any) -> None:
    axes.text(0.5, 0.5, "暂无数据", ha="center", va="center", color=GREY, transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _day_ticks(axes: Any, points: Sequence[DayPoint]) -> None:
    step = max(1, len(points) // 10)
    positions = list(range(0, len(points), step))
    axes.set_xticks(positions)
    axes.set_xticklabels([points[i].day.strftime("%m-%d") for i in positions])


def volume_svg(points: Sequence[DayPoint]) -> str:
    """Conversations per day: contained (bot only) and handed to a person, stacked."""
    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.set_title("每日会话数", loc="left", fontsize=11)
        if not any(p.conversations for p in points):
            return _empty(axes)
        x = list(range(len(points)))
        contained = [p.conversations - p.handoffs for p in points]
        axes.bar(x, contained, color=BLUE, label="机器人独立完成")
        axes.bar(x, [p.handoffs for p in points], bottom=contained, color=ORANGE, label="转人工")
        axes.set_ylim(0, max(p.conversations for p in points) * 1.18)  # room for the legend
        axes.legend(loc="upper left", ncol=2, fontsize=9)
        axes.yaxis.get_major_locator().set_params(integer=True)
        _day_ticks(axes, points)
    return _render(draw)


def _percent_series(points: Sequence[DayPoint], value: Callable[[DayPoint], Optional[float]]) -> List[float]:
    return [float("nan") if value(p) is None else 100 * (value(p) or 0.0) for p in points]


def rates_svg(points: Sequence[DayPoint]) -> str:
    """Containment, fallback and handoff rates per day (%)."""
    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.set_title("每日比率（%）", loc="left", fontsize=11)
        if not any(p.conversations or p.messages for p in points):
            return _empty(axes)
        x = list(range(len(points)))
        for label, color, value in (("自助解决率", GREEN, lambda p: p.containment),
                                    ("兜底率（按消息）", RED, lambda p: p.fallback_rate),
                                    ("转人工率", ORANGE, lambda p: p.handoff_rate)):
            axes.plot(x, _percent_series(points, value), color=color, marker="o", markersize=3, linewidth=1.6,
                      label=label)
        axes.set_ylim(0, 119)  # room for the legend above 100 %
        axes.set_yticks([0, 20, 40, 60, 80, 100])
        axes.legend(loc="upper left", ncol=3, fontsize=9)
        _day_ticks(axes, points)
    return _render(draw)


def csat_svg(points: Sequence[DayPoint]) -> str:
    """The average rating (1–5) per day, with how many ratings behind each point."""
    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.set_title("每日满意度（1–5 分）", loc="left", fontsize=11)
        if not any(p.rated for p in points):
            return _empty(axes)
        x = list(range(len(points)))
        axes.plot(x, [float("nan") if p.csat is None else p.csat for p in points], color=BLUE, marker="o",
                  markersize=4, linewidth=1.6)
        for i, p in enumerate(points):
            if p.csat is not None:
                axes.annotate(f"{p.rated}", (i, p.csat), textcoords="offset points", xytext=(0, 6), ha="center",
                              fontsize=8, color=GREY)
        axes.set_ylim(0.5, 5.5)
        axes.set_yticks([1, 2, 3, 4, 5])
        _day_ticks(axes, points)
    return _render(draw)


def intents_svg(ranking: Sequence[Tuple[str, int]], title: str = "意图分布（消息数）") -> str:
    """Horizontal bars of the most frequent intents, labelled in Chinese."""
    rows = list(ranking)[:10][::-1]

    def draw(figure: Any) -> None:
        axes = figure.add_subplot()
        axes.set_title(title, loc="left", fontsize=11)
        if not rows:
            return _empty(axes)
        y = list(range(len(rows)))
        axes.barh(y, [n for _, n in rows], color=BLUE)
        axes.set_yticks(y)
        axes.set_yticklabels([intent_label(name) for name, _ in rows])
        axes.grid(axis="y", visible=False)
        axes.xaxis.get_major_locator().set_params(integer=True)
        for i, (_, n) in enumerate(rows):
            axes.annotate(str(n), (n, i), textcoords="offset points", xytext=(3, -3), fontsize=8, color=GREY)
    return _render(draw, (7.2, 0.6 + 0.3 * max(len(rows), 3)))


DAILY_CHARTS = {"volume": volume_svg, "rates": rates_svg, "csat": csat_svg}
CHARTS = tuple(DAILY_CHARTS) + ("intents",)


@lru_cache(maxsize=64)
def _drawn(name: str, data: Tuple[Any, ...]) -> str:
    if name == "intents":
        return intents_svg(data)
    return DAILY_CHARTS[name](data)


def chart(name: str, data: Sequence[Any]) -> str:
    """Chart ``name`` (:data:`CHARTS`) of ``data`` (day points, or the intent ranking), drawn once
    per distinct data."""
    if name not in CHARTS:
        raise KeyError(name)
    return _drawn(name, tuple(data))


def warm_up() -> None:
    """Import matplotlib and load the fonts (the first drawing of a process costs seconds)."""
    intents_svg([("how_to_repay", 1)])
