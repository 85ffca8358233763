"""The verification pipeline: ordered, independent checks, each recording its result and reason.

A check returns (passed, reason) and names the flag it raises when it fails. Re-running is
harmless: results are replaced, flags a case worker overrode stay overridden.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.choices import BLOCKING_FLAGS, CaseStatus, Channel, Flag
from cases.errors import CaseError
from cases.lib import costs, disease_library, icd10, idnumber, risk, tiers
from cases.lib import diagnosis as diagnosis_lib
from cases.lib.money import format_cny
from cases.models import BlacklistEntry, Case, CaseEvent, CaseFlag, CheckResult, Diagnosis, DiseaseEntry
from cases.services.events import actor_label_for, event_log
from cases.services.identity import id_hash_rotating, id_hashes
from cases.services.library import entry_of, library_entries, library_stamp
from cases.services.risk import risk_model_current
from cases.services.sql import execute_update
from matching.lib import episodes
from matching.lib.eligibility import unmet
from matching.selectors import case_facts, program_rules
from matching.services.proposals import proposals_supersede

logger = logging.getLogger(__name__)

VERSION = "2"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str


def check_identity(case: Case, ctx: Context | None = None) -> Outcome:
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


def check_identity_consistency(case: Case, ctx: Context | None = None) -> Outcome:
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


def check_blacklist(case: Case, ctx: Context | None = None) -> Outcome:
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


def check_documents(case: Case, ctx: Context | None = None) -> Outcome:
    program = case.target_program
    if program is None or not program.required_documents:
        return Outcome(True, "no program requirements to check")
    have = {d.doc_type for d in case.documents.all()}
    missing = [d for d in program.required_documents if d not in have]
    if missing:
        return Outcome(False, f"program {program.ref} requires {', '.join(missing)}")
    return Outcome(True, f"all documents program {program.ref} requires are present")


def check_income(case: Case, ctx: Context) -> Outcome:
    household = case.household
    result = tiers.assess(
        dibao_status=household.dibao_status, annual_income=household.annual_income, household_size=household.size
    )
    case.tier = result.tier
    ctx.income_consistent[case.pk] = result.consistent
    return Outcome(result.consistent, result.reason)


def check_diagnosis(case: Case, ctx: Context) -> Outcome:
    """The illness as a library entry and an ICD-10 code: a case worker's pick, the code given, or the text read.

    A given code must exist in the WHO tree. Without one the normaliser reads the text; below its
    threshold the case is flagged for a case worker, who picks the entry (the pick survives re-runs).
    """
    diagnosis = case.diagnosis
    case.icd10, case.disease_entry = "", None
    text = diagnosis.text
    if diagnosis.picked_entry_id:
        entry = ctx.rows[diagnosis.picked_entry_id]
        case.disease_entry = entry
        case.icd10 = diagnosis.picked_code or ctx.code_for(entry, None)
        who = actor_label_for(diagnosis.picked_by) if diagnosis.picked_by_id else "a case worker"
        return Outcome(True, f"{entry.name_zh} (ICD-10 {case.icd10 or entry.icd10}), picked by {who}")
    match = ctx.matches.get(case.pk)
    diagnosis.matched_confidence = Decimal(str(match.confidence)).quantize(Decimal("0.0001")) if match else None
    read = ctx.reading(match)
    given, problem = diagnosis.icd10_given.strip(), ""
    if given:
        try:
            code = icd10.who_known(icd10.normalise(given))
        except icd10.Icd10Error as exc:
            code, problem = None, str(exc)
        if code is None:
            problem = problem or f"{given!r} is not a code in the WHO ICD-10 tree"
        else:
            case.icd10 = code
            entry = ctx.entry_for_code(code)
            if entry is None and match and match.key and ctx.normaliser.known(match):
                candidate = ctx.by_key[match.key]
                if any(icd10.category(c) == icd10.category(code) for c in ctx.codes(candidate)):
                    entry = candidate  # the text names an entry of the same category
            case.disease_entry = entry
            shown = f"ICD-10 {code}" + ("" if code == given else f" (given as {given})")
            if entry is None:
                return Outcome(True, f"{shown}; no library entry covers it, so the amount cannot be checked")
            return Outcome(True, f"{shown}: {entry.name_zh}")
    if match is not None and ctx.normaliser.known(match) and not match.key:
        # the words name a code outside the library (子宫肌瘤: D25), as a partner may give one
        case.icd10 = match.code
        return Outcome(
            not problem,
            f"{problem or 'no ICD-10 code given'}; the text {text!r} {read}; no library entry covers it, "
            "so the amount cannot be checked",
        )
    if match is not None and ctx.normaliser.known(match):
        entry = ctx.by_key[match.key]
        case.disease_entry = entry
        case.icd10 = ctx.code_for(entry, match)
        if problem:
            return Outcome(False, f"{problem}; the text {text!r} {read}; a case worker must confirm the code")
        return Outcome(True, f"no ICD-10 code given; the text {text!r} {read}")
    why = problem or "no ICD-10 code given"
    if match is None:
        return Outcome(False, f"{why} and no diagnosis text; a case worker must pick the entry")
    return Outcome(
        False,
        f"{why}, and the text {text!r} matches no library entry well enough (best {read}, "
        f"below {ctx.normaliser.threshold}); a case worker must pick the entry",
    )


def check_cost(case: Case, ctx: Context) -> Outcome:
    """Expected cost and out-of-pocket from the library entry, and whether the amount asked fits them."""
    entry = case.disease_entry
    case.expected_cost = case.expected_oop = case.highest_oop = case.amount_bound = None
    case.cost_inputs = {}
    program = case.target_program
    pap_terms = case.channel == Channel.PAP and program is not None and bool(program.cycle_value)
    if entry is None and pap_terms:
        return _pap_terms_check(case, program)  # the program's terms need no library entry
    if entry is None:
        return Outcome(True, "no library entry for the illness: expected cost unknown, the amount is not checked")
    try:
        estimate = costs.estimate(
            entry=ctx.entries_by_key[entry.key],
            hospital_level=case.diagnosis.hospital_level,
            insurance=case.insurance_basic,
            critical_illness_payout=case.critical_illness_payout,
            code=case.icd10 or None,
        )
    except ValueError as exc:  # the entry's own figures are wrong: a library problem, not the family's
        return Outcome(True, f"expected cost not computed for {entry.name_zh}: {exc}; the amount is not checked")
    case.expected_cost, case.expected_oop, case.highest_oop = (
        estimate.expected_cost, estimate.expected_oop, estimate.highest_oop,
    )  # fmt: skip
    case.cost_inputs = estimate.inputs
    case.amount_bound = estimate.highest_oop
    if pap_terms:
        return _pap_terms_check(case, program)
    what = "target" if case.channel == Channel.CROWDFUNDING else "aid request"
    verdict = costs.amount_check(case.request_amount, estimate, what=what)
    return Outcome(not verdict.flagged, verdict.reason)


def _pap_terms_check(case: Case, program) -> Outcome:
    """A PAP gives drug, not money: the amount asked is judged against the program's own terms, the
    value of every cycle it can give (benchmarks/plausibility: the illness's cost bound never
    catches an inflated PAP request)."""
    cycles = (program.paid_cycles or 0) + (program.free_cycles or 0) or 1
    most = program.cycle_value * cycles
    case.amount_bound = most
    terms = f"{cycles} cycles × {format_cny(program.cycle_value)} of program {program.ref} ({format_cny(most)})"
    verdict = costs.bound_check(
        case.request_amount, most, what="aid request", bound_words=f"the most the program gives, {terms}"
    )
    return Outcome(not verdict.flagged, verdict.reason)


def check_program_eligibility(case: Case, ctx: Context) -> Outcome:
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


def check_risk(case: Case, ctx: Context) -> Outcome:
    """The risk score with its top factors in words. It raises no flag: it orders the case workers' queue."""
    household = case.household
    campaign = getattr(case, "campaign", None)
    program = case.target_program
    if ctx.others is None:  # once per batch, after the diagnosis step coded every case of it
        ctx.others = _other_applications(ctx.batch)
    others, channels, campaigns = ctx.others.get(case.pk, (0, 0, 0))
    inputs = risk.RiskInputs(
        channel=case.channel,
        request_amount=case.request_amount,
        expected_oop=case.expected_oop,
        highest_oop=case.highest_oop,
        annual_income=household.annual_income,
        household_size=household.size,
        dibao_status=household.dibao_status,
        income_consistent=ctx.income_consistent.get(case.pk, True),
        houses=household.houses,
        car_value=household.car_value,
        financial_assets=household.financial_assets,
        raised=campaign.raised if campaign else None,
        raiser_relation=campaign.raiser_relation if campaign else None,
        documents=frozenset(d.doc_type for d in case.documents.all()),
        required_documents=frozenset(program.required_documents or ()) if program else frozenset(),
        other_applications=others,
        other_channels=channels,
        other_campaigns=campaigns,
        id_number_given=bool(case.patient_id_number),
        diagnosis_known=case.disease_entry is not None or bool(case.icd10),
        insurance=case.insurance_basic,
        critical_illness_payout=case.critical_illness_payout,
    )
    scored = ctx.risk_model.score(inputs)
    case.risk_score = scored.score
    case.risk_factors = [{"code": f.code, "words": f.words, "contribution": f.contribution} for f in scored.factors]
    case.risk_model_version = scored.model_version
    words = "; ".join(f.words for f in scored.factors)  # never empty: at least NOTHING_UNUSUAL
    return Outcome(not scored.flagged, f"risk {scored.score}: {words}")


@dataclass(frozen=True)
class Step:
    """One check: its code, the flag it raises when it fails (None: it records, never flags), its version."""

    code: str
    flag: Flag | None
    run: Callable[[Case, Context], Outcome]
    version: Callable[[Context], str] = lambda ctx: VERSION


# Order matters: income sets the tier and diagnosis the entry and code that cost, eligibility
# and risk read; cost sets the expected out-of-pocket that risk reads.
CHECKS: tuple[Step, ...] = (
    Step("identity", Flag.INVALID_ID_NUMBER, check_identity),
    Step("identity_consistency", Flag.IDENTITY_MISMATCH, check_identity_consistency),
    Step("blacklist", Flag.BLACKLISTED, check_blacklist),
    Step("documents", Flag.MISSING_DOCUMENTS, check_documents),
    Step("income", Flag.INCOME_INCONSISTENT, check_income),
    Step("diagnosis", Flag.UNKNOWN_DIAGNOSIS, check_diagnosis, lambda ctx: f"{ctx.normaliser_version}+{ctx.library}"),
    Step("cost", Flag.TARGET_EXCEEDS_COST, check_cost, lambda ctx: f"{costs.FORMULA_VERSION}+{ctx.library}"),
    Step("program_eligibility", Flag.INELIGIBLE_PROGRAM, check_program_eligibility),
    Step("risk", None, check_risk, lambda ctx: ctx.risk_model.version),
)  # fmt: skip
CHECK_FLAGS = frozenset(step.flag for step in CHECKS if step.flag)


@dataclass
class Context:
    """What every check of a batch reads besides the case: the library, the normaliser, the risk model."""

    rows: dict[int, DiseaseEntry]
    by_key: dict[str, DiseaseEntry]
    entries: list[disease_library.Entry]
    entries_by_key: dict[str, disease_library.Entry]
    library: str
    normaliser: diagnosis_lib.Normaliser
    normaliser_version: str
    risk_model: risk.RiskModel
    batch: list[Case] = field(default_factory=list)
    others: dict[int, tuple[int, int, int]] | None = None
    income_consistent: dict[int, bool] = field(default_factory=dict)
    matches: dict[int, diagnosis_lib.Match | None] = field(default_factory=dict)  # the normaliser's readings

    def codes(self, row: DiseaseEntry) -> tuple[str, ...]:
        return disease_library.codes_of(self.entries_by_key[row.key])

    def entry_for_code(self, code: str) -> DiseaseEntry | None:
        found = disease_library.find_by_code(self.entries, code)
        return self.by_key[found.key] if found else None

    def code_for(self, row: DiseaseEntry, match: diagnosis_lib.Match | None) -> str:
        """The most specific code the reading supports, else the entry's default code."""
        if match is not None:
            return match.code
        return diagnosis_lib.default_code(self.entries_by_key[row.key], self.normaliser.codes)

    def reading(self, match) -> str:
        if match is None:
            return "reads as nothing"
        if not match.key:
            return f"reads as ICD-10 {match.code} (confidence {match.confidence:.2f})"
        row = self.by_key[match.key]
        return f"reads as {row.name_zh} ({self.code_for(row, match)}, confidence {match.confidence:.2f})"

    def stamp(self) -> str:
        """Every version a verification depends on; a case verified under another is verified again."""
        return (
            f"checks:{VERSION}|library:{self.library}|normaliser:{self.normaliser_version}"
            f"|costs:{costs.FORMULA_VERSION}|risk:{self.risk_model.version}"
        )[:160]


def context_build(cases: list[Case]) -> Context:
    rows = library_entries()
    library = library_stamp(rows)
    entries = [entry_of(row) for row in rows]
    # Trained on the library as it is now, case workers' edits included; the module keeps one per
    # library content, in memory and on disk.
    normaliser = diagnosis_lib.library_normaliser(entries)
    model = risk_model_current()
    return Context(
        rows={row.pk: row for row in rows},
        by_key={row.key: row for row in rows},
        entries=entries,
        entries_by_key={e.key: e for e in entries},
        library=library,
        normaliser=normaliser,
        normaliser_version=f"{diagnosis_lib.VERSION}@{normaliser.fingerprint[:8]}",
        risk_model=model,
        batch=cases,
        # Read in one batch: several times faster than one text at a time.
        matches=dict(zip([c.pk for c in cases], normaliser.match_many(c.diagnosis.text for c in cases), strict=True)),
    )


def current_stamp() -> str:
    """The stamp a case verified now would carry."""
    return context_build([]).stamp()


def _other_applications(cases: list[Case]) -> dict[int, tuple[int, int, int]]:
    """For each case: the other applications of its illness episode (matching.lib.episodes.group, as
    the ledger groups them), how many channels or sources (platforms, foundations) other than its own
    they came through, and how many of them are crowdfunding campaigns. A case without a code is an
    episode of its own, as in the ledger; the risk model weighs the unknown diagnosis separately."""
    coded_now = {c.pk: c.icd10 for c in cases}  # the batch's codes as this verification set them
    rows = {}
    for row in Case.objects.filter(person_id__in={c.person_id for c in cases}).values(
        "id", "person_id", "channel", "source", "icd10", "submitted_at"
    ):
        row["icd10"] = coded_now.get(row["id"], row["icd10"])
        rows[row["id"]] = row
    group_of: dict[int, list[int]] = {}
    for members in episodes.group([_episode_row(r) for r in rows.values()]):
        for member in members:
            group_of[member.id] = [m.id for m in members]
    out = {}
    for case in cases:
        others = [rows[i] for i in group_of.get(case.pk, []) if i != case.pk]
        sources = {(r["channel"], r["source"]) for r in others} - {(case.channel, case.source)}
        campaigns = sum(1 for r in others if r["channel"] == Channel.CROWDFUNDING)
        out[case.pk] = (len(others), len(sources), campaigns)
    return out


def _episode_row(row: dict) -> episodes.CaseRow:
    """A case as the episode grouping reads it: only its person, category and date matter."""
    category = icd10.category(row["icd10"]) if row["icd10"] else ""
    zero = episodes.ZERO
    return episodes.CaseRow(row["id"], row["person_id"], category, row["submitted_at"], zero, zero, zero, False, False)


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
            "household",
            "diagnosis",
            "diagnosis__picked_by",
            "campaign",
            "foundation_application__program",
            "pap_application__program",
        )
        .prefetch_related("documents")
        .defer("patient_phone", "campaign__raiser_phone")  # verification never reads phones: never decrypted
        .annotate(blacklist_hit=Exists(listed))
    )


def case_verify(*, case: Case, user=None, actor_label: str = "") -> Case:
    """Run every check on a case, record results and flags, and move it to its new status."""
    return cases_verify(cases=[case], user=user, actor_label=actor_label)[0]


# Cases verified together, in one transaction: their results, flags and statuses are written in a
# few bulk queries.
VERIFY_CHUNK = 200


def cases_verify_chunked(
    ids: list[int],
    *,
    actor_label: str,
    still: Q | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Verify cases by id, a chunk per transaction; (verified, failed).

    ``still`` is read again with each chunk (a case verified meanwhile is skipped). A chunk that
    fails is retried one case at a time, so one bad case costs the others nothing: it stays as it
    was for the next run.
    """
    verified = failed = 0
    for start in range(0, len(ids), VERIFY_CHUNK):
        chunk = ids[start : start + VERIFY_CHUNK]
        with transaction.atomic():
            cases = list(case_queryset_for_verification().filter(still or Q(), id__in=chunk))
            try:
                cases_verify(cases=cases, actor_label=actor_label)  # its own savepoint
                verified += len(cases)
            except Exception:
                logger.exception("verifying a chunk failed; retrying its cases one by one")
                for case in case_queryset_for_verification().filter(id__in=[c.pk for c in cases]):
                    try:
                        case_verify(case=case, actor_label=actor_label)  # its own savepoint
                        verified += 1
                    except Exception:
                        logger.exception("verifying case %s failed", case.ref)
                        failed += 1
        if progress:
            progress(min(start + VERIFY_CHUNK, len(ids)), len(ids))
    return verified, failed


@transaction.atomic
def cases_verify(*, cases: list[Case], user=None, actor_label: str = "") -> list[Case]:
    """Verify many cases with a fixed number of writes: results, flags, statuses and events in bulk.

    Takes cases loaded by case_queryset_for_verification().
    """
    actor_label = actor_label or (actor_label_for(user) if user else "system:verification")
    if not cases:
        return cases
    ctx = context_build(cases)
    stamp, versions = ctx.stamp(), {step.code: step.version(ctx)[:64] for step in CHECKS}
    results, raised_by_case = [], {case.pk: {} for case in cases}
    # Step by step over the batch: a later step (risk) sees what an earlier one (diagnosis) set on
    # every case of the batch, not only on the cases before it.
    for step in CHECKS:
        for case in cases:
            outcome = step.run(case, ctx)
            failed = not outcome.passed and step.flag is not None
            results.append(
                CheckResult(
                    case=case,
                    check_code=step.code,
                    passed=outcome.passed,
                    flag=step.flag if failed else "",
                    reason=outcome.reason[:500],
                    version=versions[step.code],
                )  # fmt: skip
            )
            if failed:
                raised_by_case[case.pk][step.flag] = outcome.reason[:500]
    for case in cases:
        case.verified_with = stamp
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
    # The status as it is now, not as the caller loaded it: a case worker may have rejected the case meanwhile.
    statuses = dict(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("pk", "status"))
    events = []
    for case in cases:
        case.status = statuses.get(case.pk, case.status)
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
    execute_update(Case, _WRITTEN, [(*(getattr(c, f) for f in _WRITTEN[:-1]), now, c.pk) for c in cases])
    # Never over a rejection, even one that lands between the read above and this write.
    execute_update(Case, ("status",), [(c.status, c.pk) for c in cases], unless=("status", CaseStatus.REJECTED))
    execute_update(
        Diagnosis, ("matched_confidence",), [(c.diagnosis.matched_confidence, c.diagnosis.pk) for c in cases]
    )
    CaseEvent.objects.bulk_create(events)
    return cases


# What verification sets on a case (updated_at last).
_WRITTEN = ("tier", "icd10", "disease_entry_id", "expected_cost", "expected_oop", "highest_oop", "amount_bound",
            "cost_inputs", "risk_score", "risk_factors", "risk_model_version", "verified_with",
            "updated_at")  # fmt: skip


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
    # A verifier running at the same moment (the worker and the nightly run) may have raised it too.
    CaseFlag.objects.bulk_create(new, ignore_conflicts=True)
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


@transaction.atomic
def diagnosis_pick(*, case: Case, entry: DiseaseEntry, code: str, user, reason: str) -> Case:
    """A case worker says which library entry (and code) the diagnosis is; the pick survives re-runs.

    The case is verified again at once, so the `unknown_diagnosis` flag goes and the expected cost
    and the amount check follow the pick.
    """
    if not reason.strip():
        raise CaseError("reason: picking a diagnosis needs a reason")
    code = code.strip()
    if code:
        try:
            known = icd10.who_known(icd10.normalise(code))
        except icd10.Icd10Error as exc:
            raise CaseError(f"code: {exc}") from None
        if known is None:
            raise CaseError(f"code: {code!r} is not a code in the WHO ICD-10 tree")
        covered = disease_library.codes_of(entry_of(entry))
        if icd10.category(known) not in {icd10.category(c) for c in covered}:
            raise CaseError(f"code: {known} is not among the codes of {entry.name_zh} ({entry.icd10})")
        code = known
    diagnosis = Diagnosis.objects.select_for_update().get(case=case)
    diagnosis.picked_entry, diagnosis.picked_code = entry, code
    diagnosis.picked_by, diagnosis.picked_at = user, timezone.now()
    diagnosis.save(update_fields=["picked_entry", "picked_code", "picked_by", "picked_at"])
    event_log(
        case=case,
        code="case.diagnosis_picked",
        user=user,
        data={"entry": entry.key, "code": code, "reason": reason.strip(), "text": diagnosis.text},
    )
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk), user=user)
