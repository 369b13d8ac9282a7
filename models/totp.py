"""Proof of who approves: TOTP codes from each member's authenticator app.

A code is accepted once: the member's last accepted time step is stored, and a code from
that step or an earlier one is refused as reused.
"""

from __future__ import annotations

import time
from enum import StrEnum

import pyotp

ISSUER = "CARE"
DIGITS = 6
INTERVAL = 30


class CodeCheck(StrEnum):
    ok = "ok"
    bad_code = "bad_code"
    code_reused = "code_reused"
    not_enrolled = "not_enrolled"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, handle: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=handle, issuer_name=ISSUER)


def current_code(secret: str, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(at if at is not None else time.time())


def check_code(
    secret: str | None, code: str, *, last_step: int | None, at: float | None = None
) -> tuple[CodeCheck, int | None]:
    """Check a code against the secret, one step of clock drift either way.

    Returns the verdict and, when accepted, the time step to store as the last one used.
    """
    if not secret:
        return CodeCheck.not_enrolled, None
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == DIGITS):
        return CodeCheck.bad_code, None
    now = at if at is not None else time.time()
    totp = pyotp.TOTP(secret)
    step_now = int(now // INTERVAL)
    for step in (step_now, step_now - 1, step_now + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                return CodeCheck.code_reused, None
            return CodeCheck.ok, step
    return CodeCheck.bad_code, None
