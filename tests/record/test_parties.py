"""The people involved, recorded by members: added, changed, merged, named by a review."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models import db, totp
from models.answers import ReviewAnswer
from models.tables import AuditEntry, Conversation, Party
from record import parties
from record.acts.answer import answer_decision
from record.acts.party import add_party_by_member, edit_party, merge_parties, read_parties
from record.conversations import plan_conversations
from record.decisions import get_decision
from record.incidents import declare_conflict, get_incident
from record.parties import PartyNotChanged
from record.personal_data import record_guard
from record.review import ReviewRefused, record_review
from tests.support.seed import SECRETS, Seeded, seed_report, seed_team


@pytest.fixture
def case(care_db: str) -> tuple[str, Seeded]:
    """The seeded team and one report; the seed has recorded its reported person as P1."""
    with db.session_scope() as session:
        seeded = seed_team(session)
        return seed_report(session), seeded


def _audit(action: str) -> list[dict[str, object]]:
    with db.session_scope() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(e.detail) | {"actor": e.actor} for e in rows]


def _add(code: str, role: str, name: str, handle: str = "ben", **more: str) -> str:
    with db.session_scope() as session:
        added = add_party_by_member(
            session, incident_code=code, handle=handle, role=role, name=name, channel="cli", **more
        )
    return added.pseudonym


def test_a_member_records_a_party_under_the_next_pseudonym_encrypted(
    case: tuple[str, Seeded],
) -> None:
    code, _ = case
    with db.session_scope() as session:
        added = add_party_by_member(
            session,
            incident_code=code,
            handle="Ben",
            role="witness",
            name="Quillon Marchbank",
            contact="+353 85 999 1234",
            description="stood by the door",
            channel="console",
        )
    assert (added.incident_code, added.pseudonym, added.role) == (code, "P2", "witness")
    with db.engine().connect() as raw:  # encrypted at rest
        stored = raw.exec_driver_sql("SELECT name, contact, description FROM parties").all()
    assert not any("Quillon" in str(v) or "999" in str(v) for row in stored for v in row)
    [entry] = [e for e in _audit("party.add") if e["actor"] == "ben"]
    assert entry == {
        "actor": "ben",
        "pseudonym": "P2",
        "role": "witness",
        "via": "console",
    }  # the audit trail names the pseudonym, never the person


def test_a_conflicted_or_inactive_member_may_not_record_a_party(
    case: tuple[str, Seeded],
) -> None:
    code, _ = case
    with db.session_scope() as session:
        declare_conflict(session, get_incident(session, code), "chloe")
    with pytest.raises(PartyNotChanged, match=f"chloe may not .* {code}: you have a conflict"):
        _add(code, "witness", "Someone", handle="chloe")
    with pytest.raises(PartyNotChanged, match="not a CARE member"):
        _add(code, "witness", "Someone", handle="mallory")
    with db.session_scope() as session:
        assert len(parties.all_parties(session, get_incident(session, code))) == 1


def test_a_party_with_an_unknown_role_is_refused(case: tuple[str, Seeded]) -> None:
    with pytest.raises(PartyNotChanged, match="role must be one of reporter, reported"):
        _add(case[0], "friend", "Someone")


def test_a_member_changes_what_is_known_of_a_party_audited_by_field(
    case: tuple[str, Seeded],
) -> None:
    code, _ = case
    with db.session_scope() as session:
        changed = edit_party(
            session,
            incident_code=code,
            pseudonym="p1",
            handle="dev",
            changes={"contact": "o.v@example.com", "role": "Reported person", "name": None},
            channel="cli",
        )
    assert changed.pseudonym == "P1" and changed.fields == ("contact", "name")
    with db.session_scope() as session:
        [shown] = read_parties(session, incident_code=code, handle="dev", channel="cli")
    assert (shown.name, shown.contact, shown.role) == (None, "o.v@example.com", "reported")
    assert _audit("party.edit")[-1]["fields"] == ["contact", "name"]
    assert _audit("party.list")[-1]["actor"] == "dev"  # reading them is audited too
    with pytest.raises(PartyNotChanged, match="not pseudonym"), db.session_scope() as session:
        edit_party(
            session,
            incident_code=code,
            pseudonym="P1",
            handle="dev",
            changes={"pseudonym": "P9"},
            channel="cli",
        )


def test_two_entries_for_one_person_merge_and_the_old_pseudonym_names_the_kept_one(
    case: tuple[str, Seeded],
) -> None:
    code, _ = case
    assert _add(code, "reported", "O. Vantwick", contact="ov@example.com") == "P2"
    assert _add(code, "witness", "Tamsin Reedly") == "P3"
    with db.session_scope() as session:
        merged = merge_parties(
            session, incident_code=code, merged="P2", into="P1", handle="eve", channel="cli"
        )
    assert (merged.merged, merged.into) == ("P2", "P1")
    with db.session_scope() as session:
        shown = read_parties(session, incident_code=code, handle="eve", channel="cli")
        incident = get_incident(session, code)
        assert parties.find_party(session, incident, "P2").pseudonym == "P1"  # type: ignore[union-attr]
    assert [(p.pseudonym, p.merged) for p in shown] == [("P1", ("P2",)), ("P3", ())]
    assert shown[0].name == SECRETS["reported_name"] and shown[0].contact == "ov@example.com"
    assert _audit("party.merge")[-1] == {"actor": "eve", "merged": "P2", "into": "P1", "via": "cli"}
    assert _add(code, "target", "Next One") == "P4"  # a merged pseudonym is never given again


@pytest.mark.parametrize(
    ("merged", "into", "why"),
    [
        ("P1", "P1", "P1 cannot be merged into itself"),
        ("P2", "P3", "P2 was already merged into P1"),
        ("P3", "P2", "P2 was merged into P1: merge into P1 instead"),
        ("P3", "P9", "has no party P9"),
    ],
)
def test_merges_that_are_refused(
    case: tuple[str, Seeded], merged: str, into: str, why: str
) -> None:
    code, _ = case
    _add(code, "reported", "Dup")
    _add(code, "witness", "Other")
    with db.session_scope() as session:
        merge_parties(
            session, incident_code=code, merged="P2", into="P1", handle="eve", channel="cli"
        )
    with pytest.raises(PartyNotChanged, match=why), db.session_scope() as session:
        merge_parties(
            session, incident_code=code, merged=merged, into=into, handle="eve", channel="cli"
        )


def _review(seeded: Seeded, **fields: object) -> ReviewAnswer:
    return ReviewAnswer.model_validate(
        {
            "reviewer": "ana",
            "code": totp.current_code(seeded.totp["ana"]),
            "what_happened": "Remarks at the social",
            "violation": "yes",
            "resolve_stop_behaviour": True,
            **fields,
        }
    )


def test_a_review_adds_the_people_it_names_before_its_bad_actors_are_checked(
    case: tuple[str, Seeded],
) -> None:
    code, seeded = case
    answer = _review(
        seeded,
        new_parties="reported: Corvin Ashdown\nwitness: Tamsin Reedly",
        bad_actors="P1, P2",
    )
    with db.session_scope() as session:
        incident = get_incident(session, code)
        outcome = record_review(session, incident, answer)
        assert outcome.bad_actors == ["P1", "P2"]
        found = [(p.pseudonym, p.role, p.name) for p in parties.list_parties(session, incident)]
    assert found == [
        ("P1", "reported", SECRETS["reported_name"]),
        ("P2", "reported", "Corvin Ashdown"),
        ("P3", "witness", "Tamsin Reedly"),
    ]
    assert [e["via"] for e in _audit("party.add")] == [None, "review", "review"]


def test_a_review_naming_an_unknown_party_says_how_to_add_them(case: tuple[str, Seeded]) -> None:
    code, seeded = case
    with pytest.raises(ReviewRefused) as refused, db.session_scope() as session:
        record_review(session, get_incident(session, code), _review(seeded, bad_actors="P7"))
    message = str(refused.value)
    assert f"P7 not a party of {code} (its parties: P1)" in message
    assert "People to add" in message and "console" in message
    assert f"care party add {code}" in message


def test_a_review_whose_people_are_not_role_and_name_is_refused_without_repeating_them(
    case: tuple[str, Seeded],
) -> None:
    code, seeded = case
    with pytest.raises(ReviewRefused) as refused, db.session_scope() as session:
        record_review(
            session, get_incident(session, code), _review(seeded, new_parties="Corvin Ashdown")
        )
    assert "entry 1" in str(refused.value) and "Corvin" not in str(refused.value)
    with db.session_scope() as session:  # nothing of the refused review was kept
        assert len(parties.all_parties(session, get_incident(session, code))) == 1


def test_a_review_naming_a_merged_party_plans_one_conversation_with_the_kept_one(
    case: tuple[str, Seeded],
) -> None:
    code, seeded = case
    _add(code, "reported", "Orbelian V.")
    with db.session_scope() as session:
        incident = get_incident(session, code)
        outcome = record_review(session, incident, _review(seeded, bad_actors="P1, P2"))
        decision_id = outcome.decision_id
    with db.session_scope() as session:
        merge_parties(
            session, incident_code=code, merged="P2", into="P1", handle="eve", channel="cli"
        )
        for handle in ("ben", "chloe"):  # signed off (one answer more than needed is refused)
            answer_decision(
                session,
                decision_id=decision_id or 0,
                handle=handle,
                verdict="approve",
                channel="cli",
                code=totp.current_code(seeded.totp[handle]),
            )
        assert get_decision(session, decision_id or 0).status == "approved"
    with db.session_scope() as session:
        plan_conversations(session, get_incident(session, code))
        rows = session.execute(select(Conversation.party_id, Party.pseudonym).join(Party)).all()
    assert [pseudonym for _, pseudonym in rows] == ["P1"]


def test_the_leak_guard_knows_party_names_and_descriptions(case: tuple[str, Seeded]) -> None:
    code, _ = case
    _add(code, "witness", "Tamsin Reedly", description="her manager Hollis Pemberton stood by")
    with db.session_scope() as session:
        guard = record_guard(session)
    kinds = {
        text: {leak.kind.value for leak in guard.scan(text)}
        for text in (
            "A witness, T. Reedly, confirmed it.",
            "Someone said Pemberton was there.",
            "They wrote: her manager Hollis Pemberton stood by the door.",
            "A participant made remarks at a social event.",
        )
    }
    assert "name" in kinds["A witness, T. Reedly, confirmed it."]
    assert "name" in kinds["Someone said Pemberton was there."]
    assert "quote" in kinds["They wrote: her manager Hollis Pemberton stood by the door."]
    assert kinds["A participant made remarks at a social event."] == set()
