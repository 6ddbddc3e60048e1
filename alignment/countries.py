"""Country identity: every name and code a source uses, mapped to the ISO3 of the UN seat.

Two files in ``data/`` hold the facts (written by the project, not derived from any source):

- ``countries.csv``: one row per ISO3 with its UN membership dates, predecessors, successors.
- ``country_codes.csv``: every alias (scheme ``name``, ``cow``, ``iso2`` or ``iso3``) -> ISO3,
  optionally limited to a date range, for codes whose meaning changed (COW 345, ISO2 ``YU``).

Conventions (they decide which votes count as whose):

- Votes are keyed by the *seat*, following Voeten: USSR and Russian Federation are RUS,
  Byelorussian SSR BLR, Federal Republic of Germany DEU, Yemen Arab Republic YEM, Zaire COD,
  the FRY / Serbia and Montenegro SRB. Seats that ended keep their own code: YUG (SFRY, until
  GA res. 47/1 of 1992-09-22), CSK, DDR, YMD, and Zanzibar (XZN: no ISO code exists).
- China: until GA res. 2758 (1971-10-25) the China seat was held by the Republic of China.
  Voeten codes those votes as ccode 713 "Taiwan" (iso3c TWN), not 710 China, and so does
  unvotes ("Taiwan", TW). We follow that: the ROC's votes are TWN (member 1945-10-24 to
  1971-10-25) and CHN counts from 1971-10-26. Mixing the ROC's votes into the PRC's record
  would make "China" a US ally for 25 years. A source that writes "CHINA"/CHN for those
  years (the UN Digital Library names states as at the time of the vote) is resolved by date.
- Codes without an ISO 3166 code (pre-1945 states in the COW list, Kosovo, South Viet Nam,
  Zanzibar) use user-assigned codes from ISO's X range (XKX for Kosovo, as the EU does).
- All dates are inclusive: ``un_member_to`` and ``valid_to`` are the last day that holds.
  ``un_member_gaps`` lists periods without a seat inside the membership (``from/to``,
  inclusive, ``|``-separated): Syria within the United Arab Republic, 1958-02-21/1961-10-12.

Names are matched after :func:`normalise_name`; the CSV stores each normalised form once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import polars as pl

from alignment import resources
from alignment.errors import BadDataError, UniqueKeys, shorten
from alignment.spells import OPEN_END, active_on, join_active

COUNTRIES_FILE = "countries.csv"
CODES_FILE = "country_codes.csv"
SCHEMES = ("name", "cow", "iso2", "iso3")
# Far-future stand-in for an open end, so interval tests need no null handling.

# Apostrophes and quotes that sources type differently (the UN's CÔTE D’IVOIRE); U+0091/0092
# are what a Windows-1252 curly quote becomes when a file is decoded as Latin-1 (Voeten's
# ideal points file).
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u0091": "'",
        "\u0092": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u0093": '"',
        "\u0094": '"',
    }
)
_SPACES = re.compile(r"\s+")
_ISO = {"iso2": re.compile(r"^[A-Z]{2}$"), "iso3": re.compile(r"^[A-Z]{3}$")}
_COW = re.compile(r"^[0-9]+$")


def normalise_name(name: str) -> str:
    """The form names are matched in: NFKC, casefolded, straight quotes, single spaces."""
    # NFKC first so that compatibility forms (no-break spaces, ligatures) become plain text.
    text = unicodedata.normalize("NFKC", name).casefold().translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def _normalise_code(value: object, scheme: str) -> str | None:
    """One raw value as the key it is stored under in country_codes.csv; None if malformed."""
    if value is None:
        return None
    if scheme == "name":
        return normalise_name(str(value))
    if scheme == "cow":
        # COW codes arrive as integers, floats from a CSV cell ("345.0") or strings.
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else None
        text = str(value).strip()
        if text.endswith(".0"):
            text = text[:-2]
        return str(int(text)) if _COW.match(text) else None
    return str(value).strip().upper()


def _parse_date(text: str | None, *, path: str, line: int, column: str) -> dt.date | None:
    if text is None or text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadDataError(
            f"{column} {text!r} is not an ISO date (YYYY-MM-DD)", path=path, line=line
        ) from None


def _read_strings(path: Path) -> pl.DataFrame:
    """A project CSV with every column as text, so validation sees exactly what was written."""
    if not path.exists():
        raise BadDataError("file not found (it ships with the project)", path=path)
    head = pl.read_csv(path, n_rows=0)
    return pl.read_csv(path, schema_overrides={c: pl.String for c in head.columns})


def load_countries(path: Path | None = None) -> pl.DataFrame:
    """The countries table (data/countries.csv) with dates parsed and cow_code as an integer."""
    path = path or resources.data_file(COUNTRIES_FILE)
    raw = _read_strings(path)
    required = ["iso3", "name", "iso2", "cow_code", "un_member_from", "un_member_to"]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise BadDataError(f"missing columns {missing}", path=path, line=1)
    states = UniqueKeys("iso3", _ISO["iso3"], "is not three capital letters", path)
    for i, row in enumerate(raw.iter_rows(named=True)):
        line = i + 2
        iso3 = states.add(row["iso3"] or "", line)
        start = _parse_date(
            row["un_member_from"], path=str(path), line=line, column="un_member_from"
        )
        end = _parse_date(row["un_member_to"], path=str(path), line=line, column="un_member_to")
        if end is not None and (start is None or end < start):
            raise BadDataError(
                f"{iso3}: un_member_to {end} without an earlier un_member_from",
                path=path,
                line=line,
            )
        for gap in _split(row.get("un_member_gaps")):
            _parse_gap(gap, path=str(path), line=line)
    return raw.with_columns(
        pl.col("cow_code").cast(pl.Int64),
        pl.col("un_member_from").str.to_date("%Y-%m-%d"),
        pl.col("un_member_to").str.to_date("%Y-%m-%d"),
    )


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split("|") if part.strip()]


def _parse_gap(gap: str, *, path: str, line: int) -> tuple[dt.date, dt.date]:
    start_text, _, end_text = gap.partition("/")
    start = _parse_date(start_text, path=path, line=line, column="un_member_gaps")
    end = _parse_date(end_text, path=path, line=line, column="un_member_gaps")
    if start is None or end is None or end < start:
        raise BadDataError(
            f"un_member_gaps {gap!r} is not 'YYYY-MM-DD/YYYY-MM-DD'", path=path, line=line
        )
    return start, end


def _membership(countries: pl.DataFrame) -> pl.DataFrame:
    """Spells of UN membership (iso3, member_from, member_to; inclusive), gaps cut out."""
    spells: list[tuple[str, dt.date, dt.date]] = []
    gaps = countries.get_column("un_member_gaps") if "un_member_gaps" in countries.columns else None
    for i, row in enumerate(countries.select("iso3", "un_member_from", "un_member_to").iter_rows()):
        iso3, start, end = row
        if start is None:
            continue
        end = end or OPEN_END
        for gap in _split(gaps[i] if gaps is not None else None):
            gap_start, gap_end = _parse_gap(gap, path=COUNTRIES_FILE, line=i + 2)
            if gap_start > start:
                spells.append((iso3, start, gap_start - dt.timedelta(days=1)))
            start = gap_end + dt.timedelta(days=1)
        if start <= end:
            spells.append((iso3, start, end))
    return pl.DataFrame(
        spells,
        schema={"iso3": pl.String, "member_from": pl.Date, "member_to": pl.Date},
        orient="row",
    )


def _as_dates(dates: pl.Series) -> pl.Series:
    if dates.dtype == pl.Date:
        return dates
    if isinstance(dates.dtype, pl.Datetime):
        return dates.dt.date()
    if dates.dtype == pl.String:
        return dates.str.to_date("%Y-%m-%d", strict=False)
    raise TypeError(f"dates must be Date, Datetime or ISO strings, not {dates.dtype}")


class Crosswalk:
    """Names and codes of every source -> ISO3 of the UN seat, and UN membership by date."""

    def __init__(self, countries: pl.DataFrame, codes: pl.DataFrame) -> None:
        self.countries = countries
        # scheme, code, iso3, valid_from, valid_to (Date, inclusive, null = unbounded), note
        self.codes = codes
        self.membership = _membership(countries)
        # Codes valid at all times map through a dict; the few date-dependent ones (COW 345,
        # YU, China before 1971) need the date of each vote.
        self._static: dict[str, dict[str, str]] = {s: {} for s in SCHEMES}
        self._dated: dict[str, pl.DataFrame] = {}
        dated = codes.filter(
            pl.any_horizontal(pl.col("valid_from").is_not_null(), pl.col("valid_to").is_not_null())
            .any()
            .over("scheme", "code")
        )
        for scheme in SCHEMES:
            self._dated[scheme] = dated.filter(pl.col("scheme") == scheme).select(
                pl.col("code").alias("_key"),
                "iso3",
                pl.col("valid_from").fill_null(dt.date(1, 1, 1)),
                pl.col("valid_to").fill_null(OPEN_END),
            )
        dated_keys = set(zip(dated["scheme"], dated["code"], strict=True))
        for scheme, code, iso3 in codes.select("scheme", "code", "iso3").iter_rows():
            if (scheme, code) not in dated_keys:
                self._static[scheme][code] = iso3

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Crosswalk:
        """Read and check countries.csv and country_codes.csv (default: the repo's data/)."""
        data_dir = data_dir or resources.folder("data")
        countries = load_countries(data_dir / COUNTRIES_FILE)
        path = data_dir / CODES_FILE
        raw = _read_strings(path)
        for column in ("scheme", "code", "iso3", "valid_from", "valid_to"):
            if column not in raw.columns:
                raise BadDataError(f"missing column {column!r}", path=path, line=1)
        known = set(countries["iso3"])
        spans: dict[tuple[str, str], list[tuple[dt.date, dt.date, int]]] = {}
        for i, row in enumerate(raw.iter_rows(named=True)):
            line = i + 2
            scheme, code, iso3 = row["scheme"], row["code"] or "", row["iso3"]
            if scheme not in SCHEMES:
                raise BadDataError(
                    f"scheme {scheme!r} is not one of {SCHEMES}", path=path, line=line
                )
            # Codes are stored in normalised form so that lookups are exact matches.
            if _normalise_code(code, scheme) != code or not code:
                raise BadDataError(
                    f"{scheme} {code!r} is not in normalised form "
                    f"({_normalise_code(code, scheme)!r})",
                    path=path,
                    line=line,
                )
            if scheme in _ISO and not _ISO[scheme].match(code):
                raise BadDataError(f"{scheme} code {code!r} is malformed", path=path, line=line)
            if iso3 not in known:
                raise BadDataError(
                    f"{scheme} {code!r} maps to {iso3!r}, which is not in {COUNTRIES_FILE}",
                    path=path,
                    line=line,
                )
            start = _parse_date(row["valid_from"], path=str(path), line=line, column="valid_from")
            end = _parse_date(row["valid_to"], path=str(path), line=line, column="valid_to")
            start, end = start or dt.date(1, 1, 1), end or OPEN_END
            if end < start:
                raise BadDataError(f"valid_to before valid_from for {code!r}", path=path, line=line)
            for other_start, other_end, other_line in spans.get((scheme, code), []):
                if start <= other_end and other_start <= end:
                    raise BadDataError(
                        f"{scheme} {code!r} has overlapping mappings (also line {other_line}); "
                        "one value must mean one seat on any date",
                        path=path,
                        line=line,
                    )
            spans.setdefault((scheme, code), []).append((start, end, line))
        codes = raw.select(
            "scheme",
            "code",
            "iso3",
            pl.col("valid_from").str.to_date("%Y-%m-%d"),
            pl.col("valid_to").str.to_date("%Y-%m-%d"),
            pl.col("note") if "note" in raw.columns else pl.lit(None, pl.String).alias("note"),
        )
        return cls(countries, codes)

    def resolve(
        self,
        values: pl.Series,
        scheme: str,
        *,
        path: str,
        dates: pl.Series | None = None,
        lines: pl.Series | None = None,
    ) -> pl.Series:
        """ISO3 of each value (same length and order); BadDataError on anything unknown.

        ``dates`` (Date, Datetime or ISO strings) are needed only for date-dependent codes;
        ``lines`` give the line of each value in ``path`` for error messages (default: row
        index + 2, i.e. a CSV with a header).
        """
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
        if dates is not None and len(dates) != len(values):
            raise ValueError("dates must have one entry per value")
        if lines is not None and len(lines) != len(values):
            raise ValueError("lines must have one entry per value")

        def line_of(index: int) -> int:
            return int(lines[index]) if lines is not None else index + 2

        def fail(index: int, message: str) -> BadDataError:
            return BadDataError(message, path=path, line=line_of(index))

        if values.null_count():
            first = int(values.is_null().arg_true()[0])
            raise fail(first, f"empty {scheme} where a state was expected")

        # Map each distinct value once (a few hundred), then broadcast: ~1M values stay fast.
        distinct = values.unique(maintain_order=True).to_list()
        static = self._static[scheme]
        dated_table = self._dated[scheme]
        dated_keys = set(dated_table["_key"])
        mapped: list[str | None] = []
        keys: list[str | None] = []
        unknown: list[object] = []
        for value in distinct:
            key = _normalise_code(value, scheme)
            keys.append(key)
            if key in static:
                mapped.append(static[key])
            elif key in dated_keys:
                mapped.append(None)
            else:
                mapped.append(None)
                unknown.append(value)
        if unknown:
            first = int(
                values.is_in(pl.Series(unknown, dtype=values.dtype).implode()).arg_true()[0]
            )
            value = values[first]
            others = f" (and {len(unknown) - 1} other unknown values)" if len(unknown) > 1 else ""
            raise fail(
                first,
                f"unknown {scheme} {shorten(value)} (normalised "
                f"{shorten(_normalise_code(value, scheme))})"
                f"{others}: add it to data/{CODES_FILE} with the ISO3 of its UN seat",
            )
        result = values.replace_strict(distinct, mapped, default=None, return_dtype=pl.String)
        if result.null_count() == 0:
            return result.alias("iso3")

        # Date-dependent values: only their rows are joined with the dated mappings.
        rows = result.is_null().arg_true()
        if dates is None:
            first = int(rows[0])
            raise fail(
                first,
                f"{scheme} {values[first]!r} means different states at different dates; "
                "pass the vote dates to resolve it",
            )
        when = _as_dates(dates)
        pending = pl.DataFrame(
            {
                "_row": rows,
                "_key": values.gather(rows).replace_strict(
                    distinct, keys, default=None, return_dtype=pl.String
                ),
                "_date": when.gather(rows),
            }
        )
        undated = pending.filter(pl.col("_date").is_null())
        if not undated.is_empty():
            first = int(undated["_row"][0])
            raise fail(first, f"{scheme} {values[first]!r} needs a date, and the date is missing")
        found = (
            pending.join(dated_table, on="_key", how="inner")
            .filter(active_on(pl.col("_date"), first="valid_from", last="valid_to"))
            .select("_row", "iso3")
        )
        if found.height < pending.height:
            lost = pending.join(found, on="_row", how="anti").sort("_row").row(0, named=True)
            raise fail(
                lost["_row"],
                f"{scheme} {values[lost['_row']]!r} stands for no UN seat on {lost['_date']}: "
                f"check the date, or add a mapping valid then to data/{CODES_FILE}",
            )
        return result.scatter(found["_row"], found["iso3"]).alias("iso3")

    def un_members(self, on: dt.date) -> set[str]:
        """ISO3 of the states holding a UN seat on one day."""
        spells = self.membership.filter(active_on(on, first="member_from", last="member_to"))
        return set(spells["iso3"])

    def members_on(self, dates: pl.Series | pl.DataFrame, *, column: str = "date") -> pl.DataFrame:
        """For each distinct date, one row per UN member that day: columns ``column``, iso3.

        Used to mark as absent (X) the members a source leaves out; join it with the votes on
        the date and anti-join on (roll call, iso3).
        """
        series = dates.get_column(column) if isinstance(dates, pl.DataFrame) else dates
        days = pl.DataFrame({column: _as_dates(series).unique().drop_nulls()})
        if days.is_empty():
            return pl.DataFrame(schema={column: pl.Date, "iso3": pl.String})
        joined = join_active(
            days, self.membership, day=column, first="member_from", last="member_to"
        )
        return joined.select(column, "iso3").sort(column, "iso3")
