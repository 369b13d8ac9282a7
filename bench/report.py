"""Bench: compile a transparency report over 10,000 synthetic incidents in 5 editions.

Measures ``tasks.transparency.compile_report`` (records -> anonymised draft -> leak guard
over every piece of personal data in the record) for the latest edition, whose history
covers the four before it, against a baseline in the same process: reading and decrypting
every report's and party's personal data (what the guard must load) with two plain
queries. Prints figures, JSON on the last line.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

EDITIONS, INCIDENTS, RUNS = 5, 10_000, 3
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "te",
    "vo",
    "zu",
    "bri",
    "dan",
    "fel",
    "gor",
    "hil",
    "jun",
    "kor",
    "lem",
    "nor",
    "pil",
]
WORDS = [
    "the",
    "a",
    "talk",
    "after",
    "during",
    "hall",
    "coffee",
    "badge",
    "comment",
    "joke",
    "slide",
    "laugh",
    "asked",
    "left",
    "room",
]
CATEGORIES = ["harassment", "sexual_harassment", "disruption", "stalking_or_photography", "other"]
RESOLUTIONS = ["no_action", "stop_behaviour", "no_further_contact", "do_not_publish_video"]


def _name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(2))


def _seed(rng: random.Random) -> None:
    from models import db
    from models.tables import Incident, Party, Report, ReviewOutcome
    from record.events import add_event
    from tests.support.seed import seed_team

    with db.session_scope() as session:
        seed_team(session)
    per = INCIDENTS // EDITIONS
    for e in range(EDITIONS):
        year = 2021 + e
        with db.session_scope() as session:
            event = add_event(
                session,
                slug_=f"bench{year}",
                name=f"Bench Conf {year}",
                code_prefix=f"BC{year}",
                starts_on=date(year, 5, 10),
                ends_on=date(year, 5, 14),
                timezone_="Europe/Berlin",
                series="bench",
                attendees=1000 + e,
            )
            start = datetime(year, 5, 10, 8, tzinfo=UTC)
            for n in range(1, per + 1):
                at = start + timedelta(hours=rng.uniform(-200, 300))
                incident = Incident(
                    event_id=event.id,
                    code=f"BC{year}-{n}",
                    number=n,
                    status="closed",
                    category=rng.choice(CATEGORIES),
                    reported_at=at,
                    urgent=rng.random() < 0.1,
                    acknowledged_at=at + timedelta(minutes=rng.uniform(5, 600)),
                    resolution_approved_at=at + timedelta(hours=rng.uniform(2, 100)),
                    summary="A participant was asked to stop." if n % 10 == 0 else None,
                )
                session.add(incident)
                session.flush()
                narrative = " ".join(rng.choice(WORDS) for _ in range(40))
                session.add_all(
                    [
                        Report(
                            incident_id=incident.id,
                            channel=rng.choice(["web", "email", "slack"]),
                            channel_message_key=f"{year}-{n}-{r}",
                            reporter_name=_name(rng),
                            reporter_contact=f"user{year}x{n}x{r}@example.org",
                            contact_kind="email",
                            narrative=narrative,
                            received_at=at,
                        )
                        for r in range(1 + (n % 7 == 0))
                    ]
                )
                session.add(
                    Party(
                        incident_id=incident.id,
                        role="reported",
                        pseudonym="P1",
                        name=_name(rng),
                        contact=f"+4915112{n:05d}{e}",
                    )
                )
                session.add(
                    ReviewOutcome(
                        incident_id=incident.id,
                        violation="yes",
                        resolutions=[rng.choice(RESOLUTIONS)],
                    )
                )


def _baseline() -> float:
    """Read and decrypt every report's and party's personal data: what the guard must load."""
    from sqlalchemy import select

    from models import db
    from models.tables import Party, Report

    began = time.perf_counter()
    with db.session_scope() as session:
        reports = session.execute(
            select(Report.reporter_name, Report.reporter_contact, Report.narrative)
        ).all()
        parties = session.execute(select(Party.name, Party.contact)).all()
        assert len(reports) > INCIDENTS and len(parties) == INCIDENTS
    return time.perf_counter() - began


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="care-bench-") as tmp:
        from cryptography.fernet import Fernet

        os.environ.update(CARE_DATA_DIR=tmp, CARE_ENCRYPTION_KEY=Fernet.generate_key().decode())
        os.environ.pop("CARE_DATABASE_URL", None)
        from models import db, migrate
        from models.settings import get_settings
        from tasks.transparency import compile_report

        get_settings.cache_clear()
        db.configure(get_settings())
        migrate.upgrade()
        began = time.perf_counter()
        _seed(random.Random(7))
        seeded_s = time.perf_counter() - began
        print(f"seeded {INCIDENTS} incidents in {EDITIONS} editions in {seeded_s:.1f} s")
        slug = f"bench{2020 + EDITIONS}"
        compile_s, base_s = [], []
        for _ in range(RUNS):
            base_s.append(_baseline())
            began = time.perf_counter()
            compiled = compile_report(slug)
            compile_s.append(time.perf_counter() - began)
        assert compiled.check.clean, [str(s) for s in compiled.check.leaks[:5]]
        c, b = statistics.median(compile_s), statistics.median(base_s)
        print(f"compile_report({slug}): median {c:.2f} s over {RUNS} runs (target <= 5 s)")
        print(
            f"baseline, reading and decrypting all reports and parties: median {b:.2f} s; "
            f"compile / baseline {c / b:.1f}x"
        )
        print(
            json.dumps(
                {
                    "incidents": INCIDENTS,
                    "editions": EDITIONS,
                    "compile_s": round(c, 3),
                    "baseline_query_s": round(b, 3),
                    "ratio": round(c / b, 2),
                }
            )
        )


if __name__ == "__main__":
    main()
