"""What the paging benches and the failover test read back: rounds from the SMS the fake
API accepted, and the connections CARE's database had."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from models import db
from models.tables import Incident, Member, Page


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Rounds:
    """Each round's first SMS (code, round index) -> arrival, and how often a member was
    paged twice in the same round."""

    first: dict[tuple[str, int], float] = field(default_factory=dict)
    duplicates: int = 0
    unmatched: int = 0

    def lateness(self, due: dict[tuple[str, int], float]) -> list[float]:
        return [self.first[key] - at for key, at in due.items() if key in self.first]

    def missing(self, due: dict[tuple[str, int], float]) -> int:
        return sum(1 for key in due if key not in self.first)

    def by_round(self, due: dict[tuple[str, int], float]) -> dict[int, dict[str, Any]]:
        """Per round index: how many arrived, were missing, and their lateness."""
        found: dict[int, dict[str, Any]] = {}
        for (code, index), at in sorted(due.items()):
            late = self.first.get((code, index))
            row = found.setdefault(index, {"missing": 0, "lateness": []})
            if late is None:
                row["missing"] += 1
            else:
                row["lateness"].append(late - at)
        return {
            index: {"missing": row["missing"], **summary(row["lateness"])}
            for index, row in found.items()
        }


def settle(codes: set[str], timeout: float = 30.0) -> None:
    """Wait until no SMS page of these incidents is queued or being sent: an SMS the fake
    has accepted is recorded as sent a moment later, and a page queued for a deadline
    after the acknowledgement is cancelled only at that deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session_scope() as session:
            open_pages = session.scalar(
                sa.select(sa.func.count())
                .select_from(Page)
                .join(Incident, Incident.id == Page.incident_id)
                .where(
                    Incident.code.in_(codes),
                    Page.channel == "sms",
                    Page.status.in_(("queued", "sending")),
                )
            )
        if not open_pages:
            return
        time.sleep(0.5)


def rounds(sent: list[Any], codes: set[str]) -> Rounds:
    """Match each SMS the fake accepted, by its SID, to the page CARE recorded."""
    with db.session_scope() as session:
        rows = session.execute(
            sa.select(Page.provider_id, Incident.code, Page.round_index, Member.handle)
            .join(Incident, Incident.id == Page.incident_id)
            .join(Member, Member.id == Page.member_id)
            .where(Page.channel == "sms", Page.provider_id.is_not(None))
        ).all()
    page_of = {sid: (code, index, handle) for sid, code, index, handle in rows}
    found = Rounds()
    pairs: Counter[tuple[str, int, str]] = Counter()
    for request in sent:
        code = next((c for c in codes if f"case {c}." in request.body), None)
        if code is None:
            continue
        if request.sid not in page_of:  # sent, but CARE did not record it as sent
            found.unmatched += 1
            continue
        _, index, handle = page_of[request.sid]
        key = (code, index)
        found.first[key] = min(found.first.get(key, request.wall), request.wall)
        pairs[(code, index, handle)] += 1
    found.duplicates = sum(n - 1 for n in pairs.values() if n > 1)
    return found


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {
        "p50": round(statistics.median(values), 3),
        "p95": round(p(values, 0.95), 3),
        "max": round(max(values), 3),
    }


class ConnectionPeak:
    """The most connections to one database, sampled from pg_stat_activity every 0.2 s."""

    def __init__(self, admin_url: str, database_url: str) -> None:
        self._engine = sa.create_engine(admin_url)
        self._name = database_url.rsplit("/", 1)[1]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ConnectionPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._engine.dispose()

    def _sample(self) -> None:
        query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d")
        while not self._stop.wait(0.2):
            with self._engine.connect() as conn:
                count = conn.execute(query, {"d": self._name}).scalar_one()
            self.peak = max(self.peak, int(count))
