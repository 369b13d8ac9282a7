"""prefect.yaml (production) and the host's registry (embedded) deploy the same flows."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.prefect_api import DEPLOYMENT
from deployments.registry import FLOWS
from deployments.serving import URGENT_FLOWS
from models.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _entrypoint(spec_entrypoint: str) -> str:
    module, function = spec_entrypoint.split(":")
    return f"{module.replace('.', '/')}.py:{function}"


def test_prefect_yaml_deploys_every_flow_of_the_registry_on_the_care_pools() -> None:
    """The urgent flows on a pool no worker polls: `care host --dispatch urgent` runs them."""
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployed = {d["entrypoint"]: d for d in config["deployments"]}
    assert set(deployed) == {_entrypoint(spec.entrypoint) for spec in FLOWS}
    for spec in FLOWS:
        deployment = deployed[_entrypoint(spec.entrypoint)]
        assert deployment["name"] == DEPLOYMENT
        urgent = {PUBLISHED[name] for name in URGENT_FLOWS}
        pool = "care-urgent" if deployment["entrypoint"] in urgent else "care"
        assert deployment["work_pool"]["name"] == pool
        assert (ROOT / deployment["entrypoint"].split(":")[0]).is_file()
        schedules = deployment.get("schedules") or []
        interval = spec.interval.total_seconds() if spec.interval else None
        assert [s["interval"] for s in schedules] == ([interval] if interval else [])
        # a schedule CARE's default settings leave off is deployed paused: no failing run
        # before `care host` has read the settings (the mailbox poller without IMAP)
        off_by_default = interval is not None and spec.schedule(Settings.model_construct()) is None
        assert deployment.get("paused", False) is off_by_default, deployment["entrypoint"]


# What a running installation's deployments and suspended runs name: these must not change
# when code moves between layers (a run suspended before an upgrade resumes after it).
PUBLISHED = {
    "handle-incident": "flows/lifecycle.py:handle_incident",
    "collect-signoff": "flows/signoff.py:collect_signoff",
    "escalate-incident": "flows/escalation.py:escalate_incident",
    "acknowledge-urgent": "flows/acknowledge.py:acknowledge_urgent",
    "remind-unilateral-reviews": "flows/reminders.py:remind_unilateral_reviews",
    "poll-mailbox": "flows/mailbox.py:poll_mailbox",
    "compile-transparency-report": "flows/transparency.py:compile_transparency_report",
    "purge-personal-data": "flows/retention.py:purge_personal_data",
    "erase-person": "flows/retention.py:erase_person",
    "after-conference-sweep": "flows/retention.py:after_conference_sweep",
    # added since: new deployments join the list, published ones never change
    "checkpoint-audit": "flows/audit.py:checkpoint_audit",
}


def test_flow_names_and_entrypoints_are_those_already_deployed() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    assert {d["entrypoint"] for d in config["deployments"]} == set(PUBLISHED.values())
    loaded = {spec.load().name: _entrypoint(spec.entrypoint) for spec in FLOWS}
    assert loaded == PUBLISHED
