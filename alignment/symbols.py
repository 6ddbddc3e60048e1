"""Official UN symbols for resolutions, from the forms the sources write.

Roll calls are matched across sources on the official symbol (and the date), so every reader
turns its own form into the one the UN Digital Library uses:

- sessions 1-30 numbered resolutions consecutively and put the session in roman numerals:
  Voeten's ``R/1/66`` is ``A/RES/66(I)``; special and emergency special sessions of that era
  read ``A/RES/1001(ES-I)`` and ``A/RES/3201(S-VI)``;
- from session 31 on: ``A/RES/66/253``, ``A/RES/ES-10/19``, ``A/RES/S-32/1``;
- parts keep their letter after a space: ``A/RES/66/253 B``; Voeten's sub-parts (``R/50/38B/IV``)
  keep their roman numeral after the letter: ``A/RES/50/38 B IV``.
"""

from __future__ import annotations

import re

_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip

# Sessions up to 30 numbered resolutions across sessions: 3541 was the last of session 30.
LAST_ROMAN_SESSION = 30


def roman(number: int) -> str:
    """Roman numeral of a positive integer (session numbers)."""
    if number <= 0:
        raise ValueError(f"no roman numeral for {number}")
    out = []
    for value, letters in _ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


# R/66/253, R/66/253B, R/1/1287/A, R/50/38B/IV, R/16/2/1069B, ESS/2/79/D, SS/4/23C, GOAR/1/1288B
_VOETEN = re.compile(
    r"^(?P<kind>R|ESS|SS|GOAR)/(?P<session>\d+)/(?:\d+/)?(?P<number>\d+)"
    r"\s*(?P<part>[A-Z]{1,2})?(?:/(?P<sub>[A-Z]+))?$"
)
# R/6444A (a slash lost between session and number), R/10 65 (a space for the slash)
_VOETEN_RUN_ON = re.compile(r"^R/(?P<rest>\d+)\s*(?P<part>[A-Z])?$")
_VOETEN_SPACE = re.compile(r"^R/(?P<session>\d+) (?P<number>\d+)$")


def _official(kind: str, session: int, number: int, part: str | None, sub: str | None) -> str:
    if kind in ("R", "GOAR"):
        base = (
            f"A/RES/{number}({roman(session)})"
            if session <= LAST_ROMAN_SESSION
            else f"A/RES/{session}/{number}"
        )
    else:
        # Voeten numbers special/emergency special sessions from 1 within their own series.
        prefix = "ES" if kind == "ESS" else "S"
        base = (
            f"A/RES/{number}({prefix}-{roman(session)})"
            if number > 100
            else f"A/RES/{prefix}-{session}/{number}"
        )
    for extra in (part, sub):
        if extra:
            base += f" {extra}"
    return base


def from_voeten(unres: str | None, session: int | None = None) -> str | None:
    """Official symbol of a Voeten/unvotes ``unres`` value; None when it carries no symbol.

    ``session`` is the regular session of the roll call; it only matters for the few run-on
    forms such as ``R/6444A``. Forms already official (``A/RES/71/5``) are tidied and kept.
    """
    if unres is None:
        return None
    text = unres.strip()
    if not text:
        return None
    if text.startswith("A/RES/"):
        return tidy(text)
    match = _VOETEN.match(text)
    if match:
        return _official(
            match["kind"], int(match["session"]), int(match["number"]), match["part"], match["sub"]
        )
    match = _VOETEN_SPACE.match(text)
    if match:
        return _official("R", int(match["session"]), int(match["number"]), None, None)
    match = _VOETEN_RUN_ON.match(text)
    if match and session is not None and match["rest"].startswith(str(session)):
        number = int(match["rest"][len(str(session)) :])
        return _official("R", session, number, match["part"], None)
    if text.startswith("SS/"):  # "SS/5": a special session without a resolution number
        return None
    return None


def tidy(symbol: str) -> str:
    """Normalise spacing of an official symbol: ``A/RES/66/253B`` -> ``A/RES/66/253 B``."""
    text = " ".join(symbol.replace("\u00a0", " ").split())
    text = re.sub(r"^(A/RES/(?:(?:ES|S)-)?\d+/\d+)([A-Z]{1,2})$", r"\1 \2", text)
    text = re.sub(r"\s*\(\s*", "(", text)
    return text


# --- what a symbol says: its series, its number, its part ---------------------------------------

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# A/RES/66/253 B, A/RES/ES-11/4, A/RES/S-32/1 (parts: a letter or a range such as "A-C")
_MODERN = re.compile(
    r"^A/RES/(?:(?P<prefix>ES|S)-)?(?P<session>\d+)/(?P<number>\d+)(?:\s+(?P<part>\S.*))?$"
)
# A/RES/66(I), A/RES/1001(ES-I) B, A/RES/3201(S-VI)
_OLD = re.compile(
    r"^A/RES/(?P<number>\d+)\((?:(?P<prefix>ES|S)-)?(?P<roman>[IVXLC]+)\)(?:\s+(?P<part>\S.*))?$"
)
SERIES_KINDS = {"": "regular", "ES": "emergency special", "S": "special"}
# The order series are listed in, as SQL for ORDER BY: regular, emergency special, special.
SERIES_ORDER_SQL = (
    "CASE series_kind "
    + " ".join(f"WHEN '{kind}' THEN {i}" for i, kind in enumerate(SERIES_KINDS.values()))
    + " END"
)


def from_roman(text: str) -> int:
    """The number of a roman numeral (``XXX`` -> 30, ``IV`` -> 4)."""
    values = [_ROMAN_VALUES[c] for c in text]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def series(symbol: str | None) -> str | None:
    """The session series a resolution belongs to, written as in modern symbols: ``78`` for
    a regular session, ``ES-11`` for an emergency special session, ``S-32`` for a special
    session (``A/RES/997(ES-I)`` is in ``ES-1``, ``A/RES/66(I)`` in ``1``); None for a
    symbol of no known form."""
    parsed = parse(symbol)
    return None if parsed is None else parsed[0]


def parse(symbol: str | None) -> tuple[str, int, str | None] | None:
    """(series, resolution number, part) of an official symbol, or None.

    The number is the resolution's number within its series (from session 31) or in the
    Assembly's consecutive numbering of sessions 1-30; the part is the letter (``B``) or
    range (``A-C``) after the number, None without one."""
    if not symbol:
        return None
    match = _MODERN.match(symbol)
    if match:
        prefix = match["prefix"]
        name = f"{prefix}-{match['session']}" if prefix else match["session"]
        return name, int(match["number"]), match["part"]
    match = _OLD.match(symbol)
    if match:
        prefix = match["prefix"]
        session = from_roman(match["roman"])
        name = f"{prefix}-{session}" if prefix else str(session)
        return name, int(match["number"]), match["part"]
    return None


def base(symbol: str) -> str:
    """The symbol without its part: ``A/RES/66/253 A`` -> ``A/RES/66/253`` (parts are separate
    resolutions; a source that writes none may still mean part A)."""
    parsed = parse(symbol)
    if parsed is None or parsed[2] is None:
        return symbol
    return symbol[: len(symbol) - len(parsed[2])].rstrip()
