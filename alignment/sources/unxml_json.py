"""The UN's per-session resolution extracts (``UNxml/GAresolutions``, ``data_extract/<session>.json``).

JSON lines, one resolution per line, every resolution of the session whatever the way it was
adopted (``adoption_type``). Voters are listed by name in ``MS_in_favour``, ``MS_against`` and
``MS_abstaining``; absent members are not listed at all (the store marks them absent from the
membership of the day). Resolutions adopted without a vote are kept as decisions
(:data:`~alignment.sources.rows.DECISION_SCHEMA`); the agenda item's title is ``agenda_item_name``. Counts are strings with ``"N.A."`` for zero; dates
come as ``2019-12-03 00:00:00`` or ``2 December 2020`` (with a non-breaking space).
The files repeat some resolutions (a later line re-issued with more sponsors): a repeat whose
votes are the same is kept once; a repeat whose votes differ is an error.

No record is dropped silently: one whose ``adoption_type`` is unknown is refused when it lists
voters (it may be a vote the reader cannot place) and skipped with a note otherwise; a vote
list that names a state twice or disagrees with its published count is refused, save for the
UN's two known quirks, kept with a note (:func:`_voters`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl

from alignment.countries import Crosswalk
from alignment.errors import BadDataError, shorten
from alignment.sessions import regular_session
from alignment.sources._text import check_field, decode_utf8, read_bytes
from alignment.sources._values import TALLY_TEXT, date_bounds_text, date_ok, tally
from alignment.sources.reader import Sample
from alignment.sources.rows import DECISION_SCHEMA, ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.symbols import tidy
from alignment.titles import tidy_title

NAME = "unxml_json"
LISTS = {"MS_in_favour": "Y", "MS_against": "N", "MS_abstaining": "A"}
COUNTS = {"Y": "MS_in_favour_count", "N": "MS_against_count", "A": "MS_abstaining_count"}
RECORDED = "by a recorded vote"
WITHOUT_VOTE = "without a vote"
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


def _kind(value: object) -> str:
    """How a JSON value is described in a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {shorten(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return shorten(value)


class _RepeatedKeyError(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose keys are distinct: with a key given twice, ``json`` keeps the last
    copy silently, and which one the publisher meant is unknown."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKeyError(key)
            seen.add(key)
    return record


def _loads(line: str, path: Path, number: int) -> dict:
    try:
        record = json.loads(line, object_pairs_hook=_unique_keys)
    except _RepeatedKeyError as exc:
        raise BadDataError(
            f"key {shorten(exc.key)} appears twice in one object: which value holds is "
            "unknown; keep one",
            path=path,
            line=number,
        ) from None
    except json.JSONDecodeError as exc:
        detail = exc.msg
    except ValueError:  # Python's limit on the digits of an integer
        detail = "a number of thousands of digits"
    except RecursionError:
        detail = "nesting too deep"
    else:
        if not isinstance(record, dict):
            raise BadDataError(
                f"the line is {_kind(record)}, not a JSON object", path=path, line=number
            )
        return record
    raise BadDataError(
        f"not a JSON object ({detail}): truncated or not the UN's JSON lines",
        path=path,
        line=number,
    )


class _Record:
    """One line's object, read field by field: a field of the wrong type or null where a
    value is needed is refused with its key (a null symbol would become the text 'None')."""

    def __init__(self, record: dict, path: Path, number: int) -> None:
        self.record, self.path, self.number = record, path, number

    def fail(self, message: str) -> BadDataError:
        return BadDataError(message, path=self.path, line=self.number)

    def text(self, key: str) -> str:
        value = self.record.get(key)
        if not isinstance(value, str):
            raise self.fail(f"field {key!r} is {_kind(value)}, expected text")
        return check_field(value, self.path, self.number, f"field {key!r}")

    def optional_text(self, key: str) -> str | None:
        return None if self.record.get(key) is None else self.text(key)

    def names(self, key: str) -> list[str]:
        value = self.record.get(key)
        if not isinstance(value, list):
            raise self.fail(f"field {key!r} is {_kind(value)}, expected a list of names")
        for name in value:
            if not isinstance(name, str):
                raise self.fail(f"field {key!r} lists {_kind(name)}, expected a state's name")
            check_field(name, self.path, self.number, f"a name in {key!r}")
        return value

    def count(self, key: str) -> int | None:
        """A published count: text, ``"N.A."`` or empty for zero; None when absent."""
        text = self.optional_text(key)
        if text is None:
            return None
        if text.strip() in ("", "N.A."):
            return 0
        number = tally(text.strip())
        if number is None:
            raise self.fail(f"field {key!r} is {shorten(text)}, expected {TALLY_TEXT} or N.A.")
        return number

    def subjects(self) -> list[str]:
        value = self.record.get("subjects") or []
        if not isinstance(value, list):
            raise self.fail(f"field 'subjects' is {_kind(value)}, expected a list")
        headings = []
        for entry in value:
            if isinstance(entry, list) and entry and entry[-1] == "UNBIS Thesaurus":
                if not isinstance(entry[0], str):
                    raise self.fail(f"a subject heading is {_kind(entry[0])}, expected text")
                headings.append(check_field(entry[0], self.path, self.number, "a subject"))
        return headings


def recognises(sample: Sample) -> bool:
    """JSON whose first record lists the states in favour."""
    return sample.looks_json and matches_first_line(sample.first_line)


def matches_first_line(line: str) -> bool:
    return line.startswith("{") and '"MS_in_favour"' in line


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    text = decode_utf8(read_bytes(path), path)
    calls: list[dict] = []
    decisions: list[dict] = []
    names: dict[str, list] = {"source_id": [], "name": [], "vote": [], "line": [], "date": []}
    notes: list[str] = []
    # Lines end at "\n" only: str.splitlines() would also cut at U+2028, valid inside JSON text.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = _loads(line, path, number)
        missing = [key for key in REQUIRED if key not in record]
        if missing:
            raise BadDataError(f"fields {missing} missing", path=path, line=number)
        fields = _Record(record, path, number)
        adoption = fields.text("adoption_type").strip().lower()
        if adoption not in (RECORDED, WITHOUT_VOTE):
            _unknown_adoption(fields, adoption, notes)
            continue
        symbol = tidy(fields.text("symbol"))
        if not symbol:
            raise fields.fail("field 'symbol' is empty: a resolution needs its symbol")
        adopted = fields.text("adoption_date")
        date = parse_date(adopted)
        if date is None:
            raise fields.fail(f"adoption_date {shorten(adopted)} is not a date")
        if not date_ok(date):
            raise fields.fail(
                f"adoption_date {shorten(adopted)} is impossible for the General Assembly: "
                f"dates are {date_bounds_text()}"
            )
        agenda = fields.optional_text("agenda_item_name")
        described = {
            "symbol": symbol, "date": date,
            "session": session_number(fields.optional_text("session") or "", date),
            "title": fields.text("title"), "subjects": fields.subjects(),
            "agenda": [" ".join(agenda.split())] if agenda and agenda.strip() else [],
        }  # fmt: skip
        if adoption == WITHOUT_VOTE:
            decisions.append({"source": NAME, **described, "line": number})
            continue
        listed = {vote: fields.names(key) for key, vote in LISTS.items()}
        if not any(listed.values()):
            # Several resolutions recorded in one line ("A/RES/75/254 A-C") carry no voters.
            notes.append(
                f"line {number}: {symbol} is a recorded vote with no voters listed; skipped"
            )
            continue
        counts = {vote: fields.count(key) for vote, key in COUNTS.items()}
        for vote, members in listed.items():
            unique = _voters(fields, symbol, vote, members, counts[vote], notes)
            for name in unique:
                names["source_id"].append(f"{symbol}@{number}")
                names["name"].append(name)
                names["vote"].append(vote)
                names["line"].append(number)
                names["date"].append(date)
        calls.append({
            "source": NAME, "source_id": f"{symbol}@{number}", "rcid": None, "undl_id": None,
            "kind": "resolution", "important": None,
            "yes": counts["Y"], "no": counts["N"], "abstain": counts["A"], "non_voting": None,
            "topics": [], **described,
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
            path=path, line=row["line"],
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
        votes.cast(pl.Schema(VOTE_SCHEMA)),
        absent_listed=False,
        notes=notes,  # type: ignore[arg-type]
        decisions=_decisions(decisions, path, notes),
    )


def _unknown_adoption(fields: _Record, adoption: str, notes: list[str]) -> None:
    """A record adopted neither by a recorded vote nor without one: with voters listed it is a
    vote the reader cannot place (the UN may have reworded the field), so the file is refused
    rather than the vote lost; without voters it is skipped, with a note. The UN's own files
    have such lines (``A/RES/79/259 A-C``: several resolutions in one line, adoption_type
    empty, no voters)."""
    symbol = fields.record.get("symbol")
    if any(isinstance(v, list) and v for v in (fields.record.get(k) for k in LISTS)):
        raise fields.fail(
            f"{shorten(symbol)} lists voters but its adoption_type {shorten(adoption)} is "
            f"neither {RECORDED!r} nor {WITHOUT_VOTE!r}: the reader cannot tell whether it is "
            "a vote; correct the field, or report the new wording"
        )
    notes.append(
        f"line {fields.number}: {shorten(symbol)} has adoption_type {shorten(adoption)} and no "
        "voters listed; skipped"
    )


# A list the UN published with every name repeated the same number of times (A/RES/75/290 A
# lists each voter twice) is kept once when its distinct names match the count; a list that
# misses its count by one name is kept with a note (A/RES/77/293 lists 58 abstentions for a
# count of 59). Anything else is refused: a vote list cannot be trusted for the others.
COUNT_SLACK = 1


def _voters(
    fields: _Record, symbol: str, vote: str, members: list[str], published: int | None,
    notes: list[str],
) -> list[str]:  # fmt: skip
    """The distinct names of one vote list, checked against the list's published count."""
    key = next(k for k, v in LISTS.items() if v == vote)
    times: dict[str, int] = {}
    for name in members:
        times[name] = times.get(name, 0) + 1
    unique = list(times)
    repeats = set(times.values())
    if repeats != {1} and members:
        if len(repeats) > 1 or (published is not None and published != len(unique)):
            name = next(n for n, k in times.items() if k > 1)
            raise fields.fail(
                f"{symbol} names {shorten(name)} {times[name]} times in {key} "
                f"({len(members)} names, {len(unique)} distinct"
                + (f", count {published})" if published is not None else ")")
                + ": a state votes once; correct the list"
            )
        notes.append(
            f"line {fields.number}: {symbol} lists every name of {key} {repeats.pop()} times; "
            "counted once"
        )
    if published is not None and published != len(unique):
        if abs(published - len(unique)) > COUNT_SLACK:
            raise fields.fail(
                f"{symbol} {COUNTS[vote]} is {published} but {key} lists {len(unique)}: the "
                "list and its count disagree; correct one of them"
            )
        notes.append(f"line {fields.number}: {symbol} {COUNTS[vote]} is {published}, "
                     f"{len(unique)} listed")  # fmt: skip
    return unique


def _decisions(rows: list[dict], path: Path, notes: list[str]) -> pl.DataFrame:
    """The resolutions adopted without a vote, a repeated line kept once (the last)."""
    frame = pl.DataFrame(rows, schema={**DECISION_SCHEMA, "line": pl.Int64}).with_columns(
        tidy_title(pl.col("title"))
    )
    twice = frame.filter(pl.struct("symbol", "date").is_duplicated())
    for (symbol, _), group in twice.group_by("symbol", "date", maintain_order=True):
        lines = ", ".join(str(n) for n in group["line"].sort())
        notes.append(f"lines {lines}: {symbol} (adopted without a vote) repeated; kept once")
    return frame.unique(["symbol", "date"], keep="last", maintain_order=True).drop("line")


def _check_one_date(roll_calls: pl.DataFrame, path: Path) -> None:
    """A symbol repeated with another adoption date: one resolution is adopted once."""
    dated = roll_calls.select(
        "symbol",
        "date",
        pl.col("source_id").str.split("@").list.last().cast(pl.Int64).alias("line"),
    )
    conflicting = dated.filter(pl.col("date").n_unique().over("symbol") > 1).sort("line")
    if conflicting.is_empty():
        return
    symbol, date, line = conflicting.row(0)
    _, other, where = conflicting.filter(
        (pl.col("symbol") == symbol) & (pl.col("date") != date)
    ).row(0)
    raise BadDataError(
        f"{shorten(symbol)} is adopted on {date} on line {line} and on {other} on this line: "
        "one resolution has one adoption date; keep the correct line",
        path=path,
        line=where,
    )


def _drop_repeats(
    roll_calls: pl.DataFrame, votes: pl.DataFrame, path: Path, notes: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the last of repeated lines for one symbol and date when their votes agree."""
    _check_one_date(roll_calls, path)
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
                f"{shorten(symbol)} of {date} appears on lines {', '.join(lines)} with different "
                "votes; keep the correct line",
                path=path, line=int(lines[0]),
            )  # fmt: skip
        drop.extend(group["source_id"].to_list()[:-1])
        notes.append(f"lines {', '.join(lines)}: {symbol} repeated with the same votes; kept once")
    return (
        roll_calls.filter(~pl.col("source_id").is_in(drop)),
        votes.filter(~pl.col("source_id").is_in(drop)),
    )
