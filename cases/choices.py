from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    CROWDFUNDING = "crowdfunding", _("Crowdfunding")
    FOUNDATION_AID = "foundation_aid", _("Foundation aid")
    PAP = "pap", _("Patient assistance")


class CaseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    FLAGGED = "flagged", _("Flagged")
    REJECTED = "rejected", _("Rejected")


class Tier(models.TextChoices):
    HARDSHIP = "hardship", _("Hardship")
    SANDWICH = "sandwich", _("Sandwich")
    UPPER = "upper", _("Upper")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class DibaoStatus(models.TextChoices):
    DIBAO = "dibao", _("Dibao (minimum living allowance)")
    TEKUN = "tekun", _("Tekun (destitute)")
    JIANDANG = "jiandang", _("Registered poor")
    DIBAO_EDGE = "dibao_edge", _("Near-dibao")
    NONE = "none", _("None")


class Insurance(models.TextChoices):
    EMPLOYEE = "employee", _("Employee insurance")
    RESIDENT = "resident", _("Resident insurance")
    NONE = "none", _("No insurance")


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("ID card")
    HOUSEHOLD_REGISTER = "household_register", _("Household register")
    DIAGNOSIS_CERTIFICATE = "diagnosis_certificate", _("Diagnosis certificate")
    MEDICAL_RECORD = "medical_record", _("Medical record")
    DISCHARGE_SUMMARY = "discharge_summary", _("Discharge summary")
    HOSPITAL_INVOICE = "hospital_invoice", _("Hospital invoice")
    INSURANCE_SETTLEMENT = "insurance_settlement", _("Insurance settlement")
    INCOME_PROOF = "income_proof", _("Income proof")
    DIBAO_CERTIFICATE = "dibao_certificate", _("Dibao certificate")
    PRESCRIPTION = "prescription", _("Prescription")
    ASSET_DECLARATION = "asset_declaration", _("Asset declaration")
    BANK_ACCOUNT = "bank_account", _("Bank account")


class Flag(models.TextChoices):
    INVALID_ID_NUMBER = "invalid_id_number", _("Invalid identity number")
    BLACKLISTED = "blacklisted", _("Blacklisted")
    TARGET_EXCEEDS_COST = "target_exceeds_cost", _("Target exceeds cost")
    MISSING_DOCUMENTS = "missing_documents", _("Missing documents")
    DUPLICATE_APPLICATION = "duplicate_application", _("Duplicate application")
    INCOME_INCONSISTENT = "income_inconsistent", _("Income inconsistent")
    UNKNOWN_DIAGNOSIS = "unknown_diagnosis", _("Unknown diagnosis")
    INELIGIBLE_PROGRAM = "ineligible_program", _("Ineligible for its program")
    IDENTITY_MISMATCH = "identity_mismatch", _("Identity number disagrees with birth date or sex")


# A case carrying one of these gets no proposal, whatever else is true of it.
BLOCKING_FLAGS = frozenset({Flag.BLACKLISTED, Flag.INVALID_ID_NUMBER})

HARDSHIP_STATUSES = frozenset({DibaoStatus.DIBAO, DibaoStatus.TEKUN, DibaoStatus.JIANDANG, DibaoStatus.DIBAO_EDGE})


class AccessKind(models.TextChoices):
    VIEW = "view", _("Viewed masked")
    REVEAL = "reveal", _("Revealed in full")
