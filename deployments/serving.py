"""Which of CARE's flow runs a host runs in its own threads (no Prefect import: the CLI
reads it to parse ``care host --dispatch``)."""

from __future__ import annotations

from enum import StrEnum

URGENT_FLOWS = frozenset({"escalate-incident", "acknowledge-urgent"})


class Dispatch(StrEnum):
    """``all``: no worker (the embedded default); ``urgent``: beside Prefect process
    workers, the urgent flows only; ``none``: workers run everything."""

    ALL = "all"
    URGENT = "urgent"
    NONE = "none"

    def serves(self, flow_name: str) -> bool:
        return self is Dispatch.ALL or (self is Dispatch.URGENT and flow_name in URGENT_FLOWS)
