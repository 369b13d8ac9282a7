"""The CARE console: the incident record for members, under /console.

Include it in the intake app with ``app.include_router(console.router)``.
"""

from __future__ import annotations

from fastapi import APIRouter

from intake.console import actions, drafts, parties, signin, views

router = APIRouter(prefix="/console")
router.include_router(signin.router)
router.include_router(views.router)
router.include_router(actions.router)
router.include_router(drafts.router)
router.include_router(parties.router)

__all__ = ["router"]
