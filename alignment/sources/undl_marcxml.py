"""UN Digital Library voting records as MARCXML (``/record/<id>/export/xm``, search ``of=xm``).

One ``<record>`` per resolution: 001 record number, 791 $a symbol, 269 $a date (``YYYY-MM-DD``
or ``YYYYMMDD``), 245 title, 650 $a subjects, 991 $c agenda item titles, 996 tallies ($b yes, $c no, $d abstain,
$e non-voting), and one datafield per Member State in tags 967, 968 or 969 ($c ISO3 code,
$d vote Y/N/A, missing $d = non-voting, $e name).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
from lxml import etree

from alignment.countries import Crosswalk
from alignment.errors import BadDataError, UniqueKeys, shorten
from alignment.sessions import regular_session
from alignment.sources._text import check_field, read_bytes
from alignment.sources._values import TALLY_TEXT, date_bounds_text, date_ok, tally
from alignment.sources.reader import Sample
from alignment.sources.rows import ROLL_CALL_SCHEMA, VOTE_SCHEMA, SourceRows
from alignment.symbols import tidy
from alignment.titles import tidy_title

NAME = "undl_marcxml"
MARC = "{http://www.loc.gov/MARC21/slim}"
VOTE_TAGS = ("967", "968", "969")
VOTES = {"Y": "Y", "N": "N", "A": "A", None: "X", "": "X"}
# Tags whose subfields the reader takes as data: a code given twice with two values is a
# conflict there (which one is the vote?); other tags may repeat codes as MARC allows.
STRICT_TAGS = {*VOTE_TAGS, "269", "791", "996"}
RECORD_ID = re.compile(r"[0-9]{1,18}")  # fits the store's BIGINT

# libxml2's own limits stay on (no huge_tree: a text node over 10 MB is refused); entities are
# never expanded and, below, a document type is refused outright, so that no value can come
# from an entity (a vote written as &v; would otherwise read as empty, i.e. X).
_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False)


def recognises(sample: Sample) -> bool:
    """Any .xml file: the reader says what is wrong with one that is no MARCXML."""
    return sample.path.name.endswith(".xml")


def _subfields(field: etree._Element, path: Path) -> dict[str, str]:
    """Each subfield's plain text by code; markup or an entity inside a value is refused."""
    tag = str(field.get("tag"))[:8]
    out: dict[str, str] = {}
    for sf in field.iter(f"{MARC}subfield", "subfield"):
        code = str(sf.get("code"))[:8]
        if len(sf):  # a child element, comment or entity reference: the text is not the value
            markup = etree.tostring(sf[0], with_tail=False).decode("utf-8", errors="replace")
            raise BadDataError(
                f"tag {tag} ${code} holds markup {shorten(markup)} inside its value, not plain "
                "text; use the Library's own export",
                path=path,
                line=sf.sourceline,
            )
        text = check_field((sf.text or "").strip(), path, sf.sourceline, f"tag {tag} ${code}")
        if tag in STRICT_TAGS and out.get(code, text) != text:
            raise BadDataError(
                f"tag {tag} has ${code} twice with different values ({shorten(out[code])}, "
                f"{shorten(text)}); keep the correct one",
                path=path,
                line=sf.sourceline,
            )
        out[code] = text
    return out


def _parse_date(text: str, path: Path, line: int) -> dt.date:
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            date = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not date_ok(date):
            raise BadDataError(
                f"tag 269 date {shorten(text)} is impossible for the General Assembly: dates "
                f"are {date_bounds_text()}",
                path=path,
                line=line,
            )
        return date
    raise BadDataError(
        f"tag 269 date {shorten(text)} is neither YYYY-MM-DD nor YYYYMMDD",
        path=path,
        line=line,
    )


def _doctype_refused(doctype: str, path: Path) -> BadDataError:
    return BadDataError(
        f"declares a document type {shorten(doctype)}: MARCXML has none, and values written "
        "through entities are refused; use the Library's own export",
        path=path,
        line=1,
    )


def _parse(path: Path) -> etree._Element:
    data = read_bytes(path)
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(**_PARSER))
    except etree.XMLSyntaxError as exc:
        start = data.find(b"<!DOCTYPE")
        if start >= 0:  # libxml2 may stop in the declarations first (billion laughs)
            raise _doctype_refused(data[start:].decode("utf-8", "replace"), path) from exc
        if "limit" in exc.msg.lower():  # libxml2's resource limits (XML_PARSE_HUGE not set)
            what = (
                f"a value or nesting over the XML parser's limits ({exc.msg.split(',')[0]}): "
                "damaged, or not the Library's export"
            )
        else:
            what = f"not well-formed XML ({shorten(exc.msg, 200)}): truncated or not MARCXML"
        raise BadDataError(what, path=path, line=exc.lineno) from exc
    doctype = root.getroottree().docinfo.doctype
    if doctype:
        raise _doctype_refused(doctype, path)
    return root


def read(path: Path, crosswalk: Crosswalk) -> SourceRows:
    root = _parse(path)
    records = root.iter(f"{MARC}record", "record")
    calls: list[dict] = []
    votes: dict[str, list] = {"source_id": [], "code": [], "vote": [], "line": [], "date": []}
    ids = UniqueKeys("record", RECORD_ID, "has no numeric 001 control number", path)
    for record in records:
        control = {
            f.get("tag"): (f.text or "").strip()
            for f in record.iter(f"{MARC}controlfield", "controlfield")
        }
        fields: dict[str, list[tuple[dict[str, str], int]]] = {}
        for field in record.iter(f"{MARC}datafield", "datafield"):
            fields.setdefault(field.get("tag"), []).append(
                (_subfields(field, path), field.sourceline)
            )
        line = record.sourceline
        record_id = ids.add(control.get("001", ""), line)
        if "791" not in fields or not fields["791"][0][0].get("a"):
            raise BadDataError(f"record {record_id} has no 791 $a symbol", path=path, line=line)
        if "269" not in fields:
            raise BadDataError(f"record {record_id} has no 269 date", path=path, line=line)
        (sub, sub_line), *more = fields["269"]
        date = _parse_date(sub.get("a", ""), path, sub_line)
        for sub, where in more:
            if (other := _parse_date(sub.get("a", ""), path, where)) != date:
                raise BadDataError(
                    f"record {record_id} has two 269 dates ({date} on line {sub_line}, {other}); "
                    "one record has one date: keep the correct one",
                    path=path,
                    line=where,
                )
        tallies, tally_line = fields.get("996", [({}, line)])[0]

        def count(
            code: str, tallies: dict[str, str] = tallies, where: int = tally_line
        ) -> int | None:
            value = tallies.get(code)
            if value in (None, ""):
                return None
            number = tally(value)
            if number is None:
                raise BadDataError(
                    f"996 ${code} tally {shorten(value)} is not {TALLY_TEXT}",
                    path=path,
                    line=where,
                )
            return number

        title = " ".join(
            part for part in (fields.get("245", [({}, 0)])[0][0].get(c, "") for c in "ab") if part
        )
        calls.append({
            "source": NAME, "source_id": record_id, "rcid": None, "undl_id": int(record_id),
            "symbol": tidy(fields["791"][0][0]["a"]), "date": date, "session": regular_session(date),
            "title": title.rstrip(" :/"), "kind": "resolution", "important": None,
            "yes": count("b"), "no": count("c"), "abstain": count("d"), "non_voting": count("e"),
            "topics": [], "subjects": [s.get("a", "") for s, _ in fields.get("650", []) if s.get("a")],
            "agenda": [s["c"].rstrip(" .") for s, _ in fields.get("991", []) if s.get("c")],
        })  # fmt: skip
        for tag in VOTE_TAGS:
            for sub, where in fields.get(tag, []):
                vote = sub.get("d")
                if vote not in VOTES:
                    raise BadDataError(
                        f"tag {tag} $d vote {shorten(vote)} is not Y, N, A or empty",
                        path=path,
                        line=where,
                    )
                code = sub.get("c") or sub.get("e")
                if not code:
                    raise BadDataError(
                        f"tag {tag} names no Member State ($c, $e)", path=path, line=where
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
            f"record {row['source_id']} lists {row['iso3']} twice", path=path, line=row["line"]
        )
    roll_calls = pl.DataFrame(calls, schema=ROLL_CALL_SCHEMA).with_columns(
        tidy_title(pl.col("title"))
    )
    out_votes = frame.select(pl.lit(NAME).alias("source"), "source_id", "iso3", "vote")
    return SourceRows(NAME, str(path), roll_calls, out_votes.cast(VOTE_SCHEMA))  # type: ignore[arg-type]
