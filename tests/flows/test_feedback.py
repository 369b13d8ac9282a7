"""The team channel hears each step the lifecycle begins to wait on, and each answer."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.tables import Message
from tests.support.codes import Codes
from tests.support.host import answer_form, form_description, wait_for
from tests.support.lifecycle import incident_run
from tests.support.seed import SECRETS, Seeded, seed_report


def _notices() -> list[tuple[str, str]]:
    with db.session_scope() as session:
        rows = session.scalars(
            select(Message).where(Message.purpose == "team_notice").order_by(Message.id)
        )
        return [(m.idempotency_key, m.body) for m in rows]


def _body(key: str) -> str | None:
    return dict(_notices()).get(key)


def test_each_waiting_step_and_answer_is_heard_without_names(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    review = f"notice:waiting:{code}:review-{code.lower()}-1"
    waiting = wait_for(lambda: _body(review))
    assert f"Waiting on *{code}*: review, round 1. Waits on 5 members." in str(waiting)
    answer_form(
        run_id,
        {
            "reviewer": "ana",
            "code": codes.later("ana"),
            "needs_more_information": True,
            "information_to_gather": "Ask the witness at the booth",
        },
    )
    findings = f"notice:waiting:{code}:findings-{code.lower()}-1"
    assert "findings, round 1. Waits on 5 members." in str(wait_for(lambda: _body(findings)))
    heard = [body for key, body in _notices() if key.startswith(f"notice:answer:{code}:review")]
    assert heard == [
        f"Review of *{code}* recorded by ana; next: findings, round 1. "
        f"http://127.0.0.1:8000/console/incidents/{code}"
    ]
    answer_form(run_id, {"member": "ben", "code": "000000", "findings": "The witness agreed."})
    wait_for(lambda: "Last answer not recorded" in form_description(run_id))
    refused = [b for k, b in _notices() if k.startswith(f"notice:answer:{code}:findings")]
    assert (
        len(refused) == 1
        and "was not recorded" in refused[0]
        and "code was wrong or had expired" in refused[0]
    )
    assert len([k for k, _ in _notices() if k == findings]) == 1  # asked again: no new notice
    everything = "\n".join(body for _key, body in _notices())
    for name, secret in SECRETS.items():
        assert secret not in everything, name
