"""Roles: what each kind of staff user may do, as Django groups and permissions.

Case workers review cases and plan payouts; payout reviewers release instalments against evidence.
Keeping the two apart is the separation between who reviews and who pays (domain.md, 000).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

CASE_WORKER_PERMISSIONS = {
    "cases": ["view_case", "change_case", "view_caseflag", "change_caseflag", "view_person", "view_aidrecord",
              "view_blacklistentry", "add_blacklistentry", "change_blacklistentry", "view_accesslog",
              "view_caseevent", "view_checkresult", "view_document", "reveal_identity", "view_identityreview",
              "change_identityreview", "view_diseaseentry", "change_diseaseentry", "view_disbursementplan",
              "add_disbursementplan", "view_instalment", "view_riskmodel"],
    "matching": ["view_foundation", "view_program", "view_proposal", "view_award", "view_matchrun",
                 "change_matchrun", "view_episode"],
}  # fmt: skip

PAYOUT_REVIEWER_PERMISSIONS = {
    "cases": ["view_case", "view_disbursementplan", "view_instalment", "change_instalment"],
}

ROLES = {"case workers": CASE_WORKER_PERMISSIONS, "payout reviewers": PAYOUT_REVIEWER_PERMISSIONS}


def role_group(name: str) -> Group:
    """The group of a role, with exactly the role's permissions."""
    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codenames in ROLES[name].items()
            for codename in codenames
        ]
    )
    return group


def case_worker_group() -> Group:
    return role_group("case workers")


def payout_reviewer_group() -> Group:
    return role_group("payout reviewers")
