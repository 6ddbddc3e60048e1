"""The conventions every chart of a report follows, and its rendering into the page.

Every string that comes from the data is HTML-escaped (:func:`esc`), because plotly renders
hover text, tick labels and titles as (a subset of) HTML. Every axis has a title with its
unit. Time runs in years over the report's window: a session (or, for a topic with few votes
a session, a window of sessions, :func:`pool_size`) is drawn at the mean date of its votes
(:class:`Periods`), so a report "from 2011" starts at 2011; a period whose votes stop before
it ended (the sources end mid-session) is drawn hollow at the end of a dotted segment and
named in a note. A point resting on fewer than ``MIN_VOTES`` votes is drawn hollow and has
no interval band; a line breaks where a period has no votes; each line ends in its name
(:func:`end_labels`, never on top of another) and has a dash of its own; each state keeps the
colour :mod:`alignment.reports.palette` gives it in every chart, and every trace carries its
key in ``legendgroup`` (the browser tests read it).
"""

from __future__ import annotations

import datetime as dt
import html
import math
import statistics
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from alignment.reports.findings import MIN_VOTES
from alignment.reports.palette import GREY, alpha
from alignment.reports.spec import ReportSpec
from alignment.sessions import opening_day, opening_year

TEMPLATE = "plotly_white"
YEAR_TITLE = "year (a session at the mean date of its votes)"
# Dashes of the lines of one chart, in order: no two lines look alike even in grey.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
# And markers: two lines that coincide still show both (a square around a circle).
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "pentagon", "hexagon")
MAX_POOL = 5  # sessions pooled at most into one point of a topic with few votes

# Plotly options that could reach the network are switched off; the mode bar keeps the
# "download as PNG" button, which works offline.
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["sendDataToCloud", "select2d", "lasso2d"],
}


def figure_html(fig: go.Figure, div_id: str) -> str:
    """The chart as a div and the script that draws it (plotly.js is in the page's head)."""
    return pio.to_html(
        fig,
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        config=PLOTLY_CONFIG,
        div_id=div_id,
        default_height=f"{fig.layout.height or 450}px",
        validate=False,  # a go.Figure is validated as it is built
    )


def year_axis(
    years: Sequence[float | None],
    title: str | None = YEAR_TITLE,
    window: tuple[float, float] | None = None,
    room: float = 0.0,
) -> dict[str, Any]:
    """An x axis of whole years: a tick every 1, 2, 5 or 10 years, never a fraction; over
    ``window`` (first, last, as decimal years) when given, with ``room`` (a share of it) on
    the right for the lines' names."""
    known = [y for y in years if y is not None]
    lo, hi = window if window else ((min(known), max(known)) if known else (0, 0))
    span = hi - lo
    step = next((s for s in (1, 2, 5, 10) if span / s <= 16), 20)
    axis: dict[str, Any] = {"tickformat": "d", "dtick": step, "title": {"text": title or ""}}
    if window:
        pad = max(span, 1) * 0.02
        axis["range"] = [lo - pad, hi + pad + max(span, 1) * room]
        # Ticks only within the window (not under the room left for the lines' names).
        first = math.ceil(lo - pad)
        first += (-first) % step
        axis.update(tickmode="array", tickvals=list(range(first, math.floor(hi) + 1, step)))
        axis.pop("dtick")
    return axis


def decimal_year(day: dt.date | dt.datetime) -> float:
    """``day`` as a year and its fraction: 1 July 2011 is about 2011.5."""
    moment = day if isinstance(day, dt.datetime) else dt.datetime(day.year, day.month, day.day)
    start, end = dt.datetime(day.year, 1, 1), dt.datetime(day.year + 1, 1, 1)
    return day.year + (moment.replace(tzinfo=None) - start) / (end - start)


def pool_size(sessions: Sequence[int]) -> int:
    """How many sessions one point pools: 1, or for a topic whose sessions hold a median of
    fewer than MIN_VOTES of its votes, the fewest (up to MAX_POOL) whose windows hold at
    least that many. ``sessions``: the session of each of the topic's roll calls."""
    if not sessions:
        return 1
    first = min(sessions)
    for k in range(1, MAX_POOL + 1):
        counts: dict[int, int] = {}
        for s in sessions:
            counts[(s - first) // k] = counts.get((s - first) // k, 0) + 1
        if statistics.median(counts.values()) >= MIN_VOTES:
            return k
    return MAX_POOL


@dataclass(frozen=True)
class Periods:
    """Where a chart over sessions draws each period: a session, or ``pool`` sessions from the
    key's (the first session of the window). ``x``: the mean date of its votes, as a decimal
    year; ``partial``: the last period when the votes stop before it ended; ``window``: the
    report's first and last day, as decimal years (the axis spans it)."""

    x: dict[int, float]
    pool: int
    partial: int | None
    last_day: dt.date
    window: tuple[float, float]
    first: int = 0  # the first session of the first window
    last: int = 0  # the last session with votes (the last window may stop short of a pool)

    def label(self, period: int) -> str:
        """ "session 66 (opened 2011)" or "sessions 76-78 (opened 2021-2023)"."""
        end = min(period + self.pool - 1, max(self.last, period))
        if end == period:
            return session_label(period)
        return f"sessions {period}–{end} (opened {opening_year(period)}–{opening_year(end)})"

    def pool_note(self) -> str | None:
        """What is pooled, when anything is."""
        if self.pool == 1:
            return None
        return (
            f"Few votes a session on the topic: each point pools {self.pool} sessions, drawn "
            "at the mean date of their votes."
        )

    def partial_note(self) -> str | None:
        """What is partial, when the last period is."""
        if self.partial is None:
            return None
        end = opening_day(opening_year(self.last) + 1)
        return (
            f"The last points (hollow, at the end of a dotted segment) rest on part of session "
            f"{self.last} only: the sources hold votes to {self.last_day:%-d %B %Y}, the "
            f"session ran to {end:%-d %B %Y}."
        )

    def note(self) -> str | None:
        """The sentences that say what is pooled and what is partial (None: nothing is)."""
        said = [n for n in (self.pool_note(), self.partial_note()) if n]
        return " ".join(said) or None


def session_periods(
    roll_calls: pl.DataFrame, first_day: dt.date, last_day: dt.date, pool: int = 1
) -> Periods:
    """The periods of ``roll_calls`` (columns session, date): each at the mean date of its
    roll calls; ``first_day`` and ``last_day``: the report's window."""
    if roll_calls.is_empty():
        window = (decimal_year(first_day), decimal_year(last_day))
        return Periods({}, pool, None, last_day, window)
    first = int(cast(int, roll_calls["session"].min()))
    keyed = roll_calls.select(
        (first + (pl.col("session") - first) // pool * pool).cast(pl.Int64).alias("period"),
        "date",
    )
    x = {
        int(p): decimal_year(d)
        for p, d in keyed.group_by("period").agg(pl.col("date").mean()).iter_rows()
    }
    last_session = int(cast(int, roll_calls["session"].max()))
    ends = opening_day(opening_year(last_session) + 1)
    partial = max(x) if last_day < ends - dt.timedelta(days=1) else None
    window = (decimal_year(first_day), decimal_year(last_day))
    return Periods(x, pool, partial, last_day, window, first, last_session)


def pooled(roll_calls: pl.DataFrame, where: Periods) -> pl.DataFrame:
    """``roll_calls`` with each session replaced by the first session of its window (what the
    metrics then group by), the windows of ``where``."""
    if where.pool == 1 or roll_calls.is_empty():
        return roll_calls
    first, pool = where.first, where.pool
    return roll_calls.with_columns(
        (first + (pl.col("session") - first) // pool * pool)
        .cast(roll_calls["session"].dtype)
        .alias("session")
    )


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def wrap(value: object, width: int = 70) -> str:
    """Escaped text with <br> line breaks (breaks added after escaping whole words)."""
    lines = textwrap.wrap("" if value is None else str(value), width) or [""]
    return "<br>".join(esc(line) for line in lines)


def session_label(session: int) -> str:
    return f"session {session} (opened {opening_year(session)})"


def gapped(periods: Sequence[int], values: Sequence[Any], step: int = 1) -> tuple[list, list]:
    """(x, y) with a None between two points whose periods are not consecutive (``step``
    apart): plotly breaks the line there, so no line crosses a period without votes."""
    xs: list = []
    ys: list = []
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        if i and p - periods[i - 1] > step:
            xs.append(None)
            ys.append(None)
        xs.append(p)
        ys.append(v)
    return xs, ys


def band(
    periods: Sequence[int],
    lower: Sequence[float],
    upper: Sequence[float],
    colour: str,
    *,
    x: dict[int, float] | None = None,
    step: int = 1,
    **kw: Any,
) -> go.Scatter:
    """The interval as one shaded polygon per run of consecutive periods (``step`` apart),
    drawn at ``x`` of each period (the period itself by default)."""
    xs: list = []
    ys: list = []
    runs: list[list[int]] = []
    for i, p in enumerate(periods):
        if runs and p - periods[runs[-1][-1]] == step:
            runs[-1].append(i)
        else:
            runs.append([i])
    at = (lambda p: x[p]) if x is not None else (lambda p: p)
    for run in runs:
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [at(periods[i]) for i in run] + [at(periods[i]) for i in reversed(run)]
        ys += [upper[i] for i in run] + [lower[i] for i in reversed(run)]
    # mode "lines" (with no width): plotly's default for short traces adds markers, which
    # would stand at a one-period band's ends like points of their own.
    return go.Scatter(
        x=xs, y=ys, mode="lines", fill="toself", fillcolor=alpha(colour, 0.15),
        line={"width": 0}, hoverinfo="skip", showlegend=False, **kw,
    )  # fmt: skip


def line_style(key: str, colour: str, subject: str) -> dict[str, Any]:
    width = 3.5 if key == subject else 1.2 if colour == GREY else 2
    return {"color": colour, "width": width}


def series_traces(
    key: str,
    periods: Sequence[int],
    values: Sequence[float],
    n: Sequence[int],
    hover: Sequence[str],
    colour: str,
    subject: str,
    *,
    x: dict[int, float] | None = None,
    step: int = 1,
    partial: int | None = None,
    dash: str = "solid",
    symbol: str = "circle",
    **kw: Any,
) -> list[go.Scatter]:
    """A line over periods drawn at ``x`` of each (the period itself by default): hollow
    markers where a point rests on fewer than MIN_VOTES votes, broken across periods without
    votes (``step`` apart). When the last period is ``partial``, it is left off the line and
    drawn hollow at the end of a dotted segment of its own (a second trace, no legend)."""
    periods, values, n, hover = list(periods), list(values), list(n), list(hover)
    tail = bool(periods) and partial is not None and periods[-1] == partial
    cut = len(periods) - 1 if tail else len(periods)
    at = (lambda p: x[p]) if x is not None else (lambda p: p)

    def trace(ps: list, vs: list, ns: list, hs: list, symbols: list | None, **extra: Any):
        xs, y = gapped(ps, vs, step)
        _, counts = gapped(ps, ns, step)
        _, text = gapped(ps, hs, step)
        xs = [None if p is None else at(p) for p in xs]
        marks = symbols or [
            symbol if c is None or c >= MIN_VOTES else f"{symbol}-open" for c in counts
        ]
        return go.Scatter(
            x=xs, y=y, mode="lines+markers", connectgaps=False, legendgroup=key,
            line={**line_style(key, colour, subject), "dash": extra.pop("line_dash", dash)},
            marker={"symbol": marks, "size": 7 if colour != GREY else 5, "color": colour,
                    "line": {"width": 1.5, "color": colour}},
            text=text, hovertemplate="%{text}<extra></extra>", **extra,
        )  # fmt: skip

    out = [trace(periods[:cut], values[:cut], n[:cut], hover[:cut], None, **kw)]
    if tail:
        # The last full point and the partial one, joined by a dotted segment.
        back = [] if cut == 0 or periods[-1] - periods[cut - 1] > step else [cut - 1]
        idx = [*back, len(periods) - 1]
        rest = {k: v for k, v in kw.items() if k not in ("name", "showlegend", "legendrank")}
        out.append(
            trace([periods[i] for i in idx], [values[i] for i in idx], [n[i] for i in idx],
                  [hover[i] + "<br>(partial: the sources stop before this period ended)"
                   for i in idx],
                  [symbol if i != idx[-1] else f"{symbol}-open" for i in idx],
                  line_dash="dot", showlegend=False, **rest)
        )  # fmt: skip
    return out


def end_labels(
    ends: Sequence[tuple[float, float, str, str]], span: tuple[float, float], gap: float = 0.07
) -> list[tuple[float, float, str, str]]:
    """The names at the lines' ends, moved apart vertically so that no two overlap: ``ends``
    holds (x, y, text, colour) of each line's last point, ``span`` the y axis' range; labels
    stand at least ``gap`` of it apart. Returns (x, y, text, colour), y moved as little as
    it takes (the order of the lines' ends kept)."""
    if not ends:
        return []
    step = (span[1] - span[0]) * gap
    order = sorted(range(len(ends)), key=lambda i: ends[i][1])
    ys = [ends[i][1] for i in order]
    for i in range(1, len(ys)):  # push up what is too close to the one below
        ys[i] = max(ys[i], ys[i - 1] + step)
    # Centre the moved block on the ends' mean, so the labels stay near their lines.
    shift = (sum(ys) - sum(ends[i][1] for i in order)) / len(ys)
    moved = {i: y - shift for i, y in zip(order, ys, strict=True)}
    return [(e[0], moved[i], e[2], e[3]) for i, e in enumerate(ends)]


def label_trace(x: float, y: float, text: str, colour: str, **kw: Any) -> go.Scatter:
    """A line's name at its end (text only: no hover, no legend entry)."""
    return go.Scatter(
        x=[x], y=[y], mode="text", text=[f" {esc(text)}"], textposition="middle right",
        textfont={"color": colour if colour != GREY else "#777", "size": 11},
        hoverinfo="skip", showlegend=False, cliponaxis=False, **kw,
    )  # fmt: skip


def legend_rank(key: str, colours: dict[str, str]) -> int:
    """Legend order: the subject, the coloured keys in their order, then the grey ones."""
    order = list(colours)
    rank = order.index(key) if key in order else len(order)
    return rank + (1000 if colours.get(key, GREY) == GREY else 1)


def few(n: int) -> str:
    return f" (fewer than {MIN_VOTES} votes: uncertain)" if n < MIN_VOTES else ""


def interval(lo: float | None, hi: float | None) -> str:
    """ "[0.44, 0.71]", or "(no interval)" where the bootstrap gives none."""
    if lo is None or hi is None or lo != lo or hi != hi:  # None or NaN
        return "(no interval)"
    return f"[{lo:.2f}, {hi:.2f}]"


def interval_text(who: str, rows: Iterable[tuple[Any, float, float, float, int]]) -> list[str]:
    """Hover lines ``who`` + "period: value [lower, upper], n votes" for rows of (period,
    value, lower, upper, n)."""
    return [f"{who}{p}: {v:.2f} {interval(lo, hi)}, {n} votes{few(n)}" for p, v, lo, hi, n in rows]


def mark_events(fig: go.Figure, spec: ReportSpec) -> None:
    """A dotted line and a label at each year the report marks (e.g. the end of Assad)."""
    for day, label in spec.events:
        year = decimal_year(day)
        fig.add_vline(x=year, line_dash="dot", line_color="#555")
        fig.add_annotation(x=year, y=1.0, yref="paper", yanchor="bottom", text=esc(label),
                           showarrow=False, font={"size": 10}, xanchor="right")  # fmt: skip
