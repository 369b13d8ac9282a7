"""Acknowledging an urgent page: who may, with what proof, and what it changes."""

from __future__ import annotations

import pytest

from models import db, totp
from models.validation import InvalidInput
from record.incidents import declare_conflict, get_incident
from record.members import deactivate
from record.urgent_pages import acknowledge, open_escalations
from tests.support.escalation import urgent_incident
from tests.support.seed import seed_report


@pytest.mark.parametrize(
    ("channel", "code", "refusal"),
    [
        pytest.param("sms", None, None, id="SMS from the member's phone: no code needed"),
        pytest.param("slack", None, None, id="Slack's signed payload proves who"),
        pytest.param("console", None, None, id="a console login proves who"),
        pytest.param("cli", None, "bad_code", id="the CLI needs a TOTP code"),
        pytest.param("cli", "123456", "bad_code", id="a wrong code is refused"),
        pytest.param("ui", "good", None, id="the Prefect UI with a good code"),
    ],
)
def test_identity_is_proven_by_the_channel_or_a_totp_code(
    care_db: str, channel: str, code: str | None, refusal: str | None
) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    if code == "good":
        code = totp.current_code(urgent.totp["ben"])
    with db.session_scope() as session:
        incident = get_incident(session, urgent.code)
        result = acknowledge(session, incident, handle="ben", channel=channel, code=code)
        assert result.refusal == refusal
        assert result.counted is (refusal is None)
        assert (incident.urgent_acknowledged_at is not None) is (refusal is None)


def test_the_first_to_acknowledge_responds_and_paging_stops_for_everyone(care_db: str) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    with db.session_scope() as session:
        other = seed_report(session, message_id="web-urgent-2", urgent=True)
        seed_report(session, message_id="web-calm")
        assert open_escalations(session) == [urgent.code, other]
        incident = get_incident(session, urgent.code)
        first = acknowledge(session, incident, handle="dev", channel="sms")
        second = acknowledge(session, incident, handle="eve", channel="sms")
        assert (first.first, second.first) == (True, False)
        assert open_escalations(session) == [other]


def test_inactive_and_conflicted_members_do_not_count(care_db: str) -> None:
    urgent = urgent_incident([{"target": "primary", "wait_s": 60}])
    with db.session_scope() as session:
        incident = get_incident(session, urgent.code)
        declare_conflict(session, incident, "ana")
        deactivate(session, "chloe")
        assert acknowledge(session, incident, handle="ana", channel="sms").refusal == "conflicted"
        assert acknowledge(session, incident, handle="chloe", channel="sms").refusal == "inactive"
        assert incident.urgent_acknowledged_at is None and incident.first_responder_id is None


def test_a_calm_incident_has_nothing_to_acknowledge(care_db: str) -> None:
    urgent_incident([{"target": "primary", "wait_s": 60}])
    with db.session_scope() as session:
        calm = get_incident(session, seed_report(session, message_id="web-calm"))
        with pytest.raises(InvalidInput, match="not urgent"):
            acknowledge(session, calm, handle="ana", channel="sms")
