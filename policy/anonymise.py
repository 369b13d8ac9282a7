"""Anonymisation rules for the transparency report: phases, small counts, medians.

A public report shows no names, no date finer than the phase of the event (before, during,
after) and no quotes. A count below the threshold ``k`` is shown as "fewer than k" or is
merged into "other", so a single case cannot be picked out of a table.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_K = 3
OTHER = "other"


class Phase(StrEnum):
    """When an incident happened relative to the event, the finest time a report shows."""

    before = "before"
    during = "during"
    after = "after"


def phase_of(moment: datetime, *, starts_on: date, ends_on: date, timezone: str) -> Phase:
    """The phase of an aware moment, judged by the event's local calendar days."""
    if moment.tzinfo is None:
        raise ValueError("phase_of needs a time-zone aware moment")
    tz = ZoneInfo(timezone)
    if moment < datetime.combine(starts_on, time.min, tzinfo=tz):
        return Phase.before
    if moment < datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=tz):
        return Phase.during
    return Phase.after


def shown_count(count: int, *, k: int = DEFAULT_K) -> str:
    """A count as the report prints it: exact from k on (and zero), else "fewer than k"."""
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    if k < 1:
        raise ValueError(f"the threshold k must be at least 1, not {k}")
    if count == 0 or count >= k:
        return str(count)
    return f"fewer than {k}"


def merge_small(counts: Mapping[str, int], *, k: int = DEFAULT_K) -> dict[str, int]:
    """Fold every non-zero count below k into "other"; "other" itself stays if non-zero.

    If "other" would then hold a single small group only, it is still shown as a small
    count by :func:`shown_count`; nothing is ever printed exactly below k.
    """
    merged: dict[str, int] = {}
    other = counts.get(OTHER, 0)
    for key, value in counts.items():
        if key == OTHER or value == 0:
            continue
        if value < k:
            other += value
        else:
            merged[key] = value
    ordered = dict(sorted(merged.items(), key=lambda kv: (-kv[1], kv[0])))
    if other:
        ordered[OTHER] = other
    return ordered


def tally(values: Iterable[str]) -> dict[str, int]:
    """Count each value, most frequent first, ties by name."""
    counted = Counter(values)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def shown_table(counts: Mapping[str, int], *, k: int = DEFAULT_K) -> list[tuple[str, str]]:
    """Rows (key, shown count) of a table, small groups merged into "other"."""
    return [(key, shown_count(v, k=k)) for key, v in merge_small(counts, k=k).items()]


def median_hours(delays: Sequence[timedelta], *, k: int = DEFAULT_K) -> str:
    """A median delay rounded to whole hours (days from 48 h), or "not shown" below k."""
    if len(delays) < k:
        return f"not shown (fewer than {k} cases)" if delays else "no cases"
    hours = statistics.median(d.total_seconds() for d in delays) / 3600
    if hours < 1:
        return "under 1 hour"
    if hours < 48:
        return f"about {round(hours)} hours"
    return f"about {round(hours / 24)} days"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"
