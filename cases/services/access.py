"""Access to personal data: who saw a case's masked details, and who revealed a full number."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.choices import AccessKind
from cases.errors import CaseError
from cases.models import AccessLog, Case, CrowdfundingCampaign

logger = logging.getLogger(__name__)

# The numbers a case worker may reveal, each with the field of the mask that says whether there is one.
REVEALABLE = {
    "patient_id_number": (_("patient identity number"), "patient_id_masked"),
    "patient_phone": (_("patient phone"), "patient_phone_masked"),
    "raiser_id_number": (_("raiser identity number"), "raiser_id_masked"),
    "raiser_phone": (_("raiser phone"), "raiser_phone_masked"),
}


def _holder(case: Case, field: str):
    """The row that stores the field: the case, or its crowdfunding campaign for the raiser's numbers."""
    return getattr(case, "campaign", None) if field.startswith("raiser_") else case


def revealable_for(*, case: Case) -> list[tuple[str, str]]:
    """The (field, label) pairs this case has a number for, read from the masks without decrypting:
    the campaign's masks are read alone, since loading the campaign would decrypt its numbers."""
    raiser_masks = [mask for field, (_label, mask) in REVEALABLE.items() if field.startswith("raiser_")]
    campaign = CrowdfundingCampaign.objects.filter(case_id=case.pk).values(*raiser_masks).first() or {}
    return [
        (field, label)
        for field, (label, mask) in REVEALABLE.items()
        if (campaign.get(mask) if field.startswith("raiser_") else getattr(case, mask, ""))
    ]


@transaction.atomic
def identity_reveal(*, case: Case, field: str, user, where: str) -> str:
    """The full value of one of the case's numbers; the access log records who saw which, and when.

    The caller checks the permission (cases.reveal_identity); this records the reveal before
    returning, so that no value leaves without its trace.
    """
    if field not in REVEALABLE:
        raise CaseError(f"{field!r} cannot be revealed")
    holder = _holder(case, field)
    value = getattr(holder, field, "") if holder is not None else ""
    if not value:
        raise CaseError(f"case {case.ref} has no {REVEALABLE[field][0]}")
    AccessLog.objects.create(case=case, user=user, where=where, kind=AccessKind.REVEAL, field=field)
    logger.info("case %s: %s revealed to %s", case.ref, field, user.get_username())
    return value
