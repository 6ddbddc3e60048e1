"""Addresses of the UN's own pages about a vote: the Digital Library's voting record and the
official document of a symbol. Reports, digests and feeds link a vote through these."""

from __future__ import annotations

from urllib.parse import quote

UN_RECORD = "https://digitallibrary.un.org/record/{}"
# The UN's short address of an official document by its symbol (it opens the document in the
# Official Document System).
UN_DOCUMENT = "https://undocs.org/{}"


def record_url(undl_id: int | None) -> str | None:
    """The vote's record in the UN Digital Library, when the store knows its id."""
    return None if undl_id is None else UN_RECORD.format(int(undl_id))


def document_url(symbol: str | None) -> str | None:
    """The official document of a symbol (``A/RES/80/224``); None without one."""
    return None if not symbol else UN_DOCUMENT.format(quote(symbol, safe="/()-"))


def vote_url(undl_id: int | None, symbol: str | None) -> str | None:
    """Where a reader checks a vote: its voting record, else the resolution's document."""
    return record_url(undl_id) or document_url(symbol)
