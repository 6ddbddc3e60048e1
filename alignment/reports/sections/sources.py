"""Sources and credits: the files the store was built from with the credit each requires, the
last refresh, the store's metadata and the sources of the bloc memberships used."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

import duckdb

from alignment import resources
from alignment.reports.context import Context


def credits() -> dict[str, str]:
    """Source (a reader's name, or ``world_outline``) -> the credit it requires, from
    ``data/sources.csv`` (the README quotes the same file)."""
    with resources.data_file("sources.csv").open(encoding="utf-8", newline="") as f:
        return {key: row["credit"] for row in csv.DictReader(f) for key in row["sources"].split()}


@dataclass
class Sources:
    sources: list[dict[str, Any]]  # per source: its files, counts and credit
    refresh: dict[str, Any] | None  # the last refresh_log row
    meta: dict[str, str]  # store_meta
    blocs: list[dict[str, Any]] = field(default_factory=list)  # the blocs the report uses
    outline_credit: str = ""  # the world map's outline


def build(con: duckdb.DuckDBPyConnection, ctx: Context) -> Sources:
    spec = ctx.spec
    files = con.sql(
        """SELECT source, location, sha256, size, modified, roll_calls, votes
           FROM source_files ORDER BY source, location"""
    ).pl()
    sources = []
    credit = credits()
    for (source,), group in files.group_by(["source"], maintain_order=True):
        sources.append(
            {
                "source": source,
                "credit": credit.get(source, "See the source's own terms."),
                "files": [
                    {
                        "name": str(r["location"]).replace("\\", "/").rsplit("/", 1)[-1],
                        # A file fetched from the network links to where it came from.
                        "url": r["location"]
                        if str(r["location"]).startswith(("https://", "http://"))
                        else None,
                        "sha256": (r["sha256"] or "")[:16],
                        "size": r["size"],
                        "modified": r["modified"],
                    }
                    for r in group.iter_rows(named=True)
                ],
                "roll_calls": int(group["roll_calls"].fill_null(0).sum()),
                "votes": int(group["votes"].fill_null(0).sum()),
            }
        )
    log_rows = con.sql(
        """SELECT refresh_id, started_at, finished_at, outcome, message, roll_calls, votes
           FROM refresh_log ORDER BY refresh_id DESC LIMIT 1"""
    ).pl()
    meta = dict(con.sql("SELECT key, value FROM store_meta ORDER BY key").pl().iter_rows())
    used = {
        *spec.matrix_blocs,
        *spec.majority_blocs,
        *spec.ideal_blocs,
        *spec.cohesion_blocs,
        *spec.map_blocs,
    }
    blocs = [r for r in ctx.inputs.blocs.to_dicts() if r["bloc"] in used]
    return Sources(sources, log_rows.to_dicts()[0] if log_rows.height else None, meta, blocs,
                   credit["world_outline"])  # fmt: skip
