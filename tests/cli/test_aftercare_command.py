"""`care transparency-report` drafts; `care erase-person` + `care approve` erase one person."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from care_cli.main import app
from models import db, totp
from models.settings import get_settings
from record.incidents import get_incident
from record.summaries import set_summary
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident, tell_reporter
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


EXPLANATION = "Interrupting a speaker again and again breaks the code of conduct."
STOP_ROW = "| Demand that the participant stop their behaviour | 3 |"


def _approve(decision_id: int, handle: str, secret: str) -> None:
    code = totp.current_code(secret)
    args = ["approve", "--decision", str(decision_id), "--member", handle, "--code", code]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def test_reporters_told_in_cares_own_words_do_not_block_the_report(sqlite_care: str) -> None:
    """Three "stop their behaviour" cases, two reporters told in CARE's template: it publishes."""
    from tasks.transparency import compile_report, propose_report, publish_report

    codes, secrets = _seed()
    with db.session_scope() as session:
        for code in codes[:2]:
            tell_reporter(session, code, explanation=EXPLANATION)
    result = runner.invoke(app, ["transparency-report", "dce27"])
    assert result.exit_code == 0, result.output
    assert "3 incidents, 3 without a summary" in result.output
    draft = get_settings().data_dir / "drafts" / "dce27-transparency-report-draft.md"
    assert STOP_ROW in draft.read_text()

    decision_id = propose_report.fn("dce27", compile_report("dce27").check.digest)
    for handle in ("ana", "ben", "chloe"):  # a majority of the five members
        _approve(decision_id, handle, secrets[handle])
    published = [p for p in publish_report.fn("dce27", decision_id) if p.endswith(".md")]
    assert STOP_ROW in Path(published[0]).read_text()

    with db.session_scope() as session:  # what a member wrote in the message is still guarded
        summary = f"The reporter was told: {EXPLANATION}"
        set_summary(session, get_incident(session, codes[2]), summary, actor="ana")
    result = runner.invoke(app, ["transparency-report", "dce27"])
    assert result.exit_code == 1
    assert re.search(rf"line \d+, column \d+: quote \(summary of {codes[2]}\)", result.output)
    assert not re.search(r"quote(?! \(summary)", result.output)  # no table row is a quote


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
