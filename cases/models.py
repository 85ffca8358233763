"""People, households and the cases they bring in on the three channels."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.choices import (
    AccessKind,
    CaseStatus,
    Channel,
    DibaoStatus,
    DocumentType,
    Flag,
    Insurance,
    Relation,
    Sex,
    Tier,
)
from cases.lib import idnumber
from cases.lib.disease_library import code_problems
from cases.lib.fields import EncryptedCharField, MaskField


def MoneyField(*args, **kwargs) -> models.DecimalField:  # noqa: N802 - reads like a field class
    return models.DecimalField(*args, max_digits=14, decimal_places=2, **kwargs)


def _new_public_id() -> str:
    return "P" + secrets.token_hex(8)


class Person(models.Model):
    """One human being, as recognised across cases, channels and organisations."""

    public_id = models.CharField(max_length=24, unique=True, default=_new_public_id, editable=False)
    name = models.CharField(_("name"), max_length=64)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    province = models.CharField(_("province"), max_length=2)
    id_number = EncryptedCharField(_("identity number"), max_length=18, blank=True)
    id_masked = MaskField(_("identity number"), source="id_number", mask=idnumber.mask)
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked or self.public_id})"


class Partner(models.Model):
    """A platform or foundation that submits cases through the API with a token."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner")

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """One application, in one channel, for one illness of one patient."""

    ref = models.CharField(_("ref"), max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=128)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")

    # The patient as the application states them; the person is who we recognise them as.
    patient_name = models.CharField(_("patient name"), max_length=64)
    patient_birth_date = models.DateField(_("birth date"))
    patient_sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    patient_province = models.CharField(_("province"), max_length=2)
    patient_city = models.CharField(_("city"), max_length=64, blank=True)
    patient_id_number = EncryptedCharField(_("identity number"), max_length=32, blank=True)
    patient_id_masked = MaskField(_("identity number"), source="patient_id_number", mask=idnumber.mask, db_index=True)
    patient_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    patient_phone = EncryptedCharField(_("phone"), max_length=32, blank=True)
    patient_phone_masked = MaskField(_("phone"), source="patient_phone", mask=idnumber.mask_phone)
    patient_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    insurance_basic = models.CharField(_("basic insurance"), max_length=16, choices=Insurance.choices)
    critical_illness_payout = MoneyField(_("critical-illness payout"), null=True, blank=True)
    request_amount = MoneyField(_("amount requested"))
    request_purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    consent_data_sharing = models.BooleanField(_("consents to data sharing"), default=False)
    consent_public_disclosure = models.BooleanField(_("consents to public disclosure"), default=False)

    # Owned by the server: set by verification and the nightly run, never by clients.
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.PENDING)
    tier = models.CharField(_("income tier"), max_length=16, choices=Tier.choices, blank=True)
    icd10 = models.CharField(_("ICD-10 (normalised)"), max_length=8, blank=True)
    risk_score = models.DecimalField(_("risk score"), max_digits=5, decimal_places=4, null=True, blank=True)
    risk_factors = models.JSONField(_("risk factors"), default=list, blank=True)
    risk_model_version = models.CharField(max_length=64, blank=True, editable=False)
    disease_entry = models.ForeignKey(
        "cases.DiseaseEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        verbose_name=_("disease-cost entry"),
    )  # fmt: skip
    expected_cost = MoneyField(_("expected cost"), null=True, blank=True)
    expected_oop = MoneyField(_("expected out-of-pocket"), null=True, blank=True)
    highest_oop = MoneyField(_("highest plausible out-of-pocket"), null=True, blank=True)
    # The most the amount asked can plausibly be: highest_oop, or for a PAP its program's terms.
    # Matching counts a case flagged target_exceeds_cost as asking only this much.
    amount_bound = MoneyField(_("plausible amount"), null=True, blank=True)
    # Every input of the cost formula, so that a figure can be explained and recomputed.
    cost_inputs = models.JSONField(_("cost formula inputs"), default=dict, blank=True)
    # The versions of checks, library and models the case was last verified with; the nightly run
    # verifies again every case whose stamp is not the current one.
    verified_with = models.CharField(max_length=160, blank=True, editable=False)
    # The public disclosure page's address (公示), given only to crowdfunding cases that consent.
    disclosure_token = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    need = MoneyField(_("remaining need"), null=True, blank=True)
    priority = models.DecimalField(_("priority"), max_digits=8, decimal_places=4, null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    episode = models.ForeignKey(
        "matching.Episode", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    payload_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "channel"]), models.Index(fields=["person", "icd10"])]
        constraints = [
            models.CheckConstraint(condition=Q(request_amount__gte=0), name="case_request_not_negative"),
            models.CheckConstraint(condition=Q(need__isnull=True) | Q(need__gte=0), name="case_need_not_negative"),
        ]
        permissions = [("reveal_identity", _("Can reveal full identity numbers and phones (audited)"))]

    def __str__(self) -> str:
        return f"{self.ref} {self.patient_name}"

    @property
    def masked_id_number(self) -> str:
        return self.patient_id_masked

    @property
    def masked_phone(self) -> str:
        return self.patient_phone_masked

    @property
    def target_program(self):
        part = getattr(self, "foundation_application", None) or getattr(self, "pap_application", None)
        return part.program if part else None

    @property
    def target_program_id(self) -> int | None:
        part = getattr(self, "foundation_application", None) or getattr(self, "pap_application", None)
        return part.program_id if part else None

    def age_at(self, day) -> int:
        born = self.patient_birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Household(models.Model):
    """The patient's household as declared with the case: size, income, state assistance, assets."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="household")
    size = models.PositiveSmallIntegerField(_("household size"))
    annual_income = MoneyField(_("annual income"))
    dibao_status = models.CharField(_("state assistance"), max_length=16, choices=DibaoStatus.choices)
    houses = models.PositiveSmallIntegerField(_("houses"), null=True, blank=True)
    car_value = MoneyField(_("car value"), null=True, blank=True)
    financial_assets = MoneyField(_("financial assets"), null=True, blank=True)

    class Meta:
        verbose_name = _("household")
        constraints = [models.CheckConstraint(condition=Q(size__gte=1), name="household_size_positive")]

    @property
    def assets_declared(self) -> bool:
        return None not in (self.houses, self.car_value, self.financial_assets)


class Diagnosis(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="diagnosis")
    text = models.CharField(_("diagnosis"), max_length=500)
    icd10_given = models.CharField(_("ICD-10 as given"), max_length=32, blank=True)
    hospital = models.CharField(_("hospital"), max_length=128, blank=True)
    hospital_level = models.CharField(_("hospital level"), max_length=8, blank=True)
    diagnosed_on = models.DateField(_("diagnosed on"), null=True, blank=True)
    # What the normaliser read the text as, and how sure it was.
    matched_confidence = models.DecimalField(
        _("normaliser confidence"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    # A case worker's choice of library entry; it wins over the code given and over the normaliser.
    picked_entry = models.ForeignKey(
        "cases.DiseaseEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("entry picked by a case worker"),
    )  # fmt: skip
    picked_code = models.CharField(_("ICD-10 picked"), max_length=8, blank=True)
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    picked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("diagnosis")
        verbose_name_plural = _("diagnoses")


class CrowdfundingCampaign(models.Model):
    """The crowdfunding part of a case: who raises, the target, what was raised."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="campaign")
    raiser_name = models.CharField(_("raiser"), max_length=64)
    raiser_relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    raiser_id_number = EncryptedCharField(_("raiser identity number"), max_length=32, blank=True)
    raiser_id_masked = MaskField(_("raiser identity number"), source="raiser_id_number", mask=idnumber.mask)
    raiser_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    raiser_phone = EncryptedCharField(_("raiser phone"), max_length=32, blank=True)
    raiser_phone_masked = MaskField(_("raiser phone"), source="raiser_phone", mask=idnumber.mask_phone)
    raised = MoneyField(_("raised"), default=Decimal("0"))

    class Meta:
        verbose_name = _("crowdfunding campaign")

    @property
    def target(self) -> Decimal:
        """A campaign's target is what its case asks for."""
        return self.case.request_amount


class FoundationApplication(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="foundation_application")
    program = models.ForeignKey("matching.Program", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("foundation application")


class PapApplication(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="pap_application")
    program = models.ForeignKey("matching.Program", null=True, blank=True, on_delete=models.PROTECT)
    drug = models.CharField(_("drug"), max_length=128, blank=True)
    cycles_paid = models.PositiveSmallIntegerField(_("cycles paid so far"), null=True, blank=True)

    class Meta:
        verbose_name = _("PAP application")


class Document(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(_("type"), max_length=32, choices=DocumentType.choices)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")


class AidRecord(models.Model):
    """Aid a patient already received from anywhere; it reduces the need of that illness."""

    ref = models.CharField(max_length=64, unique=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="aid_records")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="aid_records")
    # Kept, encrypted, so that the hash can be computed again under a new key (rotate_keys).
    patient_id_number = EncryptedCharField(_("identity number"), max_length=32, blank=True)
    patient_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    provider = models.CharField(_("provider"), max_length=128)
    amount = MoneyField(_("amount"))
    date = models.DateField(_("date"))
    icd10 = models.CharField(max_length=8, blank=True)
    episode = models.ForeignKey(
        "matching.Episode", null=True, blank=True, on_delete=models.SET_NULL, related_name="aid_records"
    )

    class Meta:
        verbose_name = _("aid received")
        verbose_name_plural = _("aid received")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="aid_amount_not_negative")]


class BlacklistEntry(models.Model):
    """A dishonest raiser or patient (失信筹款人); cases naming them are flagged."""

    id_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number = EncryptedCharField(_("identity number"), max_length=18)
    id_masked = MaskField(_("identity number"), source="id_number", mask=idnumber.mask)
    name = models.CharField(_("name"), max_length=64)
    reason = models.CharField(_("reason"), max_length=255)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")

    def __str__(self) -> str:
        return f"{self.name} {self.id_masked}"


class CheckResult(models.Model):
    """The latest outcome of one verification check on one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checks")
    check_code = models.CharField(_("check"), max_length=32)
    passed = models.BooleanField(_("passed"))
    flag = models.CharField(max_length=32, choices=Flag.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    version = models.CharField(max_length=64)
    checked_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("check result")
        constraints = [models.UniqueConstraint(fields=["case", "check_code"], name="one_result_per_check")]


class CaseFlag(models.Model):
    """A raised flag; a case worker may override it with a reason, and the override survives re-runs."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("flag"), max_length=32, choices=Flag.choices)
    reason = models.CharField(_("reason"), max_length=500)
    raised_at = models.DateTimeField(auto_now_add=True)
    overridden_at = models.DateTimeField(null=True, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.CharField(_("override reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("flag")
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="one_flag_per_code"),
            models.CheckConstraint(
                condition=Q(overridden_at__isnull=True) | ~Q(override_reason=""), name="override_needs_reason"
            ),
        ]

    @property
    def active(self) -> bool:
        return self.overridden_at is None


class CaseEvent(models.Model):
    """One state change of a case (or of its awards), with who made it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    code = models.CharField(max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=128)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("event")
        ordering = ["created_at", "id"]


class AccessLog(models.Model):
    """Who looked at a case's personal data, where; and who revealed which full number."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    where = models.CharField(max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=AccessKind.choices, default=AccessKind.VIEW)
    field = models.CharField(_("field revealed"), max_length=32, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")


class MatchKey(models.Model):
    """A blocking key of a case: cases sharing one are compared when a new case arrives.

    Keys are keyed hashes (they are built from names, birth dates and phones), so the table
    tells nothing by itself.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="match_keys")
    key = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="one_match_key_per_case")]


class IdentityReview(models.Model):
    """Two cases the resolver could not call the same person or not: a case worker decides.

    A decision binds every later resolution: merged cases stay one person, split ones never join.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("same person")
        SPLIT = "split", _("different persons")

    case_a = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    case_b = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("other case"))
    probability = models.DecimalField(_("probability same person"), max_digits=5, decimal_places=4)
    reasons = models.JSONField(_("evidence"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity review")
        verbose_name_plural = _("identity reviews")
        ordering = ["status", "-probability"]
        constraints = [
            models.UniqueConstraint(fields=["case_a", "case_b"], name="one_review_per_pair"),
            models.CheckConstraint(condition=Q(case_a__lt=F("case_b")), name="review_pair_ordered"),
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(decision_reason="") & Q(decided_at__isnull=False)),
                name="review_decision_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_a.ref} ~ {self.case_b.ref} ({self.probability})"


class ResolutionModel(models.Model):
    """A fitted identity-resolution model; the newest one scores new cases at intake."""

    version = models.CharField(max_length=64)
    params = models.JSONField()
    stats = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]


class DiseaseEntry(models.Model):
    """One illness in the disease-cost library: its codes, the names people write, what it costs.

    Loaded from the versioned data file (`load_disease_library`); case workers may correct an
    entry in the admin, and a reload keeps their correction (`edited_at`). Every change is in
    the entry's history.
    """

    key = models.SlugField(_("key"), max_length=64, unique=True)
    icd10 = models.CharField(_("ICD-10 codes"), max_length=255, help_text=_("codes or ranges, separated by |"))
    name_zh = models.CharField(_("Chinese name"), max_length=128)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    synonyms = models.TextField(_("synonyms and abbreviations"), blank=True, help_text=_("separated by |"))
    lists = models.CharField(_("lists"), max_length=128, blank=True)
    unit = models.CharField(_("cost per"), max_length=8, choices=[("course", _("course")), ("year", _("year"))])
    cost_low = MoneyField(_("low cost"))
    cost_typical = MoneyField(_("typical cost"))
    cost_high = MoneyField(_("high cost"))
    source = models.TextField(_("source"))
    year = models.PositiveSmallIntegerField(_("year of the figures"), null=True, blank=True)
    confidence = models.CharField(_("confidence"), max_length=16)
    library_version = models.CharField(max_length=32, editable=False)
    edited_at = models.DateTimeField(_("edited by a case worker at"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("disease-cost entry")
        verbose_name_plural = _("disease-cost library")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_low__gte=0) & Q(cost_low__lte=F("cost_typical")) & Q(cost_typical__lte=F("cost_high")),
                name="disease_costs_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.icd10})"

    def clean(self) -> None:
        problems = code_problems(self.icd10)
        if problems:
            raise ValidationError({"icd10": problems})


class RiskModel(models.Model):
    """A trained risk-score model (`manage.py train_risk_model`); the active one scores cases."""

    version = models.CharField(_("version"), max_length=64, unique=True)
    params = models.JSONField()
    metrics = models.JSONField(_("held-out metrics"), default=dict, blank=True)
    trained_on = models.CharField(_("trained on"), max_length=128)
    active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="one_active_risk_model")
        ]

    def __str__(self) -> str:
        return self.version


class PayeeKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital account")
    FAMILY = "family", _("Family")


# Staged payout (domain.md): a campaign that raised this much, or STAGED_IF_UNDISCLOSED with
# incomplete disclosure, is paid to the hospital's account in instalments after review.
STAGED_ALWAYS = Decimal("300000")
STAGED_IF_UNDISCLOSED = Decimal("50000")
STAGED_MIN_INSTALMENTS = 2


class DisbursementPlan(models.Model):
    """How a crowdfunding campaign's money reaches the patient: payee, instalments, evidence.

    The staged-payout rule is held by the database as well as by the service: `staged` must agree
    with the raised amount and disclosure it was decided on, and a staged plan pays a hospital in at
    least two instalments. Nothing is released past the plan's total.
    """

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="disbursement_plan")
    raised = MoneyField(_("raised when planned"))
    disclosure_complete = models.BooleanField(_("disclosure complete when planned"))
    staged = models.BooleanField(_("staged payout to the hospital"))
    rule = models.CharField(_("why"), max_length=255)
    payee_kind = models.CharField(_("payee"), max_length=16, choices=PayeeKind.choices)
    payee_name = models.CharField(_("payee name"), max_length=128)
    payee_account = EncryptedCharField(_("payee account"), max_length=64)
    payee_account_masked = MaskField(_("payee account"), source="payee_account", mask=idnumber.mask_account)
    total = MoneyField(_("total"))
    instalment_count = models.PositiveSmallIntegerField(_("instalments"))
    released_total = MoneyField(_("released so far"), default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("disbursement plan")
        verbose_name_plural = _("disbursement plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(staged=True, raised__gte=STAGED_ALWAYS)
                | Q(staged=True, raised__gte=STAGED_IF_UNDISCLOSED, disclosure_complete=False)
                | (
                    Q(staged=False)
                    & Q(raised__lt=STAGED_ALWAYS)
                    & (Q(raised__lt=STAGED_IF_UNDISCLOSED) | Q(disclosure_complete=True))
                ),
                name="plan_staged_follows_rule",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(staged=False)
                | Q(payee_kind=PayeeKind.HOSPITAL, instalment_count__gte=STAGED_MIN_INSTALMENTS),
                name="plan_staged_pays_hospital_in_instalments",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(total__gt=0) & Q(total__lte=F("raised")), name="plan_total_within_raised"
            ),
            models.CheckConstraint(
                condition=Q(released_total__gte=0) & Q(released_total__lte=F("total")),
                name="plan_released_within_total",
            ),
            models.CheckConstraint(condition=Q(instalment_count__gte=1), name="plan_has_instalments"),
        ]

    def __str__(self) -> str:
        return f"{self.case.ref}: {self.total} to {self.payee_name}"


class Instalment(models.Model):
    """One payment of a plan. It is released once, with evidence, in order."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RELEASED = "released", _("released")

    plan = models.ForeignKey(DisbursementPlan, on_delete=models.PROTECT, related_name="instalments")
    seq = models.PositiveSmallIntegerField(_("number"))
    amount = MoneyField(_("amount"))
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    evidence_type = models.CharField(_("evidence"), max_length=32, choices=DocumentType.choices, blank=True)
    evidence_ref = models.CharField(_("evidence reference"), max_length=128, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "seq"], name="one_instalment_per_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="planned", released_at__isnull=True)
                | (Q(status="released", released_at__isnull=False) & ~Q(evidence_type="") & ~Q(evidence_ref="")),
                name="instalment_released_with_evidence",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.plan.case.ref} #{self.seq} {self.amount}"
