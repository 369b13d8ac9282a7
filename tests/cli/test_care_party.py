"""`care party add/list/edit/merge`: the people involved, recorded from a terminal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from care_cli.main import main
from models import db
from record.incidents import declare_conflict, get_incident
from tests.support.seed import SECRETS, seed_report, seed_team


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def care(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run the `care` command in-process, as a member would from a terminal."""

    def run(*args: str) -> Run:
        monkeypatch.setattr("sys.argv", ["care", *args])
        monkeypatch.setenv("COLUMNS", "200")
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


@pytest.fixture
def code(care_db: str) -> str:
    with db.session_scope() as session:
        seed_team(session)
        found = seed_report(session)  # the seed records its reported person as P1
        declare_conflict(session, get_incident(session, found), "dev")
        return found


def test_a_member_adds_lists_edits_and_merges_parties(code: str, care: Callable[..., Run]) -> None:
    added = care(
        "party", "add", code, "--role", "witness", "--name", "Tamsin Reedly",
        "--contact", "tamsin@example.com", "--member", "ben",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == f"P2 recorded on {code} (witness)"
    edited = care("party", "edit", code, "P2", "--role", "reported", "--member", "ben")
    assert edited.stdout.strip() == f"P2 on {code} (reported): changed role"
    merged = care("party", "merge", code, "P2", "--into", "P1", "--member", "ben")
    assert merged.stdout.strip() == f"P2 merged into P1 on {code}"
    listed = care("party", "list", code, "--member", "ben")
    assert SECRETS["reported_name"] in listed.stdout and "tamsin@example.com" in listed.stdout
    assert "P2" in listed.stdout and "Tamsin" not in listed.stdout  # merged: P1 kept its name


def test_a_refusal_is_one_plain_line(code: str, care: Callable[..., Run]) -> None:
    conflicted = care("party", "add", code, "--role", "witness", "--name", "X", "--member", "dev")
    assert conflicted.returncode == 2
    assert conflicted.stderr.strip() == (
        f"care: dev may not record people involved in {code}: you have a conflict of interest on it"
    )
    bad = care("party", "merge", code, "P1", "--into", "P1", "--member", "ben")
    assert bad.returncode == 2 and "P1 cannot be merged into itself" in bad.stderr
