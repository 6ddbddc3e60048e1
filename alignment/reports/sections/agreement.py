"""Agreement of the subject with each partner over time, per session, on the topic and on all
votes: ``agree`` (1 - |x - y|/2), ``s_abs`` (Signorino and Ritter's S) and ``kappa_abs``
(Cohen's kappa, Häge) of :func:`alignment.metrics.dyadic_scores`, with percentile bootstrap
intervals over the roll calls, and ``exact`` (the share cast alike) for the summary."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from alignment import metrics
from alignment.reports.charts import (
    TEMPLATE,
    YEAR_TITLE,
    band,
    esc,
    figure_html,
    interval_text,
    mark_events,
    series_trace,
    session_label,
    year_axis,
)
from alignment.reports.context import Context
from alignment.reports.findings import MIN_VOTES
from alignment.reports.names import name_of
from alignment.reports.palette import GREY
from alignment.sessions import opening_year

METRICS = ("agree", "s_abs", "kappa_abs")
METRIC_LABELS = {
    "agree": "Agreement index (1 − |x − y| / 2)",
    "s_abs": "Signorino–Ritter S",
    "kappa_abs": "Cohen's kappa (Häge)",
}
BOOTSTRAP = 200


@dataclass(frozen=True)
class Agreement:
    frame: pl.DataFrame  # scope, partner, session, metric, value, n, lower, upper
    html: str  # the chart
    n_boot: int


def compute(ctx: Context) -> pl.DataFrame:
    """Focus against each partner per session, on the topic and on all votes.

    Columns: scope ('topic' | 'all'), partner, session, metric, value, n, lower, upper.
    """
    spec = ctx.spec
    keys = list(dict.fromkeys([spec.focus, *spec.partners]))
    out = []
    scopes = [("topic", ctx.inputs.topic_ids)] if spec.topic else []
    scopes.append(("all", None))
    for scope, ids in scopes:
        scores = metrics.dyadic_scores(
            ctx.votes,
            ctx.inputs.roll_calls,
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


def build(ctx: Context, frame: pl.DataFrame, colours: dict[str, str]) -> Agreement:
    return Agreement(
        frame, figure_html(figure(ctx, frame, colours), "fig-agreement"), ctx.bootstrap
    )


def figure(ctx: Context, agree: pl.DataFrame, colours: dict[str, str]) -> go.Figure:
    """One panel per scope (the topic's votes, all votes), a line and band per partner and
    metric; a menu shows one metric at a time."""
    spec, names = ctx.spec, ctx.names
    scopes = [s for s in ("topic", "all") if s in set(agree["scope"].to_list())]
    titles = [f"Votes on {ctx.topic_label}" if s == "topic" else "All votes" for s in scopes]
    fig = make_subplots(rows=max(len(scopes), 1), cols=1, shared_xaxes=True,
                        subplot_titles=titles, vertical_spacing=0.1)  # fmt: skip
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
    mark_events(fig, spec)
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
    fig.update_xaxes(title_text=YEAR_TITLE, row=max(len(scopes), 1), col=1)
    return fig
