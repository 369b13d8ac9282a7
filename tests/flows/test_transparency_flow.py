"""The transparency report and the purge as real Prefect runs, through the UI's forms.

The team writes summaries in the forms (one leaks a name and is sent back), a majority
signs the draft off, the report is published; after the purge nothing personal is left
in CARE's tables and raw file or in the Prefect server's database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.settings import get_current_settings
from sqlalchemy import select

from models import db
from models.settings import get_settings
from models.tables import Decision
from record import audit
from record.incidents import get_incident
from tasks.retention import start_flow
from tests.support.codes import Codes
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.host import answer_form, form_description, read_run, wait_for
from tests.support.leakscan import found_in_files, found_in_tables, sqlite_files
from tests.support.seed import Seeded

LEAKY = f"{PEOPLE['party_name']} was asked to leave"
SUMMARY = "A participant made unwelcome remarks; the team asked them to stop."


def _prefect_files() -> list[Path]:
    url = get_current_settings().server.database.connection_url
    assert url is not None and "sqlite" in url.get_secret_value()
    db_file = Path(url.get_secret_value().split("///", 1)[1])
    storage = get_current_settings().home / "storage"
    files = list(db_file.parent.glob(db_file.name + "*"))
    return files + (list(storage.rglob("*")) if storage.exists() else [])


def _state(run_id: str) -> str:
    state = read_run(run_id).state
    return state.type.value if state else ""


def _decision() -> Decision | None:
    with db.session_scope() as session:
        query = select(Decision).where(Decision.kind == "transparency_report")
        found = session.scalars(query).first()
        return found if found is not None and found.flow_run_id else None


def _moved_on(run_id: str, code: str) -> Callable[[], bool]:
    return lambda: f"summary of {code}" not in form_description(run_id)


def _approvals_shown(run_id: str, n: int) -> Callable[[], bool]:
    return lambda: f"{n} of 3" in form_description(run_id)


def test_report_is_written_guarded_signed_off_published_then_purged(
    team: Seeded, host: object
) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        add_edition(session, "dce27", 2027)
        incidents = [add_incident(session, "dce27", 2027, Spec("harassment"), n) for n in range(3)]
    run_id = start_flow.fn("compile-transparency-report", "dce27")

    for n, code in enumerate(incidents):  # one form per incident, in turn
        text = form_description(run_id)
        assert f"summary of {code}" in text and "Harassment" in text
        summary = LEAKY if n == 0 else SUMMARY
        answer_form(run_id, {"member": "ana", "summary": summary})
        wait_for(_moved_on(run_id, code))
    text = form_description(run_id)  # the leaking summary comes back, saying only what kind
    assert f"summary of {incidents[0]}" in text and "blocked" in text and "name" in text
    assert PEOPLE["party_name"] not in text and "Crowthorne" not in text
    answer_form(run_id, {"member": "ben", "summary": ""})

    try:
        decision = wait_for(_decision)
    except AssertionError:
        from tests.support.host import waiting_form

        with db.session_scope() as session:
            print("DEBUG summaries", [get_incident(session, c).summary for c in incidents])
        print("DEBUG state", read_run(run_id).state, waiting_form(run_id))
        raise
    assert isinstance(decision, Decision) and decision.flow_run_id
    for n, handle in enumerate(("ana", "chloe", "dev"), start=1):  # a majority of five
        form_description(decision.flow_run_id)  # the form is up: a fresh code lasts long enough
        answer_form(
            decision.flow_run_id, {"member": handle, "verdict": "approve", "code": codes(handle)}
        )
        if n < 3:
            wait_for(_approvals_shown(decision.flow_run_id, n))
    wait_for(lambda: _state(run_id) == "COMPLETED", timeout=120)

    published = get_settings().published
    md = (published / "dce27-transparency-report.md").read_text()
    assert "- Distinct incidents (duplicate reports merged): 3" in md
    assert md.count(SUMMARY) == 2 and "Crowthorne" not in md
    assert "<svg" in (published / "dce27-transparency-report.html").read_text()
    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["transparency-dce27"]))
        )
    assert artifacts and any(a.data == md for a in artifacts)

    purge_id = start_flow.fn("purge-personal-data", "dce27")
    wait_for(lambda: _state(purge_id) == "COMPLETED", timeout=60)
    assert (read_run(purge_id).parameters or {}) == {"event_slug": "dce27"}
    with db.session_scope() as session:
        assert get_incident(session, incidents[0]).purged_at is None  # not due yet: kept
    with get_client(sync_client=True) as client:
        forced = client.create_flow_run_from_deployment(
            client.read_deployment_by_name("purge-personal-data/care").id,
            parameters={"event_slug": "dce27", "force": True},
        )
    wait_for(lambda: _state(str(forced.id)) == "COMPLETED", timeout=60)

    secrets = [v for k, v in PEOPLE.items() if k != "phone"] + ["reporter1@example.net"]
    assert found_in_tables(db.engine(), secrets) == []
    assert found_in_files(sqlite_files(str(db.engine().url)), secrets) == []
    assert found_in_files(_prefect_files(), ["transparency-dce27"])  # the scan reads Prefect's db
    assert found_in_files(_prefect_files(), [*secrets, LEAKY]) == []
    with db.session_scope() as session:
        assert audit.verify(session).ok
        assert get_incident(session, incidents[1]).summary == SUMMARY
    assert UUID(run_id)
