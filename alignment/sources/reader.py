"""What a reader is: a module with a ``NAME``, a test that recognises its files from their
first bytes (:meth:`Reader.recognises`) and a ``read`` giving canonical rows. The registry
(:mod:`alignment.sources.registry`) asks each reader in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from alignment.sources._csv import header_of
from alignment.sources._text import read_head

if TYPE_CHECKING:
    from alignment.countries import Crosswalk
    from alignment.sources.rows import SourceRows


@dataclass
class Sample:
    """A file as the readers recognise it: its name, first bytes, first line and CSV header,
    each read only when a reader asks."""

    path: Path

    @cached_property
    def head(self) -> bytes:
        return read_head(self.path)

    @cached_property
    def first_line(self) -> str:
        return self.head.split(b"\n", 1)[0].decode("utf-8", errors="replace")

    @property
    def looks_json(self) -> bool:
        return self.path.name.endswith((".json", ".jsonl")) or self.first_line.startswith("{")

    @cached_property
    def header(self) -> list[str]:
        """The CSV header (bad data when the file is no readable CSV)."""
        return header_of(self.path, self.head)


class Reader(Protocol):
    """One upstream format's reader (each module of ``alignment.sources`` but the helpers)."""

    NAME: str

    def recognises(self, sample: Sample) -> bool:
        """Whether the file is in this reader's format."""
        ...

    def read(self, path: Path, crosswalk: Crosswalk) -> SourceRows:
        """The file's canonical rows; bad data names the file, line and value."""
        ...
