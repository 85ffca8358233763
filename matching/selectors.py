from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case
from matching.lib.eligibility import Facts, Rules
from matching.models import Foundation, Program, Proposal


def program_rules(program: Program) -> Rules:
    return Rules(
        icd10=tuple(program.icd10),
        income_tiers=tuple(program.income_tiers),
        age_min=program.age_min,
        age_max=program.age_max,
        sex=program.sex,
        provinces=tuple(program.provinces),
        required_documents=tuple(program.required_documents),
    )


def case_facts(case: Case, documents: frozenset[str] | None = None) -> Facts:
    """What eligibility looks at; age is taken at diagnosis (or at submission when undated)."""
    diagnosis = getattr(case, "diagnosis", None)
    on = (diagnosis.diagnosed_on if diagnosis else None) or timezone.localdate(case.submitted_at)
    if documents is None:
        documents = frozenset(d.doc_type for d in case.documents.all())
    return Facts(
        icd10=case.icd10,
        tier=case.tier,
        age=case.age_at(on),
        sex=case.patient_sex,
        province=case.patient_province,
        documents=documents,
    )


def program_list_for_foundation(*, foundation: Foundation) -> QuerySet[Program]:
    return Program.objects.filter(foundation=foundation).order_by("name")


def proposal_list_for_foundation(*, foundation: Foundation) -> QuerySet[Proposal]:
    """A foundation's proposals. Foundations see masked numbers only, so the encrypted ones are not even loaded."""
    return (
        Proposal.objects.filter(program__foundation=foundation)
        .select_related("case", "program", "run")
        .defer("case__patient_id_number", "case__patient_phone")
    )
