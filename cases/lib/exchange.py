"""Parse and validate exchange-format objects (shared/exchange-format.md) into plain data.

Every problem is collected with the field path that has it, so a sender learns all that is
wrong with a line at once. No database here: references to other objects are checked by the
services that store them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cases.lib import icd10 as icd10_lib
from cases.lib import idnumber, money, uscc
from cases.lib.regions import PERMIT_PREFIXES, PROVINCE_BY_NAME, PROVINCES

CHANNELS = ("crowdfunding", "foundation_aid", "pap")
PROGRAM_CHANNELS = ("foundation_aid", "pap")
AID_TYPES = ("cash", "drug", "surgery", "insurance")
TIERS = ("hardship", "sandwich", "upper")
SEXES = ("M", "F")
RELATIONS = ("self", "spouse", "parent", "child", "sibling", "other")
DIBAO = ("dibao", "tekun", "jiandang", "dibao_edge", "none")
INSURANCE = ("employee", "resident", "none")
DOCUMENT_TYPES = (
    "id_card", "household_register", "diagnosis_certificate", "medical_record", "discharge_summary",
    "hospital_invoice", "insurance_settlement", "income_proof", "dibao_certificate", "prescription",
    "asset_declaration", "bank_account",
)  # fmt: skip
KINDS = ("foundation", "program", "case", "aid", "blacklist")

# Words for the format's codes as Chinese records and forms write them (keys lower-cased).
SYNONYMS = {
    "男": "M", "女": "F", "male": "M", "female": "F", "m": "M", "f": "F",
    "本人": "self", "配偶": "spouse", "丈夫": "spouse", "妻子": "spouse", "父母": "parent", "父亲": "parent",
    "母亲": "parent", "子女": "child", "儿子": "child", "女儿": "child", "兄弟姐妹": "sibling", "兄弟": "sibling",
    "姐妹": "sibling", "其他": "other", "亲属": "other", "朋友": "other",
    "低保": "dibao", "特困": "tekun", "特困供养": "tekun", "建档立卡": "jiandang", "建档立卡贫困户": "jiandang",
    "低保边缘": "dibao_edge", "无": "none", "否": "none",
    "职工医保": "employee", "城镇职工": "employee", "城镇职工医保": "employee", "职工基本医疗保险": "employee",
    "城乡居民医保": "resident", "居民医保": "resident", "新农合": "resident", "城乡居民基本医疗保险": "resident",
    "无医保": "none",
}  # fmt: skip
TRUTH = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "是": True, "否": False}


class LineError(ValueError):
    """One or more problems with an object, each as (field path, reason)."""

    def __init__(self, problems: list[tuple[str, str]], ref: str | None = None):
        self.problems = problems
        self.ref = ref
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in problems))


def loads(line: str) -> Any:
    """JSON with numbers kept exact: 12000.50 becomes Decimal('12000.50'), never a float."""
    return json.loads(line, parse_float=Decimal)


_DATE_SEPARATORS = str.maketrans({"/": "-", ".": "-", "年": "-", "月": "-", "日": None})


def _date_from_text(value: str) -> dt.date:
    """ISO 8601, and the forms Chinese records also use: 2026/03/01, 2026.3.1, 2026年3月1日, 20260301."""
    text = value.strip()
    if "T" in text or " " in text:
        text = text.replace(" ", "T").split("T", 1)[0]
    if text.isdigit() and len(text) == 8:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    parts = text.translate(_DATE_SEPARATORS).split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    return dt.date.fromisoformat(text)


class _Reader:
    """Reads typed fields out of a JSON object, recording a problem instead of raising."""

    def __init__(self, obj: dict, prefix: str = "", problems: list | None = None):
        self.obj = obj
        self.prefix = prefix
        self.problems: list[tuple[str, str]] = [] if problems is None else problems

    def path(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def problem(self, name: str, reason: str) -> None:
        self.problems.append((self.path(name), reason))

    def _get(self, name: str, required: bool) -> Any:
        value = self.obj.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(name, "is required")
            return None
        return value

    def text(self, name: str, *, required: bool = False, max_length: int = 255) -> str:
        value = self._get(name, required)
        if value is None:
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.problem(name, "must be a string")
            return ""
        value = str(value).strip()
        if len(value) > max_length:
            self.problem(name, f"is longer than {max_length} characters")
            return ""
        return value

    def choice(self, name: str, choices: tuple[str, ...], *, required: bool = False) -> str:
        value = self._get(name, required)
        if value is None:
            return ""
        if isinstance(value, str) and value not in choices:
            # The codes are the contract; the words Chinese records use for them are understood too.
            value = SYNONYMS.get(value.strip().lower(), value)
        if value not in choices:
            self.problem(name, f"{value!r} is not one of {', '.join(choices)}")
            return ""
        return value

    def money(self, name: str, *, required: bool = False) -> Decimal | None:
        value = self._get(name, required)
        if value is None:
            return None
        try:
            return money.parse(value)
        except money.MoneyError as exc:
            self.problem(name, str(exc))
            return None

    def integer(self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = 10**6) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(name, "must be a whole number")
            return None
        if not minimum <= value <= maximum:
            self.problem(name, f"{value} is outside {minimum}..{maximum}")
            return None
        return value

    def boolean(self, name: str) -> bool:
        value = self.obj.get(name)
        if value is None:
            return False
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = TRUTH.get(str(value).strip().lower(), value)
        if not isinstance(value, bool):
            self.problem(name, "must be true or false")
            return False
        return value

    def date(self, name: str, *, required: bool = False, not_after: dt.date | None = None) -> dt.date | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, "must be an ISO 8601 date string")
            return None
        try:
            day = _date_from_text(value)
        except ValueError:
            self.problem(name, f"{value!r} is not an ISO 8601 date")
            return None
        if not_after and day > not_after:
            self.problem(name, f"{day.isoformat()} is in the future")
            return None
        return day

    def datetime(self, name: str, *, required: bool = False, default_tz: dt.tzinfo) -> dt.datetime | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, "must be an ISO 8601 date-time string")
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.problem(name, f"{value!r} is not an ISO 8601 date-time")
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=default_tz)
        return moment

    def province(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, required=required, max_length=16)
        if value in PROVINCE_BY_NAME:
            return PROVINCE_BY_NAME[value]
        if not value[:2].isdigit() or (value[:2] not in PROVINCES and value[:2] not in PERMIT_PREFIXES):
            if value:
                self.problem(name, f"{value!r} is not a GB/T 2260 province code")
            return ""
        return value[:2]

    def strings(self, name: str, choices: tuple[str, ...] | None = None) -> list[str]:
        value = self.obj.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(name, "must be a list of strings")
            return []
        if choices:
            unknown = [v for v in value if v not in choices]
            if unknown:
                self.problem(name, f"unknown values {', '.join(unknown)}; allowed: {', '.join(choices)}")
                return []
        return list(dict.fromkeys(value))

    def child(self, name: str, *, required: bool = False) -> _Reader | None:
        value = self.obj.get(name)
        if value is None:
            if required:
                self.problem(name, "is required")
            return None
        if not isinstance(value, dict):
            self.problem(name, "must be an object")
            return None
        return _Reader(value, prefix=f"{self.path(name)}.", problems=self.problems)

    def raise_if_problems(self, ref: str | None) -> None:
        if self.problems:
            raise LineError(self.problems, ref=ref)


@dataclass(frozen=True)
class FoundationInput:
    ref: str
    name: str
    uscc: str
    uscc_valid: bool
    uscc_note: str
    contact_email: str


@dataclass(frozen=True)
class ProgramInput:
    ref: str
    foundation: str
    channel: str
    name: str
    aid_type: str
    cap_per_case: Decimal
    budget: Decimal
    icd10: list[str] = field(default_factory=list)
    income_tiers: list[str] = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None
    sex: str = ""
    provinces: list[str] = field(default_factory=list)
    required_documents: list[str] = field(default_factory=list)
    drug: str = ""
    cycle_value: Decimal | None = None
    paid_cycles: int | None = None
    free_cycles: int | None = None
    hardship_free: bool = False


@dataclass(frozen=True)
class PersonInput:
    name: str
    birth_date: dt.date
    sex: str
    province: str
    id_number: str = ""
    phone: str = ""
    city: str = ""


@dataclass(frozen=True)
class RaiserInput:
    name: str
    relation: str
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class CaseInput:
    ref: str
    channel: str
    source: str
    submitted_at: dt.datetime
    patient: PersonInput
    household_size: int
    annual_income: Decimal
    dibao_status: str
    insurance_basic: str
    diagnosis_text: str
    request_amount: Decimal
    target_program: str = ""
    raiser: RaiserInput | None = None
    houses: int | None = None
    car_value: Decimal | None = None
    financial_assets: Decimal | None = None
    critical_illness_payout: Decimal | None = None
    diagnosis_icd10: str = ""
    hospital: str = ""
    hospital_level: str = ""
    diagnosed_on: dt.date | None = None
    request_purpose: str = ""
    raised: Decimal | None = None
    documents: tuple[str, ...] = ()
    consent_data_sharing: bool = False
    consent_public_disclosure: bool = False
    pap_drug: str = ""
    pap_cycles_paid: int | None = None


@dataclass(frozen=True)
class AidInput:
    ref: str
    case: str
    patient_id_number: str
    provider: str
    amount: Decimal
    date: dt.date
    icd10: str = ""


@dataclass(frozen=True)
class BlacklistInput:
    id_number: str
    name: str
    reason: str
    since: dt.date | None = None


def parse_foundation(obj: dict) -> FoundationInput:
    r = _Reader(obj)
    ref = r.text("ref", required=True, max_length=64)
    name = r.text("name", required=True, max_length=128)
    code = r.text("uscc", max_length=32)
    email = r.text("contact_email", max_length=254)
    if email and "@" not in email:
        r.problem("contact_email", f"{email!r} is not an email address")
    r.raise_if_problems(ref or None)
    # A code that fails its check character still exists in the wild: keep it for manual review.
    uscc_valid, note = False, ""
    if code:
        try:
            code = uscc.validate(code)
            uscc_valid = True
        except uscc.UsccError as exc:
            note = str(exc)
    return FoundationInput(ref=ref, name=name, uscc=code[:18], uscc_valid=uscc_valid, uscc_note=note,
                           contact_email=email)  # fmt: skip


def parse_program(obj: dict) -> ProgramInput:
    r = _Reader(obj)
    ref = r.text("ref", required=True, max_length=64)
    values: dict[str, Any] = {
        "ref": ref,
        "foundation": r.text("foundation", required=True, max_length=64),
        "channel": r.choice("channel", PROGRAM_CHANNELS, required=True),
        "name": r.text("name", required=True, max_length=128),
        "aid_type": r.choice("aid_type", AID_TYPES, required=True),
        "cap_per_case": r.money("cap_per_case", required=True),
        "budget": r.money("budget", required=True),
        "income_tiers": r.strings("income_tiers", TIERS),
        "age_min": r.integer("age_min", maximum=150),
        "age_max": r.integer("age_max", maximum=150),
        "sex": r.choice("sex", SEXES),
        "required_documents": r.strings("required_documents", DOCUMENT_TYPES),
    }
    patterns = []
    for i, raw in enumerate(r.strings("icd10")):
        try:
            patterns.append(icd10_lib.validate_pattern(raw))
        except icd10_lib.Icd10Error as exc:
            r.problem(f"icd10[{i}]", str(exc))
    values["icd10"] = patterns
    provinces = r.strings("provinces")
    for code in provinces:
        if code not in PROVINCES:
            r.problem("provinces", f"{code!r} is not a GB/T 2260 province code")
    values["provinces"] = provinces
    if values["age_min"] is not None and values["age_max"] is not None and values["age_min"] > values["age_max"]:
        r.problem("age_max", f"{values['age_max']} is below age_min {values['age_min']}")
    pap = r.child("pap", required=values["channel"] == "pap")
    if pap is not None:
        values.update(
            drug=pap.text("drug", required=True, max_length=128),
            cycle_value=pap.money("cycle_value", required=True),
            paid_cycles=pap.integer("paid_cycles", maximum=1000),
            free_cycles=pap.integer("free_cycles", maximum=1000),
            hardship_free=pap.boolean("hardship_free"),
        )
    r.raise_if_problems(ref or None)
    return ProgramInput(**values)


def _person(r: _Reader, *, today: dt.date) -> PersonInput:
    return PersonInput(
        name=r.text("name", required=True, max_length=64),
        birth_date=r.date("birth_date", required=True, not_after=today),
        sex=r.choice("sex", SEXES, required=True),
        province=r.province("province", required=True),
        # The number is kept as given even when invalid: verification flags it, a person fixes it.
        id_number=idnumber.normalise(r.text("id_number", max_length=32)),
        phone=r.text("phone", max_length=32),
        city=r.text("city", max_length=64),
    )


def parse_case(obj: dict, *, today: dt.date, tz: dt.tzinfo) -> CaseInput:
    r = _Reader(obj)
    ref = r.text("ref", required=True, max_length=64)
    channel = r.choice("channel", CHANNELS, required=True)
    values: dict[str, Any] = {
        "ref": ref,
        "channel": channel,
        "source": r.text("source", required=True, max_length=128),
        "submitted_at": r.datetime("submitted_at", required=True, default_tz=tz),
        "target_program": r.text("target_program", max_length=64),
    }
    patient = r.child("patient", required=True)
    if patient is not None:
        values["patient"] = _person(patient, today=today)
    raiser = r.child("raiser", required=channel == "crowdfunding")
    if raiser is not None:
        values["raiser"] = RaiserInput(
            name=raiser.text("name", required=True, max_length=64),
            relation=raiser.choice("relation", RELATIONS, required=True),
            id_number=idnumber.normalise(raiser.text("id_number", max_length=32)),
            phone=raiser.text("phone", max_length=32),
        )
    household = r.child("household", required=True)
    if household is not None:
        values.update(
            household_size=household.integer("size", required=True, minimum=1, maximum=50),
            annual_income=household.money("annual_income", required=True),
            dibao_status=household.choice("dibao_status", DIBAO, required=True),
        )
        assets = household.child("assets")
        if assets is not None:
            values.update(
                houses=assets.integer("houses", maximum=100),
                car_value=assets.money("car_value"),
                financial_assets=assets.money("financial_assets"),
            )
    insurance = r.child("insurance", required=True)
    if insurance is not None:
        values.update(
            insurance_basic=insurance.choice("basic", INSURANCE, required=True),
            critical_illness_payout=insurance.money("critical_illness_payout"),
        )
    diagnosis = r.child("diagnosis", required=True)
    if diagnosis is not None:
        # Kept as given: a code that does not read as ICD-10 flags the case for a case worker
        # (unknown_diagnosis) rather than losing the whole application.
        code = diagnosis.text("icd10", max_length=32)
        values.update(
            diagnosis_text=diagnosis.text("text", required=True, max_length=500),
            diagnosis_icd10=code,
            hospital=diagnosis.text("hospital", max_length=128),
            hospital_level=diagnosis.text("hospital_level", max_length=8),
            diagnosed_on=diagnosis.date("diagnosed_on", not_after=today),
        )
    request = r.child("request", required=True)
    if request is not None:
        values.update(
            request_amount=request.money("amount", required=True),
            request_purpose=request.text("purpose", max_length=255),
        )
    values["raised"] = r.money("raised")
    documents = obj.get("documents") or []
    if not isinstance(documents, list):
        r.problem("documents", 'must be a list of {"type": ...} objects')
        documents = []
    doc_types = []
    for i, doc in enumerate(documents):
        doc_type = doc.get("type") if isinstance(doc, dict) else None
        if doc_type not in DOCUMENT_TYPES:
            r.problem(f"documents[{i}].type", f"{doc_type!r} is not one of {', '.join(DOCUMENT_TYPES)}")
        else:
            doc_types.append(doc_type)
    values["documents"] = tuple(doc_types)
    consent = r.child("consent")
    if consent is not None:
        values.update(
            consent_data_sharing=consent.boolean("data_sharing"),
            consent_public_disclosure=consent.boolean("public_disclosure"),
        )
    pap = r.child("pap")
    if pap is not None:
        values.update(pap_drug=pap.text("drug", max_length=128), pap_cycles_paid=pap.integer("cycles_paid"))
    submitted = values.get("submitted_at")
    if submitted and values.get("diagnosed_on") and values["diagnosed_on"] > submitted.date():
        r.problem("diagnosis.diagnosed_on", "is after submitted_at")
    person = values.get("patient")
    if person and person.birth_date and submitted and person.birth_date > submitted.date():
        r.problem("patient.birth_date", "is after submitted_at")
    r.raise_if_problems(ref or None)
    return CaseInput(**values)


def parse_aid(obj: dict, *, today: dt.date) -> AidInput:
    r = _Reader(obj)
    ref = r.text("ref", required=True, max_length=64)
    case = r.text("case", max_length=64)
    id_number = idnumber.normalise(r.text("patient_id_number", max_length=32))
    if not case and not id_number:
        r.problem("case", "either case or patient_id_number is required")
    if id_number and not case:
        try:
            idnumber.parse(id_number, today=today)
        except idnumber.IdNumberError as exc:
            r.problem("patient_id_number", str(exc))
    code = r.text("icd10", max_length=16)
    if code:
        try:
            code = icd10_lib.normalise(code)
        except icd10_lib.Icd10Error as exc:
            r.problem("icd10", str(exc))
    values = {
        "ref": ref,
        "case": case,
        "patient_id_number": id_number,
        "provider": r.text("provider", required=True, max_length=128),
        "amount": r.money("amount", required=True),
        "date": r.date("date", required=True, not_after=today),
        "icd10": code,
    }
    r.raise_if_problems(ref or None)
    return AidInput(**values)


def parse_blacklist(obj: dict, *, today: dt.date) -> BlacklistInput:
    r = _Reader(obj)
    number = idnumber.normalise(r.text("id_number", required=True, max_length=32))
    if number:
        try:
            idnumber.parse(number, today=today)
        except idnumber.IdNumberError as exc:
            r.problem("id_number", str(exc))
    values = {
        "id_number": number,
        "name": r.text("name", required=True, max_length=64),
        "reason": r.text("reason", required=True),
        "since": r.date("since"),
    }
    r.raise_if_problems(idnumber.mask(number) or None)
    return BlacklistInput(**values)
