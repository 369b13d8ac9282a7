"""Incident status: which moves the process allows, written out independently here."""

from __future__ import annotations

from itertools import product

import pytest

from policy.status import TRANSITIONS, IllegalTransition, IncidentStatus, check_transition

S = IncidentStatus

# (from, to, the step of the guide it stands for)
ALLOWED = [
    ("reported", "acknowledged", "acknowledge receipt as soon as possible"),
    ("reported", "in_review", "an anonymous report goes straight to review"),
    ("acknowledged", "in_review", "the team meets to review the report"),
    ("in_review", "gathering_information", "additional information should be obtained"),
    ("in_review", "awaiting_signoff", "the team concludes a resolution"),
    ("gathering_information", "in_review", "the information collected goes back to review"),
    ("awaiting_signoff", "in_review", "sign-off refused: back to review"),
    ("awaiting_signoff", "in_conversation", "two members talk with the bad actor"),
    ("awaiting_signoff", "enacting", "the resolution is carried out"),
    ("awaiting_signoff", "informing_reporter", "no action: inform the reporter"),
    ("awaiting_signoff", "public_statement", "a public statement is decided"),
    ("awaiting_signoff", "closed", "nothing to carry out or tell"),
    ("in_conversation", "enacting", "after the conversation the resolution is enacted"),
    ("in_conversation", "informing_reporter", "after the conversation inform the reporter"),
    ("in_conversation", "public_statement", "after the conversation a public statement"),
    ("in_conversation", "closed", "the conversation ends the case"),
    ("in_conversation", "in_review", "the conversation brings new information"),
    ("enacting", "informing_reporter", "after the resolution is complete, inform the reporter"),
    ("enacting", "public_statement", "enacted, then a public statement"),
    ("enacting", "closed", "enacted, nobody to inform"),
    ("informing_reporter", "public_statement", "informed, then a public statement"),
    ("informing_reporter", "closed", "the reporter is informed"),
    ("public_statement", "closed", "the statement is out"),
    ("closed", "in_review", "a closed case is reopened"),
]
ALLOWED_PAIRS = {(S(a), S(b)) for a, b, _ in ALLOWED}


def test_the_table_lists_each_move_once() -> None:
    assert len(ALLOWED_PAIRS) == len(ALLOWED)


@pytest.mark.parametrize(
    ("current", "new"),
    [pytest.param(a, b, id=f"{a} -> {b}") for a, b in product(IncidentStatus, IncidentStatus)],
)
def test_transition_allowed_iff_in_the_process(current: S, new: S) -> None:
    if (current, new) in ALLOWED_PAIRS:
        check_transition(current, new)
        assert new in TRANSITIONS[current]
        return
    with pytest.raises(IllegalTransition, match=f"cannot go from {current} to {new}"):
        check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new", "code", "message"),
    [
        pytest.param(
            S.reported, S.closed, "DCE26-7",
            "DCE26-7: cannot go from reported to closed; allowed: acknowledged, in_review",
            id="a report cannot be closed without review",
        ),
        pytest.param(
            S.closed, S.closed, "",
            "cannot go from closed to closed; allowed: in_review",
            id="staying in the same status is not a move",
        ),
        pytest.param(
            S.public_statement, S.in_review, "X1-2",
            "X1-2: cannot go from public_statement to in_review; allowed: closed",
            id="a public statement is not reviewed again before closing",
        ),
    ],
)  # fmt: skip
def test_illegal_transition_message(current: S, new: S, code: str, message: str) -> None:
    with pytest.raises(IllegalTransition) as raised:
        check_transition(current, new, code=code)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
