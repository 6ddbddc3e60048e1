"""Agreement of the subject with each partner over time, per session, on the topic and on all
votes: ``agree`` (1 - |x - y|/2), ``s_abs`` (Signorino and Ritter's S) and ``kappa_abs``
(Cohen's kappa, Häge) of :func:`alignment.metrics.dyadic_scores`, with percentile bootstrap
intervals over the roll calls, and ``exact`` (the share cast alike) for the summary. A topic
with few votes a session is drawn by windows of sessions (:func:`charts.pool_size`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from alignment import metrics
from alignment.reports.charts import (
    DASHES,
    SYMBOLS,
    TEMPLATE,
    YEAR_TITLE,
    Periods,
    band,
    end_labels,
    esc,
    figure_html,
    interval_text,
    label_trace,
    mark_events,
    pool_size,
    pooled,
    series_traces,
    session_periods,
    year_axis,
)
from alignment.reports.context import Context
from alignment.reports.findings import MIN_VOTES
from alignment.reports.names import name_of
from alignment.reports.palette import GREY

METRICS = ("agree", "s_abs", "kappa_abs")
METRIC_LABELS = {
    "agree": "Agreement index (1 − |x − y| / 2)",
    "s_abs": "Signorino–Ritter S",
    "kappa_abs": "Cohen's kappa (Häge)",
}
# The y axis' title of each measure, with its scale.
METRIC_AXES = {
    "agree": "agreement index (0: opposite votes, 1: the same)",
    "s_abs": "Signorino–Ritter S (−1 to 1)",
    "kappa_abs": "Cohen's kappa (0: as by chance, 1: the same)",
}
BOOTSTRAP = 200


@dataclass(frozen=True)
class Agreement:
    frame: pl.DataFrame  # scope, partner, session, metric, value, n, lower, upper
    html: str  # the chart
    n_boot: int
    periods: dict[str, Periods]  # scope -> where its points stand (pooled, partial)

    @property
    def notes(self) -> list[str]:
        """What is pooled or partial, a sentence a scope."""
        said = [n for p in self.periods.values() if (n := p.pool_note())]
        partial = [n for p in self.periods.values() if (n := p.partial_note())]
        return said + partial[-1:]  # all votes' (the later session) when both are partial


def periods(ctx: Context) -> dict[str, Periods]:
    """Where the points of each scope stand: the topic's votes pooled when few a session."""
    inputs = ctx.inputs
    first = ctx.spec.start or cast(dt.date, inputs.roll_calls["date"].min())
    last = cast(dt.date, inputs.roll_calls["date"].max())
    out = {}
    if ctx.spec.topic:
        rc = inputs.topic_roll_calls
        out["topic"] = session_periods(rc, first, last, pool_size(rc["session"].to_list()))
    out["all"] = session_periods(inputs.roll_calls, first, last)
    return out


def compute(ctx: Context, where: dict[str, Periods] | None = None) -> pl.DataFrame:
    """Focus against each partner per session (per window of sessions where ``where`` pools
    them, the window's first session), on the topic and on all votes.

    Columns: scope ('topic' | 'all'), partner, session, metric, value, n, lower, upper.
    """
    spec = ctx.spec
    where = where or periods(ctx)
    keys = list(dict.fromkeys([spec.focus, *spec.partners]))
    out = []
    scopes: list[tuple[str, list[int] | None]] = (
        [("topic", ctx.inputs.topic_ids)] if spec.topic else []
    )
    scopes.append(("all", None))
    for scope, ids in scopes:
        scores = metrics.dyadic_scores(
            ctx.votes,
            pooled(ctx.inputs.roll_calls, where[scope]),
            by="session",
            metrics=[*METRICS, "exact"],
            countries=keys,
            roll_call_ids=ids,
            bootstrap=ctx.bootstrap,
        )
        mine = scores.filter((pl.col("iso3_a") == spec.focus) | (pl.col("iso3_b") == spec.focus))
        out.append(
            mine.select(
                pl.lit(scope).alias("scope"),
                pl.when(pl.col("iso3_a") == spec.focus)
                .then(pl.col("iso3_b"))
                .otherwise(pl.col("iso3_a"))
                .alias("partner"),
                pl.col("period").alias("session"),
                "metric",
                "value",
                "n",
                "lower",
                "upper",
            )
        )
    return pl.concat(out).sort("scope", "partner", "metric", "session")


def build(
    ctx: Context, frame: pl.DataFrame, colours: dict[str, str], where: dict[str, Periods]
) -> Agreement:
    fig = figure(ctx, frame, colours, where)
    return Agreement(frame, figure_html(fig, "fig-agreement"), ctx.bootstrap, where)


def figure(
    ctx: Context, agree: pl.DataFrame, colours: dict[str, str], where: dict[str, Periods]
) -> go.Figure:
    """One panel per scope (the topic's votes, all votes), a line and band per partner and
    metric, each partner with its own dash and its name at the line's end; a menu shows one
    metric at a time (and its axis title)."""
    spec, names = ctx.spec, ctx.names
    scopes = [s for s in ("topic", "all") if s in set(agree["scope"].to_list())]
    titles = [
        f"Votes on {ctx.topic_label}" + (f" ({where[s].pool} sessions a point)"
                                          if where[s].pool > 1 else "")
        if s == "topic" else "All votes"
        for s in scopes
    ]  # fmt: skip
    fig = make_subplots(rows=max(len(scopes), 1), cols=1, shared_xaxes=True,
                        subplot_titles=titles, vertical_spacing=0.1)  # fmt: skip
    # Panel titles on the left: the marked dates' labels stand on the right (recent years).
    fig.update_annotations(x=0, xanchor="left")
    partners = [p for p in spec.partners if p != spec.focus]
    owner: list[str] = []
    who = esc(name_of(spec.focus, names))
    for r, scope in enumerate(scopes, start=1):
        at = where[scope]
        for metric in METRICS:
            visible = metric == METRICS[0]
            ends: list[tuple[float, float, str, str]] = []
            span = agree.filter(pl.col("metric") == metric, pl.col("value").is_not_nan())["value"]
            for i, partner in enumerate(partners):
                colour = colours.get(partner, GREY)
                d = (
                    agree.filter(
                        pl.col("scope") == scope,
                        pl.col("partner") == partner,
                        pl.col("metric") == metric,
                    )
                    .filter(pl.col("value").is_not_nan())
                    .sort("session")
                )
                ok = d.filter(
                    pl.col("lower").is_not_nan(),
                    pl.col("upper").is_not_nan(),
                    pl.col("n") >= MIN_VOTES,
                )
                fig.add_trace(
                    band(ok["session"].to_list(), ok["lower"].to_list(), ok["upper"].to_list(),
                         colour, x=at.x, step=at.pool, visible=visible, legendgroup=partner,
                         meta=metric),
                    row=r, col=1,
                )  # fmt: skip
                owner.append(metric)
                hover = interval_text(
                    f"{who} – {esc(name_of(partner, names))}<br>",
                    ((at.label(p), *rest) for p, *rest in
                     d.select("session", "value", "lower", "upper", "n").iter_rows()),
                )  # fmt: skip
                for trace in series_traces(
                    partner, d["session"].to_list(), d["value"].to_list(), d["n"].to_list(),
                    hover, colour, spec.focus, x=at.x, step=at.pool, partial=at.partial,
                    dash=DASHES[i % len(DASHES)], symbol=SYMBOLS[i % len(SYMBOLS)],
                    name=esc(name_of(partner, names)),
                    meta=metric, showlegend=(r == 1 and metric == METRICS[0]), visible=visible,
                ):  # fmt: skip
                    fig.add_trace(trace, row=r, col=1)
                    owner.append(metric)
                if d.height:
                    last = d.row(-1, named=True)
                    ends.append((at.x[last["session"]], last["value"],
                                 name_of(partner, names), colour))  # fmt: skip
            lo, hi = (
                (cast(float, span.min()), cast(float, span.max())) if span.len() else (0.0, 1.0)
            )
            for x, y, text, colour in end_labels(ends, (lo, hi)):
                fig.add_trace(label_trace(x, y, text, colour, visible=visible, meta=metric),
                              row=r, col=1)  # fmt: skip
                owner.append(metric)
    axes = [f"yaxis{'' if r == 1 else r}.title.text" for r in range(1, len(scopes) + 1)]
    buttons = [
        {
            "label": METRIC_LABELS[m],
            "method": "update",
            "args": [{"visible": [o == m for o in owner]}, dict.fromkeys(axes, METRIC_AXES[m])],
        }
        for m in METRICS
    ]
    mark_events(fig, spec)
    fig.update_layout(
        template=TEMPLATE,
        height=330 * len(scopes) + 120,
        margin={"t": 80, "r": 20},
        updatemenus=[
            {"buttons": buttons, "direction": "down", "x": 0, "xanchor": "left", "y": 1.0,
             "yanchor": "bottom", "pad": {"b": 22}, "showactive": True}
        ],
        legend={"title": {"text": "partner (click to hide)"}},
        hovermode="closest",
    )  # fmt: skip
    fig.update_yaxes(title_text=METRIC_AXES[METRICS[0]])
    window = where["all"].window
    fig.update_xaxes(**year_axis([], None, window, room=0.14))
    fig.update_xaxes(title_text=YEAR_TITLE, row=max(len(scopes), 1), col=1)
    return fig
