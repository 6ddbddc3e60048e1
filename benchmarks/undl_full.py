"""The UN Digital Library's bulk voting file at full size, beside the other sources.

    python benchmarks/undl_full.py [--db BUILT_STORE] [--data ../shared/data] [--keep DIR]

No full copy of the Library's file (about 950,000 rows, 360 MB) can be had here, so this
writes one in its February 2026 layout (``../shared/data/undl/2026_02_06_ga_voting_md.md``)
from a built store: one record per resolution voted on as a whole, every member's vote (X for
non-voting), symbols in the UN's form with the part letter for a share of them (``A/RES/66/253
A``, which Voeten writes ``R/66/253``), a few votes changed as the UN's record has them
(Greece on A/RES/65/217: N where Voeten has Y; Zimbabwe on A/RES/71/130: N where unvotes has
no row), and the two Syria resolutions no source here holds (A/RES/66/253 B of 3 August 2012,
133-12-31, and A/RES/67/262 of 15 May 2013, 107-12-59; Belarus and Russia against: those two
tallies and votes are the published ones, the other states' votes are illustrative). Tallies
are counted from the rows written, as the Library publishes them.

It then refreshes twice in fresh processes, from the data folder alone and with the file
in place of the Library's 109-row excerpt beside the other sources, and prints the wall time, the peak memory (maximum resident set size of the
process), and what the store found: roll calls, the disagreements (vote_disagreements, each
naming both sources), the tally checks, the roll calls only the UN file holds. The figures go
to benchmarks/results/undl_full.md. Goal: the refresh with the file within 2 times the one
without it, under 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import duckdb
import polars as pl

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
RESULTS = Path(__file__).parent / "results" / "undl_full.md"
FILE_NAME = "2026_02_06_ga_voting.csv"
COLUMNS = [
    "undl_id", "ms_code", "ms_name", "ms_vote", "date", "session", "resolution", "draft",
    "committee_report", "meeting", "title", "agenda_title", "subjects", "vote_note",
    "total_yes", "total_no", "total_abstentions", "total_non_voting", "total_ms", "undl_link",
]  # fmt: skip
PART_SHARE = 10  # one resolution in this many gets its part letter A, as the UN writes it
# Votes the UN's record has otherwise than the store built from Voeten and unvotes.
CHANGED = {("A/RES/65/217", "GRC"): "N", ("A/RES/71/130", "ZWE"): "N"}
CHANGED_PER_SESSION = 1  # and one more vote per session from 40 on, chosen by a hash
SYRIA_TITLE = "The situation in the Syrian Arab Republic"
# The resolutions only the UN's file holds: (symbol, date, session, yes, no, abstain).
ONLY_UN = (
    ("A/RES/66/253 B", dt.date(2012, 8, 3), 66, 133, 12, 31),
    ("A/RES/67/262", dt.date(2013, 5, 15), 67, 107, 12, 59),
)


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _synthesised(votes: pl.DataFrame, symbol: str, date: dt.date, session: int,
                 tally: tuple[int, int, int], template: pl.DataFrame) -> pl.DataFrame:  # fmt: skip
    """A resolution's rows with the published tally: the template's no-voters (Belarus and
    Russia among them) vote no, the others yes, abstain and non-voting in the template's order
    of votes (yes first, then abstentions, then absences), until the counts are reached."""
    yes, no, abstain = tally
    members = template.with_columns(
        pl.col("vote").replace_strict({"Y": 0, "A": 1, "X": 2, "N": 3}).alias("order")
    ).sort("order", "iso3")
    noes = members.filter(pl.col("vote") == "N").head(no)
    rest = members.filter(pl.col("vote") != "N")
    letters = ["Y"] * yes + ["A"] * abstain + ["X"] * max(0, rest.height - yes - abstain)
    rest = rest.with_columns(pl.Series("vote", letters[: rest.height]))
    return (
        pl.concat([noes, rest.drop("order")], how="diagonal_relaxed")
        .drop("order", strict=False)
        .with_columns(
            symbol=pl.lit(symbol),
            date=pl.lit(date),
            session=pl.lit(session, pl.Int64),
            title=pl.lit(SYRIA_TITLE),
            subjects=pl.lit("SYRIAN ARAB REPUBLIC|HUMAN RIGHTS"),
            roll_call_id=pl.lit(-session, pl.Int64),
            undl_id=pl.lit(None, pl.Int64),
        )
        .select(votes.columns)
    )


def generate(
    con: duckdb.DuckDBPyConnection, path: Path, sessions: tuple[int, int] | None = None
) -> dict:
    """Write the bulk file from the store; ``sessions`` (first, last) keeps those only.
    Returns what was written: rows, resolutions, symbols given a part, votes changed."""
    window = "" if sessions is None else f"AND r.session BETWEEN {sessions[0]} AND {sessions[1]}"
    votes = con.sql(f"""
        SELECT r.roll_call_id, r.undl_id, r.symbol, r.date, r.session, r.title, v.iso3, v.vote,
               upper(c.name) AS ms_name,
               (SELECT string_agg(t.topic, '|' ORDER BY t.topic) FROM roll_call_topics t
                WHERE t.roll_call_id = r.roll_call_id AND t.scheme = 'subject') AS subjects
        FROM roll_calls r JOIN votes v USING (roll_call_id) JOIN countries c USING (iso3)
        WHERE r.kind = 'resolution' AND r.symbol IS NOT NULL {window}
        ORDER BY r.roll_call_id, v.iso3""").pl()  # fmt: skip
    # One record per resolution: a symbol voted twice on one day keeps its first roll call.
    first = votes.group_by("symbol", "date").agg(pl.col("roll_call_id").min())
    votes = votes.join(first, on=["symbol", "date", "roll_call_id"], how="semi")
    # One China seat: Voeten lists the PRC as absent beside the ROC in October 1971, before
    # the seat passed; the UN's code CHN means the ROC until then.
    votes = votes.filter(~((pl.col("iso3") == "CHN") & (pl.col("date") < dt.date(1971, 10, 26))))
    names = dict(votes.select("iso3", "ms_name").unique().iter_rows())
    changed = dict(CHANGED)
    for (session,), part in votes.filter(pl.col("session") >= 40).group_by("session"):
        cast = part.filter(pl.col("vote").is_in(["Y", "N"])).sort("roll_call_id", "iso3")
        if cast.height:
            row = cast.row(_hash(str(session)) % cast.height, named=True)
            changed[(row["symbol"], row["iso3"])] = "N" if row["vote"] == "Y" else "Y"
    change = pl.DataFrame(
        [{"symbol": s, "iso3": i, "new": v} for (s, i), v in changed.items()],
        schema={"symbol": pl.String, "iso3": pl.String, "new": pl.String},
    )
    votes = (
        votes.join(change, on=["symbol", "iso3"], how="left")
        .with_columns(pl.coalesce("new", "vote").alias("vote"))
        .drop("new")
    )
    extra = []
    template = votes.filter(pl.col("symbol") == "A/RES/66/253")
    if not template.is_empty():
        for symbol, date, session, *tally in ONLY_UN:
            if sessions is None or sessions[0] <= session <= sessions[1]:
                extra.append(
                    _synthesised(votes, symbol, date, session, tuple(tally), template)  # type: ignore[arg-type]
                )
    votes = pl.concat([votes, *extra], how="vertical_relaxed").with_columns(
        pl.col("iso3").replace_strict(names, default=pl.col("iso3")).alias("ms_name")
    )
    # The UN's form: part A for a share of the resolutions written without a part (and no
    # other part of theirs in the file), and always for A/RES/66/253 (part B: August 2012).
    alone = pl.col("symbol").n_unique().over(pl.col("symbol").str.replace(r" .*$", "")) == 1
    plain = pl.col("symbol").str.contains(r"^A/RES/[^ ]+$") & alone
    parted = (pl.col("symbol") == "A/RES/66/253") | (
        plain & (pl.col("symbol").hash(seed=7) % PART_SHARE == 0)
    )
    votes = votes.with_columns(
        pl.when(parted)
        .then(pl.col("symbol") + " A")
        .otherwise(pl.col("symbol"))
        .alias("resolution"),
        # The Library's record number where the store has it, else one of our own.
        pl.coalesce(
            "undl_id", pl.col("roll_call_id").rank("dense").cast(pl.Int64) + 9_000_000
        ).alias("record"),
    )
    tallies = votes.group_by("record").agg(
        *[(pl.col("vote") == v).sum().alias(name) for v, name in
          (("Y", "total_yes"), ("N", "total_no"), ("A", "total_abstentions"),
           ("X", "total_non_voting"))],
        pl.len().alias("total_ms"),
    )  # fmt: skip
    out = votes.join(tallies, on="record").select(
        pl.col("record").alias("undl_id"),
        pl.col("iso3").alias("ms_code"),
        "ms_name",
        pl.col("vote").alias("ms_vote"),
        pl.col("date").cast(pl.String),
        pl.col("session").cast(pl.String),
        "resolution",
        pl.lit("").alias("draft"),
        pl.lit("").alias("committee_report"),
        pl.lit("").alias("meeting"),
        (pl.col("title").fill_null("") + " : resolution / adopted by the General Assembly").alias("title"),
        pl.lit("").alias("agenda_title"),
        pl.col("subjects").fill_null(""),
        pl.lit("").alias("vote_note"),
        *[pl.col(c).cast(pl.Float64) for c in
          ("total_yes", "total_no", "total_abstentions", "total_non_voting", "total_ms")],
        ("https://digitallibrary.un.org/record/" + pl.col("record").cast(pl.String)).alias("undl_link"),
    ).sort("undl_id", "ms_code")  # fmt: skip
    out.write_csv(path, float_precision=1)
    return {
        "rows": out.height,
        "resolutions": out["undl_id"].n_unique(),
        "with_part": out.filter(pl.col("resolution").str.ends_with(" A"))["undl_id"].n_unique(),
        "changed": len(changed),
        "changed_votes": sorted(changed.items()),
        "only_un": len(extra),
        "bytes": path.stat().st_size,
    }


def _timed_refresh(db: Path, paths: list[Path]) -> tuple[float, int, dict]:
    """Refresh in a fresh process: (seconds, peak RSS bytes, seconds of each build stage)."""
    code = (
        "import json, sys; from pathlib import Path; from alignment import refresh; "
        "r = refresh.refresh_from_paths(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]); "
        "print(json.dumps(r.summary.seconds))"
    )
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(db), *map(str, paths)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the refresh of {db} failed: {output}")
    stages = json.loads(output.strip().splitlines()[-1])
    return seconds, usage.ru_maxrss * 1024, {k: round(v, 1) for k, v in stages.items()}


def findings(db: Path) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        one = lambda sql: con.execute(sql).fetchall()[0]  # noqa: E731
        pairs = con.sql(
            "SELECT kept_source, other_source, count(*) AS n FROM vote_disagreements "
            "GROUP BY ALL ORDER BY n DESC"
        ).fetchall()
        return {
            "roll_calls": one("SELECT count(*) FROM roll_calls")[0],
            "votes": one("SELECT count(*) FROM votes")[0],
            "with_undl": one(
                "SELECT count(*) FROM roll_calls WHERE list_contains(sources, 'undl_csv')"
            )[0],
            "only_undl": one("SELECT count(*) FROM roll_calls WHERE sources = ['undl_csv']")[0],
            "disagreements": one("SELECT count(*) FROM vote_disagreements")[0],
            "pairs": [f"{k} over {o}: {n}" for k, o, n in pairs],
            "examples": con.sql(
                "SELECT r.symbol, d.iso3, d.kept_source, d.kept_vote, d.other_source, "
                "d.other_vote FROM vote_disagreements d JOIN roll_calls r USING (roll_call_id) "
                "WHERE (regexp_replace(r.symbol, ' A$', ''), d.iso3) "
                "IN (('A/RES/65/217', 'GRC'), ('A/RES/71/130', 'ZWE')) "
                "ORDER BY 1, 5"
            ).fetchall(),
            "flagship": con.sql(
                "SELECT symbol, date, yes, no, abstain, sources FROM roll_calls "
                "WHERE symbol LIKE 'A/RES/66/253%' OR symbol = 'A/RES/67/262' ORDER BY date"
            ).fetchall(),
            "tally_short": con.sql(
                "SELECT t.source, count(*) FROM tally_checks t WHERE t.finding <> 'match' "
                "AND t.source <> 'store' GROUP BY 1 ORDER BY 1"
            ).fetchall(),
            "a_71_130": con.sql(
                "SELECT t.source, t.no, t.tally_source, t.tally_no, t.finding FROM tally_checks t "
                "JOIN roll_calls r USING (roll_call_id) WHERE r.symbol = 'A/RES/71/130' "
                "ORDER BY 1, 3"
            ).fetchall(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a built store to write the file from")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--keep", type=Path, help="keep the file and the stores in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        without = work / "without.duckdb"
        base_seconds, base_rss, base_stages = _timed_refresh(without, [args.data])
        source = args.db or without
        csv = work / "undl" / FILE_NAME
        csv.parent.mkdir(exist_ok=True)
        start = time.perf_counter()
        with duckdb.connect(str(source), read_only=True) as con:
            written = generate(con, csv)
        generate_seconds = time.perf_counter() - start
        with_file = work / "with.duckdb"
        # The full file stands in for the Library's excerpt: the other sources as they are.
        others = [p for p in sorted(args.data.iterdir()) if p.is_dir() and p.name != "undl"]
        seconds, rss, stages = _timed_refresh(
            with_file, [*others, args.data / "undl" / "marcxml", csv]
        )
        found = findings(with_file)
    figures = {
        "file": written, "generate_seconds": round(generate_seconds, 1),
        "without": {"seconds": round(base_seconds, 1), "peak_rss_mb": round(base_rss / 1e6),
                    "stages": base_stages},
        "with": {"seconds": round(seconds, 1), "peak_rss_mb": round(rss / 1e6), "stages": stages},
        "ratio": round(seconds / base_seconds, 2), "found": found,
        "cpus": os.cpu_count(), "load": [round(x, 1) for x in os.getloadavg()],
    }  # fmt: skip
    print(json.dumps(figures, indent=1, default=str))
    RESULTS.write_text(render(figures))


def _row(name: str, run: dict) -> str:
    stages = run["stages"]
    reading = run["seconds"] - sum(stages.values())  # start-up and the readers
    return (
        f"| {name} | {run['seconds']} s | {reading:.1f} s | {stages.get('reconcile', 0)} s | "
        f"{stages.get('derived tables', 0)} s | {stages.get('write', 0)} s | "
        f"{run['peak_rss_mb']:,} MB |\n"
    )


def render(f: dict) -> str:
    w, found = f["file"], f["found"]
    flagship = "; ".join(
        f"{s} ({d}, {y}-{n}-{a}, from {', '.join(src)})" for s, d, y, n, a, src in found["flagship"]
    )
    examples = "; ".join(
        f"{s} {i}: {ks} {kv} kept, {os_} {ov}" for s, i, ks, kv, os_, ov in found["examples"]
    )
    checks = "; ".join(f"{s} {n}" for s, n in found["tally_short"]) or "none"
    a130 = "; ".join(
        f"{s} rows {n} No against {ts}'s {tn} ({fd})" for s, n, ts, tn, fd in found["a_71_130"]
    )
    return (
        f"A bulk file in the 2026 layout written from the store: {w['rows']:,} rows, "
        f"{w['resolutions']:,} resolutions ({w['with_part']:,} with the part letter A), "
        f"{w['bytes'] / 1e6:.0f} MB, {w['changed']} votes changed, {w['only_un']} resolutions "
        f"only it holds (written in {f['generate_seconds']} s).\n\n"
        "| refresh from | wall time | of which reading | reconcile | derived tables | write "
        "| peak memory (max RSS) |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        + _row("../shared/data", f["without"])
        + _row("../shared/data and the bulk file", f["with"])
        + "\n"
        f"Ratio {f['ratio']} (goal: at most 2; memory goal: under 2,000 MB); the derived tables "
        "(ideal points above all) take most of either refresh, and vary with the machine's "
        f"load. The store: "
        f"{found['roll_calls']:,} roll calls, {found['votes']:,} votes; {found['with_undl']:,} "
        f"roll calls carry the UN file, {found['only_undl']} only it. "
        f"{found['disagreements']} votes on which the sources disagree "
        f"({'; '.join(found['pairs'])}), e.g. {examples}. The flagship: {flagship}. Rows "
        f"not adding up to a published tally, by source: {checks}; A/RES/71/130: {a130}.\n\n"
        f"Measured with `python benchmarks/undl_full.py` on {f['cpus']} cores shared with other "
        f"jobs (load average {', '.join(map(str, f['load']))} at the end).\n"
    )


if __name__ == "__main__":
    main()
