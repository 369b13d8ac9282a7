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


def test_no_personal_data_reaches_prefect(team: Seeded, host: object) -> None:
    codes = Codes(team.totp)
    with db.session_scope() as session:
        code = seed_report(session)
    whole_lifecycle(code, codes)
    time.sleep(2)  # Prefect writes events and logs in the background
    needles = [*team.secrets.values(), *TYPED_INTO_FORMS]
    files = _prefect_files()
    assert any(p.name.endswith(".db") for p in files)
    found = []
    for path in files:
        raw = path.read_bytes()
        for needle in needles:
            for encoded in (needle.encode(), needle.encode("utf-16-le")):
                if encoded in raw:
                    found.append((path.name, needle))
    assert found == []
    # and the case code does reach Prefect: the scan looks where the runs were written
    assert any(code.encode() in p.read_bytes() for p in files)
