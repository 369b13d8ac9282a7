"""The time-keeper pages by the record's timetable, with no Prefect run at all, and a
standby time-keeper takes over when the one holding the lease dies, paging nobody twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.paging import deliver_pages
from deployments.timekeeper import LEASE, Timekeeper
from models import db
from models.settings import get_settings
from models.tables import Member, Message, Page
from record.acts.acknowledge import take_urgent_case
from record.incidents import get_incident
from record.timetable import DueRound
from record.urgent_pages import add_page
from tasks.escalation import claim_due_round, page_first_round
from tests.support.escalation import HANDLES, Urgent, urgent_incident, wait_for
from tests.support.fake_twilio import FakeTwilio, fake_twilio, use_fake_twilio
from tests.support.seed import seed_report

STEPS = [
    {"target": "primary", "wait_s": 4},
    {"target": "secondary", "wait_s": 4},
    {"target": "all", "wait_s": 4, "repeat_every_s": 4},
]
DUE_S = [0, 4, 8, 12]  # rounds 0-3: ana; ben; everyone; everyone again
EVERYONE = ["ana", "ben", "chloe", "dev", "eve"]


@pytest.fixture
def fake(care_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwilio]:
    with fake_twilio() as running:
        use_fake_twilio(monkeypatch, running)
        yield running
    get_settings.cache_clear()


def sent(fake: FakeTwilio, code: str) -> list[tuple[str, float]]:
    """(handle, arrival) of each SMS the fake Twilio API accepted for the case."""
    return [(HANDLES[r.to], r.wall) for r in fake.delivered() if f"case {code}." in r.body]


def rounds(fake: FakeTwilio, urgent: Urgent) -> list[list[str]]:
    """Who was paged in each round, by the arrival time against the timetable."""
    found: list[list[str]] = [[] for _ in DUE_S]
    for handle, wall in sent(fake, urgent.code):
        index = max(i for i, due in enumerate(DUE_S) if wall >= urgent.urgent_at + due - 0.5)
        found[index].append(handle)
    return [sorted(handles) for handles in found]


def lateness(fake: FakeTwilio, urgent: Urgent) -> tuple[float, float]:
    """(earliest, latest): how long after its round was due an SMS arrived, at least and
    at most (negative: before the deadline)."""
    after = []
    for handle, wall in sent(fake, urgent.code):
        due = max(d for d in DUE_S if wall >= urgent.urgent_at + d - 0.5)
        after.append(wall - (urgent.urgent_at + due))
        assert handle
    return min(after), max(after)


def test_every_round_is_paged_on_time_by_the_record_alone(fake: FakeTwilio) -> None:
    urgent = urgent_incident(STEPS)
    keeper = Timekeeper(poll_s=0.1).start()  # no Prefect server, no escalation run
    try:
        wait_for(lambda: len(sent(fake, urgent.code)) >= 1 + 1 + 5 + 5, timeout=30, what="4 rounds")
        with db.session_scope() as session:
            taken = take_urgent_case(
                session, incident_code=urgent.code, handle="chloe", channel="console"
            )
            assert taken.counted
        time.sleep(4.5)  # round 4 would be due now
    finally:
        keeper.stop()
    assert rounds(fake, urgent) == [["ana"], ["ben"], EVERYONE, EVERYONE]
    assert len(sent(fake, urgent.code)) == 12  # nothing after the acknowledgement
    earliest, latest = lateness(fake, urgent)
    assert earliest >= 0.0  # never before its deadline (the pagers look ahead, and wait)
    assert latest <= 2.0  # on the timetable; bench/ measures how close


def test_a_standby_takes_over_when_the_holder_dies_and_pages_nobody_twice(
    fake: FakeTwilio,
) -> None:
    urgent = urgent_incident(STEPS)
    first = Timekeeper(poll_s=0.1).start()
    wait_for(lambda: first.holding, timeout=10, what="the first time-keeper holding the lease")
    standby = Timekeeper(poll_s=0.1).start()
    try:
        wait_for(lambda: sent(fake, urgent.code), timeout=10, what="round 0")
        first.stop(release=False)  # dies holding the lease: the standby must wait it out
        died = time.monotonic()
        wait_for(lambda: standby.holding, timeout=LEASE.total_seconds() + 5, what="take-over")
        assert time.monotonic() - died <= LEASE.total_seconds() + 1.0
        wait_for(lambda: len(sent(fake, urgent.code)) >= 12, timeout=30, what="4 rounds")
    finally:
        standby.stop()
        first.stop()
    assert rounds(fake, urgent) == [["ana"], ["ben"], EVERYONE, EVERYONE]
    handles_rounds = [(h, round(w - urgent.urgent_at)) for h, w in sent(fake, urgent.code)]
    assert len(handles_rounds) == len(set(handles_rounds))  # nobody paged twice in a round
    earliest, latest = lateness(fake, urgent)
    assert earliest >= 0.0  # never before its deadline (the pagers look ahead, and wait)
    assert latest <= 2.0  # on the timetable; bench/ measures how close


def test_a_page_two_senders_reach_at_once_is_sent_once(fake: FakeTwilio) -> None:
    """A loaded run records a round and is slow to send it; the time-keeper takes the page
    over as left unsent at that very moment. On PostgreSQL both read it "queued"."""
    urgent = urgent_incident([{"target": "primary", "wait_s": 600}])
    with db.session_scope() as session:
        incident = get_incident(session, urgent.code)
        ana = session.scalar(select(Member).where(Member.handle == "ana"))
        assert ana is not None
        page_id = add_page(session, incident, ana, round_index=0, channel="sms")[0].id
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        deliver_pages([page_id])

    senders = [threading.Thread(target=send) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    assert [handle for handle, _ in sent(fake, urgent.code)] == ["ana"]
    with db.session_scope() as session:
        page = session.get(Page, page_id)
        assert page is not None and page.status == "sent"


def test_an_acknowledgement_after_a_round_is_queued_ahead_cancels_it(fake: FakeTwilio) -> None:
    """The time-keeper records a round up to AHEAD before its deadline, its pages claimed;
    a member who takes the case in that gap stops the round: nobody is paged for it, and
    its messages are cancelled (the outbox never sends them later)."""
    urgent = urgent_incident(STEPS)
    with db.session_scope() as session:
        incident_id = get_incident(session, urgent.code).id
    keeper = Timekeeper(poll_s=0.1).start()
    try:

        def round_1_claimed() -> list[Page]:
            with db.session_scope() as session:
                pages = session.scalars(
                    select(Page).where(Page.incident_id == incident_id, Page.round_index == 1)
                ).all()
                return [page for page in pages if page.status == "ready"]

        wait_for(round_1_claimed, timeout=10, what="round 1 claimed ahead of its deadline")
        assert time.time() < urgent.urgent_at + DUE_S[1]  # still before the deadline
        with db.session_scope() as session:
            taken = take_urgent_case(
                session, incident_code=urgent.code, handle="chloe", channel="console"
            )
            assert taken.counted
        time.sleep(max(0.0, urgent.urgent_at + DUE_S[1] + 1.5 - time.time()))
    finally:
        keeper.stop()
    assert rounds(fake, urgent) == [["ana"], [], [], []]
    with db.session_scope() as session:
        statuses = session.scalars(
            select(Page.status).where(Page.incident_id == incident_id, Page.round_index == 1)
        ).all()
    assert statuses and set(statuses) == {"cancelled"}
    with db.session_scope() as session:
        messages = session.scalars(
            select(Message.status).where(
                Message.incident_id == incident_id, Message.idempotency_key.contains("-r1-")
            )
        ).all()
    assert messages and set(messages) == {"cancelled"}


def test_rounds_due_at_one_moment_are_paged_together_and_an_acknowledgement_stops_only_its_own(
    fake: FakeTwilio,
) -> None:
    """Three cases urgent at the same moment: their rounds fall due together, and are
    claimed and sent as one batch. One is taken before round 1: only its round stops."""
    first = urgent_incident(STEPS)
    with db.session_scope() as session:
        codes = [first.code] + [
            seed_report(session, message_id=f"web-urgent-{n}", urgent=True) for n in (2, 3)
        ]
        for code in codes[1:]:
            get_incident(session, code).urgent_at = get_incident(session, first.code).urgent_at
        taken_id = get_incident(session, codes[1]).id
    cases = [Urgent(code=code, urgent_at=first.urgent_at, totp=first.totp) for code in codes]
    urgent_at = first.urgent_at
    keeper = Timekeeper(poll_s=0.1).start()
    try:
        time.sleep(max(0.0, urgent_at + DUE_S[1] - 1.0 - time.time()))  # round 1 queued
        with db.session_scope() as session:
            taken = take_urgent_case(
                session, incident_code=cases[1].code, handle="chloe", channel="console"
            )
            assert taken.counted
        wait_for(
            lambda: all(len(sent(fake, case.code)) >= 2 for case in (cases[0], cases[2])),
            timeout=10,
            what="round 1 of the two cases nobody took",
        )
        time.sleep(0.5)
    finally:
        keeper.stop()
    for case in (cases[0], cases[2]):
        arrivals = sent(fake, case.code)
        assert [handle for handle, _ in arrivals] == ["ana", "ben"]
        assert 0.0 <= arrivals[1][1] - (urgent_at + DUE_S[1]) <= 2.0
    assert [handle for handle, _ in sent(fake, cases[1].code)] == ["ana"]
    with db.session_scope() as session:
        statuses = session.scalars(
            select(Page.status).where(Page.incident_id == taken_id, Page.round_index == 1)
        ).all()
    assert statuses and set(statuses) == {"cancelled"}


def test_a_round_claimed_by_a_time_keeper_that_died_is_sent_once_by_the_next(
    fake: FakeTwilio,
) -> None:
    """A time-keeper claims round 1 ahead of its deadline and dies (kill -9: nothing given
    back, the pages stay "ready"). The next one sends them once they are overdue."""
    urgent = urgent_incident([STEPS[0], {"target": "secondary", "wait_s": 60}])
    page_first_round(urgent.code)  # round 0, as the host's first-round pager sends it
    due = DueRound(
        urgent.code,
        1,
        datetime.fromtimestamp(urgent.urgent_at + DUE_S[1], UTC),
        ("ben",),
        datetime.fromtimestamp(urgent.urgent_at + DUE_S[1], UTC),
    )
    claimed = claim_due_round(due)  # ... and the claimant dies
    assert len(claimed.messages) == 1
    with db.session_scope() as session:
        page = session.get(Page, claimed.page_ids[0])
        assert page is not None and page.status == "ready"
    keeper = Timekeeper(poll_s=0.1).start()
    try:
        wait_for(lambda: len(sent(fake, urgent.code)) >= 2, timeout=20, what="round 1")
        time.sleep(1.0)  # round 2 is a minute away: anything more would be round 1 again
    finally:
        keeper.stop()
    arrivals = sent(fake, urgent.code)
    assert [handle for handle, _ in arrivals] == ["ana", "ben"]
    assert arrivals[1][1] >= urgent.urgent_at + DUE_S[1]  # not before its deadline
    with db.session_scope() as session:
        page = session.get(Page, claimed.page_ids[0])
        assert page is not None and page.status == "sent"
