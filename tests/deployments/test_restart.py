"""Kill every CARE process while incidents wait at different steps; start again; finish all.

Nothing is lost (each incident closes) and nothing is sent twice (one message per purpose
per incident, each sent once).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.settings import PREFECT_API_URL
from sqlalchemy import func, select

from models import db
from models.tables import AuditEntry, Message
from tests.support.codes import Codes
from tests.support.host import answer_form, delete_all_runs, wait_for, waiting_form
from tests.support.lifecycle import (
    NO_VIOLATION,
    approve_cli,
    completed,
    incident_run,
    pending,
    quick_lifecycle,
    read_and_approve,
)
from tests.support.seed import Seeded, seed_report


@contextmanager
def host_process(log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "care_cli.main", "host"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()


def test_a_killed_host_loses_nothing_and_repeats_nothing(team: Seeded, tmp_path: Path) -> None:
    codes = Codes(team.totp)
    delete_all_runs()
    with db.session_scope() as session:
        waiting_review, waiting_signoff, waiting_message = (
            seed_report(session, message_id=f"web-{n}") for n in range(3)
        )
    log = tmp_path / "host.log"
    with host_process(log) as first:
        runs = {
            code: incident_run(code) for code in (waiting_review, waiting_signoff, waiting_message)
        }
        for code in (waiting_signoff, waiting_message):
            answer_form(runs[code], {"reviewer": "ana", "code": codes.later("ana"), **NO_VIOLATION})
            # as a member does: the next review once this one counted (her codes are used in
            # order: an answer read after one with a later code is refused as a reused code)
            pending(code, "review_outcome")
        approve_cli(pending(waiting_message, "review_outcome").id, "ben", codes)
        message_decision = pending(waiting_message, "reporter_message")
        wait_for(lambda: waiting_form(runs[waiting_review]))
        # an answer in flight when everything dies
        signoff = pending(waiting_signoff, "review_outcome")
        answer_form(
            signoff.flow_run_id or "",
            {"member": "chloe", "verdict": "approve", "code": codes.later("chloe")},
        )
        first.send_signal(signal.SIGKILL)
        first.wait()

    with host_process(log):
        for handle in ("dev", "ana"):
            read_and_approve(message_decision.id, handle, codes)
        quick_lifecycle(waiting_review, codes, reviewer="eve", second="dev")
        for handle in ("eve", "ana"):
            read_and_approve(pending(waiting_signoff, "reporter_message").id, handle, codes)
        wait_for(lambda: all(completed(runs[code]) for code in runs), timeout=240)

    with db.session_scope() as session:
        informed = session.execute(
            select(Message.incident_id, func.count())
            .where(Message.purpose == "inform_reporter")
            .group_by(Message.incident_id)
        ).all()
        assert sorted(n for _, n in informed) == [1, 1, 1]  # every reporter told, once
        messages = session.scalars(select(Message.id)).all()
        left = session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action.in_(["message.outbox", "message.sent"])
            )
        ).all()
        sent_ids = sorted(json.loads(detail)["message"] for detail in left)
        assert sent_ids == sorted(messages)  # each message left exactly once
    delete_all_runs()
