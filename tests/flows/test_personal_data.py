"""Personal data never rests in Prefect: whole lifecycles, then every byte Prefect keeps."""

from __future__ import annotations

import time
from pathlib import Path

from prefect.settings import get_current_settings

from models import db
from tests.support.codes import Codes
from tests.support.lifecycle import NOTES, REVIEW, STATEMENT, whole_lifecycle
from tests.support.seed import Seeded, seed_report

TYPED_INTO_FORMS = [
    str(REVIEW["what_happened"]),
    str(REVIEW["reporter_explanation"]),
    NOTES,
    STATEMENT,
]


def _prefect_files() -> list[Path]:
    settings = get_current_settings()
    url = str(settings.server.database.connection_url.get_secret_value())  # type: ignore[union-attr]
    database = Path(url.split("///", 1)[1])
    files = [p for p in database.parent.glob(database.name + "*") if p.is_file()]
    storage = Path(settings.home) / "storage"
    files += [p for p in storage.rglob("*") if p.is_file()] if storage.exists() else []
    return files


def _found(needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for each needle in the raw bytes of Prefect's files."""
    found = []
    for path in _prefect_files():
        raw = path.read_bytes()
        for needle in needles:
            if any(encoded in raw for encoded in (needle.encode(), needle.encode("utf-16-le"))):
                found.append((path.name, needle))
    return found


def test_no_personal_data_reaches_prefect(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    whole_lifecycle(code, codes)
    files = _prefect_files()
    assert any(p.name.endswith(".db") for p in files)
    # the case code does reach Prefect: the scan looks where the runs were written
    assert any(code.encode() in p.read_bytes() for p in files)
    # what was typed into the forms was deleted, and CARE truncates Prefect's SQLite log in
    # the background; Prefect writes its events and logs in the background too: look again
    # for a while, and the last look must find nothing
    needles = [*team.secrets.values(), *TYPED_INTO_FORMS]
    deadline = time.monotonic() + 30
    while (found := _found(needles)) and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(2)
    assert _found(needles) == [], f"personal data at rest in Prefect's files: {found}"
