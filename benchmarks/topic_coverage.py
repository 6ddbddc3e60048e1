"""The named topics and the coverage of the latest sessions, from a built store.

    python benchmarks/topic_coverage.py [--db STORE] [--before OLDER_STORE]

Writes benchmarks/results/topic_counts.md (per named topic: the roll calls about it and
those that only mention it; with --before, the roll calls a store built by an earlier version
tags with it, every match counted) and benchmarks/results/coverage.md (the coverage rows of
the store for ES-10, ES-11 and the three latest regular sessions), which docs/reference/figures.md quotes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

RESULTS = Path(__file__).parent / "results"
DEFAULT_DB = Path(__file__).parents[1] / "data" / "alignment.duckdb"


def topic_counts(db: Path, before: Path | None) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            """SELECT topic, count(*) FILTER (WHERE strength = 'primary'),
                      count(*) FILTER (WHERE strength = 'mention')
               FROM roll_call_topics WHERE scheme = 'named' GROUP BY topic ORDER BY topic"""
        ).fetchall()
    old: dict[str, int] = {}
    if before is not None:
        with duckdb.connect(str(before), read_only=True) as con:
            old = dict(
                con.sql(
                    "SELECT topic, count(DISTINCT roll_call_id) FROM roll_call_topics "
                    "WHERE scheme = 'named' GROUP BY topic"
                ).fetchall()
            )
    lines = [
        "| named topic | before: every match | primary | mentions |",
        "| --- | --- | --- | --- |",
    ]
    for topic, primary, mentions in rows:
        lines.append(f"| `{topic}` | {old.get(topic, '-')} | {primary} | {mentions} |")
    lines.append("")
    lines.append(
        "(`python benchmarks/topic_coverage.py --before OLD.duckdb`: before, a store built by "
        "the version without strengths, whose rules counted every match, subject headings "
        "included.)"
    )
    return "\n".join(lines) + "\n"


def coverage(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            """WITH latest AS (
                   SELECT series_number FROM coverage
                   WHERE source = 'store' AND series_kind = 'regular'
                   ORDER BY series_number DESC LIMIT 3)
               SELECT series, first_vote, last_vote, roll_calls, resolutions, without_vote,
                      highest_number, numbering_gaps, gaps, complete_through
               FROM coverage
               WHERE source = 'store' AND (series IN ('ES-10', 'ES-11')
                     OR (series_kind = 'regular' AND series_number IN (SELECT * FROM latest)))
               ORDER BY series_kind DESC, series_number"""
        ).fetchall()
    lines = [
        "| series | votes | roll calls | resolutions | without a vote | highest number "
        "| gaps | complete through |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for series, first, last, calls, resolutions, without, highest, gaps, which, through in rows:
        missing = f"{gaps} ({which})" if gaps else str(gaps)
        lines.append(
            f"| `{series}` | {first} to {last} | {calls} | {resolutions} | "
            f"{'unknown' if without is None else without} | {highest} | {missing} | "
            f"{through or 'not from number 1'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--before", type=Path, default=None)
    args = parser.parse_args()
    counts, covered = topic_counts(args.db, args.before), coverage(args.db)
    (RESULTS / "topic_counts.md").write_text(counts)
    (RESULTS / "coverage.md").write_text(covered)
    print(counts + "\n" + covered)


if __name__ == "__main__":
    main()
