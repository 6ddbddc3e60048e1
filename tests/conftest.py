"""Shared fixtures: the real data folder, one store built from it for the whole run (and a
copy with ideal points, for the tests that read them), the wheel and its installation."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
from filelock import FileLock

from alignment import derived, refresh, store

ROOT = Path(__file__).parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads the real data of ../shared/data (the ``shared_data``
    fixture, or the store built from it), so that the fast loop (`make test-fast`: `-m "not
    store and not slow and not browser"`) leaves them."""
    for item in items:
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.store)


@pytest.fixture(autouse=True)
def _alignment_logger_restored():
    """A command run in a test (CliRunner) sets up the ``alignment`` logger for a terminal
    (its own handler, no propagation): put it back, so that a later test of the same worker
    still sees the records through pytest's ``caplog``."""
    logger = logging.getLogger("alignment")
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"the real data folder {SHARED_DATA} is missing (see README)")
    return SHARED_DATA


def _once(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    make: Callable[[Path], None],
) -> Path:
    """The folder ``name``, filled by ``make(folder)`` once per run: under xdist in a folder
    the workers share (the first to take the lock fills it, the others wait for it), which
    does the work once instead of once per worker."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent  # one folder per run, shared by workers
    folder, done = shared / name, shared / f"{name}.done"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def built_store(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, worker_id: str
) -> Path:
    """A store built once from all of ../shared/data, without ideal points (their estimation
    is most of a build's time; a test that reads them takes ``ideal_points_store``); tests
    only read it. ``ALIGNMENT_TEST_STORE`` names a store already built from the same data,
    copied instead (a quicker local run of a few tests; `make test` builds its own)."""
    prebuilt = os.environ.get("ALIGNMENT_TEST_STORE")

    def make(folder: Path) -> None:
        if prebuilt:
            shutil.copy(prebuilt, folder / "alignment.duckdb")
        else:
            refresh.refresh_from_paths(
                folder / "alignment.duckdb", [shared_data], with_ideal_points=False
            )

    return _once(tmp_path_factory, worker_id, "store", make) / "alignment.duckdb"


@pytest.fixture(scope="session")
def ideal_points_store(
    tmp_path_factory: pytest.TempPathFactory, built_store: Path, worker_id: str
) -> Path:
    """``built_store`` with the ideal points a refresh stores, for the tests that read them:
    a copy, with the estimates computed from its own tables as a build computes them
    (``derived.ideal_points``: the same numbers and store_meta rows, bit for bit)."""

    def make(folder: Path) -> None:
        db = folder / "alignment.duckdb"
        shutil.copy(built_store, db)
        with duckdb.connect(str(db)) as con:
            if con.execute("SELECT count(*) FROM ideal_points").fetchall() != [(0,)]:
                return  # a prebuilt store (ALIGNMENT_TEST_STORE) that has them
            votes = con.sql("SELECT roll_call_id, iso3, vote FROM votes").pl()
            roll_calls = con.sql("SELECT * FROM roll_calls").pl()
            matches = con.sql("SELECT rcid1, rcid2 FROM voeten_matches").pl()
            estimates, meta, _ = derived.ideal_points(votes, roll_calls, matches)
            entries = pl.DataFrame({"key": list(meta), "value": list(meta.values())})
            for table, frame in (("ideal_points", estimates), ("store_meta", entries)):
                con.register("frame", frame)
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
                con.unregister("frame")
        with duckdb.connect(str(db), read_only=True) as con:
            store.validate(con)

    return _once(tmp_path_factory, worker_id, "ideal-points-store", make) / "alignment.duckdb"


@pytest.fixture()
def con(built_store: Path) -> duckdb.DuckDBPyConnection:
    connection = store.connect(built_store)
    yield connection
    connection.close()


@pytest.fixture()
def ideal_points_con(ideal_points_store: Path) -> duckdb.DuckDBPyConnection:
    connection = store.connect(ideal_points_store)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The wheel built from the checkout, as `pip wheel` builds it for a user."""

    def make(folder: Path) -> None:
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert built.returncode == 0, built.stderr

    (path,) = _once(tmp_path_factory, worker_id, "wheel", make).glob("alignment-*.whl")
    return path


@pytest.fixture(scope="session")
def _venv(tmp_path_factory: pytest.TempPathFactory, worker_id: str, wheel: Path) -> Path:
    """A fresh virtual environment with the wheel installed, without extras; built once per
    run (the workers share it: it is only run, never written to)."""

    def make(folder: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
        # pip's cache is the machine's (HOME changes only for the tool itself). --no-compile:
        # Python writes the bytecode at first import instead of pip at install, which halves
        # the install; nothing else differs.
        pip = subprocess.run(
            [str(folder / "bin" / "pip"), "install", "-q", "--no-compile", str(wheel)],
            env=dict(os.environ), cwd=folder, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        assert pip.returncode == 0, pip.stderr

    return _once(tmp_path_factory, worker_id, "venv", make)


@pytest.fixture(scope="session")
def installed(
    tmp_path_factory: pytest.TempPathFactory, _venv: Path, wheel: Path
) -> tuple[Path, dict[str, str], Path, Path]:
    """The wheel as a user installs it: in a fresh virtual environment in a folder outside the
    checkout, run with HOME pointing at an empty folder (one per worker, as is the folder it
    runs in). (the installed `alignment` command, its environment, the folder it runs in, the
    wheel)."""
    where = tmp_path_factory.mktemp("installed")
    home = where / "home"
    home.mkdir()
    env = {
        "PATH": f"{_venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    cwd = where / "elsewhere"
    cwd.mkdir()
    return _venv / "bin" / "alignment", env, cwd, wheel
