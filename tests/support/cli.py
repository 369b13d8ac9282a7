"""Run the `care` command as an operator would: a process of its own, one data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def care(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARE_")}
    env["CARE_DATA_DIR"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "care_cli.main", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
