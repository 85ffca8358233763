"""Foundations, their programs, nightly runs, the proposals they make and the awards accepted."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models import MoneyField
from matching.choices import AidType, AwardStatus, ProgramChannel, ProposalStatus, RunStatus, UsccStatus


class Foundation(models.Model):
    ref = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    uscc_status = models.CharField(max_length=16, choices=UsccStatus.choices, default=UsccStatus.ABSENT)
    uscc_note = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)

    class Meta:
        verbose_name = _("foundation")

    def __str__(self) -> str:
        return self.name


class FoundationMember(models.Model):
    """A user who works for a foundation and sees only its programs in the portal."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="foundation_member")
    foundation = models.ForeignKey(Foundation, on_delete=models.CASCADE, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.foundation}"


class Program(models.Model):
    """A fund's offer of aid: who is eligible, how much per case, and the budget for this cycle."""

    ref = models.CharField(max_length=64, unique=True)
    foundation = models.ForeignKey(Foundation, on_delete=models.PROTECT, related_name="programs")
    channel = models.CharField(_("channel"), max_length=16, choices=ProgramChannel.choices)
    name = models.CharField(_("name"), max_length=128)
    aid_type = models.CharField(_("aid type"), max_length=16, choices=AidType.choices)
    cap_per_case = MoneyField(_("cap per case"))
    budget = MoneyField(_("budget"))
    # Kept by the award service under a row lock; the constraint makes the database refuse overspending.
    awarded_total = MoneyField(_("awarded"), default=Decimal("0"), editable=False)

    icd10 = models.JSONField(_("ICD-10 codes, categories or ranges"), default=list, blank=True)
    income_tiers = models.JSONField(_("income tiers"), default=list, blank=True)
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    provinces = models.JSONField(default=list, blank=True)
    required_documents = models.JSONField(default=list, blank=True)

    drug = models.CharField(max_length=128, blank=True)
    cycle_value = MoneyField(null=True, blank=True)
    paid_cycles = models.PositiveSmallIntegerField(null=True, blank=True)
    free_cycles = models.PositiveSmallIntegerField(null=True, blank=True)
    hardship_free = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("program")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="program_budget_not_negative"),
            models.CheckConstraint(condition=Q(cap_per_case__gte=0), name="program_cap_not_negative"),
            models.CheckConstraint(
                condition=Q(awarded_total__gte=0) & Q(awarded_total__lte=F("budget")),
                name="program_awards_within_budget",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ref})"

    @property
    def remaining_budget(self) -> Decimal:
        return self.budget - self.awarded_total


class MatchRun(models.Model):
    """One run of the nightly pipeline: what it did, how long it took, how it ended."""

    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    trigger = models.CharField(max_length=32)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    step_timings = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("nightly run")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status=RunStatus.RUNNING), name="one_nightly_run_at_a_time"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status} {self.started_at:%Y-%m-%d %H:%M}"


class Proposal(models.Model):
    """The matcher's suggestion that a program fund part of a case's need."""

    run = models.ForeignKey(MatchRun, on_delete=models.PROTECT, related_name="proposals")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="proposals")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="proposals")
    amount = MoneyField(_("amount"))
    priority = models.DecimalField(max_digits=8, decimal_places=4)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("proposal")
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case", "program"], name="one_proposal_per_run_case_program"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="proposal_amount_positive"),
        ]


class Episode(models.Model):
    """One person's one illness: the ledger that holds "no duplicate aid".

    Rebuilt from the cases by the need step (and after a merge, a split or new aid); awards add
    to `awarded` under a row lock. The database refuses any award past `award_limit`, the
    largest amount asked less what the episode received from outside (money raised, aid
    recorded): an award can never take the episode past its need, whatever code makes it.
    """

    anchor = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="anchored_episode",
        help_text=_("the episode's first case: a name for it that survives re-grouping"),
    )  # fmt: skip
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="episodes")
    categories = models.CharField(_("ICD-10 categories"), max_length=128, blank=True)
    carrier = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("the case that holds the episode's need"),
    )  # fmt: skip
    asked = MoneyField(_("largest amount asked"), default=Decimal("0"))
    received_outside = MoneyField(_("received outside awards"), default=Decimal("0"))
    awarded = MoneyField(_("awarded"), default=Decimal("0"))
    award_limit = MoneyField(_("award limit"), default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("illness episode")
        constraints = [
            models.CheckConstraint(
                condition=Q(awarded__gte=0) & Q(awarded__lte=F("award_limit")), name="episode_awards_within_need"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.categories or '?'}"

    @property
    def need(self) -> Decimal:
        return max(Decimal("0"), self.award_limit - self.awarded)


class Award(models.Model):
    """Aid a program committed to a case. At most one per case and program."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="awards")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="awards")
    proposal = models.OneToOneField(Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="award")
    episode = models.ForeignKey(Episode, null=True, blank=True, on_delete=models.PROTECT, related_name="awards")
    amount = MoneyField(_("amount"))
    status = models.CharField(max_length=16, choices=AwardStatus.choices, default=AwardStatus.ACCEPTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("award")
        constraints = [
            models.UniqueConstraint(fields=["case", "program"], name="one_award_per_case_program"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="award_amount_positive"),
        ]
