"""The verification pipeline: ordered, independent checks, each recording its result and reason.

A check returns (passed, reason) and names the flag it raises when it fails. Re-running is
harmless: results are replaced, flags a case worker overrode stay overridden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.choices import BLOCKING_FLAGS, CaseStatus, Flag
from cases.errors import CaseError
from cases.lib import icd10, idnumber, tiers
from cases.models import BlacklistEntry, Case, CaseEvent, CaseFlag, CheckResult
from cases.services.events import actor_label_for, event_log
from cases.services.identity import id_hash_rotating, id_hashes
from cases.services.sql import execute_update
from matching.lib.eligibility import unmet
from matching.selectors import case_facts, program_rules
from matching.services.proposals import proposals_supersede

VERSION = "1"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str


def check_identity(case: Case) -> Outcome:
    problems = []
    for who, number in (("patient", case.patient_id_number), ("raiser", _raiser_id(case))):
        if number:
            try:
                idnumber.parse(number)
            except idnumber.IdNumberError as exc:
                problems.append(f"{who} identity number {idnumber.mask(number)}: {exc}")
    if problems:
        return Outcome(False, "; ".join(problems))
    if not case.patient_id_number:
        return Outcome(True, "no identity number given")
    return Outcome(True, "identity numbers valid")


def check_identity_consistency(case: Case) -> Outcome:
    number = case.patient_id_number
    if not number or not idnumber.is_valid(number):
        return Outcome(True, "nothing to compare")
    parsed = idnumber.parse(number)
    problems = []
    if parsed.birth_date != case.patient_birth_date:
        problems.append(f"birth date {case.patient_birth_date} but the number says {parsed.birth_date}")
    if parsed.sex != case.patient_sex:
        problems.append(f"sex {case.patient_sex} but the number says {parsed.sex}")
    if problems:
        return Outcome(False, "; ".join(problems))
    return Outcome(True, "birth date and sex agree with the identity number")


def check_blacklist(case: Case) -> Outcome:
    # The annotation (case_queryset_for_verification) compares stored hashes, which agree only while
    # every row is under one key; during a rotation the numbers are hashed under every key instead.
    if getattr(case, "blacklist_hit", True) is False and not id_hash_rotating():
        return Outcome(True, "neither patient nor raiser is blacklisted")
    hashes = {"patient": id_hashes(case.patient_id_number), "raiser": id_hashes(_raiser_id(case))}
    hits = {e.id_hash: e for e in BlacklistEntry.objects.filter(id_hash__in=[h for hs in hashes.values() for h in hs])}
    found = []
    for who, candidates in hashes.items():
        entry = next((hits[h] for h in candidates if h in hits), None)
        if entry is not None:
            found.append(f"{who} {entry.name} is blacklisted: {entry.reason}")
    if found:
        return Outcome(False, "; ".join(found))
    return Outcome(True, "neither patient nor raiser is blacklisted")


def check_documents(case: Case) -> Outcome:
    program = case.target_program
    if program is None or not program.required_documents:
        return Outcome(True, "no program requirements to check")
    have = {d.doc_type for d in case.documents.all()}
    missing = [d for d in program.required_documents if d not in have]
    if missing:
        return Outcome(False, f"program {program.ref} requires {', '.join(missing)}")
    return Outcome(True, f"all documents program {program.ref} requires are present")


def check_income(case: Case) -> Outcome:
    household = case.household
    result = tiers.assess(
        dibao_status=household.dibao_status, annual_income=household.annual_income, household_size=household.size
    )
    case.tier = result.tier
    return Outcome(result.consistent, result.reason)


def check_diagnosis(case: Case) -> Outcome:
    given = case.diagnosis.icd10_given
    case.icd10 = ""
    if not given:
        return Outcome(False, f"no ICD-10 code for {case.diagnosis.text!r}; a case worker must pick one")
    try:
        case.icd10 = icd10.normalise(given)
    except icd10.Icd10Error as exc:
        return Outcome(False, f"{exc}; a case worker must pick the code for {case.diagnosis.text!r}")
    return Outcome(True, f"ICD-10 {case.icd10}" + ("" if case.icd10 == given else f" (given as {given})"))


def check_program_eligibility(case: Case) -> Outcome:
    program = case.target_program
    if program is None:
        return Outcome(True, "no target program")
    facts = case_facts(case)
    problems = [
        str(p)
        for p in unmet(program_rules(program), facts)
        # Missing documents and an unknown code have their own checks and flags.
        if p.condition != "documents" and not (p.condition == "icd10" and not facts.icd10)
    ]
    if problems:
        return Outcome(False, f"program {program.ref}: " + "; ".join(problems))
    return Outcome(True, f"meets the conditions of program {program.ref}")


# Order matters: income sets the tier and diagnosis the code that eligibility reads.
CHECKS: tuple[tuple[str, Flag, Callable[[Case], Outcome]], ...] = (
    ("identity", Flag.INVALID_ID_NUMBER, check_identity),
    ("identity_consistency", Flag.IDENTITY_MISMATCH, check_identity_consistency),
    ("blacklist", Flag.BLACKLISTED, check_blacklist),
    ("documents", Flag.MISSING_DOCUMENTS, check_documents),
    ("income", Flag.INCOME_INCONSISTENT, check_income),
    ("diagnosis", Flag.UNKNOWN_DIAGNOSIS, check_diagnosis),
    ("program_eligibility", Flag.INELIGIBLE_PROGRAM, check_program_eligibility),
)
CHECK_FLAGS = frozenset(flag for _, flag, _ in CHECKS)


def _raiser_id(case: Case) -> str:
    campaign = getattr(case, "campaign", None)
    return campaign.raiser_id_number if campaign else ""


def case_queryset_for_verification():
    """Cases with all that verification reads, in a fixed number of queries per batch."""
    listed = BlacklistEntry.objects.filter(
        Q(id_hash=OuterRef("patient_id_hash")) | Q(id_hash=OuterRef("campaign__raiser_id_hash"))
    )
    return (
        Case.objects.select_related(
            "household", "diagnosis", "campaign", "foundation_application__program", "pap_application__program"
        )
        .prefetch_related("documents")
        .annotate(blacklist_hit=Exists(listed))
    )


def case_verify(*, case: Case, user=None, actor_label: str = "") -> Case:
    """Run every check on a case, record results and flags, and move it to its new status."""
    return cases_verify(cases=[case], user=user, actor_label=actor_label)[0]


@transaction.atomic
def cases_verify(*, cases: list[Case], user=None, actor_label: str = "") -> list[Case]:
    """Verify many cases with a fixed number of writes: results, flags, statuses and events in bulk.

    Takes cases loaded by case_queryset_for_verification().
    """
    actor_label = actor_label or (actor_label_for(user) if user else "system:verification")
    results, raised_by_case = [], {}
    for case in cases:
        raised: dict[str, str] = {}
        for code, flag, check in CHECKS:
            outcome = check(case)
            results.append(
                CheckResult(
                    case=case,
                    check_code=code,
                    passed=outcome.passed,
                    flag="" if outcome.passed else flag,
                    reason=outcome.reason[:500],
                    version=VERSION,
                )  # fmt: skip
            )
            if not outcome.passed:
                raised[flag] = outcome.reason[:500]
        raised_by_case[case.pk] = raised
    CheckResult.objects.bulk_create(
        results,
        update_conflicts=True,
        unique_fields=["case", "check_code"],
        update_fields=["passed", "flag", "reason", "version", "checked_at"],
    )
    flags_by_case = _flags_sync_many(raised_by_case=raised_by_case, owned=CHECK_FLAGS)
    blocked = [pk for pk, flags in flags_by_case.items() if any(f.active and f.code in BLOCKING_FLAGS for f in flags)]
    if blocked:
        proposals_supersede(cases=Case.objects.filter(pk__in=blocked), reason="a flag that bars aid was raised")
    events = []
    for case in cases:
        previous = case.status
        if case.status != CaseStatus.REJECTED:
            case.status = _status_from(flags_by_case[case.pk])
        if case.status != previous or previous == CaseStatus.PENDING:
            events.append(
                CaseEvent(
                    case=case,
                    code=f"case.{case.status}",
                    actor=user,
                    actor_label=actor_label,
                    data={"flags": sorted(raised_by_case[case.pk]), "from": previous},
                )  # fmt: skip
            )
    now = timezone.now()
    for case in cases:
        case.updated_at = now
    execute_update(
        Case, ("status", "tier", "icd10", "updated_at"), [(c.status, c.tier, c.icd10, now, c.pk) for c in cases]
    )
    CaseEvent.objects.bulk_create(events)
    return cases


def flags_sync(*, case: Case, raised: dict[str, str], owned: frozenset[str]) -> list[CaseFlag]:
    """Make the case's flags among `owned` exactly `raised`, keeping case workers' overrides.

    Returns all the case's flags afterwards, owned or not.
    """
    return _flags_sync_many(raised_by_case={case.pk: raised}, owned=owned)[case.pk]


def _flags_sync_many(*, raised_by_case: dict[int, dict[str, str]], owned: frozenset[str]) -> dict[int, list[CaseFlag]]:
    existing: dict[int, dict[str, CaseFlag]] = {pk: {} for pk in raised_by_case}
    for flag in CaseFlag.objects.filter(case_id__in=list(raised_by_case)):
        existing[flag.case_id][flag.code] = flag
    new, changed, stale = [], [], []
    for pk, raised in raised_by_case.items():
        flags = existing[pk]
        for code, reason in raised.items():
            flag = flags.get(code)
            if flag is None:
                flags[code] = CaseFlag(case_id=pk, code=code, reason=reason)
                new.append(flags[code])
            elif flag.reason != reason:
                flag.reason = reason
                if flag.code in BLOCKING_FLAGS and not flag.active:
                    # New facts behind a flag that bars aid (another blacklisting): the override no longer covers it.
                    flag.overridden_at, flag.overridden_by, flag.override_reason = None, None, ""
                changed.append(flag)
        for code in [code for code in flags if code in owned and code not in raised]:
            stale.append(flags.pop(code).pk)
    CaseFlag.objects.bulk_create(new)
    execute_update(
        CaseFlag,
        ("reason", "overridden_at", "overridden_by_id", "override_reason"),
        [(f.reason, f.overridden_at, f.overridden_by_id, f.override_reason, f.pk) for f in changed],
    )
    CaseFlag.objects.filter(pk__in=stale).delete()
    return {pk: list(flags.values()) for pk, flags in existing.items()}


def _status_from(flags: list[CaseFlag]) -> str:
    """Flagged while any flag is active; verified otherwise."""
    return CaseStatus.FLAGGED if any(flag.active for flag in flags) else CaseStatus.VERIFIED


def status_refresh(*, case: Case, flags: list[CaseFlag] | None = None) -> None:
    """After a flag changed outside verification. A rejection is final until undone, and only
    verification takes a case out of pending."""
    if case.status in (CaseStatus.REJECTED, CaseStatus.PENDING):
        return
    case.status = _status_from(list(CaseFlag.objects.filter(case=case)) if flags is None else flags)


@transaction.atomic
def flag_override(*, flag: CaseFlag, user, reason: str) -> CaseFlag:
    """A case worker sets a flag aside, with a reason; the override survives later re-runs."""
    if not reason.strip():
        raise CaseError("an override needs a reason")
    flag.overridden_at = timezone.now()
    flag.overridden_by = user
    flag.override_reason = reason.strip()
    flag.save(update_fields=["overridden_at", "overridden_by", "override_reason"])
    case = Case.objects.select_for_update().get(pk=flag.case_id)  # its status now, not as the caller saw it
    status_refresh(case=case)
    case.save(update_fields=["status", "updated_at"])
    event_log(case=case, code="case.flag_overridden", user=user, data={"flag": flag.code, "reason": reason})
    return flag


@transaction.atomic
def case_reject(*, case: Case, user, reason: str) -> Case:
    if not reason.strip():
        raise CaseError("a rejection needs a reason")
    case.status = CaseStatus.REJECTED
    case.need = 0
    case.save(update_fields=["status", "need", "updated_at"])
    # The episode's carrier and need change with it: its open proposals no longer stand.
    proposals_supersede(cases=Case.objects.filter(person=case.person_id), reason=f"case {case.ref} rejected")
    event_log(case=case, code="case.rejected", user=user, data={"reason": reason})
    return case
