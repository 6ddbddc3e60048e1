"""Typed errors: the CLI maps each kind to one message style and one exit code.

Scheduled jobs act on the exit code (see the README): bad data is not worth retrying until
someone looks, a temporary failure is.
"""

from __future__ import annotations

# sysexits.h codes, which cron/systemd users already know.
EXIT_BAD_DATA = 65  # EX_DATAERR
EXIT_TEMPORARY = 75  # EX_TEMPFAIL
EXIT_USAGE = 2


class AlignmentError(Exception):
    """Base class for errors the CLI reports as a message, not a traceback."""

    exit_code = 1


class BadDataError(AlignmentError):
    """Input that cannot be turned into trustworthy rows; the store is left unchanged."""

    exit_code = EXIT_BAD_DATA

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class TemporaryFailure(AlignmentError):
    """Network trouble, a lock held by another refresh: worth trying again later."""

    exit_code = EXIT_TEMPORARY


class StoreMissingError(AlignmentError):
    """No store yet at the chosen path."""

    exit_code = 1
