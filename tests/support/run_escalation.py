"""Run escalate_incident in a process of its own (the restart test kills it with SIGKILL).

Prints "ready" once Prefect and the flow are loaded, then reads the case code from stdin,
runs the flow and prints its result.
"""

from __future__ import annotations

import sys

from tests.support.escalation import warm_prefect


def main() -> None:
    warm_prefect()
    from flows.escalation import escalate_incident

    print("ready", flush=True)
    code = sys.stdin.readline().strip()
    print("result", escalate_incident(code), flush=True)


if __name__ == "__main__":
    main()
