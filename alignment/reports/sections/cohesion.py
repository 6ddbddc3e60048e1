"""Bloc cohesion: how alike the members of the cohesion blocs voted, the mean Hix-Noury-Roland
agreement index of the members on the day of each vote, per session
(:func:`alignment.cohesion.bloc_cohesion`), on the topic and on all votes."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from alignment import cohesion as cohesion_module
from alignment.reports.charts import (
    DASHES,
    TEMPLATE,
    YEAR_TITLE,
    Periods,
    end_labels,
    esc,
    few,
    figure_html,
    label_trace,
    pooled,
    series_traces,
    year_axis,
)
from alignment.reports.context import Context
from alignment.reports.names import bloc_short_name
from alignment.reports.palette import GREY
from alignment.reports.sentences import blocs_phrase
from alignment.reports.spec import ReportSpec, majority_key

COHESION_SYMBOLS = ["circle", "diamond", "square"]


@dataclass(frozen=True)
class Cohesion:
    frame: pl.DataFrame  # scope, bloc, period, cohesion, n
    html: str  # the chart
    blocs: str  # the blocs drawn, in words: "the CSTO and the EU"


def compute(ctx: Context, where: dict[str, Periods]) -> pl.DataFrame:
    """Each cohesion bloc's mean agreement index per session (per window of sessions where
    ``where`` pools them): scope 'topic' and 'all'."""
    spec, inputs = ctx.spec, ctx.inputs
    if not spec.cohesion_blocs:
        return pl.DataFrame(
            schema={"scope": pl.String, "bloc": pl.String, "period": pl.Int64,
                    "cohesion": pl.Float64, "n": pl.Int64}
        )  # fmt: skip
    mod = inputs.on_date.filter(pl.col("bloc").is_in(list(spec.cohesion_blocs)))
    out = []
    scopes: list[tuple[str, list[int] | None]] = [("topic", inputs.topic_ids)] if spec.topic else []
    scopes.append(("all", None))
    for scope, ids in scopes:
        rc = pooled(inputs.roll_calls, where[scope])
        if ids is not None:
            rc = rc.filter(pl.col("roll_call_id").is_in(ids))
        c = cohesion_module.bloc_cohesion(inputs.votes, rc, mod, by="session")
        out.append(c.select(pl.lit(scope).alias("scope"), "bloc", "period", "cohesion", "n"))
    return pl.concat(out)


def build(ctx: Context, colours: dict[str, str], where: dict[str, Periods]) -> Cohesion | None:
    """The section, or None when the report draws no bloc's cohesion; ``where``: the
    agreement section's periods (the same pooling)."""
    if not ctx.spec.cohesion_blocs:
        return None
    frame = compute(ctx, where)
    fig = figure(frame, ctx.spec, colours, ctx.topic_label, where)
    return Cohesion(frame, figure_html(fig, "fig-cohesion"), blocs_phrase(ctx.spec.cohesion_blocs))


def figure(
    coh: pl.DataFrame,
    spec: ReportSpec,
    colours: dict[str, str],
    topic_label: str | None,
    where: dict[str, Periods],
) -> go.Figure:
    """A line per bloc and scope: the topic's votes solid, all votes dotted when both are
    drawn; each bloc's marker and (with one scope) dash its own, its name at the line's end."""
    fig = go.Figure()
    has_topic = "topic" in set(coh["scope"])
    ends = []
    for i, b in enumerate(spec.cohesion_blocs):
        colour = colours.get(majority_key(b), GREY)
        for scope, dash in (("topic", "solid"), ("all", "dot" if has_topic else None)):
            d = coh.filter(pl.col("bloc") == b, pl.col("scope") == scope).sort("period")
            if d.is_empty():
                continue
            at = where[scope]
            votes = f"votes on {topic_label}" if scope == "topic" else "all votes"
            label = f"{bloc_short_name(b)}, {votes}"
            hover = [
                f"{esc(label)}<br>{at.label(p)}: {c:.3f} over {n} votes{few(n)}"
                for p, c, n in d.select("period", "cohesion", "n").iter_rows()
            ]
            traces = series_traces(
                majority_key(b), d["period"].to_list(), d["cohesion"].to_list(),
                d["n"].to_list(), hover, colour, "", x=at.x, step=at.pool, partial=at.partial,
                dash=dash or DASHES[i % len(DASHES)], name=esc(label), opacity=0.85,
            )  # fmt: skip
            for trace in traces:
                trace.marker.symbol = [
                    s if s is None else s.replace("circle", COHESION_SYMBOLS[i % 3])
                    for s in trace.marker.symbol
                ]
                fig.add_trace(trace)
            last = d.row(-1, named=True)
            short = bloc_short_name(b) + (", all" if scope == "all" and has_topic else "")
            ends.append((at.x[last["period"]], last["cohesion"], short, colour))
    for x, y, text, colour in end_labels(ends, (0.0, 1.0)):
        fig.add_trace(label_trace(x, y, text, colour))
    fig.update_layout(
        template=TEMPLATE,
        height=440,
        margin={"r": 20},
        xaxis=year_axis([], YEAR_TITLE, where["all"].window, room=0.12),
        yaxis_title="members' agreement index (0 to 1; 1: all vote alike)",
        yaxis_range=[-0.05, 1.05],
        showlegend=True,
        legend={"title": {"text": "bloc, votes (click to hide)"}},
    )
    return fig
