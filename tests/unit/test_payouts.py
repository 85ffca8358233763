"""Staged payouts: the rule of domain.md held by the service and by the database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.errors import CaseError
from cases.lib.exchange import BlacklistInput
from cases.models import CaseEvent, DisbursementPlan, Instalment
from cases.services.disbursement import instalment_release, staged_rule
from cases.services.intake import blacklist_add
from cases.services.roles import payout_reviewer_group
from cases.services.verification import case_queryset_for_verification, case_verify
from tests.factories import UserFactory, case_payload, id_number_for, payout_plan, submit

pytestmark = pytest.mark.django_db

DISCLOSED = {
    "consent": {"public_disclosure": True},
    "household__assets": {"houses": 1, "car_value": "0", "financial_assets": "20000"},
    "documents": [{"type": "id_card"}, {"type": "diagnosis_certificate"}, {"type": "asset_declaration"}],
}


def campaign(raised: str, *, disclosed: bool = True, **extra):
    fields = {"channel": "crowdfunding", "request__amount": "400000", "raised": raised, **extra}
    if disclosed:
        fields.update(DISCLOSED)
    return submit(case_payload(**fields))


def plan(case, *, payee_kind="hospital", instalments=((Decimal("100000"), "化疗"), (Decimal("100000"), "移植"))):
    return payout_plan(case, payee_kind=payee_kind, instalments=instalments)


def test_300000_raised_is_staged_to_the_hospital_whatever_the_disclosure():
    rule = staged_rule(campaign("350000"))
    assert rule.staged and rule.disclosure_complete
    assert "350,000" in rule.reason and "300,000" in rule.reason


def test_50000_raised_is_staged_only_when_disclosure_is_incomplete():
    assert not staged_rule(campaign("80000")).staged
    undisclosed = staged_rule(campaign("80000", disclosed=False))
    assert undisclosed.staged
    assert "no asset declaration document" in undisclosed.reason and "80,000" in undisclosed.reason
    assert not staged_rule(campaign("49999.99", disclosed=False)).staged


def test_a_staged_campaign_cannot_be_paid_to_the_family_or_at_once():
    case = campaign("350000")
    with pytest.raises(CaseError, match="payee_kind: .*hospital"):
        plan(case, payee_kind="family")
    with pytest.raises(CaseError, match="instalments: .*at least 2"):
        plan(case, instalments=[(Decimal("300000"), "全部")])
    made = plan(case)
    assert made.staged and made.payee_account_masked.endswith("0123") and "3456" not in made.payee_account_masked
    assert list(made.instalments.values_list("seq", "amount")) == [(1, Decimal("100000")), (2, Decimal("100000"))]
    assert CaseEvent.objects.filter(case=case, code="disbursement.planned").exists()


def test_a_plan_cannot_pay_out_more_than_was_raised_or_twice():
    case = campaign("120000")
    with pytest.raises(CaseError, match="more than the 120,000 raised"):
        plan(case, instalments=[(Decimal("100000"), "a"), (Decimal("30000"), "b")])
    plan(case, payee_kind="family", instalments=[(Decimal("120000"), "治疗")])
    with pytest.raises(CaseError, match="already has a disbursement plan"):
        plan(case, payee_kind="family", instalments=[(Decimal("1000"), "x")])


def test_the_database_refuses_a_plan_that_breaks_the_rule_whatever_wrote_it():
    case = campaign("350000")
    common = {"case": case, "payee_name": "x", "payee_account": "1", "total": Decimal("1000"), "rule": "raw"}
    with transaction.atomic(), pytest.raises(IntegrityError):  # not staged although 350,000 was raised
        DisbursementPlan.objects.create(raised=Decimal("350000"), disclosure_complete=True, staged=False,
                                        payee_kind="family", instalment_count=1, **common)  # fmt: skip
    with transaction.atomic(), pytest.raises(IntegrityError):  # staged but paid to the family
        DisbursementPlan.objects.create(raised=Decimal("350000"), disclosure_complete=True, staged=True,
                                        payee_kind="family", instalment_count=2, **common)  # fmt: skip
    with transaction.atomic(), pytest.raises(IntegrityError):  # staged in a single instalment
        DisbursementPlan.objects.create(raised=Decimal("350000"), disclosure_complete=True, staged=True,
                                        payee_kind="hospital", instalment_count=1, **common)  # fmt: skip


def test_instalments_are_released_in_order_once_against_evidence():
    made = plan(campaign("350000"))
    first, second = made.instalments.order_by("seq")
    with pytest.raises(CaseError, match="whoever planned the payout cannot release it"):
        instalment_release(
            instalment=first, evidence_type="hospital_invoice", evidence_ref="INV-1", user=made.created_by
        )
    reviewer = UserFactory()
    with pytest.raises(CaseError, match="instalment 1 must be released before instalment 2"):
        instalment_release(instalment=second, evidence_type="hospital_invoice", evidence_ref="INV-1", user=reviewer)
    with pytest.raises(CaseError, match="evidence_type: id_card does not prove treatment"):
        instalment_release(instalment=first, evidence_type="id_card", evidence_ref="X", user=reviewer)
    with pytest.raises(CaseError, match="evidence_ref"):
        instalment_release(instalment=first, evidence_type="hospital_invoice", evidence_ref=" ", user=reviewer)
    instalment_release(instalment=first, evidence_type="hospital_invoice", evidence_ref="INV-1", user=reviewer)
    with pytest.raises(CaseError, match="already released"):
        instalment_release(instalment=first, evidence_type="hospital_invoice", evidence_ref="INV-1", user=reviewer)
    made.refresh_from_db()
    assert made.released_total == Decimal("100000")
    with transaction.atomic(), pytest.raises(IntegrityError):  # past the plan's total, by any path
        DisbursementPlan.objects.filter(pk=made.pk).update(released_total=Decimal("200000.01"))
    with transaction.atomic(), pytest.raises(IntegrityError):  # released without evidence
        Instalment.objects.filter(pk=second.pk).update(status="released", released_at=timezone.now())


def test_a_campaign_that_crossed_the_line_after_planning_is_held_until_planned_again():
    payload = case_payload(channel="crowdfunding", request__amount="400000", raised="100000", **DISCLOSED)
    case = submit(payload)
    made = plan(case, payee_kind="family", instalments=[(Decimal("100000"), "治疗")])
    assert not made.staged
    submit({**payload, "raised": "320000"})  # the campaign went on raising
    with pytest.raises(CaseError, match="planned again as instalments to the hospital"):
        instalment_release(instalment=made.instalments.get(), evidence_type="hospital_invoice", evidence_ref="I",
                           user=UserFactory())  # fmt: skip


def test_a_blacklisted_or_foundation_case_gets_no_plan():
    with pytest.raises(CaseError, match="not a crowdfunding campaign"):
        plan(submit(case_payload()))
    raiser = id_number_for(dt.date(1980, 1, 2), sex="M", n=7)
    blacklist_add(data=BlacklistInput(id_number=raiser, name="王大伟", reason="虚构病情筹款", since=None))
    case = campaign("350000", raiser={"name": "王大伟", "relation": "parent", "id_number": raiser})
    case_verify(case=case_queryset_for_verification().get(pk=case.pk))
    with pytest.raises(CaseError, match="a flag that bars aid .*blacklisted"):
        plan(case)


def test_case_workers_plan_and_payout_reviewers_release(client, worker):
    case = campaign("350000")
    url = reverse("admin:cases_case_plan_payout", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200 and "300,000" in page.content.decode()
    response = client.post(url, {"payee_kind": "hospital", "payee_name": "省人民医院", "payee_account": "62220001",
                                 "instalments": "200000 化疗\n150000 移植"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    made = DisbursementPlan.objects.get(case=case)
    assert made.total == Decimal("350000") and made.instalment_count == 2
    release = reverse("admin:cases_disbursementplan_release", args=[made.pk, 1])
    assert client.post(release, {"evidence_type": "hospital_invoice", "evidence_ref": "A1"}).status_code == 403
    reviewer = UserFactory(is_staff=True)
    reviewer.groups.add(payout_reviewer_group())
    client.force_login(reviewer)
    assert client.post(release, {"evidence_type": "hospital_invoice", "evidence_ref": "A1"}).status_code == 302
    assert made.instalments.get(seq=1).status == "released"
    assert client.get(reverse("admin:cases_disbursementplan_change", args=[made.pk])).status_code == 200
    from cases.models import AccessLog

    looked = set(AccessLog.objects.filter(case=case).values_list("user_id", "where"))
    assert {(worker.pk, "admin:plan-payout"), (reviewer.pk, "admin:release")} <= looked  # who saw the case's pages
