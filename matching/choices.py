from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgramChannel(models.TextChoices):
    FOUNDATION_AID = "foundation_aid", _("Foundation aid")
    PAP = "pap", _("Patient assistance (PAP)")


class AidType(models.TextChoices):
    CASH = "cash", _("Cash")
    DRUG = "drug", _("Drug")
    SURGERY = "surgery", _("Surgery")
    INSURANCE = "insurance", _("Insurance")


class UsccStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    MANUAL_REVIEW = "manual_review", _("Check character fails: manual review")
    ABSENT = "absent", _("Not given")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    SUPERSEDED = "superseded", _("Superseded by a later run")


class AwardStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
