"""CARE's flows and how each is deployed: one table, used by the host and by prefect.yaml."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prefect import Flow

from models.settings import Settings


@dataclass(frozen=True)
class FlowSpec:
    entrypoint: str  # module:function, as prefect.yaml names it
    interval: timedelta | None = None  # a schedule, for the flows that run on their own
    scheduled_if: Callable[[Settings], bool] | None = None  # e.g. only with a mailbox set

    def schedule(self, settings: Settings) -> timedelta | None:
        """The interval to run on, if the flow runs on a schedule in this configuration."""
        if self.scheduled_if is not None and not self.scheduled_if(settings):
            return None
        return self.interval

    def load(self) -> Flow[..., Any]:
        module, attr = self.entrypoint.split(":")
        loaded = getattr(importlib.import_module(module), attr)
        if not isinstance(loaded, Flow):
            raise TypeError(f"{self.entrypoint} is not a Prefect flow")
        return loaded


FLOWS: tuple[FlowSpec, ...] = (
    FlowSpec("flows.lifecycle:handle_incident"),
    FlowSpec("flows.signoff:collect_signoff"),
    FlowSpec("flows.escalation:escalate_incident"),
    FlowSpec("flows.acknowledge:acknowledge_urgent"),
    FlowSpec("flows.reminders:remind_unilateral_reviews", interval=timedelta(minutes=10)),
    FlowSpec(
        "flows.audit:checkpoint_audit",
        interval=timedelta(hours=6),
        scheduled_if=lambda settings: settings.audit_checkpoint_posts,
    ),
    FlowSpec(
        "flows.mailbox:poll_mailbox",
        interval=timedelta(seconds=30),
        scheduled_if=lambda settings: settings.imap_host is not None,
    ),
    FlowSpec("flows.transparency:compile_transparency_report"),
    FlowSpec("flows.retention:purge_personal_data"),
    FlowSpec("flows.retention:erase_person"),
    FlowSpec(
        "flows.retention:after_conference_sweep",
        interval=timedelta(minutes=15),
        scheduled_if=lambda settings: settings.after_conference_sweep,
    ),
)


def care_flows() -> list[tuple[FlowSpec, Flow[..., Any]]]:
    """Every CARE flow, loaded."""
    return [(spec, spec.load()) for spec in FLOWS]
