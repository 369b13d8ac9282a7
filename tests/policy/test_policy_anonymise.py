"""The transparency report's anonymisation rules, case by case."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from policy.anonymise import Phase, median_hours, merge_small, phase_of, shown_count, shown_table

START, END, TZ = date(2026, 4, 20), date(2026, 4, 24), "Europe/Dublin"  # UTC+1 in April


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (datetime(2026, 4, 19, 22, 59, tzinfo=UTC), Phase.before),  # 23:59 local, day before
        (datetime(2026, 4, 19, 23, 0, tzinfo=UTC), Phase.during),  # midnight local, first day
        (datetime(2026, 4, 24, 22, 59, tzinfo=UTC), Phase.during),  # 23:59 local, last day
        (datetime(2026, 4, 24, 23, 0, tzinfo=UTC), Phase.after),  # midnight local after
        (datetime(2026, 1, 1, tzinfo=UTC), Phase.before),
        (datetime(2026, 9, 1, tzinfo=UTC), Phase.after),
    ],
)
def test_phase_follows_the_event_local_days(moment: datetime, phase: Phase) -> None:
    assert phase_of(moment, starts_on=START, ends_on=END, timezone=TZ) is phase


def test_phase_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        phase_of(datetime(2026, 4, 21), starts_on=START, ends_on=END, timezone=TZ)


@pytest.mark.parametrize(
    ("count", "k", "shown"),
    [
        (0, 3, "0"),  # zero-report years are published too
        (1, 3, "fewer than 3"),
        (2, 3, "fewer than 3"),
        (3, 3, "3"),
        (40, 3, "40"),
        (4, 5, "fewer than 5"),
        (1, 1, "1"),
    ],
)
def test_small_counts_are_never_exact(count: int, k: int, shown: str) -> None:
    assert shown_count(count, k=k) == shown


@pytest.mark.parametrize(("count", "k"), [(-1, 3), (2, 0)])
def test_bad_counts_are_refused(count: int, k: int) -> None:
    with pytest.raises(ValueError):
        shown_count(count, k=k)


@pytest.mark.parametrize(
    ("counts", "merged"),
    [
        ({"a": 5, "b": 1, "c": 2}, {"a": 5, "other": 3}),
        ({"a": 5, "b": 0}, {"a": 5}),
        ({"a": 3, "b": 4}, {"b": 4, "a": 3}),
        ({"a": 1}, {"other": 1}),
        ({"other": 1, "a": 1, "b": 6}, {"b": 6, "other": 2}),
        ({}, {}),
    ],
)
def test_small_groups_merge_into_other(counts: dict[str, int], merged: dict[str, int]) -> None:
    assert merge_small(counts, k=3) == merged
    assert list(merge_small(counts, k=3)) == list(merged)


def test_a_table_shows_other_as_a_small_count() -> None:
    assert shown_table({"a": 5, "b": 1}) == [("a", "5"), ("other", "fewer than 3")]


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("delays", "shown"),
    [
        ([], "no cases"),
        ([H, H], "not shown (fewer than 3 cases)"),
        ([H / 4, H / 2, 2 * H], "under 1 hour"),
        ([H, 5 * H, 30 * H], "about 5 hours"),
        ([60 * H, 72 * H, 100 * H], "about 3 days"),
    ],
)
def test_medians_are_coarse_and_need_k_cases(delays: list[timedelta], shown: str) -> None:
    assert median_hours(delays) == shown


@pytest.mark.parametrize(
    ("today", "retention", "report", "purge"),
    [
        (date(2026, 4, 24), 180, False, False),  # the last day of the event
        (date(2026, 4, 25), 180, True, False),
        (date(2026, 10, 21), 180, True, False),  # day 180 after the end: still kept
        (date(2026, 10, 22), 180, True, True),
        (date(2026, 4, 25), 0, True, True),  # no retention at all
    ],
)
def test_report_and_purge_fall_due_after_the_event(
    today: date, retention: int, report: bool, purge: bool
) -> None:
    from policy.retention import is_due, purge_due_on, report_due_on

    assert is_due(report_due_on(END), today) is report
    assert is_due(purge_due_on(END, retention), today) is purge


@pytest.mark.parametrize(
    ("today", "starts"),
    [
        (date(2026, 4, 24), False),
        (date(2026, 4, 25), True),
        (date(2026, 5, 24), True),
        (date(2026, 5, 25), False),  # a month on: only by hand
    ],
)
def test_the_report_starts_on_its_own_for_a_month(today: date, starts: bool) -> None:
    from policy.retention import report_starts_on_its_own

    assert report_starts_on_its_own(END, today) is starts
