"""Run the `care` command as an operator would: a process of its own, one data directory.

Only the settings given reach it: every ``CARE_*`` variable of the test process (and any
other prefix in ``drop``) is left out. Imports nothing from CARE, so the e2e tests use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment(
    home: Path, settings: Mapping[str, str] | None = None, drop: tuple[str, ...] = ("CARE_",)
) -> dict[str, str]:
    """The environment of a CARE process with its data in ``home`` and these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return env | {"CARE_DATA_DIR": str(home), "PYTHONPATH": str(ROOT), **(settings or {})}


def care(
    home: Path,
    *args: str,
    stdin: str = "",
    settings: Mapping[str, str] | None = None,
    drop: tuple[str, ...] = ("CARE_",),
) -> subprocess.CompletedProcess[str]:
    """`care ARGS` run in ``home`` (no `.env` but one put there), made if need be."""
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "care_cli.main", *args],
        cwd=home,
        env=environment(home, settings, drop),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
