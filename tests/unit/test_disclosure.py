"""Public disclosure (公示): consenting campaigns only, masked, HTML for people and JSON for platforms."""

import json

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services.verification import case_queryset_for_verification, case_verify
from tests.factories import case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db


def disclosed(**extra):
    import datetime as dt

    number = id_number_for(dt.date(1970, 5, 6), sex="M")
    lung = {"text": "右肺腺癌IV期", "icd10": "C34.1", "hospital": "河南省肿瘤医院", "hospital_level": "3A"}
    fields = {"diagnosis": lung, **extra}
    payload = case_payload(
        channel="crowdfunding",
        patient={"name": "欧阳建国", "birth_date": "1970-05-06", "sex": "M", "province": "41", "id_number": number,
                 "phone": "13812345678", "city": "郑州"},
        request__amount="300000",
        raised="123456.78",
        household__assets={"houses": 1, "car_value": "50000", "financial_assets": "30000"},
        consent={"public_disclosure": True},
        **fields,
    )  # fmt: skip
    case = submit(payload)
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk)), number


def test_the_page_shows_what_the_public_may_see_and_nothing_more(client):
    case, number = disclosed()
    assert client.get(reverse("disclosure:detail", args=[case.ref])).status_code == 404  # not by its ref
    html = client.get(reverse("disclosure:detail", args=[case.disclosure_token]))
    body = html.content.decode()
    assert html.status_code == 200
    for shown in ("欧**", number[:4] + "**********" + number[-4:], "河南省肿瘤医院", "300000.00", "123456.78",
                  "50000.00", "C34.1"):  # fmt: skip
        assert shown in body, shown
    for hidden in ("欧阳建国", number, "13812345678", "郑州", case.ref, "王大伟"):
        assert hidden not in body, hidden
    data = client.get(reverse("disclosure:detail-json", args=[case.disclosure_token])).json()
    assert data["patient"] == {"name": "欧**", "id_number": number[:4] + "**********" + number[-4:]}
    assert data["illness"]["icd10"] == "C34.1" and data["illness"]["name"]
    assert data["target"] == "300000.00" and data["raised"] == "123456.78"
    assert data["asset_declaration"]["houses"] == 1 and data["asset_declaration"]["complete"] is True
    assert data["verification"]["status"] == case.status
    assert {c["check"] for c in data["verification"]["checks"]} == {"diagnosis", "cost"}
    assert "欧阳建国" not in json.dumps(data, ensure_ascii=False) and number not in json.dumps(data)


def test_no_consent_no_page_and_withdrawing_consent_takes_it_down(client):
    case, _ = disclosed()
    token = case.disclosure_token
    assert client.get(reverse("disclosure:detail", args=[token])).status_code == 200
    assert [c["case"] for c in client.get(reverse("disclosure:list-json")).json()["cases"]] == [token]
    payload = case_payload(ref=case.ref, channel="crowdfunding", consent={"public_disclosure": False})
    submit({**payload, "patient": {"name": "欧阳建国", "birth_date": "1970-05-06", "sex": "M", "province": "41"}})
    assert client.get(reverse("disclosure:detail", args=[token])).status_code == 404
    assert client.get(reverse("disclosure:detail-json", args=[token])).status_code == 404
    assert client.get(reverse("disclosure:list-json")).json()["cases"] == []


def test_foundation_cases_are_never_disclosed(client):
    case = submit(case_payload(consent={"public_disclosure": True}))
    case_verify(case=case_queryset_for_verification().get(pk=case.pk))
    assert Case.objects.get(pk=case.pk).disclosure_token is None
    assert case.patient_name not in client.get(reverse("disclosure:list")).content.decode()


def test_the_list_costs_the_same_few_queries_for_many_cases_and_never_shows_unread_free_text(
    client, django_assert_max_num_queries
):
    for _ in range(6):
        disclosed()
    unread, _ = disclosed(diagnosis={"text": "病情待查，联系人张三13900001111", "hospital": "县医院"})
    with django_assert_max_num_queries(8):  # count, page, two prefetches: not a query per case
        data = client.get(reverse("disclosure:list-json")).json()
    assert data["count"] == 7
    row = next(c for c in data["cases"] if c["case"] == unread.disclosure_token)
    assert row["illness"] == {"name": None, "icd10": None}
    assert "13900001111" not in client.get(reverse("disclosure:list")).content.decode()


def test_a_rejected_case_is_taken_down_and_flags_about_the_person_are_never_published(client):
    from cases.choices import Flag
    from cases.models import CaseFlag
    from cases.services.verification import case_reject
    from tests.factories import UserFactory

    case, _ = disclosed()
    CaseFlag.objects.create(case=case, code=Flag.INCOME_INCONSISTENT, reason="income above the tier")
    CaseFlag.objects.create(case=case, code=Flag.TARGET_EXCEEDS_COST, reason="target 3.1 times")
    data = client.get(reverse("disclosure:detail-json", args=[case.disclosure_token])).json()
    assert [f["code"] for f in data["verification"]["flags"]] == ["target_exceeds_cost"]
    case_reject(case=case, user=UserFactory(), reason="forged documents")
    assert client.get(reverse("disclosure:detail", args=[case.disclosure_token])).status_code == 404
    assert client.get(reverse("disclosure:list-json")).json()["cases"] == []
