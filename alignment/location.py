"""Where the store is: ``--db``, else ``$ALIGNMENT_DB``, else the user's data folder.

The default is never inside the installed package (a ``pip install`` must not write into
site-packages): it is ``alignment.duckdb`` in the platform's user data folder
(``platformdirs``: ``~/.local/share/alignment`` on Linux, or ``$XDG_DATA_HOME/alignment``).
A checkout's ``make demo`` passes ``--db data/alignment.duckdb`` itself.

A symbolic link is followed: the lock, the new file and the rename act on the real store, so
two names for one store cannot be refreshed at once and a link is never replaced by a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VARIABLE = "ALIGNMENT_DB"
STORE_NAME = "alignment.duckdb"


@dataclass(frozen=True)
class StoreLocation:
    path: Path  # the real file, symbolic links resolved
    given: Path  # as it was named
    why: str  # "--db", "$ALIGNMENT_DB" or "default"

    def describe(self) -> str:
        reason = {
            "--db": "given with --db",
            f"${ENV_VARIABLE}": f"from ${ENV_VARIABLE}",
            "default": "the default: the user data folder; choose another with --db or "
            f"${ENV_VARIABLE}",
        }[self.why]
        link = f", a link to {self.path}" if self.path != self.given.absolute() else ""
        return f"{self.given} ({reason}{link})"


def default_store() -> Path:
    import platformdirs  # only when no store is named

    return platformdirs.user_data_path("alignment") / STORE_NAME


def locate(db: str | os.PathLike[str] | None = None) -> StoreLocation:
    """The store to use, and why: the option, the variable or the default."""
    if db is not None:
        given, why = Path(db), "--db"
    elif os.environ.get(ENV_VARIABLE):
        given, why = Path(os.environ[ENV_VARIABLE]), f"${ENV_VARIABLE}"
    else:
        given, why = default_store(), "default"
    given = given.expanduser()
    return StoreLocation(Path(os.path.realpath(given)), given, why)
