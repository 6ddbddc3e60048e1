"""Typed errors: the CLI maps each kind to one message style and one exit code.

This module is the one place an error becomes an exit code: each kind's ``exit_code`` below. The
table users read (docs/reference/commands.md, "Exit codes") is generated from these classes;
scheduled jobs act on it (docs: Scheduled refresh): bad data is not worth retrying until someone
looks, a temporary failure is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

# sysexits.h codes, which cron/systemd users already know.
EXIT_BAD_DATA = 65  # EX_DATAERR
EXIT_TEMPORARY = 75  # EX_TEMPFAIL
EXIT_NO_INPUT = 66  # EX_NOINPUT: the store cannot be opened or is not a store
EXIT_USAGE = 2
EXIT_STALE = 3
EXIT_TIMEOUT = 124  # as coreutils' timeout(1)
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C

# Longest piece of user input repeated in a message: a 20 MB name must not fill a terminal.
MESSAGE_VALUE_CHARS = 80


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none): the
    libraries' multi-line messages (DuckDB's above all) shown in one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def shorten(value: object, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """A value for a message: text quoted (``repr``, so one line), other values as ``str``;
    cut with an ellipsis past ``limit`` characters."""
    if isinstance(value, (str, bytes)):
        text = repr(value[: 4 * limit])  # never build the repr of a huge value
    else:
        text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AlignmentError(Exception):
    """Base class for errors the CLI reports as a message, not a traceback."""

    exit_code = 1


class BadDataError(AlignmentError):
    """Input that cannot be turned into trustworthy rows; the store is left unchanged."""

    exit_code = EXIT_BAD_DATA

    def __init__(
        self, message: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
    ):
        self.path = os.fspath(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(where + message)


class UniqueKeys:
    """The keys of a file's records, checked as they are read: each of the form ``pattern``
    (``form`` says it in words) and given once; else a BadDataError at the record's line."""

    def __init__(
        self, what: str, pattern: re.Pattern[str], form: str, path: str | os.PathLike[str]
    ) -> None:
        self.what, self.pattern, self.form, self.path = what, pattern, form, path
        self.lines: dict[str, int | None] = {}

    def add(self, key: str, line: int | None) -> str:
        """``key``, checked and remembered."""
        if not self.pattern.fullmatch(key):
            message = f"{self.what} {shorten(key)} {self.form}"
            raise BadDataError(message, path=self.path, line=line)
        if key in self.lines:
            first = self.lines[key]
            where = f" (first on line {first})" if first is not None else ""
            raise BadDataError(f"{self.what} {key} appears twice{where}", path=self.path, line=line)
        self.lines[key] = line
        return key


class TemporaryFailure(AlignmentError):
    """Network trouble, a lock held by another refresh: worth trying again later."""

    exit_code = EXIT_TEMPORARY


class StoreMissingError(AlignmentError):
    """No store yet at the chosen path."""

    exit_code = 1


class UsageError(AlignmentError):
    """An option value or a combination of options that cannot work."""

    exit_code = EXIT_USAGE


class UnknownName(UsageError):
    """A name the store or the project does not know: a state, bloc, topic, metric, query..."""

    def __init__(self, kind: str, value: object, known: Iterable[str] = (), hint: str = ""):
        self.kind = kind
        self.value = value
        names = list(known)
        text = f"unknown {kind} {shorten(value)}"
        if names:
            text += f"; known: {', '.join(names)}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class MissingExtra(UsageError):
    """A feature that needs an optional extra of the package (``alignment[extra]``) which is
    not installed: the message gives the command that installs it."""

    def __init__(self, feature: str, extra: str, missing: str):
        self.extra = extra
        super().__init__(
            f"{feature} needs {missing}, which is not installed; install alignment with its "
            f"{extra} extra: pip install 'alignment[{extra}]'"
        )


class StaleStore(AlignmentError):
    """The store is older than allowed, or its last refresh failed (``status --max-age``)."""

    exit_code = EXIT_STALE


class StoreUnreadable(AlignmentError):
    """The store cannot be opened, or the file is not an alignment store (damaged, truncated,
    another program's file): rebuild it with ``alignment refresh``."""

    exit_code = EXIT_NO_INPUT


class StoreOutdated(UsageError):
    """The store was built by another version of alignment, with another schema: run
    ``alignment refresh`` (or upgrade alignment, for a newer store)."""


class QueryTimeout(AlignmentError):
    """A query ran longer than its time limit (``--timeout``) and was stopped by the engine."""

    exit_code = EXIT_TIMEOUT


class Interrupted(AlignmentError):
    """Stopped by the user (Ctrl-C); nothing stored was changed."""

    exit_code = EXIT_INTERRUPTED
