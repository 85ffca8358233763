from __future__ import annotations

from typing import Any

from cases.models import Case, CaseEvent


def actor_label_for(user) -> str:
    return f"user:{user.get_username()}" if user is not None else "system"


def event_log(
    *, case: Case, code: str, user=None, actor_label: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """Record one state change of a case with a dotted code (``case.verified``) and its actor."""
    return CaseEvent.objects.create(
        case=case, code=code, actor=user, actor_label=actor_label or actor_label_for(user), data=data or {}
    )
