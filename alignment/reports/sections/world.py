"""Who votes like the subject: every state (and bloc majority) against the focus over the
report's roll calls, drawn on a world map and listed in the table of every state."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import polars as pl

from alignment import metrics, resources
from alignment.reports.charts import TEMPLATE, esc, figure_html
from alignment.reports.context import Context
from alignment.reports.findings import MIN_VOTES
from alignment.reports.names import name_of
from alignment.reports.palette import MAP_RANGE, MAP_SCALE, NO_DATA, SUBJECT
from alignment.reports.spec import MAJORITY_PREFIX, ReportSpec, is_majority
from alignment.reports.tables import Table, frame_table

# The name under which plotly.js looks up the base map of a world geo plot at the default
# resolution (1:110m): the page registers an empty one under it, so that none is fetched.
TOPOJSON_NAME = "world_110m"


@dataclass(frozen=True)
class World:
    frame: pl.DataFrame  # iso3, exact, agree, n: most alike first
    html: str  # the map
    table: Table  # every state
    not_drawn: list[str]  # states with enough votes too small for the map's outline


@functools.cache
def world_outline() -> dict[str, Any]:
    """The world map's outline: Natural Earth 1:110m countries as GeoJSON, each feature's
    ``id`` its ISO3 code (``data/world_110m.geojson``; data/README.md says where it is from)."""
    return json.loads(resources.data_file("world_110m.geojson").read_text(encoding="utf-8"))


def compute(ctx: Context) -> pl.DataFrame:
    """Every state (and bloc majority: the context's votes hold them) against the focus over
    the report's roll calls (the topic's, when it has one): iso3, exact (share of the common
    roll calls on which both cast the same vote), agree (the agreement index), n (common roll
    calls; unanimous ones left out, as everywhere). Sorted from most to least alike."""
    focus = ctx.spec.focus
    wide = metrics.dyadic_scores(
        ctx.votes, ctx.inputs.roll_calls, by=None, metrics=["exact", "agree"], countries=[focus],
        roll_call_ids=ctx.inputs.topic_ids, layout="wide",
    )  # fmt: skip
    return (
        metrics.orient(wide, focus)
        .select(pl.col("iso3_b").alias("iso3"), "exact", "agree", "n")
        .filter(pl.col("exact").is_not_nan())
        .sort(["exact", "n", "iso3"], descending=[True, True, False])
    )


def build(ctx: Context, world: pl.DataFrame) -> World:
    outline = world_outline()
    drawn = {f["id"] for f in outline["features"]}
    not_drawn = [
        name_of(s, ctx.names)
        for s in world.filter(pl.col("n") >= MIN_VOTES)["iso3"]
        if not is_majority(s) and s not in drawn
    ]
    fig = figure(world, outline, ctx.spec, ctx.names, ctx.members, ctx.phrases.what)
    return World(world, figure_html(fig, "fig-world"), table(world, ctx.names, ctx.slug), not_drawn)


def table(world: pl.DataFrame, names: dict[str, str], slug: str) -> Table:
    states = world.filter(~pl.col("iso3").str.starts_with(MAJORITY_PREFIX))
    frame = states.select(
        "iso3",
        pl.col("iso3").replace_strict(names, default=pl.col("iso3")).alias("name"),
        (pl.col("exact") * 100).round(1).alias("percent_alike"),
        pl.col("agree").round(3).alias("agreement_index"),
        pl.col("n").alias("contested_votes"),
    )
    labels = ["ISO3", "State", "% of votes alike", "Agreement index", "Contested votes in common"]
    formats = {"percent_alike": ".1f", "agreement_index": ".3f", "contested_votes": ","}
    return frame_table(frame, "every-state", labels, slug, formats)


def figure(
    world: pl.DataFrame,
    outline: dict[str, Any],
    spec: ReportSpec,
    names: dict[str, str],
    members: Sequence[str],
    what: str,
) -> go.Figure:
    """Choropleth of the share of votes cast alike with the focus, drawn from ``outline`` (a
    GeoJSON FeatureCollection keyed by ISO3 in ``id``) with every base layer off: nothing is
    fetched. One fixed scale, 0 to 100%, in every report; states with fewer than MIN_VOTES
    common votes are in the first trace, which the page's CSS hatches; ``members`` (a bloc
    report's members) are outlined."""
    ids = [f["id"] for f in outline["features"]]
    shown = world.filter(pl.col("n") >= MIN_VOTES, pl.col("iso3").is_in(ids))
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
            z=(shown["exact"] * 100).to_list(), zmin=MAP_RANGE[0], zmax=MAP_RANGE[1],
            colorscale=MAP_SCALE,
            reversescale=True, name="share alike", text=hover,
            hovertemplate="%{text}<extra></extra>",
            marker={"line": {"color": "#ffffff", "width": 0.4}},
            # Under the map, across it: the map keeps the page's width (a phone's too).
            colorbar={"title": {"text": f"% of {esc(what)} cast alike", "side": "top"},
                      "ticksuffix": "%", "tickvals": list(range(MAP_RANGE[0], MAP_RANGE[1] + 1, 20)),
                      "orientation": "h", "x": 0.5, "xanchor": "center", "y": 0,
                      "yanchor": "top", "len": 0.6, "thickness": 14},
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
    fig.update_layout(template=TEMPLATE, height=580, margin={"l": 0, "r": 0, "t": 10, "b": 80})
    return fig
