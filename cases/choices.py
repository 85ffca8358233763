from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    CROWDFUNDING = "crowdfunding", _("Crowdfunding 大病众筹")
    FOUNDATION_AID = "foundation_aid", _("Foundation aid 基金会救助")
    PAP = "pap", _("Patient assistance 患者援助")


class CaseStatus(models.TextChoices):
    PENDING = "pending", _("Pending 待审核")
    VERIFIED = "verified", _("Verified 已核实")
    FLAGGED = "flagged", _("Flagged 待复核")
    REJECTED = "rejected", _("Rejected 已驳回")


class Tier(models.TextChoices):
    HARDSHIP = "hardship", _("Hardship 困难家庭")
    SANDWICH = "sandwich", _("Sandwich 夹心层")
    UPPER = "upper", _("Upper 中高收入")


class Sex(models.TextChoices):
    MALE = "M", _("Male 男")
    FEMALE = "F", _("Female 女")


class Relation(models.TextChoices):
    SELF = "self", _("Self 本人")
    SPOUSE = "spouse", _("Spouse 配偶")
    PARENT = "parent", _("Parent 父母")
    CHILD = "child", _("Child 子女")
    SIBLING = "sibling", _("Sibling 兄弟姐妹")
    OTHER = "other", _("Other 其他")


class DibaoStatus(models.TextChoices):
    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困")
    JIANDANG = "jiandang", _("建档立卡")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")
    NONE = "none", _("None 无")


class Insurance(models.TextChoices):
    EMPLOYEE = "employee", _("Employee 职工医保")
    RESIDENT = "resident", _("Resident 城乡居民医保")
    NONE = "none", _("None 无医保")


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("ID card 身份证")
    HOUSEHOLD_REGISTER = "household_register", _("Household register 户口本")
    DIAGNOSIS_CERTIFICATE = "diagnosis_certificate", _("Diagnosis certificate 诊断证明")
    MEDICAL_RECORD = "medical_record", _("Medical record 病历")
    DISCHARGE_SUMMARY = "discharge_summary", _("Discharge summary 出院小结")
    HOSPITAL_INVOICE = "hospital_invoice", _("Hospital invoice 医疗发票")
    INSURANCE_SETTLEMENT = "insurance_settlement", _("Insurance settlement 医保结算单")
    INCOME_PROOF = "income_proof", _("Income proof 收入证明")
    DIBAO_CERTIFICATE = "dibao_certificate", _("Dibao certificate 低保证")
    PRESCRIPTION = "prescription", _("Prescription 处方")
    ASSET_DECLARATION = "asset_declaration", _("Asset declaration 财产申报")
    BANK_ACCOUNT = "bank_account", _("Bank account 银行账户")


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
