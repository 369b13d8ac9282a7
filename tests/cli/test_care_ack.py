"""`care ack CODE --member HANDLE --code TOTP`: acknowledge an urgent page from a terminal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from care_cli.main import main
from models import db, totp
from record.incidents import get_incident
from tests.support.escalation import audit_actions, urgent_incident
from tests.support.seed import seed_report


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
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_ack_with_a_valid_code_stops_paging_and_names_the_first_responder(
    care_db: str, care: Callable[..., Run]
) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    code = totp.current_code(urgent.totp["dev"])
    result = care("ack", urgent.code.lower(), "--member", "dev", "--code", code)
    assert result.returncode == 0, result.stderr
    assert f"{urgent.code} acknowledged: you are the first responder" in result.stdout
    with db.session_scope() as session:
        incident = get_incident(session, urgent.code)
        assert incident.urgent_acknowledged_at is not None
    again = care("ack", urgent.code, "--member", "dev", "--code", code)
    assert again.returncode == 2
    assert (
        again.stderr.strip()
        == f"care: acknowledgement of {urgent.code} not counted: the code was already used "
        "(each code counts once); type the next code your app shows"
    )
    trail = [(actor, action) for actor, action, _d in audit_actions(urgent.code)]
    assert ("dev", "page.ack") in trail and ("dev", "page.ack_refused") in trail


def test_bad_input_is_one_line_and_exit_2(care_db: str, care: Callable[..., Run]) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    with db.session_scope() as session:
        calm = seed_report(session, message_id="web-calm")
    good = totp.current_code(urgent.totp["eve"])
    for args, message in [
        (
            ["ack", urgent.code, "--member", "eve", "--code", "000000"],
            "not counted: the code was wrong or had expired",
        ),
        (["ack", calm, "--member", "eve", "--code", good], "is not urgent"),
        (["ack", "DCE26-99", "--member", "eve", "--code", good], "no incident"),
        (["ack", urgent.code, "--member", "nobody", "--code", good], "no member"),
    ]:
        result = care(*args)
        assert result.returncode == 2, result
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
