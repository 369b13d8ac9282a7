"""The README's "Going to production" and scripts/production_guide.py say the same thing,
the systemd units run the same commands, and the script passes on this machine."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "deployments" / "systemd"


@cache
def guide_script() -> ModuleType:
    """scripts/production_guide.py, imported (it runs nothing when imported)."""
    path = ROOT / "scripts" / "production_guide.py"
    spec = importlib.util.spec_from_file_location("production_guide", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("\n## Going to production\n", 1)[1].split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    """The section's fenced blocks of this language (indented in the steps' list too)."""
    fence = re.compile(rf"^( *)```{language}\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
    return [re.sub(r"^ *", "", m.group(2), flags=re.MULTILINE) for m in fence.finditer(section())]


def readme_commands() -> list[str]:
    lines = [line.strip() for block in blocks("sh") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def settings_keys(block: str) -> set[str]:
    return {line.split("=", 1)[0] for line in block.splitlines() if "=" in line}


def test_the_script_runs_the_readmes_commands_in_order() -> None:
    script = guide_script()
    assert readme_commands() == [step.command for step in script.GUIDE]


def test_the_script_writes_the_readmes_settings_files() -> None:
    script = guide_script()
    care_file, server_file = blocks("ini")
    where = script.Where(Path("/x"), "http://127.0.0.1:1/api", "u:p", 2, "db1", "db2")
    fake = script.FakeTwilio(url="http://127.0.0.1:3")
    written = set(script.care_settings(where, "key", fake))
    assert settings_keys(care_file) == written - script.EXTRA_SETTINGS
    assert settings_keys(server_file) == set(script.server_settings(where))
    assert script.CARE_ENV in section() and script.SERVER_ENV in section()


def units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted(UNITS.glob("*.service")):
        unit = configparser.ConfigParser(interpolation=None, strict=True)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read_string(path.read_text())
        found[path.name] = unit
    return found


def test_each_long_running_step_has_a_unit_with_its_command() -> None:
    script = guide_script()
    services = {step.command: step for step in script.GUIDE if step.service}
    ran = {}
    for name, unit in units().items():
        service = unit["Service"]
        command = service["ExecStart"].replace("/srv/care/.venv/bin/", "")
        command = command.replace("/usr/bin/nice", "nice")
        assert command in services, (name, command)
        assert service["EnvironmentFile"] == services[command].settings, name
        assert service["WorkingDirectory"] == "/srv/care", name
        assert name in section(), f"the README does not name {name}"
        ran[command] = name
    assert set(ran) == set(services)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_units_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify`, with the units' paths pointing at this checkout."""
    (tmp_path / "care.env").write_text("")
    (tmp_path / "prefect-server.env").write_text("")
    for path in UNITS.glob("*.service"):
        text = path.read_text().replace("/srv/care", str(ROOT)).replace("/etc/care", str(tmp_path))
        name = path.name.replace("@.", "@1.")
        (tmp_path / name).write_text(text.replace("User=care\n", ""))
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "care" in line and "network-online.target" not in line
    ]
    assert not problems, done.stdout + done.stderr


@pytest.mark.timeout(900)  # the topology starts in about 30 s; the incident closes in a minute
def test_the_guide_works_on_this_machine() -> None:
    script = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "production_guide.py")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = script.communicate(timeout=840)
    except subprocess.TimeoutExpired:
        script.terminate()  # the script stops every process it started, then exits
        stdout, stderr = script.communicate(timeout=60)
    done = subprocess.CompletedProcess(script.args, script.returncode, stdout, stderr)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    assert re.search(r"# DCE26-\d+: from a JSON report to closed", done.stdout), done.stdout
    assert "the first SMS reached Twilio" in done.stdout, done.stdout
