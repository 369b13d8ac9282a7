"""What Slack's request URLs document in the OpenAPI: bodies, signature headers, answers.

The routes read their raw bodies (the signature covers the bytes), so FastAPI cannot infer
any of this; without it a client, or a fuzzer, would not know that a deployment without
Slack answers 503 and that an unsigned request answers 401.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

NOT_CONFIGURED = "Slack is not configured (set CARE_SLACK_SIGNING_SECRET)"
FORM = "application/x-www-form-urlencoded"


class SlackProblem(BaseModel):
    detail: str


def _problem(description: str) -> dict[str, Any]:
    return {"model": SlackProblem, "description": description}


_SIGNATURE_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }
    for name, description in (
        ("X-Slack-Request-Timestamp", "Unix time at which Slack signed the request"),
        ("X-Slack-Signature", "`v0=` and the HMAC-SHA256 of the body with the signing secret"),
    )
]


def _form(**fields: str) -> dict[str, Any]:
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema = {"type": "object", "properties": properties, "required": list(fields)}
    return {"required": True, "content": {FORM: {"schema": schema}}}


BODIES: dict[str, dict[str, Any]] = {
    "commands": _form(trigger_id="opens the form", user_id="who typed the command"),
    "interactivity": _form(payload="the interaction, as JSON"),
    "events": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


def documented(route: str, ok: str) -> dict[str, Any]:
    """The keyword arguments of ``router.post`` that document one Slack request URL."""
    return {
        "responses": {
            200: {"description": ok},
            400: _problem("the signed body is not what Slack sends to this URL"),
            401: _problem("missing, forged or stale Slack signature (older than five minutes)"),
            409: _problem("this signed request was received before: a replay is not handled"),
            413: _problem("request body too large"),
            503: _problem(f"this deployment has no Slack app: `{NOT_CONFIGURED}`"),
        },
        "openapi_extra": {"requestBody": BODIES[route], "parameters": _SIGNATURE_HEADERS},
    }
