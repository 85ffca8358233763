"""Staged payouts for crowdfunding (domain.md): who is paid, in what instalments, against what evidence.

A campaign that raised 300,000 CNY or more, or 50,000 CNY or more with incomplete disclosure, is paid
to the hospital's account in instalments after review, never to the family. This module is the only
way a plan is made or an instalment released. The database refuses, whatever wrote it, a plan whose
`staged` disagrees with the raised amount and disclosure it records (`plan_staged_follows_rule`), a
staged plan that pays the family or counts fewer than two instalments
(`plan_staged_pays_hospital_in_instalments`), and a `released_total` past the plan's total
(`plan_released_within_total`). `total`, `instalment_count` and `released_total` are counters this
module keeps in the same transaction as the instalments, as `Program.awarded_total` is kept with
awards: a row written around the service could make them disagree with the instalments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.choices import BLOCKING_FLAGS, CaseStatus, Channel, DocumentType
from cases.errors import CaseError
from cases.lib.fields import encrypted_paths
from cases.lib.money import format_cny
from cases.models import (
    STAGED_ALWAYS,
    STAGED_IF_UNDISCLOSED,
    STAGED_MIN_INSTALMENTS,
    Case,
    CaseFlag,
    DisbursementPlan,
    Instalment,
    PayeeKind,
)
from cases.services.events import event_log

# What proves that an instalment is due: the hospital's bill or what the treatment left on paper.
EVIDENCE_TYPES = frozenset(
    {
        DocumentType.HOSPITAL_INVOICE,
        DocumentType.DISCHARGE_SUMMARY,
        DocumentType.MEDICAL_RECORD,
        DocumentType.PRESCRIPTION,
        DocumentType.INSURANCE_SETTLEMENT,
    }
)


@dataclass(frozen=True)
class StagedRule:
    staged: bool
    raised: Decimal
    disclosure_complete: bool
    reason: str


def disclosure_gaps(case: Case) -> tuple[str, ...]:
    """What keeps a campaign's disclosure from being complete: consent, the asset declaration, its document."""
    missing = []
    if not case.consent_public_disclosure:
        missing.append("no consent to public disclosure")
    if not case.household.assets_declared:
        missing.append("assets not fully declared (houses, car, financial assets)")
    if not case.documents.filter(doc_type=DocumentType.ASSET_DECLARATION).exists():
        missing.append("no asset declaration document")
    return tuple(missing)


def staged_rule(case: Case) -> StagedRule:
    """Whether the campaign must be paid to the hospital in instalments, and why, in words and numbers."""
    campaign = getattr(case, "campaign", None)
    if case.channel != Channel.CROWDFUNDING or campaign is None:
        raise CaseError(f"case {case.ref} is not a crowdfunding campaign; only campaigns have disbursement plans")
    raised, missing = campaign.raised, disclosure_gaps(case)
    shown = format_cny(raised)
    if raised >= STAGED_ALWAYS:
        reason = f"raised {shown}, at least {format_cny(STAGED_ALWAYS)}: staged payout to the hospital"
        staged = True
    elif raised >= STAGED_IF_UNDISCLOSED and missing:
        reason = (
            f"raised {shown}, at least {format_cny(STAGED_IF_UNDISCLOSED)} with incomplete disclosure "
            f"({'; '.join(missing)}): staged payout to the hospital"
        )
        staged = True
    else:
        why = f"below {format_cny(STAGED_IF_UNDISCLOSED)}" if raised < STAGED_IF_UNDISCLOSED else "disclosure complete"
        reason = f"raised {shown}, {why}: may be paid in one instalment"
        staged = False
    return StagedRule(staged=staged, raised=raised, disclosure_complete=not missing, reason=reason)


def _payable(case: Case) -> None:
    if case.status == CaseStatus.REJECTED:
        raise CaseError(f"case {case.ref} is rejected; nothing is paid out")
    barred = CaseFlag.objects.filter(case=case, code__in=BLOCKING_FLAGS, overridden_at__isnull=True)
    if barred.exists():
        raise CaseError(f"case {case.ref} has a flag that bars aid ({', '.join(f.code for f in barred)})")


@transaction.atomic
def plan_create(
    *,
    case: Case,
    payee_kind: str,
    payee_name: str,
    payee_account: str,
    instalments: list[tuple[Decimal, str]],
    user,
) -> DisbursementPlan:
    """Plan how the money raised reaches treatment. `instalments` are (amount, purpose) in order."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("campaign", "household")
        .defer(*encrypted_paths(Case, ("campaign",)))  # the rule reads amounts, never the numbers
        .get(pk=case.pk)
    )
    _payable(case)
    if DisbursementPlan.objects.filter(case=case).exists():
        raise CaseError(f"case {case.ref} already has a disbursement plan")
    rule = staged_rule(case)
    if payee_kind not in PayeeKind.values:
        raise CaseError(f"payee_kind: {payee_kind!r} is not one of {', '.join(PayeeKind.values)}")
    if not payee_name.strip():
        raise CaseError("payee_name: the payee must be named")
    if not payee_account.strip():
        raise CaseError("payee_account: the account paid into must be given")
    if not instalments:
        raise CaseError("instalments: at least one instalment")
    for number, (amount, _purpose) in enumerate(instalments, start=1):
        if amount <= 0:
            raise CaseError(f"instalments[{number}]: amount {amount} must be positive")
    total = sum((amount for amount, _ in instalments), Decimal("0"))
    if total > rule.raised:
        raise CaseError(
            f"instalments: they add up to {format_cny(total)}, more than the {format_cny(rule.raised)} raised"
        )
    if rule.staged and payee_kind != PayeeKind.HOSPITAL:
        raise CaseError(f"payee_kind: {rule.reason}; the payee must be the hospital's account, not the family")
    if rule.staged and len(instalments) < STAGED_MIN_INSTALMENTS:
        raise CaseError(f"instalments: {rule.reason}; at least {STAGED_MIN_INSTALMENTS} instalments")
    plan = DisbursementPlan.objects.create(
        case=case,
        raised=rule.raised,
        disclosure_complete=rule.disclosure_complete,
        staged=rule.staged,
        rule=rule.reason[:255],
        payee_kind=payee_kind,
        payee_name=payee_name.strip(),
        payee_account=payee_account.strip(),
        total=total,
        instalment_count=len(instalments),
        created_by=user,
    )
    Instalment.objects.bulk_create(
        Instalment(plan=plan, seq=number, amount=amount, purpose=purpose[:255])
        for number, (amount, purpose) in enumerate(instalments, start=1)
    )
    event_log(
        case=case,
        code="disbursement.planned",
        user=user,
        data={"staged": rule.staged, "payee": payee_kind, "total": str(total), "instalments": len(instalments)},
    )
    return plan


@transaction.atomic
def instalment_release(*, instalment: Instalment, evidence_type: str, evidence_ref: str, user) -> Instalment:
    """Release one instalment, in order, once, against evidence; the rule is checked again on today's facts."""
    plan = DisbursementPlan.objects.select_for_update(of=("self",)).defer("payee_account").get(pk=instalment.plan_id)
    instalment = Instalment.objects.select_for_update().get(pk=instalment.pk)
    case = (
        Case.objects.select_related("campaign", "household")
        .defer(*encrypted_paths(Case, ("campaign",)))
        .get(pk=plan.case_id)
    )
    _payable(case)
    if user is not None and plan.created_by_id == user.pk:
        raise CaseError("whoever planned the payout cannot release it: another reviewer must")
    if instalment.status == Instalment.Status.RELEASED:
        raise CaseError(f"instalment {instalment.seq} of case {case.ref} was already released")
    earlier = plan.instalments.filter(seq__lt=instalment.seq, status=Instalment.Status.PLANNED).order_by("seq").first()
    if earlier is not None:
        raise CaseError(f"instalment {earlier.seq} must be released before instalment {instalment.seq}")
    if evidence_type not in EVIDENCE_TYPES:
        allowed = ", ".join(sorted(EVIDENCE_TYPES))
        raise CaseError(f"evidence_type: {evidence_type or 'none'} does not prove treatment (one of {allowed})")
    if not evidence_ref.strip():
        raise CaseError("evidence_ref: the invoice or record number must be given")
    rule = staged_rule(case)
    if rule.staged and not plan.staged:
        raise CaseError(
            f"the plan was made when the campaign was not staged, but now {rule.reason}; "
            "the rest must be planned again as instalments to the hospital"
        )
    instalment.status = Instalment.Status.RELEASED
    instalment.evidence_type, instalment.evidence_ref = evidence_type, evidence_ref.strip()[:128]
    instalment.released_by, instalment.released_at = user, timezone.now()
    # Once, whatever the locks: only a row still planned is released, and one row must be.
    changed = Instalment.objects.filter(pk=instalment.pk, status=Instalment.Status.PLANNED).update(
        status=instalment.status, evidence_type=instalment.evidence_type, evidence_ref=instalment.evidence_ref,
        released_by=user, released_at=instalment.released_at,
    )  # fmt: skip
    if changed != 1:
        raise CaseError(f"instalment {instalment.seq} of case {case.ref} was already released")
    # The database refuses a release past the plan's total, whatever wrote it.
    DisbursementPlan.objects.filter(pk=plan.pk).update(released_total=F("released_total") + instalment.amount)
    event_log(
        case=case,
        code="disbursement.released",
        user=user,
        data={"instalment": instalment.seq, "amount": str(instalment.amount), "evidence": evidence_type},
    )
    return instalment
