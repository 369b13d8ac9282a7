"""prefect.yaml (production) and the host's registry (embedded) deploy the same flows."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.prefect_api import DEPLOYMENT
from deployments.registry import FLOWS

ROOT = Path(__file__).resolve().parents[2]


def _entrypoint(spec_entrypoint: str) -> str:
    module, function = spec_entrypoint.split(":")
    return f"{module.replace('.', '/')}.py:{function}"


def test_prefect_yaml_deploys_every_flow_of_the_registry_on_the_care_pool() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployed = {d["entrypoint"]: d for d in config["deployments"]}
    assert set(deployed) == {_entrypoint(spec.entrypoint) for spec in FLOWS}
    for spec in FLOWS:
        deployment = deployed[_entrypoint(spec.entrypoint)]
        assert deployment["name"] == DEPLOYMENT
        assert deployment["work_pool"]["name"] == "care"
        assert (ROOT / deployment["entrypoint"].split(":")[0]).is_file()
        schedules = deployment.get("schedules") or []
        interval = spec.interval.total_seconds() if spec.interval else None
        assert [s["interval"] for s in schedules] == ([interval] if interval else [])
