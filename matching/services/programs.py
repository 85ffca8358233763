from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from cases.lib.exchange import FoundationInput, LineError, ProgramInput
from cases.models import Case
from cases.services.intake import Outcome, cases_reverify
from matching.choices import UsccStatus
from matching.models import Foundation, Program
from matching.services.proposals import proposals_supersede


def _upsert(model, *, ref: str, values: dict) -> tuple[object, Outcome]:
    obj = model.objects.select_for_update().filter(ref=ref).first()
    if obj is not None and all(getattr(obj, k) == v for k, v in values.items()):
        return obj, "unchanged"
    obj, created = model.objects.update_or_create(ref=ref, defaults=values)
    return obj, "created" if created else "updated"


@transaction.atomic
def foundation_upsert(*, data: FoundationInput) -> tuple[Foundation, Outcome]:
    """Store a foundation. A credit code failing its check goes to manual review, not refusal."""
    if not data.uscc:
        status = UsccStatus.ABSENT
    else:
        status = UsccStatus.VALID if data.uscc_valid else UsccStatus.MANUAL_REVIEW
    values = {
        "name": data.name,
        "uscc": data.uscc,
        "uscc_status": status,
        "uscc_note": data.uscc_note,
        "contact_email": data.contact_email,
    }
    return _upsert(Foundation, ref=data.ref, values=values)


@transaction.atomic
def program_upsert(*, data: ProgramInput) -> tuple[Program, Outcome]:
    foundation = Foundation.objects.filter(ref=data.foundation).first()
    if foundation is None:
        raise LineError([("foundation", f"no foundation with ref {data.foundation!r}")], ref=data.ref)
    existing = Program.objects.select_for_update().filter(ref=data.ref).first()
    if existing is not None and data.budget < existing.awarded_total:
        raise LineError(
            [("budget", f"{data.budget} is below the {existing.awarded_total} already awarded")], ref=data.ref
        )
    values = {
        "foundation": foundation,
        "channel": data.channel,
        "name": data.name,
        "aid_type": data.aid_type,
        "cap_per_case": data.cap_per_case,
        "budget": data.budget,
        "icd10": data.icd10,
        "income_tiers": data.income_tiers,
        "age_min": data.age_min,
        "age_max": data.age_max,
        "sex": data.sex,
        "provinces": data.provinces,
        "required_documents": data.required_documents,
        "drug": data.drug,
        "cycle_value": data.cycle_value,
        "paid_cycles": data.paid_cycles,
        "free_cycles": data.free_cycles,
        "hardship_free": data.hardship_free,
    }
    program, outcome = _upsert(Program, ref=data.ref, values=values)
    if outcome == "updated":
        proposals_supersede(program=program, reason=f"program {program.ref} changed")
        # Applications to the program are checked against its conditions and required documents.
        cases_reverify(
            cases=Case.objects.filter(Q(foundation_application__program=program) | Q(pap_application__program=program)),
            reason=f"program {program.ref} changed",
        )
    return program, outcome
