"""The transparency report drafted from real records: the figures, and nothing personal."""

from __future__ import annotations

import re

import pytest

from adapters.report_files import write_report
from models import db
from models.settings import get_settings
from record.incidents import get_incident
from record.summaries import set_summary
from tasks.transparency import compile_report
from tests.support.editions import PEOPLE, Spec, add_edition, add_incident
from tests.support.seed import SECRETS, seed_team

A = "harassment"
B = "stalking_or_photography"
SPECS = [
    # four harassment cases during the event, one with two duplicate reports
    Spec(
        A,
        duplicates=2,
        summary="A participant made sexist remarks at a social event. "
        "The team asked them to stop; they apologised.",
    ),
    Spec(A, channel="slack", ack_h=0.5, resolve_h=10),
    Spec(A, channel="email", ack_h=2, resolve_h=30, unilateral=True),
    Spec(A, resolutions=("remove_without_refund",), urgent=True),
    # three stalking or photography, one before the event
    Spec(B, day=-10, resolutions=("no_action",), violation="no"),
    Spec(B, resolutions=("do_not_publish_video",)),
    Spec(B, resolutions=("do_not_publish_video",)),
    # one safety case after the event: a group of one must not show
    Spec("safety", day=9, resolutions=("no_further_contact",)),
]


@pytest.fixture
def edition(care_db: str) -> list[str]:
    with db.session_scope() as session:
        seed_team(session)
        add_edition(session, "dce25", 2025, attendees=350)
        add_incident(session, "dce25", 2025, Spec(A), 1)
        add_edition(session, "dce27", 2027, attendees=420)
        return [add_incident(session, "dce27", 2027, s, n) for n, s in enumerate(SPECS)]


def _row(markdown: str, label: str) -> str:
    found = [line for line in markdown.splitlines() if line.startswith(f"| {label}")]
    assert found, f"no row {label!r}"
    return found[0]


def test_the_draft_carries_the_figures_a_team_publishes(edition: list[str]) -> None:
    md = compile_report("dce27").markdown
    assert "about 420 attendees" in md and "CARE team had 5 members" in md
    assert "- Reports received: 10" in md  # 8 incidents + 2 duplicate reports
    assert "- Distinct incidents (duplicate reports merged): 8" in md
    assert "- Urgent incidents: fewer than 3" in md
    assert _row(md, "Harassment").endswith("| 4 |")
    assert _row(md, "Stalking, following").endswith("| 3 |")
    assert "Physical safety" not in md  # a single case merges into other
    assert _row(md, "Other").endswith("| fewer than 3 |")
    assert _row(md, "During the event").endswith("| 6 |")
    assert "| Before the event" not in md and "| After the event" not in md  # one each
    assert _row(md, "Web form").endswith("| 8 |")  # reports, duplicates included
    resolutions = md.split("### Resolutions taken", 1)[1].split("##", 1)[0]
    assert _row(resolutions, "Demand that the participant stop").endswith("| 3 |")
    assert "video" not in resolutions  # two cases: merged with the other small groups
    assert _row(resolutions, "Other").endswith("| 5 |")
    assert "Median time to acknowledge a report: about 1 hours" in md
    assert "Median time to a resolution: about 20 hours" in md
    assert "alone (each reviewed by the team): fewer than 3" in md
    assert "Law enforcement involved: no" in md
    assert "| DjangoCon Europe 2025 | 350 | fewer than 3 | fewer than 3 | fewer than 3 |" in md
    assert "sexist remarks at a social event" in md


def test_the_draft_holds_no_personal_data_and_passes_the_guard(edition: list[str]) -> None:
    compiled = compile_report("dce27")
    assert compiled.check.clean and compiled.check.incidents == 8
    assert len(compiled.check.without_summary) == 7
    lowered = compiled.markdown.lower()
    for value in [*PEOPLE.values(), *SECRETS.values(), "reporter number", "dce27-"]:
        assert value.lower() not in lowered
    assert not re.search(r"\b(?:20|21|22|23|24) april\b|\b\d{1,2}:\d{2}\b", lowered)


LEAKY = [
    ("Mr CROWTHORNE was asked to leave.", "name"),
    ("The speaker of monads for the perplexed gardener was warned.", "talk_title"),
    ("Someone from crowthorne-widgets LTD was warned.", "organisation"),
    ("Reach them at isembard.crowthorne@example.com.", "email"),
    ("He kept interrupting my talk and then followed me out.", "quote"),
    ("It happened on 22 April at 14:10.", "date_or_time"),
    ("The team member Ottoline Brackenbury handled it.", "name"),
]


def test_a_leaking_summary_blocks_and_points_to_itself(edition: list[str]) -> None:
    with db.session_scope() as session:
        for code, (summary, _kind) in zip(edition, LEAKY, strict=False):
            set_summary(session, get_incident(session, code), summary, actor="ana")
    check = compile_report("dce27").check
    assert not check.clean
    for code, (_summary, kind) in zip(edition, LEAKY, strict=False):
        assert kind in {spot.kind for spot in check.leaks if spot.incident_code == code}, kind
    for spot in check.leaks:  # each spot is named without the datum
        assert spot.incident_code in edition
        assert str(spot).startswith(f"line {spot.line}, column {spot.column}: ")
        assert "rowthorne" not in str(spot).lower() and "@" not in str(spot)


def test_the_published_pages_are_self_contained_with_a_chart(edition: list[str]) -> None:
    compiled = compile_report("dce27")
    md_path, html_path = write_report(compiled.markdown, compiled.facts, get_settings())
    assert md_path.read_text() == compiled.markdown
    page = html_path.read_text()
    assert "<svg" in page and "Incidents by category" in page and "Resolutions taken" in page
    assert "fewer than 3" in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert not re.search(r"""(?:src|href)=["']?https?:""", page)  # fetches nothing
    assert "<table>" in page and html_path.parent == get_settings().published


def test_markup_in_a_summary_is_escaped(edition: list[str]) -> None:
    with db.session_scope() as session:
        set_summary(
            session,
            get_incident(session, edition[1]),
            "A participant <script>x()</script> left.",
            actor="ana",
        )
    compiled = compile_report("dce27")
    page = write_report(compiled.markdown, compiled.facts, get_settings())[1].read_text()
    assert "<script>" not in page


def test_only_the_signed_off_draft_is_published(edition: list[str]) -> None:
    from record.decisions import get_decision
    from tasks.transparency import NotApproved, propose_report, publish_report

    digest = compile_report("dce27").check.digest
    decision_id = propose_report.fn("dce27", digest)
    with pytest.raises(NotApproved, match="pending"):
        publish_report.fn("dce27", decision_id)  # not signed off yet
    with db.session_scope() as session:
        get_decision(session, decision_id).status = "approved"
        set_summary(session, get_incident(session, edition[2]), "Changed after.", actor="ana")
    with pytest.raises(NotApproved, match="changed since"):
        publish_report.fn("dce27", decision_id)  # the records moved on: propose again
    assert not get_settings().published.exists()
    with db.session_scope() as session:
        set_summary(session, get_incident(session, edition[2]), None, actor="ana")
    paths = publish_report.fn("dce27", decision_id)
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        "dce27-transparency-report.md",
        "dce27-transparency-report.html",
    ]
