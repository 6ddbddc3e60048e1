"""UN Digital Library voting records as MARCXML (``/record/<id>/export/xm``, search ``of=xm``).

One ``<record>`` per resolution: 001 record number, 791 $a symbol, 269 $a date (``YYYY-MM-DD``
or ``YYYYMMDD``), 245 title, 650 $a subjects, 996 tallies ($b yes, $c no, $d abstain,
$e non-voting), and one datafield per Member State in tags 967, 968 or 969 ($c ISO3 code,
$d vote Y/N/A, missing $d = non-voting, $e name).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from lxml import etree

from alignment.countries import Crosswalk
from alignment.errors import BadDataError
from alignment.sessions import regular_session
from alignment.sources import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.sources._text import read_bytes
from alignment.symbols import tidy
from alignment.titles import tidy_title

NAME = "undl_marcxml"
MARC = "{http://www.loc.gov/MARC21/slim}"
VOTE_TAGS = ("967", "968", "969")
VOTES = {"Y": "Y", "N": "N", "A": "A", None: "X", "": "X"}


def matches_bytes(head: bytes) -> bool:
    return b"<collection" in head or (b"<record" in head and b"MARC21" in head)


def _subfields(field: etree._Element) -> dict[str, str]:
    return {
        sf.get("code"): (sf.text or "").strip() for sf in field.iter(f"{MARC}subfield", "subfield")
    }


def _parse_date(text: str, path: Path, line: int) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise BadDataError(
        f"tag 269 date {text!r} is neither YYYY-MM-DD nor YYYYMMDD", path=str(path), line=line
    )


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    try:
        root = etree.fromstring(
            read_bytes(path), parser=etree.XMLParser(resolve_entities=False, huge_tree=True)
        )
    except etree.XMLSyntaxError as exc:
        raise BadDataError(
            f"not well-formed XML ({exc.msg}): truncated or not MARCXML",
            path=str(path),
            line=exc.lineno,
        ) from exc
    records = root.iter(f"{MARC}record", "record")
    calls: list[dict] = []
    votes: dict[str, list] = {"source_id": [], "code": [], "vote": [], "line": [], "date": []}
    seen: set[str] = set()
    for record in records:
        control = {
            f.get("tag"): (f.text or "").strip()
            for f in record.iter(f"{MARC}controlfield", "controlfield")
        }
        fields: dict[str, list[tuple[dict[str, str], int]]] = {}
        for field in record.iter(f"{MARC}datafield", "datafield"):
            fields.setdefault(field.get("tag"), []).append((_subfields(field), field.sourceline))
        line = record.sourceline
        record_id = control.get("001")
        if not record_id or not record_id.isdigit():
            raise BadDataError(
                "record without a numeric 001 control number", path=str(path), line=line
            )
        if record_id in seen:
            raise BadDataError(f"record {record_id} appears twice", path=str(path), line=line)
        seen.add(record_id)
        if "791" not in fields or not fields["791"][0][0].get("a"):
            raise BadDataError(
                f"record {record_id} has no 791 $a symbol", path=str(path), line=line
            )
        if "269" not in fields:
            raise BadDataError(f"record {record_id} has no 269 date", path=str(path), line=line)
        sub, sub_line = fields["269"][0]
        date = _parse_date(sub.get("a", ""), path, sub_line)
        tallies = fields.get("996", [({}, line)])[0][0]

        def tally(code: str, tallies: dict[str, str] = tallies, where: int = line) -> int | None:
            value = tallies.get(code)
            if value in (None, ""):
                return None
            if not value.isdigit():
                raise BadDataError(
                    f"996 ${code} tally {value!r} is not a number", path=str(path), line=where
                )
            return int(value)

        title = " ".join(
            part for part in (fields.get("245", [({}, 0)])[0][0].get(c, "") for c in "ab") if part
        )
        calls.append({
            "source": NAME, "source_id": record_id, "rcid": None, "undl_id": int(record_id),
            "symbol": tidy(fields["791"][0][0]["a"]), "date": date, "session": regular_session(date),
            "title": title.rstrip(" :/"), "kind": "resolution", "important": None,
            "yes": tally("b"), "no": tally("c"), "abstain": tally("d"), "non_voting": tally("e"),
            "topics": [], "subjects": [s.get("a", "") for s, _ in fields.get("650", []) if s.get("a")],
        })  # fmt: skip
        for tag in VOTE_TAGS:
            for sub, where in fields.get(tag, []):
                vote = sub.get("d")
                if vote not in VOTES:
                    raise BadDataError(
                        f"tag {tag} $d vote {vote!r} is not Y, N, A or empty",
                        path=str(path),
                        line=where,
                    )
                code = sub.get("c") or sub.get("e")
                if not code:
                    raise BadDataError(
                        f"tag {tag} names no Member State ($c, $e)", path=str(path), line=where
                    )
                votes["source_id"].append(record_id)
                votes["code"].append(code)
                votes["vote"].append(VOTES[vote])
                votes["line"].append(where)
                votes["date"].append(date)
    frame = pl.DataFrame(votes, schema={"source_id": pl.String, "code": pl.String, "vote": pl.String,
                                        "line": pl.Int64, "date": pl.Date})  # fmt: skip
    # $c is an ISO3 code; a record written without it still names the state in $e.
    is_code = frame["code"].str.contains(r"^[A-Z]{3}$")
    iso3 = pl.concat([
        crosswalk.resolve(frame.filter(is_code)["code"], "iso3", path=str(path),
                          dates=frame.filter(is_code)["date"], lines=frame.filter(is_code)["line"]),
        crosswalk.resolve(frame.filter(~is_code)["code"], "name", path=str(path),
                          dates=frame.filter(~is_code)["date"], lines=frame.filter(~is_code)["line"]),
    ])  # fmt: skip
    frame = pl.concat([frame.filter(is_code), frame.filter(~is_code)]).with_columns(
        iso3.alias("iso3")
    )
    dup = frame.filter(pl.struct("source_id", "iso3").is_duplicated()).sort("line")
    if not dup.is_empty():
        row = dup.row(0, named=True)
        raise BadDataError(
            f"record {row['source_id']} lists {row['iso3']} twice", path=str(path), line=row["line"]
        )
    roll_calls = pl.DataFrame(calls, schema=ROLL_CALL_SCHEMA).with_columns(
        tidy_title(pl.col("title"))
    )
    out_votes = frame.select(pl.lit(NAME).alias("source"), "source_id", "iso3", "vote")
    return SourceRows(NAME, str(path), roll_calls, out_votes.cast(VOTE_SCHEMA))  # type: ignore[arg-type]
