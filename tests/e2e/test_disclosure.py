"""The public disclosure page (公示), as a member of the public reaches it: no login, masked data."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.services.verification import case_queryset_for_verification, case_verify
from tests.factories import case_payload, submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_of_the_public_finds_a_campaign_and_reads_its_declaration_and_verification(page, live_server):
    # given a consenting campaign, verified, and another whose family did not consent
    payload = case_payload(
        channel="crowdfunding",
        patient={"name": "欧阳建国", "birth_date": "1970-05-06", "sex": "M", "province": "41", "phone": "13812345678"},
        diagnosis={"text": "右肺腺癌IV期", "icd10": "C34.1", "hospital": "河南省肿瘤医院", "hospital_level": "3A"},
        request__amount="300000",
        raised="123456.78",
        household__assets={"houses": 1, "car_value": "50000", "financial_assets": "30000"},
        consent={"public_disclosure": True},
    )
    case = case_verify(case=case_queryset_for_verification().get(pk=submit(payload).pk))
    hidden = case_verify(case=case_queryset_for_verification().get(pk=submit(case_payload(channel="crowdfunding")).pk))

    # when they open the list and follow the campaign
    page.goto(f"{live_server.url}/disclosure/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("河南省肿瘤医院")
    expect(rows.first).to_contain_text("欧**")  # masked the same way on the list as on the page
    rows.first.locator("a").click()

    # then the page shows the masked name, the declaration and the verification, and nothing private
    main = page.locator("main")
    expect(main).to_contain_text("欧**")
    expect(main).to_contain_text("123456.78")
    expect(main).to_contain_text("50000.00")
    expect(page.locator("[data-status]")).to_have_text(case.status)
    for private in ("欧阳建国", "13812345678", case.ref, hidden.ref):
        expect(main).not_to_contain_text(private)
    # and platforms read the same record as JSON
    data = page.request.get(f"{live_server.url}/disclosure/{case.disclosure_token}.json").json()
    assert data["patient"]["name"] == "欧**" and data["raised"] == "123456.78"
