"""Reports: a second delivery is recognised; codes are per event; statuses are guarded."""

from __future__ import annotations

import pytest

from models import db
from models.schemas import ReportIn
from policy.status import IllegalTransition, IncidentStatus
from record.incidents import get_incident, set_status, store_report
from tests.support.seed import seed_team


def _report(message_id: str, **kw: object) -> ReportIn:
    return ReportIn(
        channel="email",
        channel_message_id=message_id,
        narrative="something",
        event_slug="dce26",
        **kw,
    )


def test_second_delivery_changes_nothing(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
        first, report, created = store_report(session, _report("<a@x>"))
        again, report2, created2 = store_report(session, _report("<a@x>"))
        other, _, _ = store_report(session, _report("<b@x>"))
    assert created and not created2
    assert (again.code, report2.id) == (first.code, report.id)
    assert (first.code, other.code) == ("DCE26-1", "DCE26-2")


def test_report_can_join_an_existing_incident(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
        first, _, _ = store_report(session, _report("<a@x>"))
        joined, _, _ = store_report(session, _report("<c@x>", incident_code="dce26-1"))
        assert joined.code == first.code and len(joined.reports) == 2


def test_anonymous_report_keeps_no_contact() -> None:
    report = _report(
        "<a@x>", anonymous=True, reporter_contact="x@example.org", contact_kind="email"
    )
    assert report.reporter_contact is None and not report.reachable


def test_illegal_transition_is_refused_with_a_clear_error(care_db: str) -> None:
    with db.session_scope() as session:
        seed_team(session)
        incident, _, _ = store_report(session, _report("<a@x>"))
        with pytest.raises(IllegalTransition, match="DCE26-1"):
            set_status(session, incident, IncidentStatus.closed, actor="ana")
        set_status(session, incident, IncidentStatus.acknowledged, actor="ana")
        assert incident.acknowledged_at is not None
    with db.session_scope() as session:
        assert get_incident(session, "DCE26-1").status == "acknowledged"
