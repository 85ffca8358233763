"""The case worker's admin: what a least-privilege case worker can see and do."""

import datetime as dt
from decimal import Decimal

import pytest

from cases.choices import CaseStatus, Flag
from cases.models import AccessLog, BlacklistEntry, CaseFlag
from cases.services.identity import id_hash
from cases.services.verification import case_queryset_for_verification, case_verify
from matching.models import MatchRun
from tests.factories import ProgramFactory, case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db
NUMBER = id_number_for(dt.date(2016, 3, 4), sex="F")


def verified(**overrides):
    case = submit(case_payload(**overrides))
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk))


def test_the_case_list_filters_and_finds_a_case_by_its_full_or_masked_identity_number(client, worker):
    case = verified(patient__id_number=NUMBER, household__annual_income="300000")
    other = verified()
    for query in (NUMBER, f"{NUMBER[:4]}**********{NUMBER[-4:]}"):
        page = client.get("/admin/cases/case/", {"q": query}).content.decode()
        assert case.ref in page and other.ref not in page
    # Any other pattern of stars would let searches reveal the hidden digits one by one.
    probe = NUMBER[:10] + "*" * 4 + NUMBER[-4:]
    assert case.ref not in client.get("/admin/cases/case/", {"q": probe}).content.decode()
    page = client.get("/admin/cases/case/", {"flag": Flag.INCOME_INCONSISTENT, "channel__exact": "foundation_aid"})
    assert case.ref in page.content.decode() and other.ref not in page.content.decode()
    assert NUMBER not in page.content.decode()  # lists show it masked


def test_the_case_page_shows_checks_and_history_and_logs_who_looked(client, worker):
    case = verified(patient__id_number=NUMBER)
    page = client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "case.verified" in page and "identity_consistency" in page
    assert NUMBER not in page
    assert AccessLog.objects.filter(case=case, user=worker, where="admin").exists()


def test_reject_and_override_need_a_reason(client, worker):
    case = verified(household__annual_income="300000")
    action = {"_selected_action": [case.pk], "index": 0}
    client.post("/admin/cases/case/", {**action, "action": "reject", "reason": ""})
    case.refresh_from_db()
    assert case.status == CaseStatus.FLAGGED
    client.post("/admin/cases/case/", {**action, "action": "override_flag", "flag": Flag.INCOME_INCONSISTENT,
                                       "reason": "村委会证明收入为一次性补偿"})  # fmt: skip
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFIED
    assert CaseFlag.objects.get(case=case).overridden_by == worker
    client.post("/admin/cases/case/", {**action, "action": "reject", "reason": "材料伪造"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED and case.need == 0


def test_a_blacklist_entry_added_in_the_admin_is_validated_and_reverifies_cases(client, worker):
    case = verified(patient__id_number=NUMBER)
    response = client.post(
        "/admin/cases/blacklistentry/add/", {"id_number": NUMBER[:-1] + "0", "name": "x", "reason": "y"}
    )
    assert "check character" in response.content.decode()
    client.post("/admin/cases/blacklistentry/add/", {"id_number": NUMBER, "name": "王小红", "reason": "虚假筹款"})
    assert BlacklistEntry.objects.filter(name="王小红").exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING


def test_a_case_worker_cannot_edit_programs_but_staff_cannot_set_a_budget_below_awards(client, worker, admin_client):
    program = ProgramFactory(budget=Decimal("100000"))
    program.awarded_total = Decimal("60000")
    program.save()
    assert client.get(f"/admin/matching/program/{program.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/matching/program/{program.pk}/change/", {"budget": "1"}).status_code == 403
    form = admin_client.get(f"/admin/matching/program/{program.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "foundation"}
    data.update(foundation=program.foundation_id, budget="50000", icd10='["C91-C95"]', income_tiers="[]",
                provinces="[]", required_documents="[]")  # fmt: skip
    response = admin_client.post(f"/admin/matching/program/{program.pk}/change/", data)
    assert "already awarded" in response.content.decode()


def test_the_run_now_button_starts_a_nightly_run(client, worker, django_capture_on_commit_callbacks):
    verified()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/matching/matchrun/run-now/")
    assert response.status_code == 302
    run = MatchRun.objects.get()
    assert run.status == "succeeded" and run.trigger == f"admin:{worker.username}"


def test_re_verify_records_the_case_worker_as_actor(client, worker):
    case = verified(patient__id_number=NUMBER)
    BlacklistEntry.objects.create(id_number=NUMBER, id_hash=id_hash(NUMBER), name="王小红", reason="虚假筹款")
    client.post("/admin/cases/case/", {"_selected_action": [case.pk], "index": 0, "action": "reverify"})
    case.refresh_from_db()
    assert case.status == CaseStatus.FLAGGED
    assert case.events.filter(code="case.flagged", actor=worker, actor_label=f"user:{worker.username}").exists()


def test_no_admin_list_loads_an_encrypted_column(admin_client):
    """Lists show masks: an encrypted column selected would be decrypted on every row, shown or not,
    including the columns of the tables a list joins to show a case or a person."""
    from django.contrib import admin
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.lib.fields import EncryptedCharField
    from tests.factories import payout_plan

    case = submit(case_payload(channel="crowdfunding", request__amount="400000", raised="350000",
                               household__annual_income="300000", patient__id_number=NUMBER))  # fmt: skip
    case = case_verify(case=case_queryset_for_verification().get(pk=case.pk))
    payout_plan(case)
    admin_client.get(f"/admin/cases/case/{case.pk}/change/")  # an access log row
    columns = [
        f'"{model._meta.db_table}"."{field.column}"'
        for model in admin.site._registry
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedCharField)
    ]
    assert len(columns) >= 6
    listed = 0
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        selected = [q["sql"].split(" FROM ")[0] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        assert not [c for c in columns for sql in selected if c in sql], url
        listed += case.ref in response.content.decode()
    assert listed >= 4  # the case shows in the lists of cases, flags, access logs and plans
