"""Notices to the team channel: case codes, channels, urgency, handles and links only.

A notice never names a reporter, a party or a place and never quotes a narrative: whoever
reads the team channel (or a phone's lock screen) learns that something needs the team,
and follows the link to the record. Each notice is queued under an idempotency key, so a
retried step posts nothing twice. Transient Slack failures raise ``DeliveryError`` (call
again to retry the same message); a permanent one is logged and returns ``"failed"``.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.deliver import deliver
from adapters.outgoing import DeliveryError
from models import db
from models.settings import get_settings
from models.tables import Approval, Incident, Report
from policy.signoff import REASONS, TEXT_KINDS
from policy.waiting import answered as answered_notice
from policy.waiting import kind_of
from policy.waiting import notice as waiting_notice
from policy.waiting import refused as refused_notice
from record import outbox, waiting
from record.decisions import DecisionState, get_decision, state
from record.incidents import get_incident

log = logging.getLogger("care.notices")

ACK = "care_ack"
APPROVE = "care_approve"
OBJECT = "care_object"
CONFLICT = "care_conflict"
PURPOSE = "team_notice"
OBJECT_NOTE = "An objection returns the decision to its proposer. Say why in the record."


def record_link(code: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/console/incidents/{code}"


def decision_link(decision_id: int) -> str:
    """The console's page of a decision: the text in full, its showing recorded."""
    return f"{get_settings().public_url.rstrip('/')}/console/decisions/{decision_id}"


def run_link(flow_run_id: str) -> str:
    return f"{get_settings().prefect_ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}"


def _signoff_link(flow_run_id: str | None, code: str | None) -> str:
    """The sign-off's run in the Prefect UI, else the incident's record."""
    if flow_run_id:
        return run_link(flow_run_id)
    return record_link(code) if code else get_settings().public_url


def escape(text: str) -> str:
    """Slack mrkdwn escaping: no mentions or links can be smuggled in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:  # Slack asks "are you sure?" before the click is sent
        element["confirm"] = {
            "title": {"type": "plain_text", "text": f"{text}?"},
            "text": {"type": "mrkdwn", "text": confirm},
            "confirm": {"type": "plain_text", "text": text},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return element


def _blocks(text: str, link: str, buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{text}\n<{link}|Open>"}}
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _post(
    *,
    key: str,
    text: str,
    link: str,
    buttons: list[dict[str, Any]],
    incident_id: int | None,
) -> str:
    """Queue one notice for the team channel and deliver it; return its status."""
    with db.session_scope() as session:
        message, _created = outbox.queue(
            session,
            channel="slack",
            purpose=PURPOSE,
            recipient=get_settings().slack_team_channel or "",
            body=f"{text} {link}",
            idempotency_key=key,
            incident=session.get(Incident, incident_id) if incident_id else None,
            meta={"blocks": _blocks(text, link, buttons)},
        )
        message_id = message.id
    try:
        return deliver(message_id)
    except DeliveryError as exc:
        if not exc.permanent:
            raise
        log.error("team notice %s could not be delivered: %s", message_id, exc)
        return "failed"


def announce_report(report_id: int) -> str:
    """Tell the team channel a report arrived (urgent ones get an Acknowledge button)."""
    with db.session_scope() as session:
        report = session.get(Report, report_id)
        if report is None:
            raise ValueError(f"no report {report_id}")
        incident = report.incident
        code, urgent, channel = incident.code, incident.urgent, report.channel
        incident_id = incident.id
    heading = ":rotating_light: *URGENT* report" if urgent else "New report"
    text = f"{heading} for *{code}* (via {channel})."
    buttons = [button("Acknowledge", ACK, code, style="danger")] if urgent else []
    buttons.append(button("I have a conflict", CONFLICT, code))
    return _post(
        key=f"notice:report:{report_id}",
        text=text,
        link=record_link(code),
        buttons=buttons,
        incident_id=incident_id,
    )


def announce_decision(decision_id: int) -> str:
    """Tell the team channel a sign-off is open: what, and how many approvals it has."""
    with db.session_scope() as session:
        decision = get_decision(session, decision_id)
        shown = state(session, decision)
        incident_id = decision.incident_id
        run_id = decision.flow_run_id
    where = f"*{shown.incident_code}*" if shown.incident_code else "the team"
    text = (
        f"Sign-off needed for {where}: `{shown.kind}` d{shown.id} "
        f"({escape(shown.summary[:200])}). "
        f"Approvals {len(shown.approvers)} of {shown.required}."
    )
    link = _signoff_link(run_id, shown.incident_code)
    if shown.kind in TEXT_KINDS:  # nobody approves a text they did not see
        text += " Read the text in the console before you approve it."
        link = decision_link(shown.id)
    value = str(shown.id)
    buttons = [
        button("Approve", APPROVE, value, style="primary", confirm=f"Approve d{value}?"),
        button("Object", OBJECT, value, style="danger", confirm=OBJECT_NOTE),
    ]
    if shown.incident_code:
        buttons.append(button("I have a conflict", CONFLICT, shown.incident_code))
    return _post(
        key=f"notice:decision:{decision_id}",
        text=text,
        link=link,
        buttons=buttons,
        incident_id=incident_id,
    )


def _answer_text(approval: Approval, shown: DecisionState) -> str:
    where, kind, decision_id = (
        f"*{shown.incident_code}* " if shown.incident_code else "",
        shown.kind,
        shown.id,
    )
    who = approval.member.handle if approval.member else "an unknown member"
    verb = "approved" if approval.verdict == "approve" else "objected to"
    if approval.counted:
        return f"{where}{who} {verb} `{kind}` d{decision_id} (via {approval.channel})."
    return (
        f"{where}an answer in the name of {who} on `{kind}` d{decision_id} "
        f"(via {approval.channel}) was refused: "
        f"{REASONS.get(approval.refusal or '', approval.refusal)}."
    )


def announce_approval(decision_id: int, approval_id: int) -> str:
    """Tell the team channel an answer was given, so one given in someone's name is seen."""
    with db.session_scope() as session:
        decision = get_decision(session, decision_id)
        approval = session.get(Approval, approval_id)
        if approval is None or approval.decision_id != decision.id:
            raise ValueError(f"no approval {approval_id} on decision {decision_id}")
        shown = state(session, decision)
        text = _answer_text(approval, shown)
        incident_id = decision.incident_id
        run_id = decision.flow_run_id
    text += f" Approvals {len(shown.approvers)} of {shown.required}; {shown.status}."
    return _post(
        key=f"notice:approval:{approval_id}",
        text=text,
        link=_signoff_link(run_id, shown.incident_code),
        buttons=[],
        incident_id=incident_id,
    )


def announce_waiting(incident_code: str, step: str) -> str | None:
    """Tell the team channel a step began to wait: case code, step, how many; never a name.

    Returns None when the record has no such open step (answered meanwhile).
    """
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        found = waiting.find_step(session, incident, step)
        code, incident_id = incident.code, incident.id
    if found is None:
        return None
    text = f"{waiting_notice(found.step, found.waiting)} <{record_link(code)}|Read the record>"
    return _post(
        key=f"notice:waiting:{code}:{step}",
        text=text,
        link=run_link(found.run_id) if found.run_id else record_link(code),
        buttons=[button("I have a conflict", CONFLICT, code)],
        incident_id=incident_id,
    )


def announce_answer(
    incident_code: str, step: str, *, handle: str, refusal: str | None, at: str
) -> str:
    """Tell the team channel an answer to a step was recorded (and what is next), or not.

    ``handle`` is the member the answer was given as; it is shown only once the answer was
    recorded, so it is a member's handle; a refusal's reason names no one and repeats
    nothing typed. ``at`` (when it was submitted) tells two answers to one step apart.
    """
    kind = kind_of(step)
    if kind is None:
        raise ValueError(f"not a step of the lifecycle: {step!r}")
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        code, incident_id = incident.code, incident.id
        next_step = waiting.next_step(session, incident)
    if refusal is None:
        text = answered_notice(kind, code, escape(handle), next_step)
    else:
        text = refused_notice(kind, code, escape(refusal[:300]))
    return _post(
        key=f"notice:answer:{code}:{step}:{at}",
        text=text,
        link=record_link(code),
        buttons=[],
        incident_id=incident_id,
    )


def announce_statement_published(incident_code: str, path: str) -> str:
    """Tell the team channel a public statement was published, and where (no names)."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        code, incident_id = incident.code, incident.id
    text = f":loudspeaker: The public statement about *{code}* is published: `{escape(path)}`."
    return _post(
        key=f"notice:statement-published:{code}",
        text=text,
        link=record_link(code),
        buttons=[],
        incident_id=incident_id,
    )


def announce_page_failure(incident_code: str, member_handle: str, *, round_index: int = 0) -> str:
    """Tell the team channel no channel could page a member about an urgent incident."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        code, incident_id = incident.code, incident.id
    text = (
        f":warning: Could not page *{escape(member_handle)}* about urgent *{code}* "
        "on any channel. Can someone else take it?"
    )
    return _post(
        key=f"notice:page-failure:{code}:{member_handle}:{round_index}",
        text=text,
        link=record_link(code),
        buttons=[button("Acknowledge", ACK, code, style="danger")],
        incident_id=incident_id,
    )


def announce_flow_stopped(
    incident_code: str, flow_name: str, run_id: str, *, attempt: int | None, of: int
) -> str:
    """Tell the team channel an incident's run stopped with an error, and what CARE did."""
    with db.session_scope() as session:
        incident = get_incident(session, incident_code)
        code, incident_id = incident.code, incident.id
    if attempt is None:
        text = (
            f":x: The {escape(flow_name)} run of *{code}* keeps stopping with an error; CARE "
            f"gave up after {of} restarts. Someone must look at the run in Prefect."
        )
    else:
        text = (
            f":warning: The {escape(flow_name)} run of *{code}* stopped with an error. "
            f"CARE started it again ({attempt} of {of}); it carries on where the record stands."
        )
    return _post(
        key=f"notice:flow-stopped:{code}:{flow_name}:{attempt or 'gave-up'}",
        text=text,
        link=run_link(run_id),
        buttons=[],
        incident_id=incident_id,
    )


def announce_audit_head(entries: int, head: str, *, broken: int = 0, reset: bool = False) -> str:
    """Post the audit trail's head to the team channel: an anchor out of the database's reach."""
    short = head[:16]
    if broken:
        text = (
            f":x: The audit trail does not verify ({broken} problem(s)). "
            "Run `care audit verify` and compare with the last checkpoint posted here."
        )
    else:
        what = "The audit checkpoint was *reset* by an operator" if reset else "Audit checkpoint"
        text = (
            f":lock: {what}: {entries} entries, head `{short}`. Anyone can check the trail "
            f"still holds it: `care audit verify --checkpoint {entries}:{short}`"
        )
    return _post(
        key=f"notice:audit-head:{entries}:{short}:{broken}:{int(reset)}",
        text=text,
        link=get_settings().public_url,
        buttons=[],
        incident_id=None,
    )
