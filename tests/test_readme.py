"""The README is the front door: short, its links lead to pages that exist, and its tour runs
as a user types it on the store built from the real data."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from alignment.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_readme_is_short() -> None:
    assert len(README.splitlines()) <= 250


def test_every_relative_link_leads_to_a_file() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)", README)
    assert links, "the README links to the docs"
    assert [link for link in links if not (ROOT / link).exists()] == []
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert pages <= set(links)  # every page of the docs is linked from the front door


def _tour() -> list[list[str]]:
    block = README.split("## A tour in five commands", 1)[1].split("```console", 1)[1]
    lines = block.split("```", 1)[0].strip().splitlines()
    return [shlex.split(line.removeprefix("$ "), comments=True) for line in lines]


def test_the_tour_has_five_commands() -> None:
    assert [argv[0] for argv in _tour()] == ["alignment"] * 5


def test_the_tour_runs(
    ideal_points_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the report goes to reports/ where the user stands
    # The store as a refresh leaves it, ideal points and all (status describes them).
    runner = CliRunner(env={"ALIGNMENT_DB": str(ideal_points_store)})
    for argv in _tour():
        result = runner.invoke(cli, argv[1:])
        assert result.exit_code == 0, (argv, result.output)
    assert (tmp_path / "reports" / "belarus-syria.html").exists()
