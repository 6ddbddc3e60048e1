"""What a user holding a single source gets: a store built from each source alone.

    python benchmarks/single_sources.py [DATA_DIR]

Builds one store per source found in ../shared/data (Voeten's complete vote file, the unvotes
tables, the UN's per-session JSON, the UN Digital Library CSV excerpt and MARCXML record, and
all of them together) and writes the roll calls, votes and date range of each to
benchmarks/results/single_sources.json, which docs/reference/figures.md quotes.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from alignment import refresh

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
RESULTS = Path(__file__).parent / "results" / "single_sources.json"
SOURCES = {
    "Voeten's completeVotes file": ["voeten/completeVotes_1946-2015.csv.gz", "voeten/Matches.csv"],
    "the unvotes tables": ["unvotes"],
    "the UN's per-session JSON": ["unxml"],
    "the UN Digital Library CSV (excerpt)": ["undl/ga_voting_excerpt_2026-02-06_layout.csv"],
    "one UN Digital Library MARCXML record": ["undl/marcxml/4040686.xml"],
    "all of them": ["."],
}


def main() -> None:
    data = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DATA
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, parts) in enumerate(SOURCES.items()):
            db = Path(tmp) / f"{i}.duckdb"
            start = time.perf_counter()
            refresh.refresh_from_paths(db, [data / p for p in parts])
            seconds = time.perf_counter() - start
            with duckdb.connect(str(db), read_only=True) as con:
                calls, first, last, inferred = con.execute(
                    "SELECT count(*), min(date), max(date), count_if(date_inferred) FROM roll_calls"
                ).fetchone()
                votes = con.execute("SELECT count(*) FROM votes").fetchone()[0]
            row = {
                "source": name, "roll_calls": calls, "votes": votes, "first": str(first),
                "last": str(last), "dates_inferred": inferred, "seconds": round(seconds, 1),
            }  # fmt: skip
            print(json.dumps(row))
            rows.append(row)
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
