"""Demo set-up: sample foundations, programs and cases, and the logins to look at them."""

from __future__ import annotations

import json
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from cases.lib import synthetic
from cases.models import Partner
from cases.services.exchange import ImportReport, import_lines
from cases.services.roles import case_worker_group, payout_reviewer_group
from matching.models import Foundation, FoundationMember


def _user(username: str, *, staff: bool = False) -> tuple[object, str]:
    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = staff
    user.set_password(password)
    user.save()
    return user, password


def sample_data_load(*, cases: int, seed: int, on_line=None) -> ImportReport:
    lines = (json.dumps(obj, ensure_ascii=False) for obj in synthetic.generate(cases=cases, seed=seed))
    return import_lines(lines, on_line=on_line)


@transaction.atomic
def demo_logins() -> list[tuple[str, str, str]]:
    """(role, username, password) for a case worker, a partner platform and each foundation."""
    logins = []
    worker, password = _user("caseworker", staff=True)
    worker.groups.add(case_worker_group())
    logins.append(("case worker (admin /admin/)", worker.username, password))
    reviewer, password = _user("payout-reviewer", staff=True)
    reviewer.groups.add(payout_reviewer_group())
    logins.append(("payout reviewer (admin: releases instalments)", reviewer.username, password))
    partner_user, password = _user("partner-demo")
    Partner.objects.get_or_create(user=partner_user, defaults={"name": "Demo partner platform"})
    token, _ = Token.objects.get_or_create(user=partner_user)
    logins.append(("partner API token (Authorization: Token …)", partner_user.username, token.key))
    for foundation in Foundation.objects.order_by("ref"):
        user, password = _user(f"{foundation.ref.lower()}-staff")
        FoundationMember.objects.update_or_create(user=user, defaults={"foundation": foundation})
        logins.append((f"foundation portal: {foundation.name}", user.username, password))
    return logins
