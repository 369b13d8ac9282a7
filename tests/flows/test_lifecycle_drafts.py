"""A code counts at the moment the member gave it; a refused answer is finished in the console."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

import record.decisions
from models import db, totp
from models.db import utcnow
from models.settings import get_settings
from models.tables import Draft, ReviewOutcome
from policy.status import IncidentStatus
from tests.support.console import console_app, csrf, next_code, signed_in
from tests.support.host import answer_form, form_description, wait_for
from tests.support.lifecycle import REVIEW, incident_run, pending, status
from tests.support.seed import Seeded, seed_report

LATE = timedelta(seconds=45)  # how long after the member submitted the run reads the answer
DRAFT = re.compile(r"/console/drafts/(\d+)")


def _description(run_id: str) -> str:
    stored = form_description(run_id)  # as Prefect keeps it: a JSON string
    return str(json.loads(stored)) if stored.startswith('"') else stored


def _code_late_in_its_step(secret: str) -> Callable[[], str]:
    """The code shown when the member submits, late in its 30 s step: 45 s on it has expired
    (two steps on, past the one step of drift a check allows)."""

    def typed() -> str:
        while not 16 <= time.time() % totp.INTERVAL <= 26:
            time.sleep(0.2)
        return totp.current_code(secret)

    return typed


def test_a_code_expired_when_the_run_reads_it_counts_as_given(
    team: Seeded, host: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    form_description(run_id)  # the run waits for the review
    # the run (not the member) is slow: it reads the answer 45 s after it was submitted
    monkeypatch.setattr(record.decisions, "utcnow", lambda: utcnow() + LATE)
    gather = {"needs_more_information": True, "information_to_gather": "Ask the witness"}
    answer_form(
        run_id, {"reviewer": "ana", "code": _code_late_in_its_step(team.totp["ana"]), **gather}
    )

    wait_for(lambda: status(code) == IncidentStatus.gathering_information)
    text = _description(run_id)
    assert text.startswith(f"**Your review of {code} was recorded (by ana)**; next: Record what")
    with db.session_scope() as session:
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.information_to_gather == "Ask the witness"
        assert session.scalars(select(Draft)).first() is None


def test_a_wrong_code_is_kept_and_the_review_finished_in_the_console(
    team: Seeded, host: object
) -> None:
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    answer_form(run_id, {"reviewer": "ana", "code": "000000", **REVIEW})

    wait_for(lambda: "Finish it in the console" in _description(run_id))
    text = _description(run_id)
    url = get_settings().public_url
    assert text.startswith(
        "**Last answer not recorded:** The answer of ana was not counted: "
        f"the code was wrong or had expired. Finish it in the console: {url}/console/drafts/"
    )
    assert str(REVIEW["what_happened"]) not in text
    found = DRAFT.search(text)
    assert found
    draft_id = int(found.group(1))

    app, _config = console_app()
    client = signed_in(app, "ana", team.totp["ana"])
    page = client.get(f"/console/drafts/{draft_id}")
    assert REVIEW["what_happened"] in page.text
    data = {
        "csrf": csrf(client),
        "code": next_code(team.totp["ana"]),
        **{k: v for k, v in REVIEW.items() if isinstance(v, str)},
        **{k: "on" for k, v in REVIEW.items() if v is True},
    }
    finished = client.post(f"/console/drafts/{draft_id}", data=data, follow_redirects=False)
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == f"/console/incidents/{code}?done=draft"

    pending(code, "review_outcome")  # the run was woken and went on to the sign-off
    with db.session_scope() as session:
        outcome = session.scalars(select(ReviewOutcome)).one()
        assert outcome.what_happened == REVIEW["what_happened"]
        assert session.get(Draft, draft_id).resolved_at is not None  # type: ignore[union-attr]
