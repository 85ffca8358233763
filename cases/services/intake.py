"""Taking cases, aid records and blacklist entries in, from the API or a bulk import."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Literal

from django.db import transaction
from django.db.models import Q

from cases.choices import CaseStatus, Channel
from cases.lib import idnumber
from cases.lib.exchange import AidInput, BlacklistInput, CaseInput, LineError
from cases.models import (
    AidRecord,
    BlacklistEntry,
    Case,
    CaseEvent,
    CrowdfundingCampaign,
    Diagnosis,
    Document,
    FoundationApplication,
    Household,
    PapApplication,
    Person,
)
from cases.services.disclosure import disclosure_tokens_sync
from cases.services.events import actor_label_for, event_log
from cases.services.identity import (
    aid_follow_cases,
    cases_resolve,
    id_hash,
    id_hashes,
    person_drop_if_orphaned,
    person_for_case,
    phone_hash,
)
from matching.models import Program
from matching.services.proposals import proposals_supersede

Outcome = Literal["created", "updated", "unchanged"]


def _digest(data: CaseInput) -> str:
    # The repr of a frozen dataclass tree is deterministic and names every field and value.
    return hashlib.sha256(repr(data).encode()).hexdigest()


def case_submit(*, data: CaseInput, user=None, actor_label: str = "") -> tuple[Case, Outcome]:
    """Store a case (new, or an update of the same ref); verification comes after, not here.

    Submitting the same content twice changes nothing. A changed case goes back to pending,
    unless a case worker has rejected it.
    """
    digest = _digest(data)
    stored = Case.objects.filter(ref=data.ref).values_list("pk", "payload_digest").first()
    if stored is not None and stored[1] == digest:
        return Case.objects.get(pk=stored[0]), "unchanged"
    return _case_store(data=data, digest=digest, user=user, actor_label=actor_label)


@transaction.atomic
def _case_store(*, data: CaseInput, digest: str, user, actor_label: str) -> tuple[Case, Outcome]:
    case = Case.objects.select_for_update().filter(ref=data.ref).first()
    if case is not None and case.channel != data.channel:
        raise LineError([("channel", f"case {data.ref} is already a {case.channel} case")], ref=data.ref)
    program = None
    if data.target_program:
        program = Program.objects.filter(ref=data.target_program).first()
        if program is None:
            raise _unknown_program(data)

    created = case is None
    case = case or Case(ref=data.ref, channel=data.channel)
    for name, value in _case_values(data, digest).items():
        setattr(case, name, value)
    if created and user is not None:
        case.submitted_by = user
    if case.status != CaseStatus.REJECTED:
        case.status = CaseStatus.PENDING
    previous_person_id = case.person_id
    case.person = person_for_case(case=case)
    case.save()
    if previous_person_id and previous_person_id != case.person_id:
        aid_follow_cases([case.pk])
        person_drop_if_orphaned(person_id=previous_person_id)

    part_model, part_values = _channel_part(data, program)
    for model, values in ((Household, _household_values(data)), (Diagnosis, _diagnosis_values(data)),
                          (part_model, part_values)):  # fmt: skip
        if created:  # a new case has no parts yet: insert straight away, sparing a lookup per part
            model.objects.create(case=case, **values)
        else:
            model.objects.update_or_create(case=case, defaults=values)
    if not created:
        case.documents.all().delete()
    Document.objects.bulk_create([Document(case=case, doc_type=t) for t in data.documents])
    disclosure_tokens_sync([case.pk])
    cases_resolve(case_ids=[case.pk])
    case.refresh_from_db(fields=["person"])
    if not created:
        # What the episode asks for may have changed: its open proposals no longer stand.
        proposals_supersede(cases=Case.objects.filter(person=case.person_id), reason=f"case {case.ref} updated")
    event_log(
        case=case,
        code="case.submitted" if created else "case.updated",
        user=user,
        actor_label=actor_label,
        data={"source": data.source},
    )
    return case, "created" if created else "updated"


@transaction.atomic
def cases_create(*, items: list[CaseInput], user=None, actor_label: str = "") -> tuple[list[Case], list[LineError]]:
    """Create many cases whose refs are new, in a fixed number of queries: the bulk import path.

    Does what case_submit does for a new case, row for row; the caller makes sure the refs are
    new and distinct. Cases naming an unknown program come back as errors, the others are stored.
    """
    wanted = {item.target_program for item in items if item.target_program}
    programs = {p.ref: p for p in Program.objects.filter(ref__in=wanted)}
    errors = [_unknown_program(item) for item in items if item.target_program and item.target_program not in programs]
    items = [item for item in items if not item.target_program or item.target_program in programs]
    persons = _persons_for(items)
    cases = [
        Case(ref=item.ref, channel=item.channel, person=persons[item.ref], submitted_by=user,
             status=CaseStatus.PENDING, **_case_values(item, _digest(item)))
        for item in items
    ]  # fmt: skip
    Case.objects.bulk_create(cases)
    parts: dict[type, list] = defaultdict(list)
    for case, item in zip(cases, items, strict=True):
        part_model, part_values = _channel_part(item, programs.get(item.target_program))
        parts[Household].append(Household(case=case, **_household_values(item)))
        parts[Diagnosis].append(Diagnosis(case=case, **_diagnosis_values(item)))
        parts[part_model].append(part_model(case=case, **part_values))
        parts[Document].extend(Document(case=case, doc_type=t) for t in item.documents)
        parts[CaseEvent].append(CaseEvent(case=case, code="case.submitted", actor=user,
                                          actor_label=actor_label or actor_label_for(user),
                                          data={"source": item.source}))  # fmt: skip
    for model, rows in parts.items():
        model.objects.bulk_create(rows)
    disclosure_tokens_sync([case.pk for case in cases])
    cases_resolve(case_ids=[case.pk for case in cases])
    return cases, errors


def _persons_for(items: list[CaseInput]) -> dict[str, Person]:
    """The person of each new case, as person_for_case finds them, with one query and one insert."""
    hashes = {
        item.ref: id_hashes(item.patient.id_number)
        for item in items
        if item.patient.id_number and idnumber.is_valid(item.patient.id_number)
    }
    known = {p.id_hash: p for p in Person.objects.filter(id_hash__in={h for hs in hashes.values() for h in hs})}
    new, result = [], {}
    for item in items:
        patient, keys = item.patient, hashes.get(item.ref, [])
        person = next((known[key] for key in keys if key in known), None)
        if person is None:
            person = Person(name=patient.name, birth_date=patient.birth_date, sex=patient.sex,
                            province=patient.province)  # fmt: skip
            if keys:
                person.id_number, person.id_hash = idnumber.normalise(patient.id_number), keys[0]
                known[keys[0]] = person
            new.append(person)
        result[item.ref] = person
    Person.objects.bulk_create(new)
    return result


def _unknown_program(data: CaseInput) -> LineError:
    return LineError([("target_program", f"no program with ref {data.target_program!r}")], ref=data.ref)


def _case_values(data: CaseInput, digest: str) -> dict:
    patient = data.patient
    return {
        "source": data.source,
        "submitted_at": data.submitted_at,
        "patient_name": patient.name,
        "patient_birth_date": patient.birth_date,
        "patient_sex": patient.sex,
        "patient_province": patient.province,
        "patient_city": patient.city,
        "patient_id_number": patient.id_number,
        "patient_id_hash": id_hash(patient.id_number),
        "patient_phone": patient.phone,
        "patient_phone_hash": phone_hash(patient.phone),
        "insurance_basic": data.insurance_basic,
        "critical_illness_payout": data.critical_illness_payout,
        "request_amount": data.request_amount,
        "request_purpose": data.request_purpose,
        "consent_data_sharing": data.consent_data_sharing,
        "consent_public_disclosure": data.consent_public_disclosure,
        "payload_digest": digest,
    }


def _household_values(data: CaseInput) -> dict:
    return {
        "size": data.household_size,
        "annual_income": data.annual_income,
        "dibao_status": data.dibao_status,
        "houses": data.houses,
        "car_value": data.car_value,
        "financial_assets": data.financial_assets,
    }


def _diagnosis_values(data: CaseInput) -> dict:
    return {
        "text": data.diagnosis_text,
        "icd10_given": data.diagnosis_icd10,
        "hospital": data.hospital,
        "hospital_level": data.hospital_level,
        "diagnosed_on": data.diagnosed_on,
    }


def _channel_part(data: CaseInput, program: Program | None) -> tuple[type, dict]:
    if data.channel == Channel.CROWDFUNDING:
        raiser = data.raiser
        return CrowdfundingCampaign, {
            "raiser_name": raiser.name,
            "raiser_relation": raiser.relation,
            "raiser_id_number": raiser.id_number,
            "raiser_id_hash": id_hash(raiser.id_number),
            "raiser_phone": raiser.phone,
            "raised": data.raised or 0,
        }
    if data.channel == Channel.FOUNDATION_AID:
        return FoundationApplication, {"program": program}
    drug = data.pap_drug or (program.drug if program else "")
    return PapApplication, {"program": program, "drug": drug, "cycles_paid": data.pap_cycles_paid}


@transaction.atomic
def aid_record(*, data: AidInput) -> tuple[AidRecord, Outcome]:
    """Store aid already received; it is linked to a case or, by identity number, to a person."""
    case = None
    if data.case:
        case = Case.objects.filter(ref=data.case).first()
        if case is None:
            raise LineError([("case", f"no case with ref {data.case!r}")], ref=data.ref)
    hashes = id_hashes(data.patient_id_number)
    person = case.person if case else Person.objects.filter(id_hash__in=hashes).first()
    values = {
        "case": case,
        "person": person,
        "patient_id_number": data.patient_id_number,
        "patient_id_hash": hashes[0] if hashes else "",
        "provider": data.provider,
        "amount": data.amount,
        "date": data.date,
        "icd10": data.icd10,
    }
    record = AidRecord.objects.filter(ref=data.ref).first()
    if record is not None and all(getattr(record, k) == v for k, v in values.items()):
        return record, "unchanged"
    record, created = AidRecord.objects.update_or_create(ref=data.ref, defaults=values)
    if person is not None:
        # Aid received lowers the need that open proposals were sized to.
        proposals_supersede(cases=Case.objects.filter(person=person), reason=f"aid {data.ref} recorded")
    return record, "created" if created else "updated"


def aid_link_persons() -> int:
    """Attach aid recorded by identity number to the person once a case names them."""
    linked = 0
    for record in AidRecord.objects.filter(person__isnull=True).exclude(patient_id_hash=""):
        # A record kept from before numbers were stored has only its hash, under the key of its day.
        hashes = id_hashes(record.patient_id_number) or [record.patient_id_hash]
        person = Person.objects.filter(id_hash__in=hashes).first()
        if person is not None:
            record.person = person
            record.save(update_fields=["person"])
            linked += 1
    return linked


@transaction.atomic
def blacklist_add(*, data: BlacklistInput) -> tuple[BlacklistEntry, Outcome]:
    hashes = id_hashes(data.id_number)
    values = {"id_number": data.id_number, "name": data.name, "reason": data.reason, "since": data.since}
    entry = BlacklistEntry.objects.filter(id_hash__in=hashes).first()
    if entry is not None and all(getattr(entry, k) == v for k, v in values.items()):
        return entry, "unchanged"
    entry, created = BlacklistEntry.objects.update_or_create(
        id_hash=entry.id_hash if entry else hashes[0], defaults={**values, "id_hash": hashes[0]}
    )
    named = Case.objects.filter(Q(patient_id_hash__in=hashes) | Q(campaign__raiser_id_hash__in=hashes))
    cases_reverify(cases=named, reason="blacklist entry added or changed")
    proposals_supersede(cases=named, reason="blacklist entry added or changed")
    return entry, "created" if created else "updated"


def cases_reverify(*, cases, reason: str) -> int:
    """Send cases back to verification in the next run, after something they were checked against changed."""
    ids = list(
        Case.objects.filter(pk__in=cases.values("pk"))
        .exclude(status__in=[CaseStatus.PENDING, CaseStatus.REJECTED])
        .values_list("pk", flat=True)
    )
    Case.objects.filter(pk__in=ids).update(status=CaseStatus.PENDING)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case_id=pk, code="case.pending", actor_label="system:reverify", data={"reason": reason})
            for pk in ids
        ]
    )
    return len(ids)
