"""Roles: what each kind of staff user may do, as Django groups and permissions."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

CASE_WORKER_PERMISSIONS = {
    "cases": ["view_case", "change_case", "view_caseflag", "change_caseflag", "view_person", "view_aidrecord",
              "view_blacklistentry", "add_blacklistentry", "change_blacklistentry", "view_accesslog",
              "view_caseevent", "view_checkresult", "view_document", "reveal_identity", "view_identityreview",
              "change_identityreview", "view_diseaseentry", "change_diseaseentry"],
    "matching": ["view_foundation", "view_program", "view_proposal", "view_award", "view_matchrun",
                 "change_matchrun", "view_episode"],
}  # fmt: skip


def case_worker_group() -> Group:
    group, _ = Group.objects.get_or_create(name="case workers")
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codenames in CASE_WORKER_PERMISSIONS.items()
        for codename in codenames
    ]
    group.permissions.set(perms)
    return group
