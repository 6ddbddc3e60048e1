"""The ``alignment`` command: a thin click layer over the library.

Each command parses options, calls the library and prints. Errors become one-line messages and
exit codes here, in :class:`AlignmentGroup`, and nowhere else (the codes: ``alignment.errors``).
Start-up stays cheap: this module imports click and the project's small vocabulary only; each
command imports the library it uses (polars, DuckDB, the sampler, plotly) when it runs.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from alignment.errors import AlignmentError, Interrupted, UsageError, first_line
from alignment.vocabulary import IDEAL_POINT_METHODS, METRICS, PERIOD_TYPES, VOTE_SETS

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from alignment.location import StoreLocation

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
        except KeyboardInterrupt:
            # Ctrl-C outside a query (queries: alignment.limits.interruptible).
            stopped = Interrupted("interrupted (Ctrl-C); nothing stored was changed")
            click.echo(f"Error: {stopped}", err=True)
            ctx.exit(stopped.exit_code)
        except OSError as exc:
            # A file the user named that cannot be read or written (an output folder that does
            # not exist, no permission): the user's to fix, not a bug.
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(f"Error:{where}: {exc.strerror or first_line(exc)}", err=True)
            ctx.exit(1)


# --- the store and output options shared by every command -------------------------------------

db_option = click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The store file (default: $ALIGNMENT_DB, else alignment.duckdb in the user data "
    "folder; `alignment status` says which).",
)  # fmt: skip


def locate(db: Path | None) -> StoreLocation:
    from alignment.location import locate as find

    return find(db)


@contextlib.contextmanager
def open_store(
    db: Path | None, timeout: float | None = None, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store, opened read-only under the engine's limits (``alignment.store.connect``)."""
    from alignment import store

    con = store.connect(locate(db).path, timeout=timeout, memory_limit=memory_limit)
    with con:
        yield con


def limit_options(command: Callable) -> Callable:
    """``--timeout`` and ``--memory-limit`` of the commands that run SQL of the user's."""
    from alignment.limits import DEFAULT_TIMEOUT, MEMORY_SHARE

    command = click.option(
        "--memory-limit", default=None, metavar="SIZE",
        help=f"Memory the query may use, e.g. 2GB (default: {MEMORY_SHARE:.0%} of the RAM); "
        "beyond it, DuckDB spills to a temporary folder removed afterwards.",
    )(command)  # fmt: skip
    return click.option(
        "--timeout", type=click.FloatRange(0), default=DEFAULT_TIMEOUT, show_default=True,
        metavar="SECONDS", help="Stop the query after this long (0: no limit).",
    )(command)  # fmt: skip


FORMATS = ("table", "csv", "json", "parquet")


def render(frame: pl.DataFrame, fmt: str) -> str:
    """The rows as text: a table for a terminal, CSV or JSON."""
    import polars as pl

    if fmt == "csv":
        # CSV has no lists or structs: write them as JSON text rather than fail.
        nested = [
            c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Struct | pl.Array)
        ]
        if nested:
            frame = frame.with_columns(
                pl.col(c).map_elements(
                    lambda v: json.dumps(v.to_list() if hasattr(v, "to_list") else v, default=str),
                    return_dtype=pl.String,
                )
                for c in nested
            )
        return frame.write_csv()
    if fmt == "json":
        return json.dumps(frame.to_dicts(), default=str, indent=1) + "\n"
    with pl.Config(
        tbl_rows=-1, tbl_cols=-1, tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True,
        fmt_str_lengths=80, tbl_width_chars=200, float_precision=None,
    ):  # fmt: skip
        return str(frame) + "\n"


def write_rows(
    frame: pl.DataFrame, fmt: str, output: Path | None, text: Callable | None = None
) -> None:
    """Print the rows, or write them to ``output`` (parquet: to a file only)."""
    if fmt == "parquet":
        assert output is not None
        frame.write_parquet(output)
        return
    rendered = text(frame) if fmt == "table" and text is not None else render(frame, fmt)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        output.write_text(rendered)


output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write to this file instead of standard output.",
)  # fmt: skip


def output_options(command: Callable) -> Callable:
    """``--format table|csv|json|parquet`` and ``--output`` for every command that returns rows;
    a command may return ``(frame, text_layout)`` to lay out ``table`` its own way."""

    @click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="How to write the rows (parquet needs --output).",
    )  # fmt: skip
    @output_option
    @functools.wraps(command)
    def wrapper(*args: Any, fmt: str, output: Path | None, **kwargs: Any) -> None:
        if fmt == "parquet" and output is None:
            raise click.UsageError("--format parquet writes a binary file: add --output FILE")
        if output is not None:
            from alignment import store

            store.refuse_overwrite(output, locate(kwargs.get("db")).path)
        result = command(*args, **kwargs)
        if result is None:
            return
        frame, text = result if isinstance(result, tuple) else (result, None)
        write_rows(frame, fmt, output, text)

    return wrapper


@click.group(cls=AlignmentGroup)
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              help="Log lines on stderr as text or one JSON object per line.")  # fmt: skip
@click.option("--verbose", "-v", is_flag=True, help="Log every step.")
@click.version_option(package_name="alignment")
def cli(log_format: str, verbose: bool) -> None:
    """How states align in the UN General Assembly."""
    setup_logging(log_format, verbose)


# --- refresh and status ----------------------------------------------------------------------


@cli.command()
@click.option(
    "--from", "paths", multiple=True, type=click.Path(exists=False, path_type=Path),
    help="Build from these local files or folders (repeatable), not from upstream.",
)  # fmt: skip
@click.option(
    "--mirror", envvar="ALIGNMENT_MIRROR", default=None, metavar="URL|DIR",
    help="Fetch every source from a mirror laid out like ../shared/data "
         "(default: $ALIGNMENT_MIRROR, else the UN's own addresses).",
)  # fmt: skip
@click.option(
    "--history", envvar="ALIGNMENT_HISTORY", default=None, metavar="URL|DIR",
    help="Without --mirror: a mirror of Voeten's voeten/ and unvotes/ files (default: none).",
)  # fmt: skip
@click.option(
    "--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Download cache, laid out as a mirror (default: cache/ beside the store).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Rebuild even if no upstream file changed, and "
              "replace a --db file that is not an alignment store.")  # fmt: skip
@click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True,
              help="Retries per file after a timeout, 5xx, 429 or empty 202.")  # fmt: skip
@click.option("--backoff", type=click.FloatRange(0, 600), default=2.0, show_default=True,
              help="Seconds before the first retry, doubled each time (Retry-After wins).")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(0.1, 3600), default=60.0, show_default=True,
              help="Seconds without progress before a request is abandoned.")  # fmt: skip
@click.option("--changes-to", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="FOLDER", help="After the refresh, write what changed there: changes.md "
              "(the latest refresh) and changes.atom (an Atom feed of the latest ten).")  # fmt: skip
@db_option
def refresh(
    paths: tuple[Path, ...], mirror: str | None, history: str | None, cache_dir: Path | None,
    force: bool, retries: int, backoff: float, timeout: float, changes_to: Path | None,
    db: Path | None,
) -> None:  # fmt: skip
    """Build or update the store from the vote sources.

    Without --from, fetches the upstream files (conditional requests: nothing is downloaded
    again if nothing changed) and rebuilds the store only if one changed. Exit codes: 0 updated
    or already current, 2 --db is not an alignment store (refused, nothing written), 65 the new
    data failed validation (store unchanged), 75 temporary failure (network, another refresh
    running; try later).
    """
    from alignment import download, upstream
    from alignment import refresh as refreshing

    where = locate(db)
    log.debug("store %s", where.describe())
    if paths:
        given = click.get_current_context().get_parameter_source
        if ParameterSource.COMMANDLINE in (given("mirror"), given("history")):
            raise click.UsageError("give either --from (local files) or --mirror/--history")
        with progress_display():
            result = refreshing.refresh_from_paths(where.path, list(paths), force=force)
    else:
        source = (
            upstream.Upstream.from_mirror(mirror) if mirror else upstream.Upstream(history=history)
        )
        with progress_display() as progress:
            result = refreshing.refresh_from_upstream(
                where.path, source, cache_dir=cache_dir, force=force, timeout=timeout,
                retry=download.Retry(retries=retries, backoff=backoff), progress=progress,
            )  # fmt: skip
    if paths and result.summary is not None:
        click.echo(
            f"{where.given}: {result.message}; {result.summary.disagreements} votes on which "
            "sources disagree"
        )
    else:
        click.echo(f"{where.given}: {result.outcome}: {result.message}")
    if changes_to is not None:
        from alignment import digest

        with open_store(db) as con:
            try:
                written = digest.write(con, changes_to, feed_id=str(where.path.resolve()))
            except OSError as exc:
                raise AlignmentError(
                    f"the store is refreshed, but what changed cannot be written to "
                    f"{changes_to}: {exc.strerror or first_line(exc)}; give a folder you can "
                    "write to with --changes-to"
                ) from None
        click.echo(f"what changed: {', '.join(str(p) for p in written)}")


@contextlib.contextmanager
def progress_display() -> Iterator[Callable[[int, int, str], None] | None]:
    """On a terminal, a rich display on stderr: the files being fetched (the callback yielded)
    and the stage running (``alignment.progress``), with elapsed time; log lines print above
    it. Not a terminal (a job's log): nothing but the log lines; None is yielded."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from alignment import progress as stages

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        fetch = bar.add_task("starting", total=None)

        def update(done: int, total: int, what: str) -> None:
            bar.update(fetch, completed=done, total=total, description=what or "done")

        running: dict[str, Any] = {}

        def listen(event: str, name: str, detail: str) -> None:
            if event == "start":
                bar.update(fetch, visible=False)
                running[name] = bar.add_task(name, total=None)
            elif name in running:
                bar.remove_task(running.pop(name))

        # Log lines go through rich's stderr proxy, above the display, not through it.
        handlers = [h for h in log.handlers if isinstance(h, logging.StreamHandler)]
        streams = [h.setStream(sys.stderr) for h in handlers]
        try:
            with stages.watch(listen):
                yield update
        finally:
            for handler, stream in zip(handlers, streams, strict=True):
                handler.setStream(stream)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.option("--max-age", metavar="DURATION", default=None,
              help="Exit 3 when the last successful refresh is older than this (30m, 6h, 2d, "
              "1w, 1d12h) or the last attempt failed: for cron and monitors.")  # fmt: skip
@click.option("--check", is_flag=True,
              help="Also read every block of the store (DuckDB verifies each one's checksum), "
              "bind its views and rerun the build's validation; exit 66 on damage.")  # fmt: skip
@db_option
def status(as_json: bool, max_age: str | None, check: bool, db: Path | None) -> None:
    """Which store, how fresh, what it was built from, how the last refresh went.

    Exit codes: 0 fine, 1 no store yet (the last attempt is still shown), 2 a store built by
    another version, 3 with --max-age: too old, or the last attempt failed, 66 a file that
    cannot be opened or is not a store (or, with --check, is damaged).
    """
    from alignment import status as status_module
    from alignment import store
    from alignment.errors import StoreOutdated, StoreUnreadable

    limit = status_module.parse_duration(max_age) if max_age is not None else None
    where = locate(db)
    rep = status_module.report(where.path, where.describe())
    if check and rep["exists"] and not rep.get("unreadable") and not rep.get("outdated"):
        with open_store(db) as con:
            rep["check"] = store.check(con)
    if as_json:
        click.echo(json.dumps(status_module.as_json(rep), indent=1, default=str))
    else:
        click.echo(status_module.render(rep), nl=False)
    if rep.get("unreadable"):
        raise StoreUnreadable(f"{where.path} cannot be opened as an alignment store: "
                              f"{rep['unreadable']}")  # fmt: skip
    if rep.get("outdated"):
        raise StoreOutdated(f"{where.path} {rep['outdated']}")
    if limit is not None:
        status_module.freshness(rep, limit)
    if not rep["exists"]:
        sys.exit(1)


# --- the SQL workbench (alignment/workbench.py) ---------------------------------------------

param_option = click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
    help="Value of the $NAME parameter, bound by DuckDB (repeatable), e.g. -p country=BLR.",
)  # fmt: skip


# A query may start with a `--` comment, which click would take for an option.
@cli.command("sql", context_settings={"ignore_unknown_options": True})
@click.argument("query")
@param_option
@limit_options
@db_option
@output_options
def sql_command(
    query: str, params: tuple[str, ...], timeout: float, memory_limit: str | None, db: Path | None
) -> pl.DataFrame:
    """Run SQL against the store, opened read-only.

    QUERY is the SQL text, a FILE.sql, or - to read standard input. Name parameters $name in
    the SQL and give their values with -p name=value; DuckDB binds them.

    \b
      alignment sql "SELECT symbol, date FROM roll_calls WHERE session = 66 LIMIT 5"
      alignment sql "SELECT * FROM votes WHERE iso3 = \\$country LIMIT 5" -p country=BLR
      alignment sql my_query.sql --format csv -o out.csv
    """
    from alignment import limits, workbench

    text = workbench.read_sql_argument(query)
    values = workbench.parse_assignments(params)
    with open_store(db, timeout, memory_limit) as con:
        several = workbench.statement_count(con, text)
        frame = limits.interruptible(con, lambda: workbench.run_sql(con, text, values), timeout)
    if several > 1:
        click.echo(
            f"Warning: the SQL holds {several} statements; all ran, the rows shown are the last "
            "one's",
            err=True,
        )
    return frame


@cli.group()
def queries() -> None:
    """The curated queries: list, show NAME, run NAME -p name=value."""


@queries.command("list")
@output_options
def queries_list() -> pl.DataFrame:
    """Name and title of every curated query."""
    import polars as pl

    from alignment import workbench

    rows = [
        {
            "name": q.name,
            "title": q.title,
            "parameters": ", ".join(
                p.name if p.default is None else f"{p.name}={p.default}" for p in q.parameters
            ),
        }
        for q in workbench.list_queries()
    ]
    return pl.DataFrame(rows, schema=["name", "title", "parameters"])


@queries.command("show")
@click.argument("name")
def queries_show(name: str) -> None:
    """Print a query's header (title, description, parameters) and its SQL."""
    from alignment import workbench

    q = workbench.get_query(name)
    click.echo(q.sql, nl=not q.sql.endswith("\n"))
    example = " ".join(f"-p {p.name}={p.default or '...'}" for p in q.parameters)
    click.echo(f"\n-- run: alignment queries run {q.name} {example}".rstrip())


@queries.command("run")
@click.argument("name")
@param_option
@limit_options
@db_option
@output_options
def queries_run(
    name: str, params: tuple[str, ...], timeout: float, memory_limit: str | None, db: Path | None
) -> pl.DataFrame:
    """Run a curated query: its defaults, overridden by -p name=value."""
    from alignment import limits, workbench

    q = workbench.get_query(name)
    values = workbench.parse_assignments(params)
    with open_store(db, timeout, memory_limit) as con:
        return limits.interruptible(con, lambda: workbench.run_query(con, q, values), timeout)


@cli.command("schema")
@click.argument("table", required=False)
@db_option
@output_options
def schema_command(table: str | None, db: Path | None) -> tuple[pl.DataFrame, Callable]:
    """Tables, columns, types and comments, read from the store itself."""
    from alignment import workbench

    with open_store(db) as con:
        return workbench.schema_rows(con, table), workbench.render_schema


# --- analyses -----------------------------------------------------------------------------------


def _gathered(
    key: str, names: tuple[str, ...], options: list[Callable], *, given_only: bool = False
) -> Callable[[Callable], Callable]:
    """A decorator: ``options`` (of the parameters ``names``) handed to the command as one dict,
    ``key``; with ``given_only``, None unless one of them was given on the command line."""

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            values: dict[str, Any] | None = {name: kwargs.pop(name) for name in names}
            if given_only:
                source = click.get_current_context().get_parameter_source
                if all(source(name) != ParameterSource.COMMANDLINE for name in names):
                    values = None
            return command(**kwargs, **{key: values})

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


# The options of ``--method mcmc`` run to the standard, handed to the command as one dict.
mcmc_options = _gathered(
    "mcmc",
    ("max_minutes", "check_every", "warmup", "max_sweeps", "checkpoint", "store_series"),
    [
        click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True),
                     default=60.0, show_default=True,
                     help="mcmc: stop at the first check past this many minutes, converged "
                     "or not."),
        click.option("--check-every", type=click.IntRange(1), default=500, show_default=True,
                     metavar="SWEEPS", help="mcmc: judge the draws every SWEEPS sweeps."),
        click.option("--warmup", type=click.IntRange(0), default=1000, show_default=True,
                     metavar="SWEEPS", help="mcmc: sweeps discarded at the start."),
        click.option("--max-sweeps", type=click.IntRange(1), default=None, metavar="SWEEPS",
                     help="mcmc: stop at the first check past SWEEPS sweeps (the same "
                     "numbers on any machine)."),
        click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, metavar="FILE",
                     help="mcmc: resume from FILE when it exists; write it at every check."),
        click.option("--store", "store_series", is_flag=True,
                     help="mcmc: write the series into the store's ideal_points in place of "
                     "the stored one (whole series only: no --topic or sessions)."),
    ],
)  # fmt: skip
# The options of a ``--method mcmc`` run of fixed length, handed to the command as one dict, or
# None when none of them is given (then the run goes on to the standard).
fixed_run_options = _gathered(
    "fixed",
    ("draws", "burn_in", "thin"),
    [
        click.option("--draws", type=click.IntRange(1, 100_000), default=400, show_default=True,
                     help="mcmc: a run of fixed length instead (with --burn-in, --thin): draws "
                     "kept per chain."),
        click.option("--burn-in", type=click.IntRange(0, 100_000), default=100,
                     show_default=True,
                     help="mcmc, fixed length: sweeps discarded at the start of each chain."),
        click.option("--thin", type=click.IntRange(1, 1000), default=1, show_default=True,
                     help="mcmc, fixed length: keep one sweep in THIN."),
    ],
    given_only=True,
)  # fmt: skip


def _ideal_points_mcmc(
    con: duckdb.DuckDBPyConnection, where: dict[str, Any], by: str, vote_set: str,
    chains: int, seed: int, mcmc: dict[str, Any],
) -> pl.DataFrame:  # fmt: skip
    """``ideal-points --method mcmc``: the sampler run to the standard, progress on stderr (a
    bar with the time left on a terminal, a log line per check otherwise)."""
    from alignment import analyses
    from alignment.mcmc import progress_reporter

    options = {k: v for k, v in mcmc.items() if k != "store_series"}
    with progress_reporter(sys.stderr.isatty()) as on_check:
        run = analyses.ideal_points_mcmc(
            con, **where, by=by, vote_set=vote_set, chains=chains, seed=seed,
            on_check=on_check, **options,
        )  # fmt: skip
    return run.estimates


def _store_series(db: Path | None, frame: pl.DataFrame, by: str, vote_set: str) -> None:
    """``--store``: the series replaces the stored one of its period and vote set, its
    store_meta diagnostics with it (status and reports then show it)."""
    from alignment import store
    from alignment.derived import ideal_points_meta
    from alignment.vocabulary import ideal_points_meta_prefix

    path = locate(db).path
    store.replace_series(
        path, "ideal_points", {"period_type": by, "vote_set": vote_set}, frame,
        ideal_points_meta(frame), ideal_points_meta_prefix(by, vote_set),
    )  # fmt: skip
    log.info("stored the mcmc series by %s, %s votes, in %s", by, vote_set, path)


@cli.command("ideal-points")
@click.option("--by", type=click.Choice(PERIOD_TYPES), default="session", show_default=True,
              help="One position per session, or per calendar year of the votes.")  # fmt: skip
@click.option("--votes", "vote_set", type=click.Choice(VOTE_SETS), default="all",
              show_default=True, help="All recorded votes, or final-passage votes only (texts "
              "as a whole; amendment, paragraph and procedural votes left out).")  # fmt: skip
@click.option("--topic", default=None, help="Only roll calls about this topic (hr, me, syria ...; "
              "syria+mentions adds those that only mention it).")  # fmt: skip
@click.option("--from-session", type=click.IntRange(1, 200), default=None,
              help="First session (default: all).")  # fmt: skip
@click.option("--to-session", type=click.IntRange(1, 200), default=None,
              help="Last session (default: all).")  # fmt: skip
@click.option("--method", type=click.Choice(IDEAL_POINT_METHODS), default="em", show_default=True,
              help="em: deterministic variational EM with bootstrap intervals (seconds); "
              "mcmc: the published model's sampler, started from the EM estimate and run until "
              "its estimates meet the publication standard or --max-minutes pass (publication "
              "runs; needs alignment[mcmc]).")  # fmt: skip
@click.option("--bootstrap", type=click.IntRange(0, 10_000), default=50, show_default=True,
              metavar="N", help="em: bootstrap replicates behind se and the 90% interval "
              "(0: none, the variational variance only, far too small).")  # fmt: skip
@click.option("--prior", type=click.Choice(["walk", "forward"]), default="walk",
              show_default=True, help="em: the random walk of the positions (the sampler's "
              "model), or each position's prior centred on the state's previous one (the "
              "published code's scheme).")  # fmt: skip
@fixed_run_options
@click.option(
    "--chains", type=click.IntRange(1, 64), default=2, show_default=True,
    help="mcmc: chains, run in parallel threads (R-hat compares them: 2 or more to run to the "
    "standard).",
)  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="mcmc: random seed.")
@mcmc_options
@db_option
@output_options
def ideal_points_command(
    by: str, vote_set: str, topic: str | None, from_session: int | None,
    to_session: int | None, method: str, bootstrap: int, prior: str,
    fixed: dict[str, Any] | None, chains: int, seed: int, mcmc: dict[str, Any], db: Path | None,
) -> pl.DataFrame:  # fmt: skip
    """Dynamic ideal points (Bailey, Strezhnev & Voeten 2017) with standard errors and 90%
    intervals.

    By default a deterministic variational EM of the published model: the same store gives
    the same numbers, with intervals from a parametric bootstrap (--bootstrap); the table the
    refresh stores (ideal_points) holds the all-votes series by session and by year so
    estimated. --method mcmc runs the published sampler instead, from the EM estimate, in
    checks until R-hat <= 1.01 and bulk and tail ESS >= 400 hold for 99% of the estimates
    (none above R-hat 1.05) or --max-minutes pass, with progress on stderr; --checkpoint lets
    a killed run resume, --store puts the series in the store. A run that misses the
    publication standard says so on stderr."""
    from alignment import analyses

    where: dict[str, Any] = {"topic": topic, "from_session": from_session, "to_session": to_session}
    if method == "mcmc":
        from alignment import sampler  # noqa: F401  (without the mcmc extra: say so at once)

        if fixed is None and chains < 2:
            raise UsageError("--method mcmc needs at least 2 chains: R-hat compares them")
        if mcmc["store_series"] and any(v is not None for v in where.values()):
            raise UsageError("--store keeps whole series: leave out --topic and the sessions")
    elif mcmc["store_series"]:
        raise UsageError("--store is for --method mcmc (the refresh stores the default series)")
    with open_store(db) as con:
        if method != "mcmc":
            frame = analyses.ideal_points(
                con, **where, method=method, by=by, vote_set=vote_set, bootstrap=bootstrap,
                prior=prior,
            )  # fmt: skip
        elif fixed is None:
            frame = _ideal_points_mcmc(con, where, by, vote_set, chains, seed, mcmc)
        else:
            frame = analyses.ideal_points(
                con, **where, method=method, by=by, vote_set=vote_set, chains=chains, seed=seed,
                **fixed,
            )  # fmt: skip
    if method == "mcmc":
        from alignment.convergence import check_convergence

        verdict = check_convergence(frame)
        if not verdict.ok:
            click.echo(f"Warning: {verdict.message()}", err=True)
        if mcmc["store_series"]:
            _store_series(db, frame, by, vote_set)
        diagnostics = ["iterations", "rhat", "ess_bulk", "ess_tail"]
    else:
        diagnostics = ["iterations", "final_change", "replicates"]
    return frame.select(
        "iso3", "period_type", "period", "vote_set", "method", "ideal_point", "se", "lower",
        "upper", "n_votes", *diagnostics,
    )  # fmt: skip


def min_n_option(where: str) -> Callable:
    return click.option(
        "--min-n", type=click.IntRange(0), default=0, metavar="N",
        help=f"Leave out pairs with fewer than N common roll calls{where}.",
    )  # fmt: skip


def top_option(help: str) -> Callable:
    def check(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
        if value == 0:
            raise click.BadParameter("give K (the K highest) or -K (the K lowest), not 0")
        return value

    return click.option("--top", type=int, default=None, metavar="K", callback=check, help=help)


class DateOrYear(click.ParamType):
    """YYYY-MM-DD, or a year: its first day for --from, its last day for --to."""

    name = "DATE|YEAR"

    def __init__(self, end: bool) -> None:
        self.end = end

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from alignment.analyses import as_day
        from alignment.errors import UsageError

        try:
            return as_day(value, end=self.end)
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


@cli.command("metrics")
@click.option("--metric", type=click.Choice(METRICS), default="agree", show_default=True,
              help="Which metric (see the docs: Metrics).")  # fmt: skip
@click.option("--by", type=click.Choice(["session", "year"]), default="session",
              show_default=True, help="One value per session or per calendar year.")  # fmt: skip
@click.option("--countries", default=None, metavar="ISO3,ISO3,...",
              help="One state: it against every other; several: the pairs among them "
              "(default: every pair).")  # fmt: skip
@click.option("--from", "start", type=DateOrYear(end=False), default=None,
              help="First day (or year) of the roll calls counted.")  # fmt: skip
@click.option("--to", "end", type=DateOrYear(end=True), default=None,
              help="Last day (or year) of the roll calls counted.")  # fmt: skip
@click.option("--topic", default=None,
              help="Only roll calls about this topic (hr, me, syria ...: roll_call_topics; "
              "syria+mentions adds those that only mention it).")  # fmt: skip
@click.option("--important", is_flag=True, help="Only Voeten's important votes.")
@click.option("--drop-amendments/--keep-amendments", default=False, show_default=True,
              help="Leave out amendment and paragraph votes.")  # fmt: skip
@click.option("--keep-unanimous", is_flag=True,
              help="Keep unanimous roll calls (dropped by default, as Voeten does).")  # fmt: skip
@click.option("--lopsided", type=click.FloatRange(0, 1, min_open=True), default=None,
              metavar="SHARE", help="Drop roll calls whose largest vote exceeds this share, "
              "e.g. 0.9.")  # fmt: skip
@click.option("--bootstrap", type=click.IntRange(0, 100_000), default=0, metavar="N",
              help="Add lower/upper 95% bounds from N resamples of roll calls (needs "
              "--countries; at most 100000).")  # fmt: skip
@min_n_option(" (in the period)")
@top_option("Keep the K highest values of each period, or with -K the K lowest.")
@db_option
@output_options
def metrics_command(
    metric: str, by: str, countries: str | None, start: Any, end: Any, topic: str | None,
    important: bool, drop_amendments: bool, keep_unanimous: bool, lopsided: float | None,
    bootstrap: int, min_n: int, top: int | None, db: Path | None,
) -> pl.DataFrame:  # fmt: skip
    """Agreement of pairs of states per session or year: iso3_a, iso3_b, period, metric,
    value, n (common roll calls).

    With one state in --countries, that state is always iso3_a.

    \b
      alignment metrics --metric agree --by session --countries BLR,RUS
      alignment metrics --metric kappa_abs --by year --countries BLR --from 2011 --topic syria
      alignment metrics --countries RUS --by year --from 2022 --min-n 40 --top 5
    """
    from alignment import analyses

    if bootstrap and countries is None:
        raise click.UsageError("--bootstrap needs --countries (every pair would take hours)")
    with open_store(db) as con:
        return analyses.scores(
            con, metric=metric, by=by,  # type: ignore[arg-type]
            countries=None if countries is None else countries.split(","),
            start=start, end=end, topic=topic, important_only=important,
            include_amendments=not drop_amendments, drop_unanimous=not keep_unanimous,
            lopsided_threshold=lopsided, bootstrap=bootstrap, min_n=min_n, top=top,
        )  # fmt: skip


class Years(click.ParamType):
    """A calendar year (2021) or a span of years, both included (2019-2020)."""

    name = "YEAR|YEAR-YEAR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int | tuple):
            return value
        text = str(value).strip()
        first, dash, last = text.partition("-")
        if first.isdigit() and len(first) == 4 and not dash:
            return int(first)
        if dash and all(p.isdigit() and len(p) == 4 for p in (first, last)):
            if int(first) > int(last):
                self.fail(f"{value!r} runs backwards: write the earlier year first", param, ctx)
            return (int(first), int(last))
        self.fail(f"{value!r} is not a year (2021) or a span of years (2019-2020)", param, ctx)


@cli.command("movers")
@click.option("--toward", required=True, metavar="ISO3",
              help="The state whose partners' agreement is followed, e.g. RUS.")  # fmt: skip
@click.option("--from", "first", type=Years(), required=True,
              help="The first period: a calendar year (2021) or years (2019-2020).")  # fmt: skip
@click.option("--to", "second", type=Years(), required=True,
              help="The second period, in the same form.")  # fmt: skip
@click.option("--metric", type=click.Choice(METRICS), default="agree", show_default=True,
              help="Which metric (see the docs: Metrics).")  # fmt: skip
@min_n_option(" in either period")
@top_option("Keep the K largest rises, or with -K the K largest falls.")
@click.option("--bootstrap", type=click.IntRange(0, 100_000), default=1000, show_default=True,
              metavar="N", help="Resamples of each period's roll calls for the 95% interval of "
              "the change (0: none).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@db_option
@output_options
def movers_command(
    toward: str, first: Any, second: Any, metric: str, min_n: int, top: int | None,
    bootstrap: int, seed: int, db: Path | None,
) -> pl.DataFrame:  # fmt: skip
    """Which states moved toward (or away from) a state between two periods.

    Every state's score with --toward over the roll calls of each period (Voeten's defaults:
    unanimous roll calls dropped), n the common roll calls, the change and its 95% bootstrap
    interval (roll calls resampled within each period), largest change first.

    \b
      alignment movers --toward RUS --from 2021 --to 2023 --min-n 40 --top 10
      alignment movers --toward USA --from 2015-2016 --to 2019-2020 --metric kappa_abs
    """
    from alignment import analyses

    with open_store(db) as con:
        return analyses.movers(
            con, toward, first, second, metric=metric, min_n=min_n, top=top,
            bootstrap=bootstrap, seed=seed,
        )  # fmt: skip


# --- what changed ------------------------------------------------------------------------


def _split_codes(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    """Repeated options and comma-separated values alike: --country BLR,RUS --country CHN."""
    return [v.strip() for item in value for v in item.split(",") if v.strip()]


@cli.command("changes")
@click.option("--since", default="last", show_default=True, metavar="last|DATE|REFRESH_ID",
              help="The latest refresh, the refreshes finished on DATE (YYYY-MM-DD) or later, "
              "or refresh REFRESH_ID and later (`alignment status` lists them).")  # fmt: skip
@click.option("--country", "countries", multiple=True, metavar="ISO3", callback=_split_codes,
              help="Notable votes of these states only, and their votes on each new roll call "
              "(repeatable).")  # fmt: skip
@click.option("--bloc", "blocs", multiple=True, metavar="BLOC", callback=_split_codes,
              help="Notable votes of these blocs' members only, and every member voting "
              "against its bloc's majority (repeatable).")  # fmt: skip
@click.option("--partner", "partners", multiple=True, metavar="ISO3", callback=_split_codes,
              help="List the states whose agreement with this state moved notably in the "
              "session of the new votes (repeatable).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "atom"]),
              default="text", show_default=True, help="Plain text, JSON, a Markdown digest or "
              "an Atom feed.")  # fmt: skip
@output_option
@db_option
def changes_command(
    since: str, countries: list[str], blocs: list[str], partners: list[str], fmt: str,
    output: Path | None, db: Path | None,
) -> None:  # fmt: skip
    """What the latest refreshes changed, and the new votes worth notice.

    The new roll calls (symbol, date, yes-no-abstain, title, link), the votes a source
    corrected, the roll calls removed; then the notable votes, each with its reason and the
    earlier votes that make it notable: a state's first vote of a kind on a recurring text, a
    bloc member voting against its bloc's majority, a state's agreement with a --partner moving
    more than its usual variation.

    \b
      alignment changes
      alignment changes --since 2026-01-01 --country BLR --partner RUS
      alignment changes --bloc eu --format md -o digest.md
    """
    from alignment import digest, feed

    with open_store(db) as con:
        found = feed.changes(con, since=since, countries=countries, blocs=blocs, partners=partners)
    if fmt == "atom":
        rendered = digest.atom(found, feed_id=str(locate(db).path.resolve()))
    else:
        rendered = digest.RENDER[fmt](found)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        output.write_text(rendered, encoding="utf-8")


# --- reports -----------------------------------------------------------------------------

report_output = click.option(
    "--output", "-o", type=click.Path(path_type=Path), default=Path("reports"), show_default=True,
    help="Directory to write the report into, or the .html file to write.",
)  # fmt: skip


def _codes(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


def report_choices(command: Callable) -> Callable:
    """--topic, --from, --to, --partners and --blocs of the country and bloc reports."""
    options = [
        click.option("--topic", default=None,
                     help="Named topic (roll_call_topics), e.g. syria, ukraine; "
                     "ukraine+mentions adds the roll calls that only mention it."),
        click.option("--from", "start_year", type=click.IntRange(1946, 2999), default=2011,
                     show_default=True, help="First year."),
        click.option("--to", "end_year", type=click.IntRange(1946, 2999), default=None,
                     help="Last year (default: the latest vote)."),
        click.option("--partners", metavar="ISO3,...", callback=_codes, default=None,
                     help="States to compare with, in the order of their colours (default: "
                     "USA,RUS,CHN)."),
        click.option("--blocs", metavar="BLOC,...", callback=_codes, default=None,
                     help="Blocs to compare with (default: a state's own blocs and the EU; "
                     "for a bloc, the EU)."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _write_report(db: Path | None, output: Path, make_spec: Callable) -> None:
    # plotly and jinja2 load only for this command
    from alignment import reports, store

    store.refuse_overwrite(output, locate(db).path)
    with open_store(db) as con:
        spec = make_spec(reports, con)
    path, report = reports.write_report(locate(db).path, spec, output)
    size = path.stat().st_size / 1e6
    summary = f"{report.n_figures} charts, {report.matrix.height} roll calls, {size:.1f} MB"
    click.echo(f"{path}: {summary}")


@cli.group()
def report() -> None:
    """Interactive HTML reports (one self-contained file each, no network needed to open)."""


@report.command("belarus-syria")
@db_option
@report_output
def report_belarus_syria(db: Path | None, output: Path) -> None:
    """Belarus's votes on Syria among its partners, 2011 to the latest vote."""
    _write_report(db, output, lambda reports, con: reports.flagship())


def _subject_report(kind: str, argument: str, doc: str) -> Callable:
    """The command of one kind of report (country, bloc): the same options and steps."""

    @click.argument(argument)
    @report_choices
    @db_option
    @report_output
    def command(db: Path | None, output: Path, **choices: Any) -> None:
        key = choices.pop(argument)
        _write_report(db, output, lambda reports, con: reports.resolve(con, kind, key, **choices))

    command.__doc__ = doc
    return report.command(kind)(command)


report_country = _subject_report(
    "country", "iso3", "The same parts for any state, by its ISO3 code: KAZ, USA ..."
)
report_bloc = _subject_report(
    "bloc", "name", "The same parts for any bloc (see the blocs table: csto, eaeu, eu, nato ...)."
)


@report.command("gallery")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True,
              help="Folder to write the reports and their index.html into.")  # fmt: skip
@db_option
def report_gallery(output: Path, db: Path | None) -> None:
    """A set of reports (the flagship, a few states and blocs) and an index.html linking
    them: one folder to publish."""
    from alignment.reports import gallery

    with open_store(db) as con:
        specs = gallery.specs(con)
    index, _ = gallery.write_gallery(locate(db).path, specs, output, progress=click.echo)
    click.echo(f"{index}: {len(specs)} reports")


# --- topics and coverage -----------------------------------------------------------------------


@cli.group()
def topics() -> None:
    """Topics of roll calls: why a roll call carries each one (data/topic_rules.csv,
    data/topic_lists.csv)."""


def _explain_text(frame: pl.DataFrame) -> str:
    """One block per roll call: its named topics with their verdict and every piece of
    evidence, then Voeten's codes and the Library's subject headings."""
    import polars as pl

    lines = []
    for (roll_call_id,), rows in frame.group_by("roll_call_id", maintain_order=True):
        first = rows.row(0, named=True)
        title = first["title"] or ""
        title = title if len(title) <= 160 else title[:159] + "…"
        lines.append(f"{first['symbol']} ({first['date']}, {first['kind']}, roll call "
                     f"{roll_call_id}): {title}")  # fmt: skip
        named = rows.filter(pl.col("scheme") == "named")
        for (topic,), evidence in named.group_by("topic", maintain_order=True):
            verdict = evidence.row(0, named=True)
            lines.append(
                f"  {topic}: {verdict['strength']} (decided by {verdict['basis']}, "
                f"{verdict['rule']})"
            )
            for e in evidence.drop_nulls("e_rule").iter_rows(named=True):
                matched = (e["e_matched"] or "")[:100]
                lines.append(
                    f"    - {e['e_strength']}: {e['e_basis']} matched by {e['e_rule']}: {matched!r}"
                )
                if e["e_note"]:
                    lines.append(f"      ({e['e_note'][:200]})")
        if named.is_empty():
            lines.append("  no named topic")
        for scheme, label in (("voeten", "Voeten's issue codes"), ("subject", "subject headings")):
            names = rows.filter(pl.col("scheme") == scheme)["topic"].unique(maintain_order=True)
            if names.len():
                lines.append(f"  {label}: {', '.join(names.to_list())}")
        lines.append("")
    return "\n".join(lines)


@topics.command("explain")
@click.argument("symbol")
@db_option
@output_options
def topics_explain(symbol: str, db: Path | None) -> tuple[pl.DataFrame, Callable]:
    """Why the roll calls of SYMBOL (A/RES/79/134) carry each topic: the verdict (primary or
    mention) and every rule or curated list entry that matched, with the text it matched."""
    from alignment import analyses

    with open_store(db) as con:
        verdicts, evidence = analyses.explain_topics(con, symbol)
    frame = verdicts.join(
        evidence.rename(
            {c: f"e_{c}" for c in evidence.columns if c not in ("roll_call_id", "topic")}
        ),
        on=["roll_call_id", "topic"],
        how="left",
    )
    return frame, _explain_text


@cli.command("coverage")
@click.option("--from", "start", type=DateOrYear(end=False), default=None,
              help="Only series with a record on or after this day (or year).")  # fmt: skip
@click.option("--to", "end", type=DateOrYear(end=True), default=None,
              help="Only series with a record on or before this day (or year).")  # fmt: skip
@click.option("--source", default="store", show_default=True,
              help="store (all sources reconciled), a source (unvotes, unxml_json ...) or all.")  # fmt: skip
@db_option
@output_options
def coverage_command(start: Any, end: Any, source: str, db: Path | None) -> pl.DataFrame:
    """What the store holds of each session series (78, ES-11, S-32): first and last vote,
    roll calls, resolutions, decisions without a vote, gaps in the resolution numbering and
    the date through which it is complete (the table coverage). Notes on what is missing
    follow on stderr.

    \b
      alignment coverage --from 2022
      alignment coverage --source all --format csv -o coverage.csv
    """
    from alignment import analyses

    with open_store(db) as con:
        rows = analyses.read_coverage(con, start, end, source=source)
    for note in analyses.coverage_notes(rows, end):
        click.echo(note, err=True)
    return rows
