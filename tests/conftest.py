"""Shared fixtures: the real data folder and one store built from it for the whole run."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from alignment import refresh, store

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


@pytest.fixture(scope="session")
def built_store(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, worker_id: str
) -> Path:
    """A store built once from all of ../shared/data; tests only read it. Under xdist the
    workers share one build (the first to take the lock builds it), which halves the work.
    ``ALIGNMENT_TEST_STORE`` names a store already built from the same data, copied instead
    (a quicker local run of a few tests; `make test` builds its own)."""
    prebuilt = os.environ.get("ALIGNMENT_TEST_STORE")
    if prebuilt:
        db = tmp_path_factory.mktemp("store") / "alignment.duckdb"
        shutil.copy(prebuilt, db)
        return db
    if worker_id == "master":
        db = tmp_path_factory.mktemp("store") / "alignment.duckdb"
        refresh.refresh_from_paths(db, [shared_data])
        return db
    shared = tmp_path_factory.getbasetemp().parent  # one folder per run, shared by workers
    db = shared / "store" / "alignment.duckdb"
    with FileLock(str(shared / "store.build.lock")):
        if not db.exists():
            db.parent.mkdir(exist_ok=True)
            refresh.refresh_from_paths(db, [shared_data])
    return db


@pytest.fixture()
def con(built_store: Path) -> duckdb.DuckDBPyConnection:
    connection = store.connect(built_store)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path, Path]:
    """The wheel as a user installs it: built from the checkout, installed into a fresh virtual
    environment in a folder outside the checkout, with HOME pointing at an empty folder.
    (the installed `alignment` command, its environment, the folder it runs in, the wheel)."""
    where = tmp_path_factory.mktemp("installed")
    dist = where / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("alignment-*.whl")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # pip's cache is the machine's (HOME changes only for the tool itself).
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], env=dict(os.environ),
        cwd=where, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    home = where / "home"
    home.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    cwd = where / "elsewhere"
    cwd.mkdir()
    return venv / "bin" / "alignment", env, cwd, wheel
