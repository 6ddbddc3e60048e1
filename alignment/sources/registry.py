"""The registry of readers: which reader reads a file, every vote file under some folders,
and all of them read.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from alignment.errors import BadDataError, shorten
from alignment.sources import undl_csv, undl_marcxml, unvotes, unxml_json, voeten
from alignment.sources.reader import Reader, Sample

if TYPE_CHECKING:
    from alignment.countries import Crosswalk
    from alignment.sources.rows import SourceRows

# Asked in this order: the first that recognises a file reads it.
READERS: tuple[Reader, ...] = (undl_marcxml, unxml_json, voeten, unvotes, undl_csv)

# Files that travel with the vote files but hold no votes: read elsewhere or not at all.
AUXILIARY = {
    "COW_country_codes.csv": "Voeten's list of COW codes (the crosswalk is data/country_codes.csv)",
    "Matches.csv": "Voeten's bridging pairs (loaded as table voeten_matches)",
    "IdealpointestimatesAll_Apr2020.csv": "Voeten's published ideal points (a reference, not votes)",
}
DATA_SUFFIXES = (".csv", ".csv.gz", ".json", ".jsonl", ".xml")


def _is_data_file(path: Path) -> bool:
    return path.name.endswith(DATA_SUFFIXES)


def reader_for(path: Path) -> Reader | None:
    """The reader of one file, recognised by its content; None for auxiliary files."""
    if path.name in AUXILIARY:
        return None
    sample = Sample(path)
    for reader in READERS:
        if reader.recognises(sample):
            return reader
    if sample.looks_json:
        raise BadDataError(
            "JSON that is not the UN's per-session resolution extract (no MS_in_favour)",
            path=path,
            line=1,
        )
    raise BadDataError(
        "a CSV of no known layout (Voeten's complete votes, unvotes, UN Digital Library "
        f"2024/2025/2026). Its header: {shorten(','.join(sample.header), 400)}",
        path=path,
        line=1,
    )


def discover(paths: list[Path]) -> list[tuple[Path, Reader]]:
    """Every vote file under the given files and folders with its reader, in a stable order.

    A folder is searched recursively; its auxiliary files and prose are skipped. The three
    unvotes tables are read once, as a group.
    """
    found: list[tuple[Path, Reader]] = []
    seen_unvotes: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise BadDataError("no such file or folder; check the path given to --from", path=given)
        files = (
            sorted(p for p in given.rglob("*") if p.is_file() and _is_data_file(p))
            if given.is_dir()
            else [given]
        )
        for path in files:
            reader = reader_for(path)
            if reader is None:
                continue
            if reader is unvotes:
                folder = path.parent.resolve()
                if folder in seen_unvotes:
                    continue
                seen_unvotes.add(folder)
                path = unvotes.companions(path)["unvotes"]
            found.append((path, reader))
    return found


def read_all(paths: list[Path], crosswalk: Crosswalk) -> list[SourceRows]:
    """Every vote file under ``paths``, read by its reader; bad data if there is none."""
    found = discover([Path(p) for p in paths])
    if not found:
        raise BadDataError(
            "no vote files found (Voeten's completeVotes, unvotes tables, UN Digital Library CSV "
            "or MARCXML, UN per-session JSON)",
            path=", ".join(str(p) for p in paths),
        )
    # Polars and the gzip module release the GIL: files are read side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda item: item[1].read(item[0], crosswalk), found))
