"""One incident from a web report to its close, driven only through CARE's public surfaces.

Nothing here imports CARE: the reporter uses the intake's web form, the members answer the
Prefect UI's forms through Prefect's REST API exactly as the UI sends them, and use the
console over HTTP and the `care` CLI. Every member action is counted: the closing note
quotes how many one incident takes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.care_app import STEP_S, CareApp, Console, wait_for

REPORT = {
    "what_happened": (
        "During the Friday keynote Q&A Sam Doe shouted insults at Alex Roe and then followed "
        "her to the hallway and kept blocking her way."
    ),
    "when": "Friday, 10:40",
    "where": "Main hall, then the hallway",
    "involved": "Sam Doe (the one shouting); Alex Roe (the speaker he shouted at)",
    "witnesses": "A volunteer at the door",
    "name": "Riley Reporter",
    "contact": "riley@example.org",
    "consent_to_contact": "yes",
}


class Actions(Counter[str]):
    """The member actions of the journey, by surface."""

    def did(self, surface: str) -> None:
        self[surface] += 1


def eligible(form: dict[str, Any], field: str) -> list[str]:
    """The members a paused form offers for its member field (an enum in its schema)."""
    schema = form["schema"]
    prop = schema["properties"][field]
    if "enum" in prop:
        return list(prop["enum"])
    ref = (prop.get("allOf") or [prop])[0].get("$ref", "")
    return list(
        schema["definitions" if "definitions" in schema else "$defs"][ref.split("/")[-1]]["enum"]
    )


def paused_form(
    care: CareApp, run_id: str, after: str | None = None, timeout: float = 180
) -> dict[str, Any]:
    """The run's form once it pauses again (with a new description, if ``after`` is given)."""

    def fresh() -> dict[str, Any] | None:
        form = care.prefect.form(run_id)
        if form is None or (after is not None and form["description"] == after):
            return None
        return form

    found: dict[str, Any] = wait_for(fresh, timeout=timeout, every=0.5)
    return found


def late_in_step_code(care: CareApp, handle: str) -> str:
    """A code taken in the last seconds of its time step: 45 s later it has expired."""
    while time.time() % STEP_S < STEP_S - 3:
        time.sleep(0.2)
    return care.codes.code(handle)


def sign_off(care: CareApp, code: str, actions: Actions, read_first: bool = False) -> None:
    """Members approve the incident's open sign-off in Prefect until it has its quorum."""
    run_id: str = wait_for(lambda: _open_signoff(care, code), timeout=180)
    deadline = time.monotonic() + 600
    seen: str | None = None
    while care.prefect.state(run_id) != "COMPLETED":
        assert time.monotonic() < deadline, f"sign-off {run_id} never completed"
        run = care.prefect.run(run_id)
        form = care.prefect.form(run_id)
        if form is None or run["state"]["id"] == seen:
            time.sleep(0.5)
            continue
        seen = run["state"]["id"]
        member = eligible(form, "member")[0]
        if read_first:
            decision = re.search(r"/console/decisions/(\d+)", form["description"])
            assert decision is not None, form["description"]
            shown = care.care("decision", "show", decision.group(1), "--member", member)
            assert shown.strip(), "the text shown to the member is empty"
            actions.did("cli")
        care.prefect.answer(
            run_id, {"member": member, "verdict": "I approve", "code": care.codes.later(member)}
        )
        actions.did("prefect")


def _open_signoff(care: CareApp, code: str) -> str | None:
    for run in care.prefect.signoff_runs(code):
        if run["state"]["type"] not in ("COMPLETED", "CANCELLED", "FAILED", "CRASHED"):
            return str(run["id"])
    return None


@pytest.mark.timeout(1200)  # people's pace: a review's code waits 45 s, sign-offs, texts
def test_an_incident_from_a_web_report_to_its_close(care: CareApp) -> None:
    started = time.monotonic()
    actions = Actions()

    # a reporter names two people on the web form
    code = care.report_case_code(**REPORT)
    run_id = care.prefect.incident_run(code)
    form = paused_form(care, run_id)
    assert (
        "Review" in str(form["schema"].get("title", ""))
        or "reviewer" in form["schema"]["properties"]
    )

    # the people involved are recorded: one on the console, one from the command line
    ana = care.console("demo-ana")
    page = ana.get(f"/console/incidents/{code}")
    assert "Sam Doe" in page.text  # the report's own words sit beside the form
    added = ana.post(
        f"/console/incidents/{code}/parties",
        {"role": "reported", "name": "Sam Doe", "description": "shouted during the Q&A"},
    )
    actions.did("console")
    assert "P1 (reported) recorded" in added.text
    out = care.care(
        "party", "add", code, "--role", "target", "--name", "Alex Roe", "--member", "demo-ben"
    )
    actions.did("cli")
    assert f"P2 recorded on {code} (target)" in out

    # the review names the bad actor; its code is typed, then the run resumes 45 s later
    form = paused_form(care, run_id)
    typed = late_in_step_code(care, "demo-ana")
    review = {
        "reviewer": "demo-ana",
        "code": typed,
        "what_happened": "Insults shouted at a speaker, then blocking her way.",
        "category": "Intimidation or threats",
        "violation": "Yes, it was a violation",
        "bad_actors": "P1",
        "intentional": "Yes, on purpose",
        "severity": "Medium",
        "resolve_stop_behaviour": True,
        "resolve_do_not_publish_video": True,
        "reporter_explanation": "He was told to stop; his talk video stays unpublished.",
        "happened_in_public": True,
    }
    with care.frozen():
        care.prefect.resume(run_id, review).raise_for_status()
        time.sleep(45)
    actions.did("prefect")
    before = form["description"]

    def counted() -> bool:
        """The review went to sign-off; or the run asks again, saying why it did not count."""
        if _open_signoff(care, code):
            return True
        again = care.prefect.form(run_id)
        assert again is None or again["description"] == before, again["description"]
        return False

    wait_for(counted, timeout=180)

    # two members sign the outcome off
    sign_off(care, code, actions)

    # the conversation with P1: each of its two members adds notes; the second marks it held
    form = paused_form(care, run_id)
    assert "conversation with P1" in form["description"], form["description"]
    holders = eligible(form, "member")
    assert len(holders) == 2
    for number, member in enumerate(holders):
        care.prefect.answer(
            run_id,
            {
                "member": member,
                "code": care.codes.later(member),
                "notes": f"Notes of {member}: he listened and agreed to stop.",
                "held": number == 1,
            },
        )
        actions.did("prefect")
        if number == 0:  # the form asks again, saying the first notes counted
            form = paused_form(care, run_id, after=form["description"])
            assert f"recorded (by {member})" in form["description"], form["description"]

    # the AV team is told what to do (case code and action only); the reporter's message
    # is read by two members before their approvals count
    sign_off(care, code, actions, read_first=True)
    outbox = care.care("outbox", "--incident", code)
    assert f"CARE {code}: Do not publish the video of the conference talk" in outbox
    assert "riley@example.org" in outbox  # the message to the reporter went out
    for name in ("Sam Doe", "Alex Roe"):
        assert name not in outbox  # no message names the people involved

    # it happened in public: the team decides on a statement, one writes it, two sign it
    sign_off(care, code, actions)
    form = paused_form(care, run_id)
    writer = eligible(form, "member")[0]
    care.prefect.answer(
        run_id,
        {
            "member": writer,
            "code": care.codes.later(writer),
            "text": "An attendee was asked to stop disruptive behaviour during a keynote.",
        },
    )
    actions.did("prefect")
    sign_off(care, code, actions, read_first=True)

    # closed, and the transparency draft counts it
    wait_for(lambda: care.prefect.state(run_id) == "COMPLETED", timeout=180)
    record = ana.get(f"/console/incidents/{code}").text
    assert "closed" in record.lower()
    drafted = care.care("transparency-report", "democon")
    path = re.search(r"draft written: *(\S+?\.md)", drafted.replace("\n", ""))
    assert path is not None, drafted
    draft = Path(path.group(1)).read_text()
    # counted (as "fewer than 3": small counts are never shown exactly), and nothing personal
    assert "Distinct incidents (duplicate reports merged): fewer than 3" in draft, draft
    assert "Urgent incidents: 0" in draft, draft
    for secret in ("Sam Doe", "Alex Roe", "Riley", "riley@example.org"):
        assert secret not in draft
    print(
        f"\njourney: {sum(actions.values())} member actions {dict(actions)}, "
        f"{time.monotonic() - started:.0f} s"
    )


def test_a_refused_answer_is_finished_in_the_console(care: CareApp) -> None:
    code = care.report_case_code(what_happened="Someone kept photographing me after I said no.")
    run_id = care.prefect.incident_run(code)
    form = paused_form(care, run_id)
    answer = {
        "reviewer": "demo-chloe",
        "code": "000000",
        "what_happened": "Unwanted photography after being asked to stop.",
        "violation": "Yes, it was a violation",
        "severity": "Low",
        "resolve_no_action": True,
        "reporter_explanation": "We spoke with the photographer.",
    }
    care.prefect.resume(run_id, answer).raise_for_status()
    form = paused_form(care, run_id, after=form["description"])
    description = form["description"]
    assert "not counted" in description and "code" in description, description
    draft = re.search(r"/console/drafts/(\d+)", description)
    assert draft is not None, description

    chloe: Console = care.console("demo-chloe")
    page = chloe.get(f"/console/drafts/{draft.group(1)}")
    assert "Unwanted photography after being asked to stop." in page.text  # kept, not retyped
    done = chloe.post(
        f"/console/drafts/{draft.group(1)}",
        {**_form_values(page.text), "code": care.codes.code("demo-chloe")},
    )
    assert done.status_code == 200 and "done=draft" in str(done.url), done.text[:2000]
    signoff = wait_for(lambda: _open_signoff(care, code), timeout=180)
    assert signoff


def _form_values(html: str) -> dict[str, str]:
    """What a browser would send of a prefilled form: inputs, ticked boxes, text areas."""
    values: dict[str, str] = {}
    for tag in re.finditer(r"<input\b[^>]*>", html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(0)))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or name in ("csrf", "code"):
            continue
        if kind in ("checkbox", "radio"):
            if "checked" in tag.group(0):
                values[name] = unescape(attrs.get("value", "on"))
        else:
            values[name] = unescape(attrs.get("value", ""))
    for area in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[area.group(1)] = unescape(area.group(2))
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', select.group(2))
        if chosen:
            values[select.group(1)] = chosen.group(1)
    return values
