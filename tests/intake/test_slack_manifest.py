"""The Slack app manifest points at the routes CARE serves and asks only for what it uses."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from fastapi.routing import APIRoute

from intake.slack import router

MANIFEST = Path(__file__).parents[2] / "slack-app-manifest.yaml"


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def _served() -> set[str]:
    return {
        r.path for r in router.routes if isinstance(r, APIRoute) and "POST" in (r.methods or set())
    }


def test_every_request_url_is_a_route_care_serves() -> None:
    manifest = _manifest()
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    ]
    assert {urlsplit(u).path for u in urls} == _served()
    assert all(urlsplit(u).scheme == "https" for u in urls)


def test_the_report_command_and_message_shortcut_are_declared() -> None:
    features = _manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/coc-report"]
    assert {s["type"] for s in features["shortcuts"]} == {"message", "global"}


def test_the_bot_asks_for_the_scopes_it_uses_and_no_channel_reading() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "im:write", "users:read"} <= scopes
    assert not scopes & {"channels:history", "groups:history", "chat:write.public"}
