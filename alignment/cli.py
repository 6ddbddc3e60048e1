"""The ``alignment`` command: a thin click layer over the library.

Each command parses options, calls the library and prints. Library errors are typed; they are
turned into one-line messages and exit codes here, in :class:`AlignmentGroup`, and nowhere else.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import polars as pl

from alignment import store
from alignment.errors import AlignmentError

log = logging.getLogger("alignment")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry, default=str)


def setup_logging(log_format: str, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger("alignment")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False


class AlignmentGroup(click.Group):
    """Library errors become a message on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AlignmentError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


# --- output options shared by every command that prints rows -----------------------------

FORMATS = ("table", "csv", "json")


def output_options(command: Callable) -> Callable:
    """``--format`` and ``--output`` for any command that returns a DataFrame."""

    @click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="How to print the rows.",
    )  # fmt: skip
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Write to this file instead of standard output.",
    )  # fmt: skip
    @functools.wraps(command)
    def wrapper(*args: Any, fmt: str, output: Path | None, **kwargs: Any) -> None:
        frame = command(*args, **kwargs)
        if frame is not None:
            emit(frame, fmt, output)

    return wrapper


def render(frame: pl.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.write_csv()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), default=str, indent=1) + "\n"
    with pl.Config(
        tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
        fmt_str_lengths=80, tbl_width_chars=200, float_precision=None,
    ):  # fmt: skip
        buffer = io.StringIO()
        buffer.write(str(frame))
        return buffer.getvalue() + "\n"


def emit(frame: pl.DataFrame, fmt: str, output: Path | None) -> None:
    text = render(frame, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)


db_option = click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), envvar="ALIGNMENT_DB",
    default=None, help="The store file (default: $ALIGNMENT_DB or data/alignment.duckdb).",
)  # fmt: skip


def resolve_db(db: Path | None) -> Path:
    return db if db is not None else store.default_db_path()


@click.group(cls=AlignmentGroup)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              help="Log lines on stderr as text or one JSON object per line.")  # fmt: skip
@click.option("--verbose", "-v", is_flag=True, help="Log every step.")
@click.version_option(package_name="alignment")
def cli(log_format: str, verbose: bool) -> None:
    """How states align in the UN General Assembly."""
    setup_logging(log_format, verbose)


NO_SOURCE_HINT = (
    "no source given. Point the refresh at local files or folders, e.g.\n"
    "  alignment refresh --from ../shared/data\n"
    "or at a mirror laid out like it: alignment refresh --mirror DIR|URL"
)


@cli.command()
@click.option(
    "--from", "paths", multiple=True, type=click.Path(exists=False, path_type=Path),
    help="Build from these local files or folders (repeatable).",
)  # fmt: skip
@db_option
def refresh(paths: tuple[Path, ...], db: Path | None) -> None:
    """Build or update the store from the vote sources."""
    db = resolve_db(db)
    if not paths:
        raise click.UsageError(NO_SOURCE_HINT)
    summary = store.refresh_from_paths(db, list(paths))
    for note in summary.notes:
        log.info(note)
    click.echo(
        f"{db}: {summary.roll_calls} roll calls, {summary.votes} votes, "
        f"{summary.first_date} to {summary.last_date}; "
        f"{summary.disagreements} votes on which sources disagree"
    )
