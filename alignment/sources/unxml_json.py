"""The UN's per-session resolution extracts (``UNxml/GAresolutions``, ``data_extract/<session>.json``).

JSON lines, one resolution per line. Voters are listed by name in ``MS_in_favour``,
``MS_against`` and ``MS_abstaining``; absent members are not listed at all (the store marks
them absent from the membership of the day). Counts are strings with ``"N.A."`` for zero; dates
come as ``2019-12-03 00:00:00`` or ``2 December 2020`` (with a non-breaking space).
The files repeat some resolutions (a later line re-issued with more sponsors): a repeat whose
votes are the same is kept once; a repeat whose votes differ is an error.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.sessions import regular_session
from alignment.sources import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.sources._text import decode_utf8, read_bytes
from alignment.symbols import tidy
from alignment.titles import tidy_title

NAME = "unxml_json"
LISTS = {"MS_in_favour": "Y", "MS_against": "N", "MS_abstaining": "A"}
COUNTS = {"Y": "MS_in_favour_count", "N": "MS_against_count", "A": "MS_abstaining_count"}
RECORDED = "by a recorded vote"
REQUIRED = ("symbol", "title", "adoption_date", "adoption_type", *LISTS)

_UNITS = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
_TEENS = ["tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
          "seventeenth", "eighteenth", "nineteenth"]  # fmt: skip
_TENS = ["", "", "twent", "thirt", "fort", "fift", "sixt", "sevent", "eight", "ninet"]


def _ordinals() -> dict[str, int]:
    words = {}
    for n in range(1, 100):
        tens, units = divmod(n, 10)
        if n < 10:
            words[_UNITS[n]] = n
        elif n < 20:
            words[_TEENS[n - 10]] = n
        elif units == 0:
            words[_TENS[tens] + "ieth"] = n
        else:
            words[f"{_TENS[tens]}y-{_UNITS[units]}"] = n
    return words


ORDINALS = _ordinals()


def session_number(words: str, on: dt.date) -> int:
    """``Seventy-ninth session`` -> 79; special and emergency sessions sit in a regular one."""
    match = re.fullmatch(r"\s*([A-Za-z-]+) session\s*", words or "")
    if match and match[1].lower() in ORDINALS:
        return ORDINALS[match[1].lower()]
    return regular_session(on)


def parse_date(text: str) -> dt.date | None:
    text = " ".join(text.replace("\u00a0", " ").split())
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d %B %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _count(text: str | None) -> int | None:
    if text is None or text.strip() in ("", "N.A."):
        return 0 if text is not None else None
    return int(text) if text.strip().isdigit() else None


def matches_first_line(line: str) -> bool:
    return line.startswith("{") and '"MS_in_favour"' in line


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    text = decode_utf8(read_bytes(path), path)
    calls: list[dict] = []
    names: dict[str, list] = {"source_id": [], "name": [], "vote": [], "line": [], "date": []}
    notes: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadDataError(
                f"not a JSON object ({exc.msg}): truncated or not the UN's JSON lines",
                path=str(path), line=number,
            ) from exc  # fmt: skip
        if not isinstance(record, dict):
            raise BadDataError("a line is not a JSON object", path=str(path), line=number)
        missing = [key for key in REQUIRED if key not in record]
        if missing:
            raise BadDataError(f"fields {missing} missing", path=str(path), line=number)
        if str(record["adoption_type"]).strip().lower() != RECORDED:
            continue
        symbol = tidy(str(record["symbol"]))
        date = parse_date(str(record["adoption_date"]))
        if date is None:
            raise BadDataError(
                f"adoption_date {record['adoption_date']!r} is not a date",
                path=str(path),
                line=number,
            )
        listed = {vote: list(record[key] or []) for key, vote in LISTS.items()}
        if not any(listed.values()):
            # Several resolutions recorded in one line ("A/RES/75/254 A-C") carry no voters.
            notes.append(
                f"line {number}: {symbol} is a recorded vote with no voters listed; skipped"
            )
            continue
        for vote, members in listed.items():
            unique = list(dict.fromkeys(members))
            if len(unique) != len(members):
                notes.append(
                    f"line {number}: {symbol} lists {len(members) - len(unique)} names twice"
                )
            published = _count(record.get(COUNTS[vote]))
            if published is not None and published != len(unique):
                notes.append(
                    f"line {number}: {symbol} {COUNTS[vote]} is {published}, {len(unique)} listed"
                )
            for name in unique:
                if not isinstance(name, str):
                    raise BadDataError(
                        f"{symbol}: member {name!r} is not a name", path=str(path), line=number
                    )
                names["source_id"].append(f"{symbol}@{number}")
                names["name"].append(name)
                names["vote"].append(vote)
                names["line"].append(number)
                names["date"].append(date)
        calls.append({
            "source": NAME, "source_id": f"{symbol}@{number}", "rcid": None, "undl_id": None,
            "symbol": symbol, "date": date, "session": session_number(record.get("session", ""), date),
            "title": str(record["title"]), "kind": "resolution", "important": None,
            "yes": _count(record.get(COUNTS["Y"])), "no": _count(record.get(COUNTS["N"])),
            "abstain": _count(record.get(COUNTS["A"])), "non_voting": None, "topics": [],
            "subjects": [s[0] for s in record.get("subjects") or []
                         if isinstance(s, list) and s and s[-1] == "UNBIS Thesaurus"],
        })  # fmt: skip
    frame = pl.DataFrame(
        names,
        schema={"source_id": pl.String, "name": pl.String, "vote": pl.String, "line": pl.Int64,
                "date": pl.Date},
    )  # fmt: skip
    frame = frame.with_columns(
        crosswalk.resolve(
            frame["name"], "name", path=str(path), dates=frame["date"], lines=frame["line"]
        ).alias("iso3")
    )
    twice = frame.filter(pl.struct("source_id", "iso3").is_duplicated()).sort("line")
    if not twice.is_empty():
        row = twice.row(0, named=True)
        raise BadDataError(
            f"{row['source_id'].split('@')[0]} lists {row['iso3']} ({row['name']}) in two vote lists",
            path=str(path), line=row["line"],
        )  # fmt: skip
    roll_calls = pl.DataFrame(calls, schema=ROLL_CALL_SCHEMA).with_columns(
        tidy_title(pl.col("title"))
    )
    roll_calls, frame = _drop_repeats(roll_calls, frame, path, notes)
    # Once repeats are gone a symbol names one roll call: the line number has done its job.
    ids = roll_calls.select("source_id", pl.col("symbol").alias("new_id"))
    roll_calls = roll_calls.with_columns(pl.col("symbol").alias("source_id"))
    votes = frame.join(ids, on="source_id").select(
        pl.lit(NAME).alias("source"), pl.col("new_id").alias("source_id"), "iso3", "vote"
    )
    return SourceRows(
        NAME,
        str(path),
        roll_calls,
        votes.cast(VOTE_SCHEMA),
        absent_listed=False,
        notes=notes,  # type: ignore[arg-type]
    )


def _drop_repeats(
    roll_calls: pl.DataFrame, votes: pl.DataFrame, path: Path, notes: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the last of repeated lines for one symbol and date when their votes agree."""
    keyed = roll_calls.select("source_id", "symbol", "date").with_row_index("order")
    repeated = keyed.filter(pl.struct("symbol", "date").is_duplicated())
    if repeated.is_empty():
        return roll_calls, votes
    signature = (
        votes.sort("iso3").group_by("source_id").agg(pl.concat_str("iso3", "vote").alias("sig"))
    )
    drop: list[str] = []
    for (symbol, date), group in repeated.join(signature, on="source_id").group_by(
        "symbol", "date", maintain_order=True
    ):
        group = group.sort("order")
        sigs = group["sig"].to_list()
        lines = [sid.split("@")[1] for sid in group["source_id"]]
        if any(sig != sigs[-1] for sig in sigs):
            raise BadDataError(
                f"{symbol} of {date} appears on lines {', '.join(lines)} with different votes; "
                "keep the correct line",
                path=str(path), line=int(lines[0]),
            )  # fmt: skip
        drop.extend(group["source_id"].to_list()[:-1])
        notes.append(f"lines {', '.join(lines)}: {symbol} repeated with the same votes; kept once")
    return (
        roll_calls.filter(~pl.col("source_id").is_in(drop)),
        votes.filter(~pl.col("source_id").is_in(drop)),
    )
