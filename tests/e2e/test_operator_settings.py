"""One configuration for every process: CARE's settings reach Prefect, and a command that
needs no key works before there is one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.support import cli

PREFECT_API = ("CARE_", "PREFECT_API")  # neither CARE's nor Prefect's API settings


def care(home: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """`care` in an empty directory (no `.env`), with only these CARE and Prefect settings."""
    return cli.care(home, *args, settings=settings, drop=PREFECT_API)


def test_a_key_is_generated_in_production_before_there_is_one(tmp_path: Path) -> None:
    done = care(tmp_path, "key", "generate", CARE_ENV="production")
    assert done.returncode == 0, done.stderr
    Fernet(done.stdout.strip().encode())  # a key CARE accepts


def test_a_command_that_needs_the_key_says_so_in_one_line(tmp_path: Path) -> None:
    done = care(tmp_path, "init", CARE_ENV="production")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("care: CARE_ENCRYPTION_KEY is missing")
    assert "care key generate" in done.stderr


def test_a_bad_setting_is_named(tmp_path: Path) -> None:
    done = care(tmp_path, "init", CARE_INTAKE_PORT="eighty")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("care: CARE_INTAKE_PORT:")


def test_prefect_commands_get_cares_prefect_settings(tmp_path: Path) -> None:
    """`care prefect ...` is Prefect's own command, pointed where CARE points."""
    api = "http://127.0.0.1:9/api"
    done = care(
        tmp_path,
        "prefect",
        "config",
        "view",
        CARE_PREFECT_API_URL=api,
        CARE_PREFECT_API_AUTH_STRING="care:s3cret-for-the-test",
    )
    assert done.returncode == 0, done.stderr
    assert f"PREFECT_API_URL='{api}'" in done.stdout
    assert "PREFECT_API_AUTH_STRING=" in done.stdout
    assert "s3cret-for-the-test" not in done.stdout  # Prefect masks it


def test_prefect_settings_from_dotenv_reach_prefect_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CARE_PREFECT_API_URL=http://127.0.0.1:8/api\n")
    done = care(tmp_path, "prefect", "config", "view")
    assert done.returncode == 0, done.stderr
    assert "PREFECT_API_URL='http://127.0.0.1:8/api'" in done.stdout


def test_the_intake_service_points_prefect_where_care_points(tmp_path: Path) -> None:
    """Under uvicorn (`intake.app:create_app --factory`) a console approval wakes the run
    in CARE's Prefect server, not in a temporary one started inside the intake."""
    settings = {
        "CARE_PREFECT_API_URL": "http://127.0.0.1:7/api",
        "CARE_PREFECT_API_AUTH_STRING": "care:intake",
    }
    script = (
        "from intake.app import create_app\n"  # imports Prefect before the app is made
        "create_app()\n"
        "from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL\n"
        "print(PREFECT_API_URL.value(), PREFECT_API_AUTH_STRING.value())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=cli.environment(tmp_path, settings, drop=PREFECT_API),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["http://127.0.0.1:7/api", "care:intake"]
