"""Plotly figures of a report. Every string that comes from the data is HTML-escaped here,
because plotly renders hover text, tick labels and titles as (a subset of) HTML."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from alignment.clusters import StateMap
from alignment.reports.data import METRIC_LABELS, METRICS, VOTE_WORDS, VoteMatrix, bloc_short_name
from alignment.reports.spec import ReportSpec, is_majority, majority_bloc
from alignment.sessions import regular_session

# Votes: yes green, abstain amber, no red, no vote grey (colour-blind safe enough with labels).
VOTE_CODE = {"X": 0, "Y": 1, "A": 2, "N": 3}
VOTE_COLOURS = ["#bdbdbd", "#1a9850", "#f6c343", "#d73027"]
PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]
BLOC_COLOURS = {
    "csto": "#d62728",
    "eaeu": "#ff7f0e",
    "eu": "#1f77b4",
    "nato": "#17becf",
    "arab_league": "#2ca02c",
    "oic": "#8c564b",
    "nam": "#bcbd22",
    "other": "#9e9e9e",
}
CLUSTER_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]
TEMPLATE = "plotly_white"


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


# --------------------------------------------------------------------------- vote matrix


def vote_matrix_figure(m: VoteMatrix, names: dict[str, str], spec: ReportSpec) -> go.Figure:
    f = m.frame
    cols = m.columns
    n_rows = f.height
    z = np.full((n_rows, len(cols)), np.nan)
    text: list[list[str]] = []
    counts = {(r["roll_call_id"], r["iso3"]): r for r in m.majority_counts.iter_rows(named=True)}
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
                z[i, j] = VOTE_CODE[v]
                mine = f"{who}: <b>{VOTE_WORDS[v]}</b>"
                k = counts.get((row["roll_call_id"], c))
                if k is not None:
                    mine += (
                        f" ({k['n_yes']} yes, {k['n_no']} no, {k['n_abstain']} abstain, "
                        f"{k['n_none']} no vote)"
                    )
            line.append(f"{head}<br>{mine}<br><br>{all_votes}")
        text.append(line)
    xlabels = [esc(short_label(c)) for c in cols]
    scale = []
    for k, colour in enumerate(VOTE_COLOURS):
        scale += [[k / 4, colour], [(k + 1) / 4, colour]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(len(cols))),
            y=list(range(n_rows)),
            text=text,
            hovertemplate="%{text}<extra></extra>",
            hoverongaps=True,
            colorscale=scale,
            zmin=-0.5,
            zmax=3.5,
            xgap=1,
            ygap=1,
            colorbar={
                "tickvals": [0, 1, 2, 3],
                "ticktext": ["no vote", "yes", "abstain", "no"],
                "title": {"text": "vote"},
                "len": min(1.0, 600 / max(400, 18 * n_rows)),
                "y": 1,
                "yanchor": "top",
            },
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=max(420, 18 * n_rows + 160),
        margin={"l": 190, "r": 40, "t": 90, "b": 30},
        xaxis={
            "tickvals": list(range(len(cols))),
            "ticktext": xlabels,
            "side": "top",
            "tickangle": -45,
            "fixedrange": True,
        },
        yaxis={
            "tickvals": list(range(n_rows)),
            "ticktext": ylabels,
            "autorange": "reversed",
            "tickfont": {"size": 10},
        },
        hoverlabel={"align": "left", "font": {"size": 11}},
    )
    return fig


# --------------------------------------------------------------------------- agreement


def _band(
    x: Sequence[float], lo: Sequence[float], hi: Sequence[float], colour: str, **kw
) -> go.Scatter:
    return go.Scatter(
        x=list(x) + list(x)[::-1],
        y=list(hi) + list(lo)[::-1],
        fill="toself",
        fillcolor=_alpha(colour, 0.15),
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        **kw,
    )


def _alpha(hex_colour: str, a: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{a})"


def _event_sessions(spec: ReportSpec) -> list[tuple[int, str]]:
    return [(regular_session(day), label) for day, label in spec.events]


def agreement_figure(
    agree: pl.DataFrame, spec: ReportSpec, names: dict[str, str], topic_label: str
) -> go.Figure:
    scopes = [s for s in ("topic", "all") if s in set(agree["scope"].to_list())]
    titles = [f"{topic_label} votes" if s == "topic" else "All votes" for s in scopes]
    fig = make_subplots(rows=len(scopes), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.08)  # fmt: skip
    partners = [p for p in spec.partners if p != spec.focus]
    owner: list[str] = []
    for r, scope in enumerate(scopes, start=1):
        for pi, partner in enumerate(partners):
            colour = PALETTE[pi % len(PALETTE)]
            for metric in METRICS:
                d = agree.filter(
                    pl.col("scope") == scope,
                    pl.col("partner") == partner,
                    pl.col("metric") == metric,
                ).filter(pl.col("value").is_not_nan())
                visible = metric == METRICS[0]
                ok = d.filter(pl.col("lower").is_not_nan() & pl.col("upper").is_not_nan())
                fig.add_trace(
                    _band(ok["session"], ok["lower"], ok["upper"], colour, visible=visible,
                          legendgroup=partner, meta=metric),
                    row=r, col=1,
                )  # fmt: skip
                owner.append(metric)
                hover = [
                    f"{esc(name_of(spec.focus, names))} – {esc(name_of(partner, names))}<br>"
                    f"session {s}: {v:.2f} [{lo:.2f}, {hi:.2f}], {n} roll calls"
                    for s, v, lo, hi, n in d.select(
                        "session", "value", "lower", "upper", "n"
                    ).iter_rows()
                ]
                fig.add_trace(
                    go.Scatter(
                        x=d["session"].to_list(),
                        y=d["value"].to_list(),
                        mode="lines+markers",
                        name=esc(name_of(partner, names)),
                        line={"color": colour},
                        legendgroup=partner,
                        meta=metric,
                        showlegend=(r == 1),
                        visible=visible,
                        text=hover,
                        hovertemplate="%{text}<extra></extra>",
                    ),
                    row=r,
                    col=1,
                )
                owner.append(metric)
    buttons = [
        {
            "label": METRIC_LABELS[m],
            "method": "update",
            "args": [{"visible": [o == m for o in owner]}],
        }
        for m in METRICS
    ]
    _mark_events(fig, spec, y=1.02)
    fig.update_layout(
        template=TEMPLATE,
        height=330 * len(scopes) + 120,
        margin={"t": 110},
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 0,
                "xanchor": "left",
                "y": 1.18,
                "yanchor": "top",
                "showactive": True,
            }
        ],
        legend={"orientation": "h", "y": -0.08},
        hovermode="closest",
    )
    fig.update_xaxes(title_text="session", row=len(scopes), col=1)
    return fig


def _mark_events(fig: go.Figure, spec: ReportSpec, *, y: float) -> None:
    """A dotted line and a label at each session the report marks (e.g. the end of Assad)."""
    for session, label in _event_sessions(spec):
        fig.add_vline(x=session, line_dash="dot", line_color="#555")
        fig.add_annotation(x=session, y=y, yref="paper", text=esc(label), showarrow=False,
                           font={"size": 10}, xanchor="right")  # fmt: skip


# --------------------------------------------------------------------------- ideal points


def ideal_points_figure(ip: pl.DataFrame, spec: ReportSpec, names: dict[str, str]) -> go.Figure:
    fig = go.Figure()
    states = list(dict.fromkeys([*spec.ideal_states, *sorted(set(ip["iso3"]))]))
    for i, s in enumerate(s for s in states if s in set(ip["iso3"])):
        d = ip.filter(pl.col("iso3") == s).sort("session")
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(_band(d["session"], d["lower"], d["upper"], colour, legendgroup=s))
        hover = [
            f"{esc(name_of(s, names))}, session {ss}: {v:.2f} [{lo:.2f}, {hi:.2f}], {n} votes"
            for ss, v, lo, hi, n in d.select(
                "session", "ideal_point", "lower", "upper", "n_votes"
            ).iter_rows()
        ]
        fig.add_trace(
            go.Scatter(x=d["session"].to_list(), y=d["ideal_point"].to_list(),
                       mode="lines+markers", name=esc(name_of(s, names)), legendgroup=s,
                       line={"color": colour, "width": 3 if s == spec.focus else 1.5},
                       text=hover, hovertemplate="%{text}<extra></extra>")
        )  # fmt: skip
    _mark_events(fig, spec, y=1.04)
    fig.update_layout(
        template=TEMPLATE,
        height=480,
        xaxis_title="session",
        yaxis_title="ideal point (positive: closer to the United States)",
        legend={"orientation": "h", "y": -0.18},
    )
    return fig


# --------------------------------------------------------------------------- map


def map_figure(
    sm: StateMap, spec: ReportSpec, names: dict[str, str], highlight: Sequence[str]
) -> go.Figure:
    pts = sm.points
    fig = go.Figure()
    labels = list(dict.fromkeys([*spec.map_blocs, "other"]))
    shown = set(highlight)
    for b in labels:
        d = pts.filter(pl.col("bloc") == b)
        if d.is_empty():
            continue
        hover = [
            f"{esc(name_of(s, names))} ({esc(s)})<br>bloc: {esc(bloc_short_name(b) if b != 'other' else 'none of the listed')}"
            f"<br>cluster {c + 1} (hierarchical), {cs + 1} (spectral)"
            for s, c, cs in d.select("iso3", "cluster", "cluster_spectral").iter_rows()
        ]
        fig.add_trace(
            go.Scatter(
                x=d["x"].to_list(),
                y=d["y"].to_list(),
                mode="markers+text",
                name=esc(bloc_short_name(b) if b != "other" else "other"),
                marker={
                    "color": BLOC_COLOURS.get(b, "#9e9e9e"),
                    "size": 10,
                    "symbol": [CLUSTER_SYMBOLS[c % len(CLUSTER_SYMBOLS)] for c in d["cluster"]],
                    "line": {"width": 0.5, "color": "#333"},
                },
                text=[esc(s) if s in shown else "" for s in d["iso3"]],
                textposition="top center",
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        height=560,
        xaxis_title="MDS axis 1",
        yaxis_title="MDS axis 2",
        legend={"title": {"text": "bloc (colour); marker shape = cluster"}},
    )
    return fig


# --------------------------------------------------------------------------- cohesion


def cohesion_figure(coh: pl.DataFrame, spec: ReportSpec, topic_label: str) -> go.Figure:
    fig = go.Figure()
    for i, b in enumerate(spec.cohesion_blocs):
        colour = PALETTE[i % len(PALETTE)]
        for scope, dash in (("topic", "solid"), ("all", "dot")):
            d = coh.filter(pl.col("bloc") == b, pl.col("scope") == scope).sort("period")
            if d.is_empty():
                continue
            label = f"{bloc_short_name(b)}, {topic_label + ' votes' if scope == 'topic' else 'all votes'}"
            hover = [
                f"{esc(label)}<br>session {p}: {c:.3f} over {n} roll calls"
                for p, c, n in d.select("period", "cohesion", "n").iter_rows()
            ]
            fig.add_trace(
                go.Scatter(x=d["period"].to_list(), y=d["cohesion"].to_list(),
                           mode="lines+markers", name=esc(label),
                           line={"color": colour, "dash": dash}, text=hover,
                           hovertemplate="%{text}<extra></extra>")
            )  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        height=420,
        xaxis_title="session",
        yaxis_title="mean agreement index (1 = all members vote alike)",
        yaxis_range=[-0.05, 1.05],
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
