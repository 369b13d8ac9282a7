"""Turn CARE's input errors into one clear line and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

from pydantic import ValidationError

from models.settings import SettingsError
from models.validation import InvalidInput

USAGE = 2


def fail(message: str, code: int = USAGE) -> NoReturn:
    print(f"care: {message}", file=sys.stderr)
    raise SystemExit(code)


def run_cli(app: Callable[[], object]) -> None:
    """Run the typer app; known input errors become one line and exit 2."""
    try:
        app()
    except (InvalidInput, SettingsError) as exc:
        fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "input"
        fail(f"{where}: {first['msg']}")
    except ValueError as exc:  # the policy's own errors (illegal transitions, catalogue)
        fail(str(exc))
