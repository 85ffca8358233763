"""Identity numbers and phones: encrypted at rest, masked wherever they are shown, revealed only on
purpose by a case worker allowed to, and every reveal logged."""

import datetime as dt
import json

import pytest
from django.core.exceptions import FieldError
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from cases.choices import AccessKind
from cases.lib.exchange import AidInput, BlacklistInput
from cases.models import AccessLog, AidRecord, BlacklistEntry, Case, CaseEvent, Partner, Person
from cases.services.exchange import export_lines, import_lines
from cases.services.identity import phone_hash
from cases.services.intake import aid_record, blacklist_add
from cases.services.roles import case_worker_group
from cases.services.verification import case_queryset_for_verification, case_verify
from tests.factories import FoundationMemberFactory, ProgramFactory, UserFactory, case_payload, id_number_for, submit
from tests.unit.test_awards_and_portal import open_proposal

pytestmark = pytest.mark.django_db
NUMBER = id_number_for(dt.date(2016, 3, 4), sex="F")
RAISER = id_number_for(dt.date(1985, 1, 1), sex="M", n=7)
PHONE, RAISER_PHONE = "13812345678", "13900001111"
MASKED = f"{NUMBER[:4]}**********{NUMBER[-4:]}"
PLAIN = (NUMBER, RAISER, PHONE, RAISER_PHONE)


def crowdfunding_case(**overrides) -> Case:
    raiser = {"name": "王大伟", "relation": "parent", "id_number": RAISER, "phone": RAISER_PHONE}
    fields = {"patient__id_number": NUMBER, "patient__phone": PHONE, "raiser": raiser, **overrides}
    case = submit(case_payload(channel="crowdfunding", **fields))
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk))


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
        return repr(cursor.fetchall())


def test_no_table_holds_an_identity_number_or_phone_in_plain_text():
    # given
    case = crowdfunding_case()
    blacklist_add(data=BlacklistInput(id_number=RAISER, name="王大伟", reason="虚构病情"))
    aid_record(data=AidInput(ref="A1", case=None, patient_id_number=NUMBER, provider="民政", amount=1000,
                             date=dt.date(2026, 9, 1), icd10=""))  # fmt: skip
    # when
    tables = ("cases_person", "cases_case", "cases_crowdfundingcampaign", "cases_blacklistentry", "cases_aidrecord")
    dumped = {table: raw_rows(table) for table in tables}
    # then
    for table, rows in dumped.items():
        assert not [value for value in PLAIN if value in rows], table
    case = Case.objects.select_related("campaign", "person").get(pk=case.pk)
    assert (case.patient_id_number, case.patient_phone, case.person.id_number) == (NUMBER, PHONE, NUMBER)
    assert (case.campaign.raiser_id_number, case.campaign.raiser_phone) == (RAISER, RAISER_PHONE)
    assert BlacklistEntry.objects.get().id_number == RAISER
    assert AidRecord.objects.get().patient_id_number == NUMBER


def test_masks_are_stored_with_the_case_its_campaign_person_and_blacklist_entry():
    case = crowdfunding_case(patient__phone="+86 138-1234-5678")
    blacklist_add(data=BlacklistInput(id_number=RAISER, name="王大伟", reason="虚构病情"))
    case = Case.objects.select_related("campaign", "person").get(pk=case.pk)
    assert (case.patient_id_masked, case.patient_phone_masked) == (MASKED, "138****5678")
    assert (case.campaign.raiser_id_masked, case.campaign.raiser_phone_masked) == (
        f"{RAISER[:4]}**********{RAISER[-4:]}",
        "139****1111",
    )
    assert case.person.id_masked == MASKED and MASKED in str(case.person)
    assert str(BlacklistEntry.objects.get()) == f"王大伟 {RAISER[:4]}**********{RAISER[-4:]}"


def test_the_bulk_import_path_stores_masks_and_hashes_too():
    lines = [json.dumps(case_payload(ref=f"B-{i}", patient__id_number=NUMBER, patient__phone=PHONE)) for i in range(3)]
    report = import_lines(lines)
    assert report.counts["case.created"] == 3
    assert set(Case.objects.values_list("patient_id_masked", "patient_phone_masked", "patient_phone_hash")) == {
        (MASKED, "138****5678", phone_hash(PHONE))
    }
    assert Person.objects.get().id_masked == MASKED
    assert NUMBER not in raw_rows("cases_case") and NUMBER not in raw_rows("cases_person")


@pytest.mark.parametrize("written", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                     "+8613812345678", "8613812345678"])  # fmt: skip
def test_one_phone_written_several_ways_has_one_hash(written):
    assert phone_hash(written) == phone_hash("13812345678") != ""


def test_a_case_without_a_phone_has_no_phone_hash():
    case = submit(case_payload(patient__phone="13812345678"))
    other = submit(case_payload())
    assert len(case.patient_phone_hash) == 64
    assert Case.objects.get(pk=other.pk).patient_phone_hash == ""


def test_an_encrypted_field_refuses_lookups_that_could_never_match_but_tells_empty_from_given():
    with pytest.raises(FieldError):
        list(Case.objects.filter(patient_id_number__startswith=NUMBER[:4]))
    given, missing = submit(case_payload(patient__phone=PHONE)), submit(case_payload())
    assert list(Case.objects.filter(patient_phone="")) == [missing]
    assert list(Case.objects.exclude(patient_phone="")) == [given]


def test_a_case_worker_reveals_a_number_on_purpose_and_it_is_logged(client, worker):
    # given
    case = crowdfunding_case()
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "Reveal" in page and not [value for value in PLAIN if value in page]
    # when
    response = client.post(f"/admin/cases/case/{case.pk}/reveal/", {"field": "patient_id_number"})
    # then
    assert response.status_code == 200 and NUMBER in response.content.decode()
    assert PHONE not in response.content.decode()
    log = AccessLog.objects.get(case=case, kind=AccessKind.REVEAL)
    assert (log.user, log.field, log.where) == (worker, "patient_id_number", "admin")
    response = client.post(f"/admin/cases/case/{case.pk}/reveal/", {"field": "raiser_phone"})
    assert RAISER_PHONE in response.content.decode()
    # The case page shows the audit trail, and still no full number.
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "patient_id_number" in page and "raiser_phone" in page and "Revealed in full" in page
    assert not [value for value in PLAIN if value in page]


def test_revealing_needs_the_permission_a_post_and_a_csrf_token(client, worker):
    case = crowdfunding_case()
    url = f"/admin/cases/case/{case.pk}/reveal/"
    assert client.get(url, {"field": "patient_id_number"}).status_code == 405
    assert client.post(url, {"field": "payload_digest"}).status_code == 400
    csrf_checked = Client(enforce_csrf_checks=True)
    csrf_checked.force_login(worker)
    assert csrf_checked.post(url, {"field": "patient_id_number"}).status_code == 403
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*case_worker_group().permissions.exclude(codename="reveal_identity"))
    client.force_login(viewer)
    assert "Reveal" not in client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    response = client.post(url, {"field": "patient_id_number"})
    assert response.status_code == 403 and NUMBER not in response.content.decode()
    assert not AccessLog.objects.filter(kind=AccessKind.REVEAL).exists()


def test_admin_lists_show_masks_only(client, worker):
    crowdfunding_case()
    blacklist_add(data=BlacklistInput(id_number=RAISER, name="王大伟", reason="虚构病情"))
    for url in (
        "/admin/cases/case/",
        "/admin/cases/person/",
        "/admin/cases/blacklistentry/",
        "/admin/cases/accesslog/",
    ):
        page = client.get(url).content.decode()
        assert not [value for value in PLAIN if value in page], url
    assert MASKED in client.get("/admin/cases/person/").content.decode()


def test_the_api_shows_no_identity_number_or_phone():
    user = UserFactory(is_staff=True)
    Partner.objects.create(name="水滴", user=user)
    client = APIClient()
    client.force_authenticate(user)
    case = crowdfunding_case()
    body = client.get(f"/api/v1/cases/{case.ref}/").content.decode()
    assert case.ref in body and not [value for value in (*PLAIN, MASKED) if value in body]


def test_the_foundation_portal_shows_the_mask_only(client):
    member = FoundationMemberFactory()
    program = ProgramFactory(foundation=member.foundation)
    raiser = {"name": "王大伟", "relation": "parent", "id_number": RAISER, "phone": RAISER_PHONE}
    proposal = open_proposal(program, channel="crowdfunding", patient__id_number=NUMBER, patient__phone=PHONE,
                             raiser=raiser)  # fmt: skip
    client.force_login(member.user)
    for url in (f"/portal/programs/{program.ref}/", f"/portal/proposals/{proposal.pk}/"):
        page = client.get(url).content.decode()
        assert MASKED in page and not [value for value in PLAIN if value in page], url


def test_exports_events_and_check_reasons_hold_no_identity_number_or_phone():
    crowdfunding_case(patient__id_number=NUMBER[:-1] + "0")  # a typo: the check's reason names the number, masked
    exported = "\n".join(export_lines(kinds=["case_result", "proposal", "award"]))
    events = repr(list(CaseEvent.objects.values_list("data", flat=True)))
    reasons = repr(list(Case.objects.get().checks.values_list("reason", flat=True)))
    for text in (exported, events, reasons):
        assert not [value for value in (NUMBER[:-1] + "0", RAISER, PHONE, RAISER_PHONE) if value in text]
    assert f"{NUMBER[:4]}**********{NUMBER[-4:-1]}0" in reasons
