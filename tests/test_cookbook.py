"""The cookbook (docs/guides/cookbook.md): every command runs against the store the tests build
(with its ideal points, as a refresh stores them) and prints exactly what
benchmarks/results/cookbook.json holds, which cog copies into the page (and tests/test_docs.py
checks the copy). After a change to the data or to a command: `python benchmarks/cookbook.py`,
then `make readme`."""

from __future__ import annotations

import importlib.util
import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from alignment.cli import cli

ROOT = Path(__file__).resolve().parents[1]
RESULTS = json.loads((ROOT / "benchmarks" / "results" / "cookbook.json").read_text())
ENTRIES = RESULTS["entries"]


def cookbook_module():
    spec = importlib.util.spec_from_file_location("cookbook", ROOT / "benchmarks" / "cookbook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_results_answer_every_question_of_the_list_in_order() -> None:
    assert [(e["question"], e["command"]) for e in ENTRIES] == cookbook_module().ENTRIES
    assert len(ENTRIES) >= 7


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["command"][:60] for e in ENTRIES])
def test_each_command_prints_what_the_cookbook_shows(ideal_points_store: Path, entry: dict) -> None:
    argv = shlex.split(entry["command"])
    assert argv[0] == "alignment" and "--db" not in argv  # as a user types it
    result = CliRunner(env={"ALIGNMENT_DB": str(ideal_points_store)}).invoke(cli, argv[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout == entry["output"]


def test_the_cookbook_page_shows_each_command_and_its_output() -> None:
    page = (ROOT / "docs" / "guides" / "cookbook.md").read_text()
    for entry in ENTRIES:
        assert f"**{entry['question']}**" in page
        assert f"$ {entry['command']}\n{entry['output']}```" in page, entry["question"]
