"""Reading the CSV layouts: every column as text with its line, and checks that name the line.

A vote file's records are one line each (true of every publisher's file); the reader checks
that it is so, so that the line in a message is the line in the file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import polars as pl

from alignment.errors import BadDataError
from alignment.sources._text import (
    MAX_FIELD_BYTES,
    check_utf8,
    read_bytes,
    shorten,
)
from alignment.sources._values import (
    TALLY_TEXT,
    date_bounds_text,
    date_ok_expr,
    tally_expr,
)

LINE = "_line"  # the 1-based line of the record in its file, for error messages
_SLICE = 16 * 1024 * 1024


def read_csv_bytes(path: Path) -> bytes:
    """The file's bytes: within the caps, UTF-8, and ending with a complete record."""
    data = read_bytes(path)
    check_complete(data, path)
    check_utf8(data, path)
    return data


def check_complete(data: bytes, path: Path) -> None:
    """A CSV ends with a line break. Without one, the last record may be cut inside its last
    field with every field present, which no count can tell from a whole record."""
    if not data or data.endswith(b"\n"):
        return
    start = data.rfind(b"\n") + 1
    last = data[start : start + 1024]  # enough for the message, never a copy of a huge tail
    raise BadDataError(
        f"the last line {shorten(last.decode('utf-8', errors='replace'))} ends without a line "
        "break: the file is truncated inside its last record; download it again",
        path=path,
        line=data.count(b"\n") + 1,
    )


def header_of(path: Path, data: bytes) -> list[str]:
    """The column names of the first line; a name given twice is refused (the reader could
    take the wrong copy: a prepended ``vote`` column would invert every vote)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if len(first) > MAX_FIELD_BYTES:
        raise BadDataError(
            f"the header line is over {MAX_FIELD_BYTES // 1024} KiB "
            f"({shorten(first.decode('utf-8', errors='replace'))}): not a vote file",
            path=path,
            line=1,
        )
    text = first.decode("utf-8", errors="replace").rstrip("\r")
    try:
        header = next(csv.reader([text])) if text else []
    except csv.Error as exc:
        raise BadDataError(
            f"the header {shorten(text)} is not CSV ({exc})", path=path, line=1
        ) from exc
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        if name in seen:
            raise BadDataError(
                f"column {shorten(name)} is named twice in the header (columns {seen[name]} and "
                f"{number}): which copy holds the data is unknown; remove or rename one",
                path=path,
                line=1,
            )
        seen[name] = number
    return header


def _odd_quote_line(data: bytes) -> tuple[int, str] | None:
    """The first line with an odd number of quotes: a quoted field opens there and does not
    close on its line (a record is one line)."""
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.count(b'"') % 2:
            return number, line.decode("utf-8", errors="replace")
    return None


def _ragged_line(data: bytes, width: int) -> tuple[int, str, int] | None:
    """The first record whose field count differs from the header's."""
    lines = data.split(b"\n")
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        if not line and number == len(lines):
            break
        try:
            count = len(next(csv.reader([line]))) if line else 0
        except csv.Error:
            count = -1
        if count != width:
            return number, line, count
    return None


def _unreadable(data: bytes, path: Path, header: list[str], detail: str) -> BadDataError:
    """The most precise message for a CSV that polars cannot split line by line."""
    quote = _odd_quote_line(data)
    if quote is not None:
        number, line = quote
        return BadDataError(
            f"a quote opens on this line and is not closed on it ({shorten(line)}): close the "
            "quote or download the file again (each record is one line)",
            path=path,
            line=number,
        )
    ragged = _ragged_line(data, len(header))
    if ragged is not None:
        number, line, count = ragged
        return BadDataError(
            f"the record {shorten(line)} has {count if count >= 0 else 'unreadable'} fields, "
            f"the header {len(header)}: fix or remove the record, or download the file again",
            path=path,
            line=number,
        )
    return BadDataError(f"cannot be read as CSV ({shorten(detail)})", path=path)


def _line_stats(data: bytes) -> tuple[int, int]:
    """The number of line breaks and the length of the longest line, counted slice by slice
    with numpy (a few tens of milliseconds for Voeten's 57 MB, no copy of the file)."""
    breaks, longest, start = 0, 0, 0  # start: where the current line begins
    for offset in range(0, len(data), _SLICE):
        chunk = np.frombuffer(data, np.uint8, count=min(_SLICE, len(data) - offset), offset=offset)
        at = np.flatnonzero(chunk == ord("\n")) + offset
        if at.size:
            gaps = int(np.diff(at).max(initial=1)) - 1
            longest = max(longest, int(at[0]) - start, gaps)
            breaks += at.size
            start = int(at[-1]) + 1
    return breaks, max(longest, len(data) - start)


def read_csv_strings(path: Path, data: bytes, columns: list[str] | None = None) -> pl.DataFrame:
    """Every column (or those of ``columns`` the header has) as a string, plus the record's
    line, so that checks can name lines.

    ``data`` comes from :func:`read_csv_bytes`. An unclosed quote, a record over several
    lines and a value over the field cap are reported with their line. Reading only the
    columns a reader uses keeps a file of a million rows within memory.
    """
    header = header_of(path, data)
    wanted = None if columns is None else [c for c in header if c in set(columns)]
    try:  # polars refuses a quote left open (at the end of the file or inside a field)
        frame = pl.read_csv(data, infer_schema=False, columns=wanted)
    except pl.exceptions.PolarsError as exc:
        raise _unreadable(data, path, header, str(exc).splitlines()[0]) from exc
    breaks, longest_line = _line_stats(data)
    if frame.height != breaks - 1:  # a quote that closes lines later: a record over lines
        raise _unreadable(data, path, header, "records and lines do not match")
    frame = frame.with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
    if longest_line <= MAX_FIELD_BYTES:  # no field can be longer than its line
        return frame
    longest = frame.select(pl.exclude(LINE).str.len_bytes().max()).row(0, named=True)
    for column, size in longest.items():
        if size is not None and size > MAX_FIELD_BYTES:
            line = first_line_where(frame, pl.col(column).str.len_bytes() > MAX_FIELD_BYTES)
            value = frame.filter(pl.col(LINE) == line)[column].item()
            raise BadDataError(
                f"column {shorten(column)} holds {size:,} bytes ({shorten(value)}), over the "
                f"{MAX_FIELD_BYTES // 1024} KiB cap for one value: the file is damaged",
                path=path,
                line=line,
            )
    return frame


def first_line_where(frame: pl.DataFrame, mask: pl.Expr) -> int | None:
    hit = frame.filter(mask).select(LINE).head(1)
    return None if hit.is_empty() else int(hit.item())


def _value_at(frame: pl.DataFrame, column: str, line: int | None) -> object:
    return frame.filter(pl.col(LINE) == line)[column].item()


def require(frame: pl.DataFrame, columns: list[str], path: Path) -> None:
    """Every listed column is present and non-empty on every record."""
    for column in columns:
        empty = pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")
        if not frame.select(empty.any()).item():
            continue
        raise BadDataError(
            f"column {column!r} is empty where a value is required (a truncated or malformed "
            "record?); fill it or remove the record",
            path=path,
            line=first_line_where(frame, empty),
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
    line = first_line_where(frame, bad)
    raise BadDataError(
        f"column {column!r} has {shorten(_value_at(frame, column, line))}, expected {what}",
        path=path,
        line=line,
    )


def parse_tallies(frame: pl.DataFrame, columns: list[str], path: Path) -> pl.DataFrame:
    """Tallies as integers: text, negative, fractional, non-finite or oversized values refused."""
    for column in columns:
        frame = parse_checked(frame, column, tally_expr(pl.col(column)), path, TALLY_TEXT)
    return frame


def check_dates(frame: pl.DataFrame, column: str, path: Path) -> None:
    """Parsed dates within the Assembly's lifetime (a null date is left to the caller)."""
    outside = ~date_ok_expr(pl.col(column))
    if not frame.select(outside.any()).item():
        return
    line = first_line_where(frame, outside)
    raise BadDataError(
        f"column {column!r} has the date {_value_at(frame, column, line)}, impossible for the "
        f"General Assembly: dates are {date_bounds_text()}",
        path=path,
        line=line,
    )


def check_one_value(frame: pl.DataFrame, key: str, column: str, path: Path, what: str) -> None:
    """Every row of one record (``key``) gives the same ``column``: two dates for one roll
    call cannot both be true, and taking the first would hide the conflict."""
    pairs, keys = frame.select(
        pl.struct(key, column).n_unique().alias("pairs"), pl.col(key).n_unique().alias("keys")
    ).row(0)
    if pairs == keys:  # fast path: one value per key
        return
    counts = frame.group_by(key).agg(pl.col(column).n_unique().alias("_values"))
    conflicting = counts.filter(pl.col("_values") > 1)
    if conflicting.is_empty():
        return
    rows = frame.join(conflicting.select(key), on=key).sort(LINE)
    first = rows.row(0, named=True)
    other = rows.filter(pl.col(column).ne_missing(first[column])).row(0, named=True)
    raise BadDataError(
        f"{what} {key} {shorten(first[key])} has {column} {shorten(first[column])} on line "
        f"{first[LINE]} and {shorten(other[column])} on line {other[LINE]}: one record has "
        "one value; correct the wrong line or download the file again",
        path=path,
        line=int(other[LINE]),
    )


def check_values(frame: pl.DataFrame, column: str, allowed: set, path: Path, meaning: str) -> None:
    unknown = set(frame[column].drop_nulls().unique().to_list()) - set(allowed)
    if not unknown:
        return
    line = first_line_where(frame, pl.col(column).is_in(list(unknown)))
    raise BadDataError(
        f"unknown {meaning} {shorten(_value_at(frame, column, line))} in column {column!r} "
        f"(expected one of {', '.join(map(str, sorted(allowed)))})",
        path=path,
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
        f"duplicate {what}: {', '.join(f'{k}={shorten(first[k])}' for k in keys)} on lines "
        f"{lines}; remove the repeated record",
        path=path,
        line=int(first[LINE]),
    )
