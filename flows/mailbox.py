"""Poll the team's mailbox: every unseen mail becomes a report, then is marked seen.

The guide: reports "are typically received by e-mail". Each message is stored (a second
delivery changes nothing), marked \\Seen, then acknowledged in the reporter's thread. A
message that cannot be a report is marked \\Seen and \\Flagged for a human to look at; one
that could not be stored now (database down) stays unseen and is taken again next time.
Run names, logs and results carry UIDs, counts and case codes only.
"""

from __future__ import annotations

import imaplib
from collections import Counter
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters import imap

Outcome = Literal["stored", "duplicate", "rejected", "retry", "gone"]
SCHEDULE_SECONDS = 30  # how often the deployment runs it


@task(
    task_run_name="mail-uid-{uid}",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=0,
)
def take_message(conn: imaplib.IMAP4, uid: str) -> Outcome:
    """Fetch, store, mark seen, acknowledge one message; return what happened."""
    from adapters import email_inbox, receipts
    from adapters.email_parse import NotAReport

    logger = get_run_logger()
    raw = imap.fetch(conn, uid)
    if raw is None:
        return "gone"
    try:
        received = email_inbox.ingest(raw)
    except NotAReport:
        imap.mark_seen(conn, uid, flag_for_review=True)
        logger.warning("mail uid %s is not a report; flagged for review", uid)
        return "rejected"
    except Exception as exc:  # keep it unseen: the next poll tries again
        logger.warning("mail uid %s not stored now (%s); will retry", uid, type(exc).__name__)
        return "retry"
    imap.mark_seen(conn, uid)
    logger.info("mail uid %s -> %s (new=%s)", uid, received.code, received.created)
    if received.created:
        receipts.follow_up(received)
    return "stored" if received.created else "duplicate"


@flow(name="poll-mailbox", log_prints=False)
def poll_mailbox() -> dict[str, int]:
    """Take every unseen message in the team's mailbox; return counts by outcome."""
    counts: Counter[str] = Counter()
    with imap.mailbox() as conn:
        for uid in imap.unseen(conn):
            counts[take_message(conn, uid)] += 1
    get_run_logger().info("mailbox polled: %s", dict(counts))
    return dict(counts)
