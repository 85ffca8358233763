"""Public disclosure (公示) of consenting crowdfunding cases: what the public may see, and nothing more.

A page shows the patient's masked name and identity number, the illness, the hospital, the target,
the money raised, the family's asset declaration and the verification outcome; no other personal
data. It exists only while the case is a crowdfunding campaign whose patient consents; its address is
a random token, not the partner's ref.
"""

from __future__ import annotations

import secrets

from django.db.models import Prefetch, Q, QuerySet

from cases.choices import CaseStatus, Channel, Flag
from cases.lib import idnumber, money
from cases.lib.fields import encrypted_paths
from cases.models import Case, CaseFlag, CheckResult
from cases.services.sql import execute_update

# Checks whose outcome the public sees, with their reason; the others are summed up by the status.
PUBLIC_CHECKS = ("diagnosis", "cost")
# What the public may read of the verification: the amount against the illness. Flags about the
# person (blacklisted, identity, income, duplicate) are judgements on personal data and stay inside.
PUBLIC_FLAGS = (Flag.TARGET_EXCEEDS_COST, Flag.UNKNOWN_DIAGNOSIS)


def disclosure_tokens_sync(case_ids: list[int]) -> None:
    """Consenting campaigns get a page address; a withdrawn consent takes the page down."""
    eligible = Q(channel=Channel.CROWDFUNDING, consent_public_disclosure=True)
    cases = Case.objects.filter(pk__in=case_ids)
    cases.exclude(eligible).exclude(disclosure_token=None).update(disclosure_token=None)
    missing = cases.filter(eligible, disclosure_token=None).values_list("pk", flat=True)
    execute_update(Case, ("disclosure_token",), [(secrets.token_urlsafe(12), pk) for pk in missing])


def disclosed_cases() -> QuerySet[Case]:
    """Everything a page shows, in a fixed number of queries; the encrypted numbers are never loaded."""
    return (
        Case.objects.filter(channel=Channel.CROWDFUNDING, consent_public_disclosure=True)
        .exclude(disclosure_token=None)
        .exclude(status__in=(CaseStatus.PENDING, CaseStatus.REJECTED))  # a rejection is not published
        .select_related("campaign", "household", "diagnosis", "disease_entry", "disbursement_plan")
        .defer(*encrypted_paths(Case, ("campaign", "disbursement_plan")))
        .prefetch_related(
            Prefetch("checks", CheckResult.objects.filter(check_code__in=PUBLIC_CHECKS), to_attr="public_checks"),
            Prefetch(
                "flags",
                CaseFlag.objects.filter(overridden_at__isnull=True, code__in=PUBLIC_FLAGS).order_by("code"),
                to_attr="open_flags",
            ),
        )
        .order_by("-submitted_at", "pk")
    )


def _money(value) -> str | None:
    return None if value is None else money.fmt(value)


def _public_reason(case: Case, result: CheckResult) -> str:
    """The cost check's reason is numbers about the illness; the diagnosis check's may name staff, so it is restated."""
    if result.check_code == "cost":
        return result.reason
    if result.passed and case.disease_entry is not None:
        return f"{case.disease_entry.name_zh} ({case.icd10}) is in the disease-cost library"
    if result.passed:
        return f"ICD-10 {case.icd10}"
    return "the illness is not yet confirmed against the disease-cost library"


def disclosure_of(case: Case) -> dict:
    """The public record of one case (loaded by disclosed_cases()), as the JSON view returns it and
    the HTML views show it."""
    household, entry = case.household, case.disease_entry
    checks = {c.check_code: c for c in case.public_checks}
    flags = [{"code": f.code, "label": str(Flag(f.code).label)} for f in case.open_flags]
    plan = getattr(case, "disbursement_plan", None)
    return {
        "case": case.disclosure_token,
        "platform": case.source,
        "submitted_at": case.submitted_at.date().isoformat(),
        "patient": {"name": idnumber.mask_name(case.patient_name), "id_number": case.patient_id_masked or None},
        # The library's name, never the partner's free text, which nobody has read for personal data.
        "illness": {"name": entry.name_zh if entry else None, "icd10": case.icd10 or None},
        "hospital": case.diagnosis.hospital or None,
        "target": _money(case.request_amount),
        "raised": _money(case.campaign.raised),
        "asset_declaration": {
            "houses": household.houses,
            "car_value": _money(household.car_value),
            "financial_assets": _money(household.financial_assets),
            "annual_household_income": _money(household.annual_income),
            "household_size": household.size,
            "basic_insurance": case.insurance_basic,
            "critical_illness_payout": _money(case.critical_illness_payout),
            "complete": household.assets_declared,
        },
        "verification": {
            "status": case.status,
            "flags": flags,
            "expected_cost": _money(case.expected_cost),
            "expected_oop": _money(case.expected_oop),
            "checks": [
                {"check": code, "passed": checks[code].passed, "reason": _public_reason(case, checks[code])}
                for code in PUBLIC_CHECKS
                if code in checks
            ],
        },
        "payout": None
        if plan is None
        else {
            "staged": plan.staged,
            "rule": plan.rule,
            "payee": plan.payee_name if plan.payee_kind == "hospital" else "family",
            "total": _money(plan.total),
            "instalments": plan.instalment_count,
            "released": _money(plan.released_total),
        },
    }
