"""The map of states: states that vote alike sit close together (classical multidimensional
scaling of 1 - agreement index, :func:`alignment.clusters.state_map`), marker shapes the groups
of a hierarchical clustering, with their stability over bootstrap resamples of the votes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import plotly.graph_objects as go
import polars as pl

from alignment import blocs as blocs_module
from alignment import clusters
from alignment.clusters import StateMap
from alignment.reports.charts import TEMPLATE, esc, figure_html
from alignment.reports.context import Context
from alignment.reports.inputs import Inputs
from alignment.reports.names import bloc_short_name, name_of
from alignment.reports.palette import GREY, SUBJECT
from alignment.reports.spec import ReportSpec

CLUSTER_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"]
# Bootstrap resamples of the map's cluster stability: each costs about as much as the map
# itself, which grows with the roll calls, so long windows get fewer (never under MIN_BOOT).
MAX_BOOT, MIN_BOOT, BOOT_BUDGET = 20, 5, 30_000  # resamples x roll calls


@dataclass(frozen=True)
class StateMapSection:
    map: StateMap
    html: str  # the chart


def map_resamples(n_roll_calls: int) -> int:
    """How many resamples the map's stability rests on: 20 up to 1,500 roll calls, fewer
    beyond (30,000 roll calls resampled in all), at least 5."""
    return max(MIN_BOOT, min(MAX_BOOT, BOOT_BUDGET // max(n_roll_calls, 1)))


def bloc_labels(inputs: Inputs, spec: ReportSpec, on: dt.date) -> pl.DataFrame:
    """iso3, bloc: the first of ``spec.map_blocs`` each state belonged to on ``on``."""
    rows: dict[str, str] = {}
    for b in spec.map_blocs:
        try:
            members = blocs_module.members_on(inputs.memberships, b, on)
        except ValueError:
            continue
        for m in members:
            rows.setdefault(m, b)
    return pl.DataFrame(
        {"iso3": list(rows), "bloc": list(rows.values())},
        schema={"iso3": pl.String, "bloc": pl.String},
    )


def compute(ctx: Context, *, n_boot: int | None = None) -> StateMap:
    """The map of states from the report's roll calls, with ``n_boot`` resamples (default
    :func:`map_resamples`)."""
    inputs = ctx.inputs
    ids = inputs.topic_ids
    n_boot = map_resamples(len(ids)) if n_boot is None else n_boot
    last = cast(dt.date, inputs.topic_roll_calls["date"].max())
    labels = bloc_labels(inputs, ctx.spec, last)
    result = clusters.state_map(
        inputs.votes, roll_call_ids=ids, k=4, labels=labels, n_boot=n_boot, min_n=5
    )
    result.points = result.points.with_columns(pl.col("bloc").fill_null("other"))
    return result


def build(
    ctx: Context, smap: StateMap, colours: dict[str, str], priority: Sequence[str]
) -> StateMapSection:
    """``priority``: the keys labelled first (the vote matrix's columns)."""
    # A bloc's members on the map's last day (the map's bloc labels are of that day too): a
    # state that left before it (the United Kingdom, the EU) is drawn as what it is then.
    fig = figure(smap, ctx.spec, ctx.names, colours, priority, ctx.members)
    return StateMapSection(smap, figure_html(fig, "fig-map"))


LABEL_POSITIONS = ("top center", "bottom center", "middle right", "middle left")
# The plot area's width, in pixels, on A4 paper (the page's 700 less the axis and the legend)
# and in a phone's box (its min-width, 700, likewise): the names are placed for it.
NARROWEST_PLOT = 460


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


def figure(
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
    # Placed for the narrowest the plot is drawn (A4 print, a phone's scrolling box): where
    # names do not collide there, they do not collide on a wider page either.
    where = dict(zip(pts["iso3"], place_labels(pts["x"].to_list(), pts["y"].to_list(), wanted,
                                               width=NARROWEST_PLOT), strict=True))  # fmt: skip

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
            hovertext=hover(rest), hovertemplate="%{hovertext}<extra></extra>", cliponaxis=False,
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
                hovertext=hover(d), hovertemplate="%{hovertext}<extra></extra>", cliponaxis=False,
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
                hovertext=hover(d), hovertemplate="%{hovertext}<extra></extra>", cliponaxis=False,
            )
        )  # fmt: skip
    fig.update_layout(
        template=TEMPLATE,
        height=620,
        xaxis_title="first map axis (distance in 1 − agreement index)",
        yaxis_title="second map axis (same unit)",
        legend={"title": {"text": "state (click to hide)<br>marker shape = cluster"}},
    )
    return fig
