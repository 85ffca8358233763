"""Test data. Cases go in through the same parser and service as real intake, so tests exercise
the validation partners meet; foundations, programs and users are plain factories."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.lib import exchange, idnumber
from cases.services.intake import case_submit
from matching.models import Foundation, FoundationMember, Program

_refs = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-only")


class FoundationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Foundation

    ref = factory.Sequence(lambda n: f"F-{n}")
    name = factory.Sequence(lambda n: f"测试基金会{n}")


class FoundationMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FoundationMember

    user = factory.SubFactory(UserFactory)
    foundation = factory.SubFactory(FoundationFactory)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    ref = factory.Sequence(lambda n: f"P-{n}")
    foundation = factory.SubFactory(FoundationFactory)
    channel = "foundation_aid"
    name = factory.Sequence(lambda n: f"救助项目{n}")
    aid_type = "cash"
    cap_per_case = Decimal("50000.00")
    budget = Decimal("1000000.00")
    icd10 = factory.LazyFunction(lambda: ["C91-C95"])
    income_tiers = factory.LazyFunction(lambda: ["hardship", "sandwich"])


def id_number_for(birth_date: dt.date, *, sex: str = "M", address: str = "410105", n: int = 1) -> str:
    sequence = (n * 2 + (1 if sex == "M" else 0)) % 1000
    return idnumber.make(address=address, birth_date=birth_date, sequence=sequence)


BASE_CASE = {
    "kind": "case",
    "channel": "foundation_aid",
    "source": "测试",
    "submitted_at": "2026-10-01T10:00:00+08:00",
    "patient": {"name": "王小红", "birth_date": "2016-03-04", "sex": "F", "province": "41"},
    "household": {"size": 4, "annual_income": "20000", "dibao_status": "dibao"},
    "insurance": {"basic": "resident"},
    "diagnosis": {"text": "急性淋巴细胞白血病", "icd10": "C91.0", "diagnosed_on": "2026-09-01"},
    "request": {"amount": "200000"},
    "documents": [{"type": "id_card"}, {"type": "diagnosis_certificate"}],
}


# Each case made by the factory is another girl of the same age unless a test says otherwise:
# identity resolution would rightly take two applications for one name and birth date as one person.
PATIENT_NAMES = ("王小红", "李静怡", "赵子涵", "陈一诺", "刘欣然", "杨梓萱", "黄雨桐", "周思琪", "吴可馨", "徐诗涵")
PATIENT_NAMES += ("孙佳怡", "马若曦", "朱语嫣", "胡梦洁", "郭书瑶", "何欣妍", "高雅琪", "林婉清", "罗紫涵", "郑安琪")


def case_payload(**overrides) -> dict:
    """A valid case object; nested keys are given as `patient__name=...`."""
    payload = copy.deepcopy(BASE_CASE)
    number = next(_refs)
    payload["ref"] = f"T-{number:06d}"
    payload["patient"]["name"] = PATIENT_NAMES[number % len(PATIENT_NAMES)]
    for key, value in overrides.items():
        target = payload
        *parents, leaf = key.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    if payload["channel"] == "crowdfunding":
        payload.setdefault("raiser", {"name": "王大伟", "relation": "parent"})
    return payload


def submit(payload: dict, user=None):
    data = exchange.parse_case(
        exchange.loads(exchange.json.dumps(payload)), today=timezone.localdate(), tz=timezone.get_current_timezone()
    )
    case, _ = case_submit(data=data, user=user)
    return case


def payout_plan(case, *, payee_kind: str = "hospital", instalments=None):
    """A disbursement plan made through the service: by default two instalments to the hospital."""
    from cases.services.disbursement import plan_create

    instalments = instalments or [(Decimal("200000"), "化疗"), (Decimal("150000"), "移植")]
    return plan_create(
        case=case,
        payee_kind=payee_kind,
        payee_name="郑州大学第一附属医院",
        payee_account="6222 0212 3456 7890 123",
        instalments=list(instalments),
        user=UserFactory(),
    )
