"""What changed: the votes the latest refreshes brought and the ones worth a newsroom's notice
(``alignment changes``, and the digest and Atom feed of ``refresh --changes-to``).

From the ``changes`` table (:mod:`alignment.revisions`): the new roll calls, the votes a source
corrected and the roll calls removed, in the refreshes asked for. Among the new roll calls,
three kinds of notable vote, each with the earlier votes that make it notable:

- **a first**: a state casts a vote it never cast on a recurring text, after at least
  :data:`MIN_EARLIER` votes on it (Belarus abstaining on the human rights situation in Syria,
  A/RES/80/224, after voting no on that text every year since 2011 in which it voted). A
  recurring text is one title (:func:`text_key`) voted on as a whole in several sessions, at
  most once a session: a title voted on twice in one session names several texts and is left
  out;
- **a break with a bloc**: a member voting against its bloc's majority (``bloc_defections``
  where the bloc's line is held by more than half of its members voting). For the blocs asked
  for (``--bloc``) every such member; without, only a member that alone broke with at least
  :data:`MIN_OTHERS` others who all voted alike;
- **a shift**: a state's agreement with a chosen partner in the session of the new votes
  against the session before, notable by :func:`alignment.shifts.session_shifts`, the same
  computation as the reports' "What changed in the latest session" box.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import polars as pl

from alignment import analyses, shifts
from alignment.blocs import membership_on_dates
from alignment.errors import AlignmentError, UsageError, shorten
from alignment.links import vote_url
from alignment.revisions import CHANGES_SCHEMA
from alignment.titles import readable_titles, tidy_title

# Earlier votes a state must have cast on a text for a new kind of vote to be its first.
MIN_EARLIER = 3
# Without --bloc, a member breaking alone from at least this many others voting alike.
MIN_OTHERS = 4
# Earlier votes on the text cited for a break with a bloc (the most recent).
EARLIER_CITED = 5

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Refresh:
    """One build of the store (``refresh_log``)."""

    refresh_id: int
    finished_at: dt.datetime
    sources: str
    message: str
    recorded: bool  # compared with the store it replaced (its changes are in the table)


@dataclass(frozen=True)
class RollCall:
    """A vote as the feed cites it."""

    roll_call_id: int
    symbol: str | None
    date: dt.date
    title: str | None
    kind: str
    yes: int | None
    no: int | None
    abstain: int | None
    undl_id: int | None

    @property
    def url(self) -> str | None:
        """The UN's record of the vote, else the resolution's document."""
        return vote_url(self.undl_id, self.symbol)

    @property
    def tally(self) -> str:
        """Yes-no-abstain as published: "114-2-47"."""
        parts = (self.yes, self.no, self.abstain)
        return "-".join("?" if p is None else str(p) for p in parts)


@dataclass(frozen=True)
class Cast:
    """A state's vote (Y, N, A, X) on a roll call."""

    roll_call: RollCall
    vote: str


@dataclass(frozen=True)
class First:
    """``iso3`` cast ``vote`` on ``roll_call``, a vote it never cast in its ``earlier`` votes
    (yes, no, abstain; oldest first) on the same text."""

    iso3: str
    roll_call: RollCall
    vote: str
    earlier: tuple[Cast, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Its earlier votes on the text by vote, most common first."""
        out: dict[str, int] = {}
        for cast in self.earlier:
            out[cast.vote] = out.get(cast.vote, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Break:
    """``iso3`` voted ``vote`` on ``roll_call`` against ``bloc``'s line ``line``, held by
    ``with_line`` of its ``voting`` members voting; ``earlier``: its most recent earlier votes on
    the same text, oldest first (empty when the text does not recur)."""

    iso3: str
    roll_call: RollCall
    vote: str
    bloc: str
    line: str
    with_line: int
    voting: int
    earlier: tuple[Cast, ...]


@dataclass(frozen=True)
class Shift:
    """``iso3``'s agreement with ``partner``: ``value_from`` over ``n_from`` contested votes of
    session ``previous`` (the earlier votes), ``value_to`` over ``n_to`` of ``session``, the
    change's ``level`` interval ``lower`` to ``upper`` (:func:`alignment.shifts.session_shifts`)."""

    iso3: str
    partner: str
    metric: str
    session: int
    previous: int
    value_from: float
    n_from: int
    value_to: float
    n_to: int
    change: float
    lower: float
    upper: float
    level: float


@dataclass
class Feed:
    """What changed in ``refreshes`` and the notable votes among the new roll calls."""

    refreshes: list[Refresh]
    new: list[RollCall]
    corrected: pl.DataFrame  # refresh_id, symbol, date, title, iso3, before, after, source
    removed: pl.DataFrame  # refresh_id, symbol, date, title
    firsts: list[First] = field(default_factory=list)
    breaks: list[Break] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    blocs: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    # With --country: those states' votes on the new roll calls (roll_call_id -> iso3 -> vote).
    country_votes: dict[int, dict[str, str]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # iso3 -> the store's name
    refresh_of: dict[int, int] = field(default_factory=dict)  # new roll call -> its refresh
    sources: list[str] = field(default_factory=list)  # the store's sources (source_files)


def text_key(titles: pl.Expr) -> pl.Expr:
    """The recurring text a title names: the title as users read it (:func:`tidy_title`), in
    lower case, every run of other characters than letters and digits one space."""
    return (
        tidy_title(titles)
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


# --------------------------------------------------------------------------- which refreshes


def refreshes(con: duckdb.DuckDBPyConnection) -> list[Refresh]:
    """Every build of the store, oldest first; an error when the store records none."""
    try:
        log = con.sql(
            "SELECT refresh_id, finished_at, sources, message FROM refresh_log ORDER BY refresh_id"
        ).pl()
        meta = con.sql("SELECT value FROM store_meta WHERE key = 'changes_from'").pl()
    except duckdb.CatalogException as exc:
        raise AlignmentError(
            "this store has no refresh history (no refresh_log table: built by an older "
            "version); rebuild it with `alignment refresh`"
        ) from exc
    if log.is_empty():
        raise AlignmentError(
            "this store has no refresh history (refresh_log is empty); changes are recorded "
            "from its next refresh on: run `alignment refresh`"
        )
    since = int(meta.item()) if meta.height == 1 else None
    return [
        Refresh(r["refresh_id"], r["finished_at"], r["sources"] or "", r["message"] or "",
                since is not None and r["refresh_id"] >= since)
        for r in log.iter_rows(named=True)
    ]  # fmt: skip


def select(history: list[Refresh], since: str) -> list[Refresh]:
    """The refreshes ``since`` names: ``last`` (the latest), a refresh id (that one and later)
    or a date YYYY-MM-DD (those finished on that day or later, UTC)."""
    text = since.strip().lower()
    if text == "last":
        return history[-1:]
    if text.isdigit():
        wanted = int(text)
        ids = [r.refresh_id for r in history]
        if wanted not in ids:
            raise UsageError(
                f"--since {shorten(since)}: no refresh {wanted} in this store; its refreshes are "
                f"{ids[0]} to {ids[-1]} (`alignment status` lists them)"
            )
        return [r for r in history if r.refresh_id >= wanted]
    if _DATE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise UsageError(f"--since {shorten(since)}: not a date ({exc})") from exc
        return [r for r in history if r.finished_at.date() >= day]
    raise UsageError(
        f"--since {shorten(since)}: give last, a refresh id (a number) or a date YYYY-MM-DD"
    )


# --------------------------------------------------------------------------- the feed


def changes(
    con: duckdb.DuckDBPyConnection,
    *,
    since: str = "last",
    countries: Sequence[str] = (),
    blocs: Sequence[str] = (),
    partners: Sequence[str] = (),
    metric: str = "exact",
    bootstrap: int = 1000,
) -> Feed:
    """What changed in the refreshes ``since`` names (:func:`select`), and the notable votes
    among the new roll calls of the states ``countries`` and the members of ``blocs`` (all
    states when neither is given); shifts of agreement with each of ``partners``."""
    history = refreshes(con)
    chosen = select(history, since)
    countries = analyses.check_countries(con, countries) if countries else []
    blocs = sorted({analyses.check_bloc(con, b) for b in blocs})
    partners = analyses.check_countries(con, partners) if partners else []
    ids = [r.refresh_id for r in chosen]
    try:
        rows = con.sql(
            "SELECT * FROM changes WHERE list_contains($ids, refresh_id) "
            "ORDER BY refresh_id, date, key",
            params={"ids": ids},
        ).pl()
    except duckdb.CatalogException:  # a store built before changes were recorded
        rows = pl.DataFrame(schema=CHANGES_SCHEMA)
    calls = _roll_calls(con)
    new_ids = (
        rows.filter(pl.col("change") == "new", pl.col("roll_call_id").is_not_null())["roll_call_id"]
        .unique()
        .to_list()
    )
    new = calls.filter(pl.col("roll_call_id").is_in(new_ids)).sort("date", "roll_call_id")
    names = dict(con.sql("SELECT iso3, name FROM countries").pl().iter_rows())
    sources = con.sql("SELECT DISTINCT source FROM source_files ORDER BY source").pl()["source"]
    feed = Feed(
        refreshes=chosen,
        new=[_roll_call(r) for r in new.iter_rows(named=True)],
        corrected=rows.filter(pl.col("change") == "corrected").select(
            "refresh_id", "symbol", "date", "title", "iso3", "before", "after", "source"
        ),
        removed=rows.filter(pl.col("change") == "removed").select(
            "refresh_id", "symbol", "date", "title"
        ),
        countries=list(countries),
        blocs=blocs,
        partners=list(partners),
        names=names,
        sources=sources.to_list(),
        refresh_of={
            r["roll_call_id"]: r["refresh_id"]
            for r in rows.filter(
                pl.col("change") == "new", pl.col("roll_call_id").is_not_null()
            ).iter_rows(named=True)
        },
    )
    if new.is_empty():
        return feed
    members = _members(con, new, blocs)
    wanted = _wanted(countries, blocs, members)
    votes = _votes_on(con, calls, new)
    feed.firsts = _firsts(calls, new, votes, wanted)
    feed.breaks = _breaks(con, calls, new, votes, blocs, wanted)
    feed.shifts = _shifts(con, calls, new, partners, wanted, metric, bootstrap)
    if countries:
        mine = votes.filter(pl.col("roll_call_id").is_in(new_ids), pl.col("iso3").is_in(countries))
        for r in mine.iter_rows(named=True):
            feed.country_votes.setdefault(r["roll_call_id"], {})[r["iso3"]] = r["vote"]
    return feed


def _roll_calls(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every roll call with its readable title and its text (:func:`text_key`)."""
    calls = con.sql(
        "SELECT roll_call_id, symbol, date, session, title, kind, important, yes, no, abstain, undl_id "
        "FROM roll_calls"
    ).pl()
    calls = calls.with_columns(readable_titles(calls))
    return calls.with_columns(text=text_key(pl.col("title")))


def _roll_call(r: dict) -> RollCall:
    return RollCall(
        r["roll_call_id"], r["symbol"], r["date"], r["title"], r["kind"], r["yes"], r["no"],
        r["abstain"], r["undl_id"],
    )  # fmt: skip


def _members(con: duckdb.DuckDBPyConnection, new: pl.DataFrame, blocs: list[str]) -> pl.DataFrame:
    """roll_call_id, bloc, iso3: the members of ``blocs`` on the day of each new roll call."""
    if not blocs:
        return pl.DataFrame(schema={"roll_call_id": pl.Int64, "bloc": pl.String, "iso3": pl.String})
    spells = con.sql(
        "SELECT * FROM bloc_memberships WHERE list_contains($blocs, bloc)", params={"blocs": blocs}
    ).pl()
    on_day = membership_on_dates(spells, new.select("roll_call_id", "date"), statuses=("member",))
    return on_day.select("roll_call_id", "bloc", "iso3")


def _wanted(countries: list[str], blocs: list[str], members: pl.DataFrame) -> pl.DataFrame | None:
    """roll_call_id (null: any day), iso3 of the states asked about: ``countries`` and the
    ``members`` of ``blocs``; None: every state (neither given)."""
    if not countries and not blocs:
        return None
    given = pl.DataFrame({"iso3": countries}, schema={"iso3": pl.String}).with_columns(
        roll_call_id=pl.lit(None, pl.Int64)
    )
    return pl.concat([given.select("roll_call_id", "iso3"), members.select("roll_call_id", "iso3")])


def _keep(frame: pl.DataFrame, wanted: pl.DataFrame | None) -> pl.DataFrame:
    """Rows (roll_call_id, iso3) of the states asked about, in their order."""
    if wanted is None:
        return frame
    anyday = wanted.filter(pl.col("roll_call_id").is_null())["iso3"]
    dated = wanted.filter(pl.col("roll_call_id").is_not_null()).unique()
    member = frame.with_row_index("_row").join(dated, on=["roll_call_id", "iso3"], how="semi")
    return (
        frame.with_row_index("_row")
        .filter(
            pl.col("iso3").is_in(anyday.implode()) | pl.col("_row").is_in(member["_row"].implode())
        )
        .drop("_row")
    )


def _texts(calls: pl.DataFrame) -> pl.DataFrame:
    """roll_call_id, session, date, text of the votes on recurring texts as a whole: a text
    voted on at most once in every session."""
    whole = calls.filter(pl.col("kind") == "resolution", pl.col("text").str.len_chars() > 0)
    repeated = whole.group_by("text", "session").len().filter(pl.col("len") > 1)["text"]
    return whole.filter(~pl.col("text").is_in(repeated.implode()))


def _votes_on(
    con: duckdb.DuckDBPyConnection, calls: pl.DataFrame, new: pl.DataFrame
) -> pl.DataFrame:
    """roll_call_id, iso3, vote: every vote on the new roll calls and on the earlier votes on
    their texts."""
    texts = _texts(calls)
    mine = texts.filter(pl.col("roll_call_id").is_in(new["roll_call_id"].implode()))["text"]
    ids = set(texts.filter(pl.col("text").is_in(mine.implode()))["roll_call_id"].to_list())
    ids |= set(new["roll_call_id"].to_list())
    return con.sql(
        "SELECT roll_call_id, iso3, vote FROM votes WHERE list_contains($ids, roll_call_id)",
        params={"ids": sorted(ids)},
    ).pl()


def _earlier(calls: pl.DataFrame, new: pl.DataFrame, votes: pl.DataFrame) -> pl.DataFrame:
    """Each state's vote on a new roll call (roll_call_id, iso3, vote) with its yes, no and
    abstain votes on the same text before (earlier_id, earlier_vote), oldest first."""
    texts = _texts(calls).select("roll_call_id", "date", "text")
    now = texts.filter(pl.col("roll_call_id").is_in(new["roll_call_id"].implode()))
    before = texts.rename({"roll_call_id": "earlier_id", "date": "earlier_date"})
    pairs = now.join(before, on="text").filter(pl.col("earlier_date") < pl.col("date"))
    cast = votes.filter(pl.col("vote").is_in(["Y", "N", "A"]))
    return (
        cast.join(pairs.select("roll_call_id", "earlier_id", "earlier_date"), on="roll_call_id")
        .join(
            cast.rename({"roll_call_id": "earlier_id", "vote": "earlier_vote"}),
            on=["earlier_id", "iso3"],
        )
        .sort("roll_call_id", "iso3", "earlier_date")
    )


def _firsts(
    calls: pl.DataFrame, new: pl.DataFrame, votes: pl.DataFrame, wanted: pl.DataFrame | None
) -> list[First]:
    found = (
        _keep(_earlier(calls, new, votes), wanted)
        .group_by("roll_call_id", "iso3", "vote", maintain_order=True)
        .agg("earlier_id", "earlier_vote")
        .filter(
            pl.col("earlier_vote").list.len() >= MIN_EARLIER,
            ~pl.col("earlier_vote").list.contains(pl.col("vote")),
        )
    )
    by_id = {r["roll_call_id"]: _roll_call(r) for r in calls.iter_rows(named=True)}
    out = [
        First(r["iso3"], by_id[r["roll_call_id"]], r["vote"],
              tuple(Cast(by_id[i], v) for i, v in zip(r["earlier_id"], r["earlier_vote"], strict=True)))
        for r in found.iter_rows(named=True)
    ]  # fmt: skip
    return sorted(out, key=lambda f: (f.roll_call.date, f.roll_call.symbol or "", f.iso3))


def _breaks(
    con: duckdb.DuckDBPyConnection,
    calls: pl.DataFrame,
    new: pl.DataFrame,
    votes: pl.DataFrame,
    blocs: list[str],
    wanted: pl.DataFrame | None,
) -> list[Break]:
    rows = con.sql(
        "SELECT d.roll_call_id, d.bloc, d.iso3, d.vote, d.bloc_plurality_vote AS line, "
        "c.members_voting AS voting, CASE d.bloc_plurality_vote WHEN 'Y' THEN c.yes "
        "WHEN 'N' THEN c.no ELSE c.abstain END AS with_line "
        "FROM bloc_defections d JOIN roll_call_cohesion c USING (roll_call_id, bloc) "
        "WHERE list_contains($ids, d.roll_call_id)",
        params={"ids": new["roll_call_id"].to_list()},
    ).pl()
    majority = pl.col("with_line") * 2 > pl.col("voting")
    if blocs:
        rows = rows.filter(majority, pl.col("bloc").is_in(blocs))
    else:
        alone = pl.col("voting") - pl.col("with_line") == 1
        rows = rows.filter(majority, alone, pl.col("with_line") >= MIN_OTHERS)
    rows = _keep(rows, wanted)
    history = _earlier(calls, new, votes)
    by_id = {r["roll_call_id"]: _roll_call(r) for r in calls.iter_rows(named=True)}
    out = []
    for r in rows.iter_rows(named=True):
        mine = history.filter(
            pl.col("roll_call_id") == r["roll_call_id"], pl.col("iso3") == r["iso3"]
        )
        earlier = tuple(
            Cast(by_id[i], v)
            for i, v in mine.tail(EARLIER_CITED).select("earlier_id", "earlier_vote").iter_rows()
        )
        out.append(Break(r["iso3"], by_id[r["roll_call_id"]], r["vote"], r["bloc"], r["line"],
                         r["with_line"], r["voting"], earlier))  # fmt: skip
    return sorted(out, key=lambda b: (b.roll_call.date, b.roll_call.symbol or "", b.bloc, b.iso3))


def _shifts(
    con: duckdb.DuckDBPyConnection,
    calls: pl.DataFrame,
    new: pl.DataFrame,
    partners: list[str],
    wanted: pl.DataFrame | None,
    metric: str,
    bootstrap: int,
) -> list[Shift]:
    """The notable shifts of agreement with each partner in each session of the new votes."""
    out: list[Shift] = []
    sessions = sorted(new["session"].drop_nulls().unique().to_list())
    if not partners or not sessions:
        return out
    held = sorted(calls["session"].drop_nulls().unique().to_list())
    for session in sessions:
        before = [s for s in held if s < session]
        if not before:
            continue
        pool = [before[-1], session]
        rc = calls.filter(pl.col("session").is_in(pool)).select(
            "roll_call_id", "date", "session", "kind", "important"
        )
        votes = con.sql(
            "SELECT roll_call_id, iso3, vote FROM votes WHERE list_contains($ids, roll_call_id)",
            params={"ids": rc["roll_call_id"].to_list()},
        ).pl()
        for partner in partners:
            found = shifts.session_shifts(
                votes, rc, partner, session=session, metric=metric, bootstrap=bootstrap
            )
            if found is None:
                continue
            last = new.filter(pl.col("session") == session)["roll_call_id"].max()
            rows = found.notable.filter(pl.col("iso3") != partner).with_columns(
                roll_call_id=pl.lit(last, pl.Int64)
            )
            for r in _keep(rows, wanted).iter_rows(named=True):
                out.append(Shift(
                    r["iso3"], partner, metric, found.session, found.previous, r["value_from"],
                    r["n_from"], r["value_to"], r["n_to"], r["change"], r["lower"], r["upper"],
                    found.level,
                ))  # fmt: skip
    return out
