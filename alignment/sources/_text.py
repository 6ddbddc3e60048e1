"""Reading upstream files as text, with errors that name the file and the line."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path

import polars as pl

from alignment.errors import BadDataError


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip; a truncated gzip is bad data."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise BadDataError(
                f"the gzip stream is truncated or corrupt ({exc}); download the file again",
                path=str(path),
            ) from exc
    return raw


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file (gunzipped), enough to recognise its format."""
    with path.open("rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as stream:
                return stream.read(size)
        except (EOFError, OSError, zlib.error) as exc:
            raise BadDataError(f"the gzip stream is corrupt ({exc})", path=str(path)) from exc
    with path.open("rb") as handle:
        return handle.read(size)


def decode_utf8(data: bytes, path: Path) -> str:
    """Strict UTF-8 (a BOM is dropped); a bad byte is reported with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadDataError(
            f"not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "convert the file to UTF-8 or use the publisher's original",
            path=str(path),
            line=line,
        ) from exc


def read_text(path: Path) -> str:
    return decode_utf8(read_bytes(path), path)


def check_complete_lines(text: str, path: Path) -> None:
    """A file cut in the middle of a record: no final newline and a short or open last record."""
    if not text or text.endswith("\n"):
        return
    lines = text.split("\n")
    last = lines[-1]
    header = next(csv.reader([lines[0].strip("\r")]))
    if last.count('"') % 2 or len(next(csv.reader([last]))) < len(header):
        raise BadDataError(
            f"the last record has fewer fields than the header ({len(header)}): "
            "the file is truncated; download it again",
            path=str(path),
            line=len(lines),
        )


def text_io(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


LINE = "_line"  # the 1-based line of the record in its file, for error messages


def read_csv_strings(path: Path, *, text: str | None = None) -> pl.DataFrame:
    """Every column as a string, plus the record's line, so that checks can name lines.

    Records are assumed to hold no line breaks (true of every vote file we read); a CSV
    that polars cannot split into the header's fields is reported as bad data.
    """
    if text is None:
        text = read_text(path)
    check_complete_lines(text, path)
    try:
        frame = pl.read_csv(text_io(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise BadDataError(f"cannot be read as CSV: {exc}".splitlines()[0], path=str(path)) from exc
    return frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def header_of(path: Path, text: str) -> list[str]:
    first = text.split("\n", 1)[0].strip("\r")
    return next(csv.reader([first])) if first else []


def first_line(frame: pl.DataFrame, mask: pl.Expr) -> int | None:
    hit = frame.filter(mask).select(LINE).head(1)
    return None if hit.is_empty() else int(hit.item())


def require(frame: pl.DataFrame, columns: list[str], path: Path) -> None:
    """Every listed column is present and non-empty on every record."""
    for column in columns:
        empty = pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
        if not frame.select(empty.any()).item():
            continue
        raise BadDataError(
            f"column {column!r} is empty (a truncated or malformed record?)",
            path=str(path),
            line=first_line(frame, empty),
        )


def cast_checked(
    frame: pl.DataFrame, column: str, dtype: pl.DataType, path: Path, what: str
) -> pl.DataFrame:
    """Cast a string column; the first value that does not parse is reported with its line."""
    return parse_checked(
        frame, column, pl.col(column).str.strip_chars().cast(dtype, strict=False), path, what
    )


def parse_checked(
    frame: pl.DataFrame, column: str, parsed: pl.Expr, path: Path, what: str
) -> pl.DataFrame:
    """Replace a string column by ``parsed``; a non-empty value that gives null is bad data."""
    out = frame.with_columns(parsed.alias(column))
    # Fast path: as many nulls after parsing as empty values before means nothing failed.
    empty = frame.select(
        (pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")).sum()
    )
    if out[column].null_count() == empty.item():
        return out
    bad = pl.col(column).is_not_null() & (pl.col(column).str.strip_chars() != "") & parsed.is_null()
    line = first_line(frame, bad)
    value = frame.filter(pl.col(LINE) == line)[column].item()
    raise BadDataError(
        f"column {column!r} has {value!r}, expected {what}", path=str(path), line=line
    )


def check_values(frame: pl.DataFrame, column: str, allowed: set, path: Path, meaning: str) -> None:
    unknown = set(frame[column].drop_nulls().unique().to_list()) - set(allowed)
    if not unknown:
        return
    line = first_line(frame, pl.col(column).is_in(list(unknown)))
    value = frame.filter(pl.col(LINE) == line)[column].item()
    raise BadDataError(
        f"unknown {meaning} {value!r} in column {column!r} (expected one of "
        f"{', '.join(map(str, sorted(allowed)))})",
        path=str(path),
        line=line,
    )


def check_unique(frame: pl.DataFrame, keys: list[str], path: Path, what: str) -> None:
    # Fast path: distinct 64-bit hashes prove the keys distinct; a repeated hash (a real
    # repeat or, rarely, a collision) is settled by counting the keys themselves.
    if frame.select(pl.struct(keys).hash().is_unique().all()).item():
        return
    repeated = frame.group_by(keys).len().filter(pl.col("len") > 1)
    if repeated.is_empty():
        return
    rows = frame.join(repeated.select(keys), on=keys).sort(LINE)
    first = rows.row(0, named=True)
    same = rows.filter(pl.all_horizontal(pl.col(k) == first[k] for k in keys))
    lines = ", ".join(str(x) for x in same[LINE].to_list()[:5])
    raise BadDataError(
        f"duplicate {what}: {', '.join(f'{k}={first[k]!r}' for k in keys)} on lines {lines}; "
        "remove the repeated record",
        path=str(path),
        line=int(first[LINE]),
    )
