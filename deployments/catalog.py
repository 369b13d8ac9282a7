"""CARE's deployments as Prefect knows them: their ids, their flows, their runs."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import DeploymentResponse
from prefect.deployments.runner import RunnerDeployment

from adapters.prefect_api import DEPLOYMENT
from deployments.registry import FlowSpec, care_flows
from models.settings import Settings, get_settings

PAGE = 200  # the most runs the Prefect API returns at once


class Catalog:
    """Each CARE flow's deployment id, and the flow each deployment runs."""

    def __init__(self) -> None:
        self.ids: dict[str, UUID] = {}  # flow name -> deployment id
        self.flows: dict[UUID, Flow[..., Any]] = {}  # deployment id -> flow

    def register(self, *, create: bool) -> dict[str, UUID]:
        """Know each CARE flow's deployment; ``create``: the embedded default makes them.

        With a Prefect worker running the flows, the deployments come from prefect.yaml
        (`prefect deploy --all`) and are only looked up here, never overwritten.
        """
        settings = get_settings()
        with get_client(sync_client=True) as client:
            for spec, flow in care_flows():
                if create:
                    deployment = cast(
                        RunnerDeployment,
                        flow.to_deployment(name=DEPLOYMENT, interval=spec.schedule(settings)),
                    )
                    deployment_id = cast(UUID, deployment.apply())
                else:
                    found = client.read_deployment_by_name(f"{flow.name}/{DEPLOYMENT}")
                    deployment_id = found.id
                    _schedule_as_configured(client, spec, settings, found)
                self.ids[flow.name] = deployment_id
                self.flows[deployment_id] = flow
        return dict(self.ids)

    def filter(self, deployment_ids: Collection[UUID] | None = None) -> DeploymentFilter:
        """Prefect's filter for the runs of CARE's deployments (or of these of them)."""
        ids = list(self.flows if deployment_ids is None else deployment_ids)
        return DeploymentFilter(id=DeploymentFilterId(any_=ids))

    def runs_in(self, *states: StateType) -> list[FlowRun]:
        """Every run of CARE's deployments in one of these states (paged: Prefect caps 200)."""
        found: list[FlowRun] = []
        with get_client(sync_client=True) as client:
            while True:
                page = client.read_flow_runs(
                    flow_run_filter=FlowRunFilter(
                        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states)))
                    ),
                    deployment_filter=self.filter(),
                    limit=PAGE,
                    offset=len(found),
                )
                found += page
                if len(page) < PAGE:
                    return found


def _schedule_as_configured(
    client: SyncPrefectClient, spec: FlowSpec, settings: Settings, deployment: DeploymentResponse
) -> None:
    """prefect.yaml schedules every flow that can run on its own (`prefect deploy` cannot
    read CARE's settings): pause the ones this configuration leaves off (the mailbox
    poller without IMAP would fail every 30 s, each time in a new process), and resume
    them once configured."""
    if spec.interval is None:
        return
    wanted = spec.schedule(settings) is not None
    if wanted and deployment.paused:
        client.resume_deployment(deployment.id)
    elif not wanted and not deployment.paused:
        client.pause_deployment(deployment.id)
