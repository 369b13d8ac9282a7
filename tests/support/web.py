"""Drive the intake web form like a browser without JavaScript would."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from starlette.testclient import TestClient


class FormReader(HTMLParser):
    """Collects the form's hidden values, its controls and which of them have a label."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.controls: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.wrapped: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "textarea", "select"):
            if a.get("type") == "hidden":
                self.hidden[a["name"]] = a.get("value", "")
                return
            self.controls.append(a)
            if self.open_labels:
                self.wrapped.add(a.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def submit_form(client: TestClient, **fields: str) -> tuple[int, str]:
    """GET the form, then POST it with its hidden fields and the given ones."""
    page = client.get("/report")
    assert page.status_code == 200
    data = {**read_form(page.text).hidden, **fields}
    answer = client.post("/reports", data=data)
    return answer.status_code, answer.text


def case_code(html: str) -> str | None:
    found = re.search(r'id="case-code">([A-Z0-9]+-\d+)<', html)
    return found.group(1) if found else None
