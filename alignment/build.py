"""A build of the store: the rows read from the sources, reconciled, tagged and derived, written
as a new file and swapped in.

source files -> canonical rows (``alignment.sources``) -> one roll call per vote
(``alignment.reconcile``) -> topics, coverage, facts and derived tables (``alignment.topics``,
``alignment.coverage``, ``alignment.derived``) -> a new store file (``alignment.store``). The refresh (local files or
upstream) calls :func:`build_store` under the store's lock; nothing here knows where files came from
beyond the provenance it is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import duckdb
import polars as pl

from alignment import blocs, coverage, derived, progress, resources, revisions, store, topics
from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.reconcile import combine, fill_absent, reconcile
from alignment.schema import SCHEMA_VERSION
from alignment.sources.rows import SourceRows

log = logging.getLogger("alignment.build")

MATCHES_FILE = "Matches.csv"
SOURCE_FILE_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(), "location": pl.String(), "sha256": pl.String(), "size": pl.Int64(),
    "modified": pl.Datetime("us"), "etag": pl.String(), "roll_calls": pl.Int64(),
    "votes": pl.Int64(), "notes": pl.String(),
}  # fmt: skip


@dataclass
class BuildSummary:
    roll_calls: int
    votes: int
    first_date: dt.date | None
    last_date: dt.date | None
    disagreements: int
    sources: dict[str, int]  # roll calls per source
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each stage
    ideal_points: str = "computed"  # or "carried" (from the previous store), or "skipped"


def local_files(rows: Sequence[SourceRows]) -> list[dict]:
    """Provenance of files read from disk: path, checksum, size and file time."""
    files = []
    for r in rows:
        for f in r.files:
            path = Path(f)
            stat = path.stat()
            files.append({
                "source": r.source, "location": str(path.resolve()), "sha256": store.file_digest(path),
                "size": stat.st_size,
                "modified": dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(tzinfo=None),
                "etag": None,
            })  # fmt: skip
    return files


def find_matches(paths: Sequence[Path]) -> Path | None:
    """Voeten's Matches.csv, when it is among (or under) the given paths."""
    for given in map(Path, paths):
        if given.is_file() and given.name == MATCHES_FILE:
            return given
        if given.is_dir():
            found = sorted(given.rglob(MATCHES_FILE))
            if found:
                return found[0]
    return None


def read_matches(path: Path | None) -> pl.DataFrame:
    schema = {"rcid1": pl.Int64, "rcid2": pl.Int64}
    if path is None:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(path, columns=list(schema), schema_overrides=schema)


def _previous(db: Path) -> tuple[pl.DataFrame, derived.PreviousIdealPoints | None]:
    """The refresh log and the ideal points of the store being replaced, when it has this
    version's schema; a store of another schema (or none) hands nothing on."""
    meta = store.read_previous(db, "SELECT key, value FROM store_meta")
    facts = dict(meta.iter_rows()) if meta is not None else {}
    if store.schema_problem(facts) is not None:
        if db.exists():
            log.info(
                "the store being replaced has schema %s (this version writes %s): its refresh "
                "log and ideal points are not carried over",
                facts.get("schema_version", "unknown"), SCHEMA_VERSION,
            )  # fmt: skip
        return pl.DataFrame(), None
    history = store.read_previous(db, "SELECT * FROM refresh_log ORDER BY refresh_id")
    estimates = store.read_previous(db, "SELECT * FROM ideal_points")
    previous = None if estimates is None else derived.PreviousIdealPoints(estimates, facts)
    return (history if history is not None else pl.DataFrame()), previous


def _changes(
    db: Path, roll_calls: pl.DataFrame, votes: pl.DataFrame, refresh_id: int
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The new store's ``changes`` table (:func:`alignment.revisions.record`, against the store
    at ``db``) and its store_meta ``changes_from``: the first refresh compared with a store."""
    calls = store.read_previous(
        db, "SELECT roll_call_id, rcid, symbol, date, title FROM roll_calls"
    )
    old_votes = store.read_previous(db, "SELECT roll_call_id, iso3, vote FROM votes")
    if calls is None or old_votes is None:
        return revisions.record(None, roll_calls, votes, refresh_id), {}
    columns = ", ".join(f'"{c}"' for c in revisions.CHANGES_SCHEMA)
    changes = store.read_previous(db, f"SELECT {columns} FROM changes")
    since = store.read_previous(db, "SELECT value FROM store_meta WHERE key = 'changes_from'")
    previous = revisions.Previous(
        calls,
        old_votes,
        pl.DataFrame(schema=revisions.CHANGES_SCHEMA) if changes is None else changes,
    )
    first = since.item() if since is not None and since.height == 1 else str(refresh_id)
    return revisions.record(previous, roll_calls, votes, refresh_id), {"changes_from": first}


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[progress.Stage]:
    """A stage of the build: its line in the log (``alignment.progress``) and its seconds in
    the summary."""
    start = time.perf_counter()
    try:
        with progress.stage(stage) as current:
            yield current
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def build_store(
    db: Path,
    rows: list[SourceRows],
    *,
    crosswalk: Crosswalk,
    files: list[dict],
    origin: str,
    started_at: dt.datetime,
    matches_path: Path | None = None,
    extra_tables: dict[str, pl.DataFrame] | None = None,
    data_dir: Path | None = None,
    with_ideal_points: bool = True,
) -> BuildSummary:
    """Reconcile the rows of every source, derive, write a new store and swap it in at ``db``.

    ``files``: provenance of each file read (source, location, sha256, size, modified, etag,
    and ``path`` where location is a URL); ``crosswalk``: the one the rows were read with; ``extra_tables``: tables the caller fills, such as
    the network refresh's ``fetch_state``; ``with_ideal_points=False``: a store whose
    ``ideal_points`` table is empty, for work that never reads it (the estimation is most of a
    build's time). Call with the store's lock held.
    """
    data_dir = data_dir or resources.folder("data")
    seconds: dict[str, float] = {}
    with _timed(seconds, "reconcile") as current:
        rows = [fill_absent(r, crosswalk) for r in combine(rows)]
        reconciled = reconcile(rows)
        calls = coverage.with_series(reconciled.roll_calls).drop("number", "modern")
        current.done(
            f"{progress.count(calls.height, 'roll call')}, "
            f"{progress.count(reconciled.votes.height, 'vote')}, "
            f"{progress.count(reconciled.vote_disagreements.height, 'vote')} on which sources "
            "disagree"
        )
        # The readers' and the reconciliation's notes, before the outcome line.
        for note in reconciled.notes + [n for r in rows for n in r.notes]:
            log.info("note: %s", note)
        if calls.is_empty():
            raise BadDataError(
                "the files hold no recorded vote (resolutions adopted without a vote are not "
                f"roll calls): {', '.join(sorted({str(f['location']) for f in files}))}; "
                "store unchanged"
            )
        memberships = blocs.load_memberships(data_dir)
        matches = read_matches(matches_path)
        rules, lists = topics.load_rules(data_dir), topics.load_lists(data_dir)
        topic_rows, evidence = topics.tag(calls, rules, lists)
        listing = {r.source for r in rows if r.decisions is not None}
        tables = {
            "roll_calls": calls,
            "votes": reconciled.votes,
            "roll_call_sources": reconciled.roll_call_sources,
            "vote_disagreements": reconciled.vote_disagreements,
            "source_agreement": reconciled.source_agreement,
            "countries": crosswalk.countries,
            "country_codes": crosswalk.codes,
            "blocs": blocs.load_blocs(data_dir),
            "bloc_memberships": memberships,
            "roll_call_topics": topic_rows,
            "topic_evidence": evidence,
            "tally_checks": reconciled.tally_checks,
            "decisions_without_vote": decisions_table(reconciled.decisions, rules, lists),
            "coverage": coverage.coverage_table(
                calls, reconciled.roll_call_sources, reconciled.decisions, listing
            ),
            "voeten_matches": matches,
            **(extra_tables or {}),
        }
    history, previous = _previous(db)
    with _timed(seconds, "derived tables") as current:
        result = derived.derive(
            reconciled.votes, calls, memberships, matches, previous=previous,
            with_ideal_points=with_ideal_points,
        )  # fmt: skip
        current.done(progress.count(len(result.tables), "table"))
    tables.update(result.tables)

    per_source = {r.source: r for r in rows}
    tables["source_files"] = pl.DataFrame(
        [_file_row(f, per_source.get(f["source"])) for f in files],
        schema=SOURCE_FILE_COLUMNS,
    )
    refresh_id = 1 if history.is_empty() else int(history["refresh_id"].max()) + 1  # type: ignore[arg-type]
    entry = {
        "refresh_id": refresh_id,
        "started_at": started_at.replace(tzinfo=None),
        "finished_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "outcome": "updated",
        "message": f"built {calls.height} roll calls and {reconciled.votes.height} votes "
        f"from {len(files)} files",
        "sources": origin,
        "roll_calls": calls.height,
        "votes": reconciled.votes.height,
    }
    tables["refresh_log"] = pl.concat([history, pl.DataFrame([entry])], how="diagonal_relaxed")
    tables["changes"], changes_meta = _changes(db, calls, reconciled.votes, refresh_id)
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "schema_fingerprint": store.schema_fingerprint(),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "alignment_version": version("alignment"),
        "duckdb_version": duckdb.__version__,
        "storage_version": store.STORAGE_VERSION,
        **result.meta,
        **changes_meta,
    }
    tables["store_meta"] = pl.DataFrame({"key": list(meta), "value": list(meta.values())})
    with _timed(seconds, "write") as current:
        tmp = store.write_store(db, tables, derived.statements())
        current.done(f"{progress.count(len(tables), 'table')}, {tmp.stat().st_size / 1e6:.1f} MB")
    with _timed(seconds, "swap") as current:
        store.swap_in(tmp, db)
        current.done(f"{db} replaced in one rename")
    return BuildSummary(
        roll_calls=calls.height,
        votes=reconciled.votes.height,
        first_date=calls["date"].min(),  # type: ignore[arg-type]
        last_date=calls["date"].max(),  # type: ignore[arg-type]
        disagreements=reconciled.vote_disagreements.height,
        sources={r.source: r.roll_calls.height for r in rows},
        notes=reconciled.notes + [n for r in rows for n in r.notes],
        seconds=seconds,
        ideal_points=result.ideal_points,
    )


def decisions_table(
    decisions: pl.DataFrame, rules: pl.DataFrame, lists: pl.DataFrame
) -> pl.DataFrame:
    """The resolutions adopted without a vote with their series and named topics."""
    items = decisions.with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    named = topics.named_topics(items, rules, lists)
    return (
        coverage.with_series(items).join(named, on="id", how="left").drop("id", "number", "modern")
    )


def _file_row(file: dict, rows: SourceRows | None) -> dict:
    """A source_files row: one count per source, on the source's first file (its files are
    merged before they are counted)."""
    path = str(Path(file.get("path", file["location"])).resolve())
    first = rows is not None and str(Path(rows.files[0]).resolve()) == path
    counts = (
        {"roll_calls": rows.roll_calls.height, "votes": rows.votes.height,
         "notes": "\n".join(rows.notes) or None}
        if first and rows is not None
        else {"roll_calls": None, "votes": None, "notes": None}
    )  # fmt: skip
    keep = ("source", "location", "sha256", "size", "modified", "etag")
    return {**{k: file.get(k) for k in keep}, **counts}
