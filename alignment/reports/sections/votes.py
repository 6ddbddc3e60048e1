"""How each voted: the vote matrix, one row per roll call of the report, one column per state
(the subject, its partners, members of the matrix blocs on the days they were members, and
bloc majorities); the chart draws the latest rows, the CSV download holds every one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import polars as pl

from alignment.reports.charts import TEMPLATE, esc, figure_html, wrap
from alignment.reports.citation import short_title
from alignment.reports.context import Context
from alignment.reports.names import VOTE_WORDS, bloc_short_name, name_of, short_label
from alignment.reports.palette import GREY, VOTE_COLOURS
from alignment.reports.sentences import blocs_phrase
from alignment.reports.spec import is_majority, majority_key
from alignment.reports.tables import Table, frame_table

MAX_MATRIX_ROLL_CALLS = 150  # rows the vote matrix chart draws; the CSV holds every one
MAX_MATRIX_CELLS = 2_400
VOTE_ORDER = ("X", "Y", "A", "N")  # the heatmap's codes 0..3
INFO_COLUMNS = (
    "roll_call_id",
    "symbol",
    "date",
    "session",
    "kind",
    "title",
    "yes",
    "no",
    "abstain",
)


# The CSV's headings of INFO_COLUMNS.
INFO_LABELS = ("Roll call", "Symbol", "Date", "Session", "Kind", "Title", "Yes", "No", "Abstain")


def csv_frame(matrix: VoteMatrix) -> pl.DataFrame:
    """The matrix as its CSV holds it: newest first, each vote in the words of every table
    (yes, no, abstain, no vote; blank outside membership)."""
    return matrix.frame.with_columns(
        pl.col(c).replace_strict(VOTE_WORDS, default=None, return_dtype=pl.String)
        for c in matrix.columns
    ).reverse()


@dataclass
class VoteMatrix:
    columns: list[str]  # row keys (ISO3 or majority keys), in display order
    frame: pl.DataFrame  # one row per roll call: info columns + one column per key
    majority_counts: pl.DataFrame
    member_of: dict[str, list[str]]  # key -> blocs it is shown for ([] when always shown)

    @property
    def shown(self) -> pl.DataFrame:
        """The rows the chart draws: the latest :func:`matrix_rows`, newest first (the CSV has
        them all)."""
        return self.frame.tail(matrix_rows(len(self.columns))).reverse()


@dataclass(frozen=True)
class Votes:
    matrix: VoteMatrix
    html: str  # the chart
    table: Table  # every roll call, offered as CSV only (the chart shows it)
    blocs: str  # the matrix blocs in words: "the CSTO, the Customs Union and the EAEU"
    majorities: list[str]  # the short names of the blocs shown as one majority row


def matrix_rows(n_columns: int) -> int:
    """How many roll calls the vote matrix chart draws: MAX_MATRIX_ROLL_CALLS, fewer when
    there are so many columns that the cells would pass MAX_MATRIX_CELLS (each cell carries
    its hover text), never under 40."""
    return min(MAX_MATRIX_ROLL_CALLS, max(40, MAX_MATRIX_CELLS // max(n_columns, 1)))


def compute(ctx: Context) -> VoteMatrix:
    """Roll calls of the topic by the spec's states; bloc members only while members.

    A state listed only through ``matrix_blocs`` has a value on the roll calls where it was a
    member of one of them on the day of the vote, and null elsewhere.
    """
    inputs, spec, votes = ctx.inputs, ctx.spec, ctx.votes
    rc = inputs.topic_roll_calls
    ids = rc["roll_call_id"].to_list()
    in_bloc = inputs.on_date.filter(
        pl.col("bloc").is_in(list(spec.matrix_blocs)), pl.col("roll_call_id").is_in(ids)
    )
    fixed = list(dict.fromkeys([spec.focus, *spec.matrix_states]))
    present = set(inputs.votes.filter(pl.col("roll_call_id").is_in(ids))["iso3"].unique())
    fixed = [s for s in fixed if s in present or is_majority(s)]
    members = sorted(
        set(in_bloc["iso3"].unique()) - set(fixed), key=lambda s: inputs.names.get(s, s)
    )
    majority_rows = [majority_key(b) for b in spec.majority_blocs if majority_key(b) not in fixed]
    columns = list(dict.fromkeys([*fixed, *members, *majority_rows]))
    member_of: dict[str, list[str]] = {k: [] for k in [*fixed, *majority_rows]}
    for s in members:
        member_of[s] = sorted(in_bloc.filter(pl.col("iso3") == s)["bloc"].unique().to_list())
    sub = votes.filter(pl.col("roll_call_id").is_in(ids), pl.col("iso3").is_in(columns))
    # Bloc-only columns: keep the vote only on days of membership.
    allowed = pl.concat(
        [
            in_bloc.filter(pl.col("iso3").is_in(members)).select("roll_call_id", "iso3"),
            pl.DataFrame(
                {"roll_call_id": [r for r in ids for _ in fixed], "iso3": fixed * len(ids)},
                schema={"roll_call_id": pl.Int64, "iso3": pl.String},
            ),
            pl.DataFrame(
                {
                    "roll_call_id": [r for r in ids for _ in majority_rows],
                    "iso3": majority_rows * len(ids),
                },
                schema={"roll_call_id": pl.Int64, "iso3": pl.String},
            ),
        ]
    ).unique()
    sub = sub.join(allowed, on=["roll_call_id", "iso3"], how="semi")
    wide = sub.pivot(on="iso3", index="roll_call_id", values="vote", aggregate_function="first")
    for c in columns:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.String).alias(c))
    frame = (
        rc.select(INFO_COLUMNS)
        .join(wide, on="roll_call_id", how="left")
        .select(*INFO_COLUMNS, *columns)
    )
    return VoteMatrix(columns, frame, ctx.majorities, member_of)


def build(ctx: Context, matrix: VoteMatrix, colours: dict[str, str]) -> Votes:
    shown = dataclasses.replace(matrix, frame=matrix.shown)
    fig = figure(shown, ctx.names, colours)
    table = frame_table(csv_frame(matrix), "vote-matrix",
                        [*INFO_LABELS, *(name_of(c, ctx.names) for c in matrix.columns)],
                        ctx.slug)  # fmt: skip
    return Votes(matrix, figure_html(fig, "fig-matrix"), table,
                 blocs_phrase(ctx.spec.matrix_blocs),
                 [bloc_short_name(b) for b in ctx.spec.majority_blocs])  # fmt: skip


def figure(m: VoteMatrix, names: dict[str, str], colours: dict[str, str]) -> go.Figure:
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
    for i, v in enumerate(VOTE_ORDER):
        scale += [[i / 4, VOTE_COLOURS[v]], [(i + 1) / 4, VOTE_COLOURS[v]]]
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
        margin={"l": 215, "r": 40, "t": 125, "b": 30},
        xaxis={"tickvals": list(range(len(cols))), "ticktext": xlabels, "side": "top",
               "tickangle": -45, "fixedrange": True, "title": {"text": "state"}},
        yaxis={"tickvals": list(range(n_rows)), "ticktext": ylabels, "autorange": "reversed",
               "tickfont": {"size": 10},
               "title": {"text": "recorded vote (symbol · date), newest first"}},
        hoverlabel={"align": "left", "font": {"size": 11}},
    )  # fmt: skip
    return fig
