"""Carry out what must follow a member's act: announce, wake the runs that wait, erase.

Every channel (Prefect form, console, Slack, CLI, SMS reply) calls :func:`carry_out` once
the act's transaction has committed. The act is recorded whatever happens here: a notice
that cannot be sent now stays in the outbox, and a run that cannot be woken now is woken
by the host's sweep, so failures are logged (ids and codes only) and reported, not raised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from models import db
from record import erasure
from record.acts.follow import FollowUp

log = logging.getLogger("care.follow_up")


@dataclass
class Done:
    """What was carried out: notice statuses, runs woken, the erasure's counts, failures."""

    announced: list[str] = field(default_factory=list)
    woken: list[str] = field(default_factory=list)
    erased: dict[str, int] | None = None
    failed: list[str] = field(default_factory=list)  # "announce d12", "wake <run id>", ...


def carry_out(follow: FollowUp, *, running: str | None = None) -> Done:
    """Do what the act asks for; ``running`` is the run the act was given in (not woken)."""
    done = Done()
    for notice in follow.announce:
        _announce(notice.decision_id, notice.approval_id, done)
    if follow.erase is not None:
        _erase(follow.erase, follow.actor, done)
    for run_id in follow.wake:
        if run_id != running:
            _wake(run_id, done)
    return done


def _announce(decision_id: int, approval_id: int, done: Done) -> None:
    from adapters.notices import announce_approval

    try:
        done.announced.append(announce_approval(decision_id, approval_id))
    except Exception:  # the notice stays in the outbox
        log.warning("could not announce answer %s on d%s", approval_id, decision_id)
        done.failed.append(f"announce d{decision_id}")


def _erase(decision_id: int, actor: str, done: Done) -> None:
    try:
        with db.session_scope() as session:
            counts = erasure.execute(session, decision_id, actor=actor)
        done.erased = dict(counts) if counts is not None else None
    except Exception:  # the after-conference sweep carries out approved erasures
        log.exception("could not carry out the erasure of d%s now", decision_id)
        done.failed.append(f"erase d{decision_id}")


def _wake(run_id: str, done: Done) -> None:
    from adapters.prefect_api import wake  # imports Prefect: only when a run waits

    try:
        if wake(run_id):
            done.woken.append(run_id)
    except Exception as exc:  # Prefect unreachable: the host's sweep wakes it later
        log.warning("could not wake run %s now (%s)", run_id, type(exc).__name__)
        done.failed.append(f"wake {run_id}")
