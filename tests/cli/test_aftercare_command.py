"""`care transparency-report` drafts; `care erase-person` + `care approve` erase one person."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from care_cli.main import app
from models import db, totp
from models.settings import get_settings
from record.incidents import get_incident
from record.summaries import set_summary
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.leakscan import found_in_tables
from tests.support.seed import seed_team

runner = CliRunner()


def _seed() -> tuple[list[str], dict[str, str]]:
    with db.session_scope() as session:
        team = seed_team(session)
        add_edition(session, "dce27", 2027)
        codes = [add_incident(session, "dce27", 2027, Spec("disruption"), n) for n in range(3)]
    return codes, team.totp


def test_the_command_writes_a_draft_and_never_a_leaking_one(sqlite_care: str) -> None:
    codes, _ = _seed()
    result = runner.invoke(app, ["transparency-report", "dce27"])
    assert result.exit_code == 0, result.output
    assert "3 incidents, 3 without a summary" in result.output
    drafts = get_settings().data_dir / "drafts"
    md = (drafts / "dce27-transparency-report-draft.md").read_text()
    assert "Sustained disruption of talks or events | 3 |" in md
    assert "<svg" in (drafts / "dce27-transparency-report-draft.html").read_text()
    assert not get_settings().published.exists()  # a draft is not published

    with db.session_scope() as session:
        set_summary(session, get_incident(session, codes[1]), "Isembard left early.", actor="ana")
    result = runner.invoke(app, ["transparency-report", "dce27"])
    assert result.exit_code == 1
    assert re.search(rf"line \d+, column 1: name \(summary of {codes[1]}\)", result.output)
    assert "Isembard" not in result.output
    assert "Isembard" not in (drafts / "dce27-transparency-report-draft.md").read_text()


def test_erase_person_is_proposed_approved_then_carried_out(sqlite_care: str) -> None:
    _codes, codes_totp = _seed()
    proposed = runner.invoke(
        app,
        [
            "erase-person",
            "--email",
            PEOPLE["party_email"],
            "--proposer",
            "ana",
            "--code",
            totp.current_code(codes_totp["ana"]),
        ],
    )
    assert proposed.exit_code == 0, proposed.output
    decision = re.search(r"decision (\d+): erase one person's data", proposed.output)
    assert decision and PEOPLE["party_email"] not in proposed.output
    assert found_in_tables(db.engine(), [PEOPLE["party_email"]])  # not erased before sign-off

    early = runner.invoke(app, ["erase-person", "--decision", decision.group(1)])
    assert early.exit_code != 0 and "pending" in str(early.exception)

    approved = runner.invoke(
        app,
        [
            "approve",
            "--decision",
            decision.group(1),
            "--member",
            "ben",
            "--code",
            totp.current_code(codes_totp["ben"]),
        ],
    )
    assert approved.exit_code == 0, approved.output
    assert "approved, 2/2 approvals" in approved.output and "erasure carried out" in approved.output
    assert found_in_tables(db.engine(), [PEOPLE["party_email"], PEOPLE["party_name"]]) == []
