"""Nothing a member typed goes back into Prefect, not even in the form that asks again.

A member types names into every free-text field of every lifecycle form, each time with an
answer CARE refuses (a name for a pseudonym, a handle or an authenticator code; a value
that is no answer at all). Each form comes back saying which field was wrong and why;
then every table of Prefect's database is searched for the names: none is there.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
from prefect.settings import get_current_settings

from adapters.prefect_api import wake
from models import db
from models.db import utcnow
from record import members
from record.events import get_event
from tasks.retention import start_flow
from tests.support.codes import Codes
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.host import answer_form, form_description, wait_for, waiting_form
from tests.support.lifecycle import (
    NOTES,
    REVIEW,
    STATEMENT,
    approve_cli,
    completed,
    conversation_holder,
    incident_run,
    pending,
    read_and_approve,
)
from tests.support.seed import Seeded, seed_report

TYPED = {  # field -> a distinctive name typed into it
    "bad_actors": "Ottoline Fairweather-Blythe",
    "what_happened": "Cosimo Hartsilver shouted at the desk",
    "information_to_gather": "Ask Perpetua Lindqvist-Oduya",
    "other_resolution": "Banish Thaddeus Mountjoy-Ashe",
    "reporter_explanation": "Because Leocadia Vantongeren said so",
    "conflicts_declared": "Evander Quillsby",
    "reviewer": "Marisol Featherstonehaugh",
    "review_code": "Aurelio Penhaligon",
    "bool_field": "Seraphina Holloway-Dunne",
    "findings_code": "Barnaby Ellingworth",
    "findings": "Ignatius Wrenfield admitted it",
    "signoff_code": "Clementine Ashcombe",
    "comment": "Ask Horatio Blackwood-Vane first",
    "conversation_code": "Ludovica Farquharson",
    "notes": "Spoke with Octavian Greystoke-Hume",
    "statement_code": "Philomena Trevelyan",
    "text": "Rosalind Amberley-Croft was removed",
}


def _prefect_rows() -> list[str]:
    """Every row of every table of the Prefect server's database, as text."""
    url = get_current_settings().server.database.connection_url
    assert url is not None and "sqlite" in url.get_secret_value()
    path = Path(url.get_secret_value().split("///", 1)[1])
    rows: list[str] = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            rows += [repr(row) for row in conn.execute(f'SELECT * FROM "{table}"')]  # noqa: S608
    assert len(tables) > 30 and rows
    return rows


def _in_prefect() -> list[str]:
    rows = "\n".join(_prefect_rows()).lower()
    return [name for name in TYPED.values() if name.lower() in rows]


def _description(run_id: str) -> str:
    stored = form_description(run_id)  # as Prefect keeps it: a JSON string
    return str(json.loads(stored)) if stored.startswith('"') else stored


def _asks_again(run_id: str, *expected: str) -> Callable[[], bool]:
    return lambda: all(part in _description(run_id) for part in expected)


def _clean(run_id: str) -> None:
    """The form that asks again names the field, never what was typed into it."""
    text = _description(run_id)
    assert not [name for name in TYPED.values() if name.lower() in text.lower()], text


def _refused_reviews(run_id: str, codes: Codes) -> None:
    texts = {k: TYPED[k] for k in ("what_happened", "other_resolution", "reporter_explanation")}
    review = {**REVIEW, **texts, "resolve_other": True}
    answer_form(
        run_id,
        {
            "reviewer": "ana",
            "code": codes.later("ana"),
            **review,
            "information_to_gather": TYPED["information_to_gather"],
            "bad_actors": TYPED["bad_actors"],
        },
    )
    wait_for(_asks_again(run_id, "Last answer not recorded"))
    _clean(run_id)  # it once said: not a party of DCE26-1: OTTOLINE FAIRWEATHER-BLYTHE
    assert '"Bad actors" must be pseudonyms such as P1' in _description(run_id)
    assert "entry 1" in _description(run_id)
    conflicts = TYPED["conflicts_declared"]
    answer_form(
        run_id,
        {"reviewer": "ben", "code": codes.later("ben"), **review, "conflicts_declared": conflicts},
    )
    wait_for(_asks_again(run_id, '"Conflicts declared" must be members', "entry 1"))
    _clean(run_id)
    answer_form(run_id, {"reviewer": "ben", "code": TYPED["review_code"], **review})
    wait_for(_asks_again(run_id, "The answer of ben was not counted", "wrong or had expired"))
    # what the UI's form cannot send, and Prefect's resume refuses: a raw input, then a wake
    _raw_answer(run_id, {"reviewer": TYPED["reviewer"], "code": "123456", **review})
    wait_for(_asks_again(run_id, "The answer of the member chosen (not a CARE member) was not"))
    _clean(run_id)
    _raw_answer(run_id, {"reviewer": "dev", "needs_more_information": TYPED["bool_field"]})
    wait_for(
        _asks_again(run_id, "not valid: ", '"More information is needed before the team decides"')
    )
    _clean(run_id)


def _raw_answer(run_id: str, values: dict[str, object]) -> None:
    keyset = wait_for(lambda: waiting_form(run_id))
    assert isinstance(keyset, dict)
    with get_client(sync_client=True) as client:
        client.create_flow_run_input(UUID(run_id), keyset["response"], json.dumps(values))
    assert wake(run_id)


def test_nothing_typed_is_echoed_into_prefect(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    run_id = incident_run(code)
    _refused_reviews(run_id, codes)
    gather = {"needs_more_information": True, "information_to_gather": "Ask the volunteer"}
    answer_form(run_id, {"reviewer": "dev", "code": codes.later("dev"), **gather})
    wait_for(_asks_again(run_id, "gather information"))
    answer_form(
        run_id, {"member": "eve", "code": TYPED["findings_code"], "findings": TYPED["findings"]}
    )
    wait_for(_asks_again(run_id, "The answer of eve was not counted", "wrong or had expired"))
    _clean(run_id)
    answer_form(run_id, {"member": "eve", "code": codes.later("eve"), "findings": "Confirmed."})
    wait_for(_asks_again(run_id, "review, round 2"))
    answer_form(
        run_id,
        {"reviewer": "ana", "code": codes.later("ana"), **REVIEW, "happened_in_public": True},
    )

    signoff = pending(code, "review_outcome").flow_run_id or ""
    answer = {"member": "ben", "verdict": "approve", "code": TYPED["signoff_code"]}
    answer_form(signoff, {**answer, "comment": TYPED["comment"]})
    wait_for(_asks_again(signoff, "The answer of ben was not counted: the code was wrong"))
    _clean(signoff)
    answer_form(signoff, {**answer, "code": codes.later("ben"), "comment": "agreed"})

    holder = conversation_holder(code)
    answer_form(
        run_id, {"member": holder, "code": TYPED["conversation_code"], "notes": TYPED["notes"]}
    )
    wait_for(_asks_again(run_id, f"The answer of {holder} was not", "wrong or had expired"))
    _clean(run_id)
    answer_form(
        run_id, {"member": holder, "code": codes.later(holder), "notes": NOTES, "held": True}
    )
    message = pending(code, "reporter_message").id
    for handle in ("chloe", "ben"):
        read_and_approve(message, handle, codes)
    statement = pending(code, "public_statement_decision")
    for handle in ("chloe", "eve", "ana"):
        approve_cli(statement.id, handle, codes)
    answer_form(run_id, {"member": "dev", "code": TYPED["statement_code"], "text": TYPED["text"]})
    wait_for(_asks_again(run_id, "The answer of dev was not counted", "wrong or had expired"))
    _clean(run_id)
    assert _in_prefect() == []  # while a form that asked again still waits

    answer_form(run_id, {"member": "dev", "code": codes.later("dev"), "text": STATEMENT})
    text = pending(code, "public_statement_text")
    for handle in ("eve", "ana"):
        read_and_approve(text.id, handle, codes)
    wait_for(lambda: completed(run_id))
    assert _in_prefect() == []


def _urgent_report() -> str:
    with db.session_scope() as session:
        event = get_event(session, "dce26")
        event.escalation_policy = {"steps": [{"target": "primary", "wait_s": 60}]}
        now = utcnow()
        members.set_oncall(
            session,
            event=event,
            handle_="ana",
            tier="primary",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
    with db.session_scope() as session:
        return seed_report(session, message_id="web-urgent", urgent=True)


def _ack_form(code: str) -> str | None:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"acknowledge-{code}"]))
        )
    return str(runs[0].id) if runs and waiting_form(runs[0].id) else None


def test_nor_into_the_acknowledgement_and_summary_forms(team: Seeded, host: object) -> None:
    typed = {"ack_code": "Wystan Pellegrini-Rooke", "summary": PEOPLE["party_name"]}
    code = _urgent_report()
    ack = str(wait_for(lambda: _ack_form(code)))
    answer_form(ack, {"member": "ben", "code": typed["ack_code"]})
    wait_for(_asks_again(ack, "Last answer not counted", "the code was wrong"))

    with db.session_scope() as session:
        add_edition(session, "dce27", 2027)
        incident = add_incident(session, "dce27", 2027, Spec("harassment"), 1)
    report = start_flow.fn("compile-transparency-report", "dce27")
    wait_for(_asks_again(report, f"summary of {incident}"))
    answer_form(report, {"member": "ana", "summary": f"{typed['summary']} was asked to leave"})
    wait_for(_asks_again(report, "The last summary was blocked", "name"))
    for run_id in (ack, report):
        assert not [t for t in typed.values() if t.lower() in _description(run_id).lower()]
    rows = "\n".join(_prefect_rows()).lower()
    assert [t for t in typed.values() if t.lower() in rows] == []
