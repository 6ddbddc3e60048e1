"""Shared fixtures: the real data folder and one store built from it for the whole run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from alignment import refresh, store

ROOT = Path(__file__).parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"the real data folder {SHARED_DATA} is missing (see README)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A store built once from all of ../shared/data; tests only read it."""
    db = tmp_path_factory.mktemp("store") / "alignment.duckdb"
    refresh.refresh_from_paths(db, [shared_data])
    return db


@pytest.fixture()
def con(built_store: Path) -> duckdb.DuckDBPyConnection:
    connection = store.connect(built_store)
    yield connection
    connection.close()
