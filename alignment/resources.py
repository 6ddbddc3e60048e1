"""Where the project's own files are: the facts in ``data/`` and the curated SQL in ``queries/``.

In a checkout they are the top-level ``data/`` and ``queries/`` folders beside the package; the
wheel carries the same files inside the package (``alignment/data``, ``alignment/queries``:
pyproject.toml maps them there at build time), where ``importlib.resources`` finds them. This
module is the only place that knows either layout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

Folder = Literal["data", "queries"]


def folder(name: Folder) -> Path:
    """The folder of the project's own ``data`` or ``queries``, installed or in a checkout."""
    installed = Path(str(files("alignment"))) / name
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[1] / name


def data_file(name: str) -> Path:
    """One of the project's data files (``countries.csv``, ``topic_rules.csv`` ...)."""
    return folder("data") / name
