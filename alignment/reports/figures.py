"""Plotly figures of a report. Every string that comes from the data is HTML-escaped here,
because plotly renders hover text, tick labels and titles as (a subset of) HTML.

Shared conventions: time runs in years (a session is drawn at the year it opened,
:func:`alignment.sessions.opening_year`); a point resting on fewer than ``MIN_VOTES`` votes is
drawn hollow and has no interval band; a line breaks where a period has no votes; each state
keeps the colour ``colours`` gives it (:mod:`alignment.reports.palette`) in every figure, and
every trace carries its key in ``legendgroup`` (the browser tests read it).
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from alignment.clusters import StateMap
from alignment.reports.data import (
    METRIC_LABELS,
    METRICS,
    MIN_VOTES,
    VOTE_WORDS,
    VoteMatrix,
    bloc_short_name,
)
from alignment.reports.palette import (
    GREY,
    MAP_SCALE,
    NO_DATA,
    SUBJECT,
    VOTE_COLOURS,
    alpha,
)
from alignment.reports.spec import ReportSpec, is_majority, majority_bloc, majority_key
from alignment.sessions import opening_year, regular_session

VOTE_ORDER = ("X", "Y", "A", "N")  # the heatmap's codes 0..3
CLUSTER_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]
TEMPLATE = "plotly_white"
YEAR_TITLE = "year (a session is shown at the year it opened)"


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


TITLE_CHARS = 200  # longer titles are cut in tables and hover text


def short_title(text: object, limit: int = TITLE_CHARS) -> str:
    """``text`` (not escaped) cut to at most ``limit`` characters at a word boundary, with an
    ellipsis; white space runs become one space. Unvotes describes a paragraph vote by the
    meeting's transcript, which can run to pages."""
    text = " ".join(("" if text is None else str(text)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def name_of(key: str, names: dict[str, str]) -> str:
    return names.get(key, key)


def short_label(key: str) -> str:
    return f"{bloc_short_name(majority_bloc(key))} majority" if is_majority(key) else key


def session_label(session: int) -> str:
    return f"session {session} (opened {opening_year(session)})"


# --------------------------------------------------------------------------- time series


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


def interval_text(who: str, rows: Any) -> list[str]:
    """Hover lines ``who`` + "period: value [lower, upper], n votes" for rows of (period,
    value, lower, upper, n)."""
    return [
        f"{who}{p}: {v:.2f} [{lo:.2f}, {hi:.2f}], {n} votes{few(n)}" for p, v, lo, hi, n in rows
    ]


def few(n: int) -> str:
    return f" (fewer than {MIN_VOTES} votes: uncertain)" if n < MIN_VOTES else ""


# --------------------------------------------------------------------------- agreement


def _event_years(spec: ReportSpec) -> list[tuple[int, str]]:
    return [(opening_year(regular_session(day)), label) for day, label in spec.events]


def agreement_figure(
    agree: pl.DataFrame,
    spec: ReportSpec,
    names: dict[str, str],
    colours: dict[str, str],
    topic_label: str | None,
) -> go.Figure:
    scopes = [s for s in ("topic", "all") if s in set(agree["scope"].to_list())]
    titles = [f"Votes on {topic_label}" if s == "topic" else "All votes" for s in scopes]
    fig = make_subplots(rows=len(scopes), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.1)  # fmt: skip
    partners = [p for p in spec.partners if p != spec.focus]
    owner: list[str] = []
    who = esc(name_of(spec.focus, names))
    for r, scope in enumerate(scopes, start=1):
        for partner in partners:
            colour = colours.get(partner, GREY)
            for metric in METRICS:
                d = (
                    agree.filter(
                        pl.col("scope") == scope,
                        pl.col("partner") == partner,
                        pl.col("metric") == metric,
                    )
                    .filter(pl.col("value").is_not_nan())
                    .sort("session")
                )
                visible = metric == METRICS[0]
                years = [opening_year(s) for s in d["session"]]
                ok = d.with_columns(year=pl.Series(years, dtype=pl.Int64)).filter(
                    pl.col("lower").is_not_nan(),
                    pl.col("upper").is_not_nan(),
                    pl.col("n") >= MIN_VOTES,
                )
                fig.add_trace(
                    band(ok["year"].to_list(), ok["lower"].to_list(), ok["upper"].to_list(),
                         colour, visible=visible, legendgroup=partner, meta=metric),
                    row=r, col=1,
                )  # fmt: skip
                owner.append(metric)
                hover = interval_text(
                    f"{who} – {esc(name_of(partner, names))}<br>",
                    ((session_label(p), *rest) for p, *rest in
                     d.select("session", "value", "lower", "upper", "n").iter_rows()),
                )  # fmt: skip
                fig.add_trace(
                    series_trace(partner, years, d["value"].to_list(), d["n"].to_list(), hover,
                                 colour, spec.focus, name=esc(name_of(partner, names)),
                                 meta=metric, showlegend=(r == 1), visible=visible),
                    row=r, col=1,
                )  # fmt: skip
                owner.append(metric)
    buttons = [
        {
            "label": METRIC_LABELS[m],
            "method": "update",
            "args": [{"visible": [o == m for o in owner]}],
        }
        for m in METRICS
    ]
    _mark_events(fig, spec)
    fig.update_layout(
        template=TEMPLATE,
        height=330 * len(scopes) + 120,
        margin={"t": 110},
        updatemenus=[
            {"buttons": buttons, "direction": "down", "x": 0, "xanchor": "left", "y": 1.0,
             "yanchor": "bottom", "pad": {"b": 30}, "showactive": True}
        ],
        legend={"title": {"text": "partner (click to hide)"}},
        hovermode="closest",
    )  # fmt: skip
    years = [opening_year(s) for s in agree["session"].unique()]
    fig.update_xaxes(**year_axis(years, None))
    fig.update_xaxes(title_text=YEAR_TITLE, row=len(scopes), col=1)
    return fig


def _mark_events(fig: go.Figure, spec: ReportSpec) -> None:
    """A dotted line and a label at each year the report marks (e.g. the end of Assad)."""
    for year, label in _event_years(spec):
        fig.add_vline(x=year, line_dash="dot", line_color="#555")
        fig.add_annotation(x=year, y=1.0, yref="paper", yanchor="bottom", text=esc(label),
                           showarrow=False, font={"size": 10}, xanchor="right")  # fmt: skip


# --------------------------------------------------------------------------- ideal points


def ideal_points_figure(
    ip: pl.DataFrame,
    spec: ReportSpec,
    names: dict[str, str],
    colours: dict[str, str],
    members: Sequence[str] = (),
) -> go.Figure:
    """Ideal points by year; a bloc report's ``members`` drawn thin in the subject's colour,
    under one legend entry."""
    fig = go.Figure()
    present = set(ip["iso3"])
    in_bloc = set(members) - {k for k, c in colours.items() if c != GREY}
    states = [s for s in dict.fromkeys([*colours, *sorted(present)]) if s in present]
    # Members and grey lines first, so the coloured ones are drawn over them.
    states.sort(key=lambda s: (s not in in_bloc, colours.get(s, GREY) != GREY))
    first_member = True
    for s in states:
        d = ip.filter(pl.col("iso3") == s).sort("year")
        colour = colours.get(s, GREY)
        if s in in_bloc:
            hover = interval_text(
                f"{esc(name_of(s, names))} ({esc(bloc_short_name(spec.subject))}), ",
                d.select("year", "ideal_point", "lower", "upper", "n_votes").iter_rows(),
            )
            trace = series_trace(spec.focus, d["year"].to_list(), d["ideal_point"].to_list(),
                                 d["n_votes"].to_list(), hover, SUBJECT, "",
                                 name=esc(f"{bloc_short_name(spec.subject)} members"),
                                 showlegend=first_member, opacity=0.5, legendrank=1)  # fmt: skip
            trace.line.width = 1
            fig.add_trace(trace)
            first_member = False
            continue
        if colour != GREY:
            ok = d.filter(pl.col("n_votes") >= MIN_VOTES)
            fig.add_trace(band(ok["year"].to_list(), ok["lower"].to_list(),
                               ok["upper"].to_list(), colour, legendgroup=s))  # fmt: skip
        hover = [
            f"{esc(name_of(s, names))}, {y}: {v:.2f} [{lo:.2f}, {hi:.2f}], {n} votes{few(n)}"
            f"<br>R-hat {r:.3f}, effective draws {b:.0f} (bulk), {t:.0f} (tail)"
            for y, v, lo, hi, n, r, b, t in d.select(
                "year", "ideal_point", "lower", "upper", "n_votes", "rhat", "ess_bulk", "ess_tail"
            ).iter_rows()
        ]
        fig.add_trace(
            series_trace(s, d["year"].to_list(), d["ideal_point"].to_list(),
                         d["n_votes"].to_list(), hover, colour, spec.focus,
                         name=esc(name_of(s, names)), legendrank=legend_rank(s, colours))
        )  # fmt: skip
    _mark_events(fig, spec)
    fig.update_layout(
        template=TEMPLATE,
        height=520,
        xaxis=year_axis(ip["year"].to_list(), "year"),
        yaxis_title="ideal point (higher: closer to the United States)",
        legend={"title": {"text": "state (click to hide)"}},
    )
    return fig


# --------------------------------------------------------------------------- world map

# The name under which plotly.js looks up the base map of a world geo plot at the default
# resolution (1:110m): the page registers an empty one under it, so that none is fetched.
TOPOJSON_NAME = "world_110m"


def world_map_figure(
    world: pl.DataFrame,
    outline: dict[str, Any],
    spec: ReportSpec,
    names: dict[str, str],
    members: Sequence[str],
    what: str,
) -> go.Figure:
    """Choropleth of the share of votes cast alike with the focus, drawn from ``outline`` (a
    GeoJSON FeatureCollection keyed by ISO3 in ``id``) with every base layer off: nothing is
    fetched. States with fewer than MIN_VOTES common votes are left grey; ``members`` (a bloc
    report's members) are outlined."""
    ids = [f["id"] for f in outline["features"]]
    shown = world.filter(pl.col("n") >= MIN_VOTES, pl.col("iso3").is_in(ids))
    # The scale starts at the tens below the least alike state: more contrast where it is.
    floor = 10 * int(shown["exact"].min() * 10) if shown.height else 0
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson=outline, featureidkey="id", locations=ids, z=[0] * len(ids),
            colorscale=[[0, NO_DATA], [1, NO_DATA]], showscale=False, name="no data",
            text=[esc(names.get(i, f["properties"]["name"])) for i, f in
                  zip(ids, outline["features"], strict=True)],
            hovertemplate=f"%{{text}}: fewer than {MIN_VOTES} votes in common<extra></extra>",
            marker={"line": {"color": "#ffffff", "width": 0.4}},
        )
    )  # fmt: skip
    who = esc(name_of(spec.focus, names))
    hover = [
        f"{esc(name_of(s, names))}: {e:.0%} of {n} votes alike with {who}<br>"
        f"agreement index {a:.2f}"
        for s, e, a, n in shown.select("iso3", "exact", "agree", "n").iter_rows()
    ]
    fig.add_trace(
        go.Choropleth(
            geojson=outline, featureidkey="id", locations=shown["iso3"].to_list(),
            z=(shown["exact"] * 100).to_list(), zmin=floor, zmax=100, colorscale=MAP_SCALE,
            reversescale=True, name="share alike", text=hover,
            hovertemplate="%{text}<extra></extra>",
            marker={"line": {"color": "#ffffff", "width": 0.4}},
            colorbar={"title": {"text": f"% of {esc(what)}<br>cast alike"}, "ticksuffix": "%"},
        )
    )  # fmt: skip
    subject = [spec.subject] if spec.kind == "country" and spec.subject in ids else []
    outlined = subject or [m for m in members if m in ids]
    if outlined:
        fig.add_trace(
            go.Choropleth(
                geojson=outline, featureidkey="id", locations=outlined,
                z=[1] * len(outlined),
                colorscale=[[0, SUBJECT], [1, SUBJECT]] if subject else
                [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                showscale=False, name=esc(name_of(spec.subject, names)),
                text=[esc(name_of(s, names)) for s in outlined],
                hovertemplate="%{text}" + ("" if subject else " (member)") + "<extra></extra>",
                marker={"line": {"color": SUBJECT, "width": 1.6}},
            )
        )  # fmt: skip
    fig.update_geos(
        visible=False, projection_type="natural earth", showframe=False,
        lataxis_range=[-57, 85], lonaxis_range=[-170, 190], resolution=110, scope="world",
    )  # fmt: skip
    fig.update_layout(template=TEMPLATE, height=540, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    return fig


# --------------------------------------------------------------------------- map of states


LABEL_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def place_labels(
    x: Sequence[float],
    y: Sequence[float],
    labels: Sequence[str],
    *,
    width: float = 760,
    height: float = 400,
    char: float = 9,
    line: float = 15,
    marker: float = 12,
) -> list[str | None]:
    """Where to draw each label (a plotly ``textposition``), or None where it has no room.

    Labels are placed in the order given (their priority), each at the first of
    LABEL_POSITIONS where its box (``char`` pixels a character, ``line`` high) overlaps no
    label placed before and no other labelled point's marker (``marker`` pixels square), on a
    plot area of
    ``width`` x ``height`` pixels spanning the points' range plus plotly's autorange padding.
    The sizes err on the large side (a 12-pixel capital is about 8.5 pixels wide; the plot area
    of a 1,150-pixel page is wider than 760): the chart is responsive, its size unknown here.
    An empty label is not drawn."""
    if not len(x):
        return []
    xs, ys = np.asarray(x, float), np.asarray(y, float)

    def scale(v: np.ndarray, size: float) -> np.ndarray:
        lo, hi = float(v.min()), float(v.max())
        pad = (hi - lo) * 0.06 or 1.0
        return (v - (lo - pad)) / ((hi + pad) - (lo - pad)) * size

    px, py = scale(xs, width), height - scale(ys, height)
    half = marker / 2
    # The markers of the labelled points (the report's states, drawn large) are obstacles;
    # the small grey ones of the others may sit under a label.
    markers = [
        (a - half, b - half, a + half, b + half) if text else (0.0, 0.0, 0.0, 0.0)
        for a, b, text in zip(px, py, labels, strict=True)
    ]
    placed: list[tuple[float, float, float, float]] = []

    def free(box: tuple[float, float, float, float], own: int) -> bool:
        def apart(o: tuple[float, float, float, float]) -> bool:
            return box[2] <= o[0] or o[2] <= box[0] or box[3] <= o[1] or o[3] <= box[1]

        return all(apart(o) for o in placed) and all(
            apart(o) for j, o in enumerate(markers) if j != own
        )

    out: list[str | None] = []
    for i, text in enumerate(labels):
        w, cx, cy = len(text) * char, px[i], py[i]
        boxes = {
            "top center": (cx - w / 2, cy - half - line, cx + w / 2, cy - half),
            "bottom center": (cx - w / 2, cy + half, cx + w / 2, cy + half + line),
            "middle right": (cx + half, cy - line / 2, cx + half + w, cy + line / 2),
            "middle left": (cx - half - w, cy - line / 2, cx - half, cy + line / 2),
        }
        where = next((p for p in LABEL_POSITIONS if text and free(boxes[p], i)), None)
        if where is not None:
            placed.append(boxes[where])
        out.append(where)
    return out


def map_figure(
    sm: StateMap,
    spec: ReportSpec,
    names: dict[str, str],
    colours: dict[str, str],
    priority: Sequence[str],
    members: Sequence[str] = (),
) -> go.Figure:
    """Classical MDS of the states' distances: the report's states in their colours and
    labelled (where labels do not collide), a bloc report's ``members`` in the subject's
    colour, every other state small and grey; marker shape is the cluster; hover names the
    bloc."""
    pts = sm.points
    order = {s: i for i, s in enumerate(dict.fromkeys([*priority, *colours, *members]))}
    pts = pts.with_columns(
        rank=pl.col("iso3").replace_strict(order, default=len(order), return_dtype=pl.Int64)
    ).sort("rank", "iso3")
    # A bloc's members without a colour of their own are drawn as members (as on the ideal
    # points chart), not grey.
    keyed = [s for s in pts["iso3"] if s in colours and not (s in members and colours[s] == GREY)]
    # Only the report's states are labelled, and only where the label has room.
    wanted = [s if s in order else "" for s in pts["iso3"]]
    where = dict(zip(pts["iso3"], place_labels(pts["x"].to_list(), pts["y"].to_list(), wanted),
                     strict=True))  # fmt: skip

    def hover(d: pl.DataFrame) -> list[str]:
        return [
            f"{esc(name_of(s, names))} ({esc(s)})<br>bloc: "
            f"{esc(bloc_short_name(b) if b != 'other' else 'none of the listed')}"
            f"<br>cluster {c + 1} (hierarchical), {cs + 1} (spectral)"
            for s, b, c, cs in d.select("iso3", "bloc", "cluster", "cluster_spectral").iter_rows()
        ]

    fig = go.Figure()
    in_bloc = [s for s in pts["iso3"] if s in set(members) and s not in keyed]
    rest = pts.filter(~pl.col("iso3").is_in([*keyed, *in_bloc]))
    shadow = "1px 1px 2px #fff, -1px -1px 2px #fff, 1px -1px 2px #fff, -1px 1px 2px #fff"
    fig.add_trace(
        go.Scatter(
            x=rest["x"].to_list(), y=rest["y"].to_list(), mode="markers+text",
            name="other states", legendgroup="other",
            marker={"color": GREY, "size": 7, "opacity": 0.6,
                    "symbol": [CLUSTER_SYMBOLS[c % 6] for c in rest["cluster"]]},
            text=[esc(s) if where[s] else "" for s in rest["iso3"]],
            textposition=[where[s] or "top center" for s in rest["iso3"]],
            textfont={"size": 10, "color": "#777", "shadow": shadow},
            hovertext=hover(rest), hovertemplate="%{hovertext}<extra></extra>",
        )
    )  # fmt: skip
    if in_bloc:
        d = pts.filter(pl.col("iso3").is_in(in_bloc))
        fig.add_trace(
            go.Scatter(
                x=d["x"].to_list(), y=d["y"].to_list(), mode="markers+text",
                name=esc(f"{bloc_short_name(spec.subject)} members"), legendgroup=spec.focus,
                marker={"color": SUBJECT, "size": 9,
                        "symbol": [CLUSTER_SYMBOLS[c % 6] for c in d["cluster"]]},
                text=[esc(s) if where[s] else "" for s in d["iso3"]],
                textposition=[where[s] or "top center" for s in d["iso3"]],
                textfont={"size": 10, "color": SUBJECT, "shadow": shadow},
                hovertext=hover(d), hovertemplate="%{hovertext}<extra></extra>",
            )
        )  # fmt: skip
    for s in keyed:
        d = pts.filter(pl.col("iso3") == s)
        fig.add_trace(
            go.Scatter(
                x=d["x"].to_list(), y=d["y"].to_list(), mode="markers+text",
                name=esc(name_of(s, names)), legendgroup=s,
                marker={"color": colours[s], "size": 14 if s == spec.focus else 11,
                        "symbol": [CLUSTER_SYMBOLS[c % 6] for c in d["cluster"]],
                        "line": {"width": 1, "color": "#333"}},
                text=[esc(s) if where[s] else ""], textposition=where[s] or "top center",
                textfont={"size": 12, "color": colours[s], "shadow": shadow},
                hovertext=hover(d), hovertemplate="%{hovertext}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        height=620,
        xaxis_title="first axis of the map",
        yaxis_title="second axis of the map",
        legend={"title": {"text": "state (click to hide)<br>marker shape = cluster"}},
    )
    return fig


# --------------------------------------------------------------------------- cohesion


COHESION_SYMBOLS = ["circle", "diamond", "square"]


def cohesion_figure(
    coh: pl.DataFrame, spec: ReportSpec, colours: dict[str, str], topic_label: str | None
) -> go.Figure:
    fig = go.Figure()
    for i, b in enumerate(spec.cohesion_blocs):
        colour = colours.get(majority_key(b), GREY)
        has_topic = "topic" in set(coh["scope"])
        for scope, dash in (("topic", "solid"), ("all", "dot" if has_topic else "solid")):
            d = coh.filter(pl.col("bloc") == b, pl.col("scope") == scope).sort("period")
            if d.is_empty():
                continue
            votes = f"votes on {topic_label}" if scope == "topic" else "all votes"
            label = f"{bloc_short_name(b)}, {votes}"
            years = [opening_year(p) for p in d["period"]]
            hover = [
                f"{esc(label)}<br>{session_label(p)}: {c:.3f} over {n} votes{few(n)}"
                for p, c, n in d.select("period", "cohesion", "n").iter_rows()
            ]
            trace = series_trace(
                majority_key(b), years, d["cohesion"].to_list(), d["n"].to_list(), hover,
                colour, "", name=esc(label), opacity=0.85,
            )  # fmt: skip
            trace.line.dash = dash
            trace.marker.symbol = [
                s if s is None else s.replace("circle", COHESION_SYMBOLS[i % 3])
                for s in trace.marker.symbol
            ]
            fig.add_trace(trace)
    fig.update_layout(
        template=TEMPLATE,
        height=440,
        xaxis=year_axis([opening_year(p) for p in coh["period"].unique() if p is not None]),
        yaxis_title="members' agreement (1 = all vote alike)",
        yaxis_range=[-0.05, 1.05],
        showlegend=True,
        legend={"title": {"text": "bloc, votes (click to hide)"}},
    )
    return fig


# --------------------------------------------------------------------------- vote matrix


def vote_matrix_figure(m: VoteMatrix, names: dict[str, str], colours: dict[str, str]) -> go.Figure:
    f = m.frame
    cols = m.columns
    n_rows = f.height
    z = np.full((n_rows, len(cols)), np.nan)
    text: list[list[str]] = []
    counts = {(r["roll_call_id"], r["iso3"]): r for r in m.majority_counts.iter_rows(named=True)}
    code = {v: i for i, v in enumerate(VOTE_ORDER)}
    ylabels = []
    for i, row in enumerate(f.iter_rows(named=True)):
        date = row["date"].isoformat() if row["date"] else ""
        symbol = row["symbol"] or "(no symbol)"
        kind = "" if row["kind"] == "resolution" else f" [{row['kind']}]"
        ylabels.append(f"{esc(symbol)}{esc(kind)} · {date}")
        head = (
            f"<b>{esc(symbol)}</b>{esc(kind)} · {date}<br>{wrap(short_title(row['title']))}<br>"
            f"Tally: {row['yes']} yes, {row['no']} no, {row['abstain']} abstain"
        )
        cast = []
        for c in cols:
            v = row[c]
            cast.append(f"{esc(short_label(c))} {v if v is not None else '–'}")
        all_votes = "<br>".join(" · ".join(cast[j : j + 6]) for j in range(0, len(cast), 6))
        line = []
        for j, c in enumerate(cols):
            v = row[c]
            who = esc(name_of(c, names))
            if v is None:
                blocs = ", ".join(bloc_short_name(b) for b in m.member_of.get(c, []))
                mine = f"{who}: not a {esc(blocs) or 'UN'} member on this date"
            else:
                z[i, j] = code[v]
                mine = f"{who}: <b>{VOTE_WORDS[v]}</b>"
                k = counts.get((row["roll_call_id"], c))
                if k is not None:
                    mine += (
                        f" ({k['n_yes']} yes, {k['n_no']} no, {k['n_abstain']} abstain, "
                        f"{k['n_none']} no vote)"
                    )
            line.append(f"{head}<br>{mine}<br><br>{all_votes}")
        text.append(line)
    xlabels = [
        f'<span style="color:{colours[c]}">{esc(short_label(c))}</span>'
        if c in colours and colours[c] != GREY
        else esc(short_label(c))
        for c in cols
    ]
    scale = []
    for k, v in enumerate(VOTE_ORDER):
        scale += [[k / 4, VOTE_COLOURS[v]], [(k + 1) / 4, VOTE_COLOURS[v]]]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=list(range(len(cols))), y=list(range(n_rows)), text=text,
            hovertemplate="%{text}<extra></extra>", hoverongaps=True, colorscale=scale,
            zmin=-0.5, zmax=3.5, xgap=1, ygap=1,
            colorbar={
                "tickvals": [0, 1, 2, 3], "ticktext": [VOTE_WORDS[v] for v in VOTE_ORDER],
                "title": {"text": "vote"}, "len": min(1.0, 600 / max(400, 18 * n_rows)),
                "y": 1, "yanchor": "top",
            },
        )
    )  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        height=max(420, 18 * n_rows + 160),
        margin={"l": 190, "r": 40, "t": 90, "b": 30},
        xaxis={"tickvals": list(range(len(cols))), "ticktext": xlabels, "side": "top",
               "tickangle": -45, "fixedrange": True},
        yaxis={"tickvals": list(range(n_rows)), "ticktext": ylabels, "autorange": "reversed",
               "tickfont": {"size": 10}},
        hoverlabel={"align": "left", "font": {"size": 11}},
    )  # fmt: skip
    return fig
