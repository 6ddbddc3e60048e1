"""The UN's address book: which files make the store, where each is published, and the plan
of one refresh. The mechanics of fetching a file are ``alignment.download``.

Sources and their addresses (:class:`Upstream`)
-----------------------------------------------
- UN Digital Library (UN DL), record 4060887, "General Assembly Voting Data". The file list is
  ``https://digitallibrary.un.org/api/v1/file?recid=4060887`` (JSON ``[{name, url, format}]``);
  the bulk CSV is the newest ``YYYY_M_D_ga_voting.csv`` by its date prefix (month and day are
  not always zero-padded, so the date is parsed, never compared as text), downloaded from
  ``https://digitallibrary.un.org/record/4060887/files/<name>``.
- UNxml (UN DGACM): one JSON-lines file per session,
  ``https://raw.githubusercontent.com/UNxml/GAresolutions/main/data_extract/<session>.json``
  (``74`` ... current, ``ES-10``, ``ES-11``, ``S-32``; the caller passes the list). A 404 for a
  session is not an error: the session has no file yet; it is logged and skipped.
- History (Voeten's files and the ``unvotes`` tables). Their Harvard Dataverse file-access
  addresses are not known here, so there is no internet default: history comes from a mirror
  (``Upstream.history``, or all of ``--mirror``) laid out like ``../shared/data``, or is skipped.

Mirrors (``--mirror URL|DIR``)
------------------------------
A mirror is an ``http(s)://`` base URL, a ``file://`` URL or a local directory, laid out exactly
like ``../shared/data``::

    voeten/completeVotes_1946-2015.csv.gz, voeten/COW_country_codes.csv, voeten/Matches.csv,
    voeten/ideal_points/IdealpointestimatesAll_Apr2020.csv
    unvotes/unvotes.csv.gz, unvotes/roll_calls.csv.gz, unvotes/issues.csv.gz
    undl/<bulk csv>, undl/marcxml/<id>.xml, optional undl/files.json
    unxml/data_extract/<session>.json

A mirror has no file-list API. If it has ``undl/files.json`` (same JSON shape as the UN DL API,
names relative to ``undl/``) that list is used; otherwise a local mirror is searched for
``undl/*_ga_voting.csv`` (newest date wins), and failing that (or for an HTTP mirror) the known
file names :data:`MIRROR_UNDL_FALLBACK` are used. MARCXML records (``undl/marcxml/*.xml``) are
taken from a local mirror by listing, and from an HTTP mirror only when ``files.json`` names them.

The download directory is itself laid out as a mirror (``dest_dir/undl/...``), so a cache
directory can later be passed as ``--mirror``.

"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from alignment.download import (
    DEFAULT_TIMEOUT,
    Expected,
    FetchResult,
    Retry,
    client_scope,
    fetch,
    local_path,
)
from alignment.errors import BadDataError, shorten
from alignment.sessions import current_session
from alignment.sources._text import MAX_FILE_BYTES

LOG = logging.getLogger("alignment.upstream")

UNDL_BASE = "https://digitallibrary.un.org"
UNDL_RECID = 4060887
UNXML_BASE = "https://raw.githubusercontent.com/UNxml/GAresolutions/main/data_extract"

# Relative paths of the history files in the mirror layout (no public default address).
VOETEN_FILES: tuple[str, ...] = (
    "voeten/completeVotes_1946-2015.csv.gz",
    "voeten/COW_country_codes.csv",
    "voeten/Matches.csv",
    "voeten/ideal_points/IdealpointestimatesAll_Apr2020.csv",
)
UNVOTES_FILES: tuple[str, ...] = (
    "unvotes/unvotes.csv.gz",
    "unvotes/roll_calls.csv.gz",
    "unvotes/issues.csv.gz",
)
# Bulk CSV names looked for in a mirror that has no undl/files.json (the shared data folder).
MIRROR_UNDL_FALLBACK: tuple[str, ...] = ("ga_voting_excerpt_2026-02-06_layout.csv",)
MIRROR_UNDL_LIST = "undl/files.json"

# Special and emergency special sessions with resolutions after the bulk file's coverage.
EXTRA_SESSIONS: tuple[str, ...] = ("ES-10", "ES-11", "S-32")
FIRST_UNXML_SESSION = 74

# The UN DL file list (or a mirror's undl/files.json): fetched to name the bulk file, its fetch
# state kept, but no data: its changes alone call for no build.
LIST_SOURCE = "undl_list"

# Size caps of a file of each source: generous multiples of today's sizes, small enough to stop
# a runaway response.
MiB = 1024 * 1024
MAX_BYTES: dict[str, int] = {
    LIST_SOURCE: 8 * MiB,
    "undl": MAX_FILE_BYTES,  # the bulk CSV: about 360 MB in 2026; the readers' cap on one file
    "marcxml": 16 * MiB,
    "unxml": 128 * MiB,  # a few MB per session
    "voeten": 512 * MiB,
    "unvotes": 512 * MiB,
}

_BULK_RE = re.compile(r"^(\d{4})_(\d{1,2})_(\d{1,2})_ga_voting\.csv$", re.IGNORECASE)


@dataclass(frozen=True)
class Item:
    """One file the refresh wants: where it comes from and where it goes; what it must hold and
    how large it may be follow from its source and name."""

    source: str  # reader name: "undl", "marcxml", "unxml", "voeten", "unvotes", or LIST_SOURCE
    url: str
    name: str  # path under dest_dir, in the mirror layout
    optional: bool = False  # a 404 means "absent", not an error

    @property
    def is_data(self) -> bool:
        return is_data(self.source)

    @property
    def expected(self) -> Expected:
        """UNxml's .json files hold JSON lines; any other file is what its name ends in."""
        return "jsonl" if self.source == "unxml" else _expected_for(self.name)

    @property
    def max_bytes(self) -> int:
        return MAX_BYTES[self.source]


def is_data(source: str | None) -> bool:
    """Whether files of ``source`` hold data (everything but the UN DL file list)."""
    return source != LIST_SOURCE


@dataclass(frozen=True)
class Upstream:
    """Addresses of the sources. ``mirror`` replaces all of them with one mirror layout."""

    undl_base: str = UNDL_BASE
    undl_recid: int = UNDL_RECID
    unxml_base: str = UNXML_BASE
    history: str | None = None  # mirror base for voeten/ and unvotes/; None = skip history
    mirror: str | None = None

    @classmethod
    def from_mirror(cls, mirror: str | os.PathLike[str]) -> Upstream:
        """Every source from one mirror (URL, file:// URL or directory)."""
        base = os.fspath(mirror).rstrip("/")
        return cls(
            undl_base=_join(base, "undl"),
            unxml_base=_join(base, "unxml/data_extract"),
            history=base,
            mirror=base,
        )

    def undl_list_url(self) -> str:
        if self.mirror is not None:
            return _join(self.mirror, MIRROR_UNDL_LIST)
        return f"{self.undl_base}/api/v1/file?recid={self.undl_recid}"

    def undl_file_url(self, name: str) -> str:
        if self.mirror is not None:
            return _join(self.undl_base, name)
        return f"{self.undl_base}/record/{self.undl_recid}/files/{urllib.parse.quote(name)}"

    def unxml_url(self, session: str) -> str:
        return _join(self.unxml_base, f"{session}.json")

    def history_items(self) -> list[Item]:
        if self.history is None:
            return []
        return [
            Item(source=rel.split("/", 1)[0], url=_join(self.history, rel), name=rel)
            for rel in (*VOETEN_FILES, *UNVOTES_FILES)
        ]


def default_sessions(today: dt.date | None = None) -> list[str]:
    """UNxml session names after the bulk file's base coverage, plus the next one (may 404)."""
    last = current_session(today) + 1  # the next session's file appears on opening day
    return [str(s) for s in range(FIRST_UNXML_SESSION, last + 1)] + list(EXTRA_SESSIONS)


def bulk_date(name: str) -> dt.date | None:
    """Date of a bulk file name ``YYYY_M_D_ga_voting.csv``; None for any other name."""
    m = _BULK_RE.match(name)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def select_newest_bulk(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The entry of the file list whose name carries the latest date (not the latest text)."""
    dated = [(d, str(e.get("name"))) for e in entries if (d := bulk_date(str(e.get("name", ""))))]
    if not dated:
        return None
    _, best = max(dated)
    return next(e for e in entries if str(e.get("name")) == best)


def parse_file_list(data: bytes, url: str) -> list[Mapping[str, Any]]:
    """The ``[{name, url, format}]`` list of the UN DL API (or a mirror's files.json)."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise BadDataError(
            f"the file list from {url} is not valid JSON ({exc}); try later or use --mirror"
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("files"), list):
        doc = doc["files"]  # tolerate a wrapped list
    if not isinstance(doc, list) or not all(isinstance(e, dict) and "name" in e for e in doc):
        raise BadDataError(
            f"the file list from {url} is not a list of {{name, url, format}}; "
            "the API may have changed: check Upstream or use --mirror"
        )
    for entry in doc:
        # A name is a file of the record (or of the mirror's undl/ folder): never an address
        # of its own, an absolute path or a way out of the folder.
        name = entry["name"]
        if (
            not isinstance(name, str)
            or not name
            or "://" in name
            or name.startswith(("/", "\\"))
            or ".." in name.replace("\\", "/").split("/")
        ):
            raise BadDataError(
                f"the file list from {url} names {shorten(name)}, not a file of the record; "
                "the list is damaged or hostile: check it, or use --mirror"
            )
    return doc


@dataclass(frozen=True)
class Plan:
    """The files to fetch, and the UN DL file list already fetched to name the bulk CSV."""

    listing: tuple[Item, FetchResult]
    items: list[Item]


@dataclass(frozen=True)
class Fetched:
    """What one pass over upstream fetched: every file with its result, the file list first."""

    results: list[tuple[Item, FetchResult]]

    @property
    def data(self) -> list[tuple[Item, FetchResult]]:
        """The files that hold data (every one but the file list)."""
        return [(item, res) for item, res in self.results if item.is_data]


def list_item(upstream: Upstream) -> Item:
    """The UN DL file list as a file to fetch (a mirror may have none: then it is absent)."""
    return Item(
        source=LIST_SOURCE, url=upstream.undl_list_url(), name=MIRROR_UNDL_LIST,
        optional=upstream.mirror is not None,
    )  # fmt: skip


def fetch_item(
    item: Item,
    dest_dir: str | os.PathLike[str],
    *,
    state: Mapping[str, Any],
    need_file: bool,
    client: httpx.Client | None = None,
    retry: Retry | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
) -> FetchResult:
    """One planned file fetched into ``dest_dir`` (``download.fetch`` with the item's checks)."""
    return fetch(
        item.url, dest_dir, state=state, expected=item.expected, max_bytes=item.max_bytes,
        name=item.name, missing_ok=item.optional, need_file=need_file, client=client,
        retry=retry, timeout=timeout,
    )  # fmt: skip


def plan(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    sessions: Sequence[str],
    states: Mapping[str, Mapping[str, Any]] | None = None,
    client: httpx.Client | None = None,
    retry: Retry | None = None,
) -> Plan:
    """The files to fetch. Reads the UN DL file list (one small request) to name the bulk CSV;
    its result is kept, so that the caller can persist its state too (the list is then
    fetched conditionally next time)."""
    states = states or {}
    listing, undl = _undl_items(upstream, dest_dir, states=states, client=client, retry=retry)
    items: list[Item] = [*upstream.history_items(), *undl]
    for session in sessions:
        name = f"unxml/data_extract/{session}.json"
        items.append(Item("unxml", upstream.unxml_url(session), name, optional=True))
    return Plan(listing, items)


def fetch_all(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    sessions: Sequence[str],
    states: Mapping[str, Mapping[str, Any]] | None = None,
    client: httpx.Client | None = None,
    need_files: bool = False,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    retry: Retry | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Fetched:
    """Plan, then fetch every item in turn (one at a time: the UN site throttles eager clients).

    ``states`` maps URL -> the ``FetchResult.state`` saved by the last successful refresh.
    ``progress(done, total, name)`` is called before each file and once at the end.
    Any failure raises; nothing is half-renamed, and the caller's states are not modified.
    """
    states = states or {}
    with client_scope(client, timeout) as c:
        planned = plan(upstream, dest_dir, sessions=sessions, states=states, client=c, retry=retry)
        items = planned.items
        LOG.info("plan: %d files to check", len(items))
        out = [planned.listing]
        for done, item in enumerate(items):
            if progress is not None:
                progress(done, len(items), item.name)
            state = states.get(item.url, {})
            out.append(
                (
                    item,
                    fetch_item(
                        item, dest_dir, state=state, need_file=need_files, client=c, retry=retry
                    ),
                )
            )
        if progress is not None:
            progress(len(items), len(items), "")
        return Fetched(out)


# --- UN DL bulk file ----------------------------------------------------------------------------


def _undl_items(
    upstream: Upstream,
    dest_dir: str | os.PathLike[str],
    *,
    states: Mapping[str, Mapping[str, Any]],
    client: httpx.Client | None,
    retry: Retry | None,
) -> tuple[tuple[Item, FetchResult], list[Item]]:
    """The file list fetched, and the UN DL files it names: the newest bulk CSV (and, from a
    mirror, its MARCXML records)."""
    item = list_item(upstream)
    list_url = item.url
    # The list's content is needed even when unchanged.
    listing = fetch_item(
        item, dest_dir, state=states.get(list_url, {}), need_file=True, client=client, retry=retry
    )
    entries: list[Mapping[str, Any]] = []
    if listing.path is not None:
        entries = parse_file_list(listing.path.read_bytes(), list_url)
    items: list[Item] = []
    bulk = select_newest_bulk(entries) if entries else None
    bulk_name = str(bulk["name"]) if bulk else None
    local = local_path(upstream.undl_base) if upstream.mirror is not None else None
    if bulk_name is None and upstream.mirror is not None:
        bulk_name = _mirror_bulk_name(local)
    if bulk_name is None:
        raise BadDataError(
            f"no *_ga_voting.csv file in the list at {list_url}; "
            "the record may have changed: check it in a browser or use --mirror"
        )
    items.append(Item("undl", upstream.undl_file_url(bulk_name), f"undl/{bulk_name}"))
    if upstream.mirror is not None:
        xml_names = sorted(str(e["name"]) for e in entries if str(e["name"]).endswith(".xml"))
        if not entries and local is not None and (local / "marcxml").is_dir():
            xml_names = sorted(f"marcxml/{p.name}" for p in (local / "marcxml").glob("*.xml"))
        items.extend(Item("marcxml", upstream.undl_file_url(n), f"undl/{n}") for n in xml_names)
    return (item, listing), items


def _mirror_bulk_name(local: Path | None) -> str:
    """Bulk CSV of a mirror without files.json: newest dated file, else the known names."""
    if local is not None and local.is_dir():
        entries = [{"name": p.name} for p in local.glob("*_ga_voting.csv")]
        newest = select_newest_bulk(entries)
        if newest is not None:
            return str(newest["name"])
        for known in MIRROR_UNDL_FALLBACK:
            if (local / known).is_file():
                return known
    return MIRROR_UNDL_FALLBACK[0]


def _expected_for(name: str) -> Expected:
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".xml"):
        return "xml"
    if name.endswith(".json"):
        return "json"
    return "csv"


def _join(base: str, rel: str) -> str:
    return f"{base.rstrip('/')}/{rel.lstrip('/')}"
