"""`care drafts --member HANDLE`: a member's answers that did not count, where to finish them."""

from __future__ import annotations

import pytest

from care_cli.main import main
from models import db
from models.answers import ReviewAnswer
from models.settings import get_settings
from record.acts.form_answer import answer_step
from tests.support.lifecycle import REVIEW
from tests.support.seed import SECRETS, seed_report, seed_team


def _care(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    monkeypatch.setattr("sys.argv", ["care", *args])
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr().err
    return capsys.readouterr().out


def test_drafts_lists_the_members_refused_answers(
    care_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.session_scope() as session:
        seed_team(session)
        code = seed_report(session)
    answer = ReviewAnswer.model_validate(
        {"reviewer": "ben", "code": "000000", **REVIEW, "what_happened": SECRETS["narrative"]}
    )
    with db.session_scope() as session:
        refused = answer_step(
            session,
            incident_code=code,
            step=f"review-{code.lower()}-1",
            form="review",
            target={"round": 1},
            answer=answer,
            channel="ui",
        )
    assert _care(monkeypatch, capsys, "drafts", "--member", "ana").strip() == (
        "ana has no answers to finish"
    )
    shown = _care(monkeypatch, capsys, "drafts", "--member", "ben")
    url = get_settings().public_url
    assert shown.strip() == (
        f"draft {refused.draft_id} · {code} · your review answer: The answer of ben was not "
        f"counted: the code was wrong or had expired. Finish it at {url}/console/drafts/"
        f"{refused.draft_id}"
    )
    assert SECRETS["narrative"] not in shown  # what was typed stays for the console
