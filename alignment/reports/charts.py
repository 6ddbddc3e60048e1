"""The conventions every chart of a report follows, and its rendering into the page.

Every string that comes from the data is HTML-escaped (:func:`esc`), because plotly renders
hover text, tick labels and titles as (a subset of) HTML. Time runs in years (a session is
drawn at the year it opened, :func:`alignment.sessions.opening_year`); a point resting on
fewer than ``MIN_VOTES`` votes is drawn hollow and has no interval band; a line breaks where a
period has no votes; each state keeps the colour :mod:`alignment.reports.palette` gives it in
every chart, and every trace carries its key in ``legendgroup`` (the browser tests read it).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from alignment.reports.findings import MIN_VOTES
from alignment.reports.palette import GREY, alpha
from alignment.reports.spec import ReportSpec
from alignment.sessions import opening_year, regular_session

TEMPLATE = "plotly_white"
YEAR_TITLE = "year (a session is shown at the year it opened)"

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


def year_axis(years: Sequence[int | None], title: str | None = YEAR_TITLE) -> dict[str, Any]:
    """An x axis of whole years: a tick every 1, 2, 5 or 10 years, never a fraction."""
    known = [y for y in years if y is not None]
    span = (max(known) - min(known)) if known else 0
    step = next((s for s in (1, 2, 5, 10) if span / s <= 16), 20)
    return {"tickformat": "d", "dtick": step, "title": {"text": title or ""}}


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def wrap(value: object, width: int = 70) -> str:
    """Escaped text with <br> line breaks (breaks added after escaping whole words)."""
    lines = textwrap.wrap("" if value is None else str(value), width) or [""]
    return "<br>".join(esc(line) for line in lines)


def session_label(session: int) -> str:
    return f"session {session} (opened {opening_year(session)})"


def gapped(periods: Sequence[int], values: Sequence[Any]) -> tuple[list, list]:
    """(x, y) with a None between two points whose periods are not consecutive: plotly breaks
    the line there, so no line crosses a period without votes."""
    xs: list = []
    ys: list = []
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        if i and p - periods[i - 1] > 1:
            xs.append(None)
            ys.append(None)
        xs.append(p)
        ys.append(v)
    return xs, ys


def band(
    periods: Sequence[int], lower: Sequence[float], upper: Sequence[float], colour: str, **kw: Any
) -> go.Scatter:
    """The interval as one shaded polygon per run of consecutive periods."""
    xs: list = []
    ys: list = []
    runs: list[list[int]] = []
    for i, p in enumerate(periods):
        if runs and p - periods[runs[-1][-1]] == 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [periods[i] for i in run] + [periods[i] for i in reversed(run)]
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


def series_trace(
    key: str,
    periods: Sequence[int],
    values: Sequence[float],
    n: Sequence[int],
    hover: Sequence[str],
    colour: str,
    subject: str,
    **kw: Any,
) -> go.Scatter:
    """A line over years: hollow markers where a point rests on fewer than MIN_VOTES votes,
    broken across years without votes."""
    x, y = gapped(periods, values)
    _, counts = gapped(periods, n)
    _, text = gapped(periods, hover)
    symbols = ["circle" if c is None or c >= MIN_VOTES else "circle-open" for c in counts]
    return go.Scatter(
        x=x, y=y, mode="lines+markers", connectgaps=False, legendgroup=key,
        line=line_style(key, colour, subject),
        marker={"symbol": symbols, "size": 7 if colour != GREY else 5, "color": colour,
                "line": {"width": 1.5, "color": colour}},
        text=text, hovertemplate="%{text}<extra></extra>", **kw,
    )  # fmt: skip


def legend_rank(key: str, colours: dict[str, str]) -> int:
    """Legend order: the subject, the coloured keys in their order, then the grey ones."""
    order = list(colours)
    rank = order.index(key) if key in order else len(order)
    return rank + (1000 if colours.get(key, GREY) == GREY else 1)


def few(n: int) -> str:
    return f" (fewer than {MIN_VOTES} votes: uncertain)" if n < MIN_VOTES else ""


def interval_text(who: str, rows: Iterable[tuple[Any, float, float, float, int]]) -> list[str]:
    """Hover lines ``who`` + "period: value [lower, upper], n votes" for rows of (period,
    value, lower, upper, n)."""
    return [
        f"{who}{p}: {v:.2f} [{lo:.2f}, {hi:.2f}], {n} votes{few(n)}" for p, v, lo, hi, n in rows
    ]


def mark_events(fig: go.Figure, spec: ReportSpec) -> None:
    """A dotted line and a label at each year the report marks (e.g. the end of Assad)."""
    for day, label in spec.events:
        year = opening_year(regular_session(day))
        fig.add_vline(x=year, line_dash="dot", line_color="#555")
        fig.add_annotation(x=year, y=1.0, yref="paper", yanchor="bottom", text=esc(label),
                           showarrow=False, font={"size": 10}, xanchor="right")  # fmt: skip
