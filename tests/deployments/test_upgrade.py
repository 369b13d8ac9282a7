"""A run suspended under the release before the layout move resumes under this one.

The host of the earlier release (its files taken from git) starts an incident's
`handle-incident` run, which suspends on the review form. That host stops; this release's
host starts, a member answers the form, and the same run carries on here: the deployment
keeps its flow name and id, and Prefect holds no Python module path of a run but the
deployment's entrypoint, which did not change (docs/orchestration.md, "Upgrades").
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
from io import BytesIO
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from deployments.host import Host
from models import db
from models.tables import Decision
from tests.support.codes import Codes
from tests.support.host import (
    answer_form,
    delete_all_runs,
    read_run,
    wait_for,
    waiting_form,
)
from tests.support.lifecycle import NO_VIOLATION, incident_run, pending
from tests.support.seed import Seeded, seed_report

ROOT = Path(__file__).resolve().parents[2]
BEFORE_THE_MOVE = "963e340f1cea0f266bfe05311f1e4f2a62fa300a"  # the last commit of the old layout


def _earlier_release(target: Path) -> Path:
    """The files of the commit before the layout move, from this clone's history."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{BEFORE_THE_MOVE}^{{commit}}"], check=False
    )
    if found.returncode != 0:
        pytest.skip("this clone lacks the commit before the layout move (a shallow clone?)")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", BEFORE_THE_MOVE],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    assert (target / "models" / "policy").is_dir() and not (target / "record").exists()
    return target


def _old_host(tree: Path, log: Path) -> subprocess.Popen[bytes]:
    """`care host` of the earlier release: its own files first on sys.path."""
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PYTHONPATH": str(tree)}
    where = subprocess.run(
        [sys.executable, "-c", "import flows.lifecycle as m; print(m.__file__)"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(tree), where  # the old code, not this clone's
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "care_cli.main", "host"],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_a_run_suspended_before_the_move_resumes_after_it(team: Seeded, tmp_path: Path) -> None:
    tree = _earlier_release(tmp_path / "before")
    delete_all_runs()
    with db.session_scope() as session:
        code = seed_report(session)
    old = _old_host(tree, tmp_path / "old-host.log")
    try:
        run_id = incident_run(code)
        wait_for(lambda: waiting_form(run_id), timeout=120)  # suspended by the old code
    finally:
        old.send_signal(signal.SIGKILL)
        old.wait()
    suspended = read_run(run_id)
    assert suspended.state is not None and suspended.state.is_paused()

    codes = Codes(team.totp)
    host = Host().start()  # not running_host(): that forgets every run first
    try:
        assert host.deployments["handle-incident"] == suspended.deployment_id  # the same one
        answer_form(run_id, {"reviewer": "ana", "code": codes.later("ana"), **NO_VIOLATION})
        review = pending(code, "review_outcome")  # the resumed run stored the review, here
    finally:
        host.stop()
    assert isinstance(review, Decision)
    assert incident_run(code) == run_id  # the same run went on: no new one was created
    resumed = read_run(run_id)
    assert resumed.deployment_id == suspended.deployment_id
    assert resumed.state is not None and suspended.state is not None
    before, after = suspended.state.state_details, resumed.state.state_details
    assert after.pause_key != before.pause_key  # it ran again (here) and suspended anew
    delete_all_runs()
