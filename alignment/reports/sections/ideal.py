"""Ideal points by calendar year, with their 90% intervals and how they were estimated.

The all-votes paths are read from the store's ``ideal_points`` table (the series
``period_type = 'year'``, ``vote_set = 'all'`` the refresh materialises with
:func:`alignment.ideal_points.estimate_ideal_points` and its default options); a report never
estimates them. A spec that asks for a topic's ideal points (``ideal_topic``: topic reports)
has them estimated for the report from that topic's roll calls, by the default method (EM, a
few seconds). The convergence box appears only for sampler (mcmc) estimates that miss the
publication standard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import duckdb
import plotly.graph_objects as go
import polars as pl

from alignment import analyses
from alignment.convergence import (
    CONVERGED_SHARE,
    ESS_TARGET,
    RHAT_TARGET,
    Convergence,
    check_convergence,
)
from alignment.ideal_points import SUMMARY_SCHEMA
from alignment.reports.charts import (
    TEMPLATE,
    band,
    end_labels,
    esc,
    few,
    figure_html,
    interval_text,
    label_trace,
    legend_rank,
    mark_events,
    series_traces,
    year_axis,
)
from alignment.reports.context import Context
from alignment.reports.findings import MIN_VOTES
from alignment.reports.inputs import Inputs
from alignment.reports.names import bloc_short_name, name_of
from alignment.reports.palette import GREY, SUBJECT
from alignment.reports.spec import ReportSpec, is_majority
from alignment.sessions import regular_session
from alignment.vocabulary import ideal_points_meta_prefix

# The stored series' columns, with the period named for what it is here: a calendar year.
IDEAL_SCHEMA = {
    ("year" if k == "period" else k): SUMMARY_SCHEMA[k]
    for k in ("iso3", "period", "method", "ideal_point", "se", "lower", "upper", "n_votes",
              "iterations", "replicates", "rhat", "ess_bulk", "ess_tail")
}  # fmt: skip
SERIES_META = ideal_points_meta_prefix("year", "all")
# The publication standard of convergence, as the page states it.
TARGETS = (RHAT_TARGET, ESS_TARGET, CONVERGED_SHARE)


@dataclass
class IdealPaths:
    """The ideal point paths shown (by calendar year), where they come from, and how
    converged they are.

    ``source``: ``"store"`` (the all-votes estimates by year the refresh materialised in table
    ``ideal_points``), ``"topic"`` (estimated for the report from the topic's roll calls) or
    ``"none"`` (the table holds no such series: nothing to show)."""

    frame: pl.DataFrame  # IDEAL_SCHEMA
    source: str
    topic: str | None = None
    years: tuple[int, int] | None = None
    convergence: Convergence | None = None  # of the estimates shown, when sampled (mcmc)
    series: dict[str, str] = field(default_factory=dict)  # store_meta ideal_points_year_all_*

    @property
    def n_states(self) -> int:
        return self.frame["iso3"].n_unique() if self.frame.height else 0

    @property
    def method(self) -> str | None:
        """ "em" or "mcmc": how the estimates shown were made (None: nothing shown)."""
        return self.frame["method"][0] if self.frame.height else None

    @property
    def iterations(self) -> int | None:
        return self.frame["iterations"].max() if self.frame.height else None  # type: ignore[return-value]

    @property
    def replicates(self) -> int | None:
        return self.frame["replicates"].max() if self.frame.height else None  # type: ignore[return-value]


@dataclass(frozen=True)
class Ideal:
    paths: IdealPaths
    html: str  # the chart
    targets: tuple[float, float, float] = TARGETS  # R-hat, effective draws, share converged


def states(inputs: Inputs, spec: ReportSpec) -> list[str]:
    """The spec's states and the members of its ideal-point blocs at any time in the window."""
    chosen = set(spec.ideal_states) | set(
        inputs.on_date.filter(pl.col("bloc").is_in(list(spec.ideal_blocs)))["iso3"].to_list()
    )
    return sorted(s for s in chosen if not is_majority(s))


def paths(
    con: duckdb.DuckDBPyConnection,
    years: tuple[int, int],
    wanted: Sequence[str],
    *,
    topic: str | None = None,
    options: dict[str, Any] | None = None,
) -> IdealPaths:
    """Ideal points of ``wanted`` by calendar year, ``years`` (first, last): read from the
    store, or for a ``topic`` estimated with ``options``
    (:func:`alignment.ideal_points.ideal_points`)."""
    first, last = years
    wanted = sorted(set(wanted))
    columns = ", ".join("period AS year" if k == "year" else k for k in IDEAL_SCHEMA)
    if topic is None:
        series = "period_type = 'year' AND vote_set = 'all'"
        n_rows = con.sql(f"SELECT count(*) FROM ideal_points WHERE {series}").fetchall()[0][0]
        frame = con.sql(
            f"""SELECT {columns} FROM ideal_points
               WHERE {series} AND period BETWEEN $first AND $last AND list_contains($states, iso3)
               ORDER BY iso3, period""",
            params={"first": first, "last": last, "states": wanted},
        ).pl()
        meta = dict(
            con.sql(
                "SELECT key, value FROM store_meta WHERE starts_with(key, $p) ORDER BY key",
                params={"p": SERIES_META},
            ).fetchall()
        )
        source = "store" if n_rows else "none"
    else:
        est = analyses.ideal_points(
            con, topic=topic, by="year", from_session=regular_session(dt.date(first, 1, 1)),
            to_session=regular_session(dt.date(last, 12, 31)), **dict(options or {}),
        )  # fmt: skip
        frame = est.filter(pl.col("iso3").is_in(wanted), pl.col("period").is_between(first, last))
        frame = frame.rename({"period": "year"}).select(list(IDEAL_SCHEMA))
        meta, source = {}, "topic"
    frame = (
        frame.cast(IDEAL_SCHEMA).sort("iso3", "year")
        if frame.height
        else pl.DataFrame(schema=IDEAL_SCHEMA)
    )
    sampled = frame.height and frame["method"][0] == "mcmc"
    shown = check_convergence(frame) if sampled else None
    return IdealPaths(frame, source, topic, years, shown, meta)


def member_years(inputs: Inputs, bloc: str) -> dict[str, set[int]]:
    """The years in which each state voted as a member of ``bloc`` (hover text names the
    bloc only then: the United Kingdom is no "(EU)" after 2020)."""
    rows = inputs.on_date.filter(pl.col("bloc") == bloc).select(
        "iso3", pl.col("date").dt.year().alias("year")
    )
    out: dict[str, set[int]] = {}
    for iso3, year in rows.unique().iter_rows():
        out.setdefault(iso3, set()).add(year)
    return out


def build(ctx: Context, ideal: IdealPaths, colours: dict[str, str]) -> Ideal:
    years = member_years(ctx.inputs, ctx.spec.subject) if ctx.spec.kind == "bloc" else {}
    last = cast(dt.date, ctx.inputs.roll_calls["date"].max())
    partial = last.year if ideal.frame.height and last < dt.date(last.year, 12, 31) else None
    fig = figure(ideal.frame, ctx.spec, ctx.names, colours, ctx.ever, years, partial)
    return Ideal(ideal, figure_html(fig, "fig-ideal_points"))


def figure(
    ip: pl.DataFrame,
    spec: ReportSpec,
    names: dict[str, str],
    colours: dict[str, str],
    members: Sequence[str] = (),
    years_in: dict[str, set[int]] | None = None,
    partial_year: int | None = None,
) -> go.Figure:
    """Ideal points by year; a bloc report's ``members`` drawn thin in the subject's colour,
    under one legend entry, named as members only in the years they were (``years_in``);
    each coloured line ends in its name; ``partial_year``, a year the votes stop in before its
    end, is drawn hollow at the end of a dotted segment."""
    fig = go.Figure()
    years_in = years_in or {}
    ends: list[tuple[float, float, str, str]] = []
    member_ends: list[float] = []
    present = set(ip["iso3"])
    in_bloc = set(members) - {k for k, c in colours.items() if c != GREY}
    shown = [s for s in dict.fromkeys([*colours, *sorted(present)]) if s in present]
    # Members and grey lines first, so the coloured ones are drawn over them.
    shown.sort(key=lambda s: (s not in in_bloc, colours.get(s, GREY) != GREY))
    first_member = True
    for s in shown:
        d = ip.filter(pl.col("iso3") == s).sort("year")
        colour = colours.get(s, GREY)
        if s in in_bloc:
            bloc = esc(bloc_short_name(spec.subject))
            hover = [
                f"{esc(name_of(s, names))} ("
                + (bloc if y in years_in.get(s, ()) else f"not in the {bloc} that year")
                + f"), {line}"
                for y, line in zip(d["year"], interval_text("", d.select(
                    "year", "ideal_point", "lower", "upper", "n_votes").iter_rows()), strict=True)
            ]  # fmt: skip
            member_ends.append(d["ideal_point"][-1])
            for trace in series_traces(
                spec.focus, d["year"].to_list(), d["ideal_point"].to_list(),
                d["n_votes"].to_list(), hover, SUBJECT, "", partial=partial_year,
                name=esc(f"{bloc_short_name(spec.subject)} members"),
                showlegend=first_member, opacity=0.5, legendrank=1,
            ):  # fmt: skip
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
            + (
                f"<br>R-hat {r:.3f}, effective draws {b:.0f} (bulk), {t:.0f} (tail)"
                if r is not None
                else f"<br>standard error {se:.2f}"
            )
            for y, v, se, lo, hi, n, r, b, t in d.select(
                "year",
                "ideal_point",
                "se",
                "lower",
                "upper",
                "n_votes",
                "rhat",
                "ess_bulk",
                "ess_tail",
            ).iter_rows()
        ]
        for trace in series_traces(
            s, d["year"].to_list(), d["ideal_point"].to_list(), d["n_votes"].to_list(), hover,
            colour, spec.focus, partial=partial_year, name=esc(name_of(s, names)),
            legendrank=legend_rank(s, colours),
        ):  # fmt: skip
            fig.add_trace(trace)
        if colour != GREY and d.height:
            ends.append((d["year"][-1], d["ideal_point"][-1], name_of(s, names), colour))
    if member_ends:
        mid = sorted(member_ends)[len(member_ends) // 2]
        ends.append(
            (cast(int, ip["year"].max()), mid, f"{bloc_short_name(spec.subject)} members", SUBJECT)
        )
    if ip.height:
        span = (cast(float, ip["ideal_point"].min()), cast(float, ip["ideal_point"].max()))
        for x, y, text, colour in end_labels(ends, span):
            fig.add_trace(label_trace(x, y, text, colour))
    mark_events(fig, spec)
    fig.update_layout(
        template=TEMPLATE,
        height=520,
        xaxis=year_axis(ip["year"].to_list(), "calendar year", _window(ip), room=0.14),
        yaxis_title="ideal point (standard deviations; higher: closer to the United States)",
        margin={"r": 20},
        legend={"title": {"text": "state (click to hide)"}},
    )
    return fig


def _window(ip: pl.DataFrame) -> tuple[float, float] | None:
    return (cast(float, ip["year"].min()), cast(float, ip["year"].max())) if ip.height else None
