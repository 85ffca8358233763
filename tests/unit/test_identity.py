"""Recognising one person across channels: at intake, nightly, and by a case worker's decision."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.errors import CaseError
from cases.lib import exchange
from cases.models import AccessLog, AidRecord, Case, CaseEvent, IdentityReview, Person
from cases.services.identity import cases_resolve, identities_resolve_all, review_decide
from cases.services.intake import aid_record, cases_create
from cases.services.verification import case_verify
from matching.models import Episode, MatchRun
from matching.services.need import need_compute_all
from matching.services.nightly import nightly_run
from tests.factories import UserFactory, case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1978, 5, 9)
NUMBER = id_number_for(BIRTH, sex="M", address="410105")
PATIENT = {"name": "张伟", "birth_date": BIRTH.isoformat(), "sex": "M", "province": "41", "city": "郑州市",
           "phone": "13812345678"}  # fmt: skip
LUNG = {"text": "右肺腺癌IV期", "icd10": "C34.1", "hospital": "河南省肿瘤医院"}


def _case(*, patient=None, diagnosis=None, **overrides):
    payload = case_payload(**overrides)
    payload["patient"] = {**PATIENT, **(patient or {})}
    payload["diagnosis"] = {**LUNG, **(diagnosis or {})}
    return submit(payload)


def test_a_later_application_without_identity_number_joins_the_person_at_intake():
    # given: a foundation application with a valid identity number
    first = _case(patient={"id_number": NUMBER})

    # when: a crowdfunding campaign for him arrives, name in traditional characters, no number
    second = _case(channel="crowdfunding", patient={"name": "張偉"})

    # then: one person, recognised as the case was taken in
    assert second.person_id == first.person_id
    assert Person.objects.count() == 1


def test_day_and_month_swapped_and_a_mistyped_number_still_find_the_person():
    first = _case(patient={"id_number": NUMBER})
    typo = NUMBER[:10] + ("1" if NUMBER[10] != "1" else "2") + NUMBER[11:]  # fails the check character
    second = _case(patient={"birth_date": "1978-09-05", "id_number": typo})
    assert second.person_id == first.person_id


def test_two_men_of_the_same_name_and_birthday_with_different_numbers_stay_two_persons():
    first = _case(patient={"id_number": NUMBER})
    other_number = id_number_for(BIRTH, sex="M", address="410105", n=7)
    second = _case(patient={"id_number": other_number, "phone": "13900001111"})
    assert second.person_id != first.person_id


def test_a_stranger_sharing_only_a_common_name_is_someone_new():
    first = _case(patient={"id_number": NUMBER})
    elsewhere = {"birth_date": "1990-01-20", "city": "", "phone": "13700002222", "province": "44"}
    leukaemia = {"text": "急性髓系白血病", "icd10": "C92.0", "hospital": "中山大学肿瘤防治中心"}
    stranger = _case(patient=elsewhere, diagnosis=leukaemia)
    assert stranger.person_id != first.person_id


def test_resolving_one_new_case_among_two_thousand_takes_well_under_a_second():
    # given: 2,000 earlier applications; common names, so one in twenty is another 张伟
    surnames, given = "张王李刘陈杨赵黄周吴", ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "勇"]
    payloads = []
    for i in range(2000):
        payload = case_payload()
        name = "张伟" if i % 20 == 0 else surnames[i % 10] + given[(i // 10) % 10]
        payload["patient"] = {**PATIENT, "name": name, "birth_date": (BIRTH + dt.timedelta(days=i % 400)).isoformat(),
                              "phone": f"139{i:08d}"}  # fmt: skip
        payloads.append(payload)
    items = [exchange.parse_case(p, today=timezone.localdate(), tz=timezone.get_current_timezone()) for p in payloads]
    cases_create(items=items)
    new = _case(channel="crowdfunding", patient={"name": "張偉"})

    # when: it is resolved again, as at intake
    started = time.perf_counter()
    cases_resolve(case_ids=[new.pk])
    elapsed = time.perf_counter() - started

    # then
    assert elapsed < 1.0, f"resolving one case took {elapsed:.2f} s"


def test_the_nightly_run_regroups_and_keeps_a_persons_public_id():
    first = _case(patient={"id_number": NUMBER})
    public_id = first.person.public_id
    second = _case(channel="pap", patient={"name": "张 伟", "phone": ""})
    identities_resolve_all()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.person_id == second.person_id
    assert first.person.public_id == public_id


@pytest.fixture
def review():
    """Two cases the resolver is unsure of, put to a case worker."""
    a = _case(patient={"id_number": NUMBER})
    b = _case(channel="crowdfunding", patient={"name": "张卫", "phone": "13600003333", "city": ""})
    a, b = sorted((a, b), key=lambda c: c.pk)
    return IdentityReview.objects.create(case_a=a, case_b=b, probability="0.5000", reasons=["same birth date"])


def test_a_merge_joins_the_persons_recomputes_need_and_is_audited(review):
    worker = UserFactory(is_staff=True)
    Case.objects.filter(pk=review.case_b_id).update(person=Person.objects.create(
        name="张卫", birth_date=BIRTH, sex="M", province="41"))  # fmt: skip
    for case in Case.objects.filter(pk__in=[review.case_a_id, review.case_b_id]):
        case_verify(case=case)
    need_compute_all()
    assert Episode.objects.count() == 2

    review_decide(review_id=review.pk, verdict="merged", user=worker, reason="same father on the phone")

    a, b = Case.objects.get(pk=review.case_a_id), Case.objects.get(pk=review.case_b_id)
    assert a.person_id == b.person_id
    assert Episode.objects.count() == 1 and {a.episode_id, b.episode_id} == {Episode.objects.get().pk}
    assert {b.need, a.need} == {0, a.need} and (a.duplicate_of_id, b.duplicate_of_id).count(None) == 1
    events = CaseEvent.objects.filter(code="identity.merged")
    assert events.count() == 2 and all(e.actor == worker for e in events)


def test_after_a_merge_the_nightly_run_scores_both_cases_again_with_the_other_application(review):
    worker = UserFactory(is_staff=True)
    pair = [review.case_a_id, review.case_b_id]
    Case.objects.filter(pk=review.case_b_id).update(person=Person.objects.create(
        name="张卫", birth_date=BIRTH, sex="M", province="41"))  # fmt: skip
    for case in Case.objects.filter(pk__in=pair):
        case_verify(case=case)
    alone = dict(Case.objects.filter(pk__in=pair).values_list("pk", "risk_score"))

    review_decide(review_id=review.pk, verdict="merged", user=worker, reason="same father on the phone")
    assert set(Case.objects.filter(pk__in=pair).values_list("verified_with", flat=True)) == {""}
    run = MatchRun.objects.get(pk=nightly_run(trigger="test").pk)

    assert run.counts["verify.stale_versions"] >= 2
    together = dict(Case.objects.filter(pk__in=pair).values_list("pk", "risk_score"))
    assert all(together[pk] > alone[pk] for pk in pair), (alone, together)  # one illness, two channels
    assert "" not in set(Case.objects.filter(pk__in=pair).values_list("verified_with", flat=True))


def test_a_split_survives_the_nightly_regrouping(review):
    worker = UserFactory(is_staff=True)
    Case.objects.filter(pk=review.case_b_id).update(person_id=review.case_a.person_id)
    review_decide(review_id=review.pk, verdict="split", user=worker, reason="different mothers")
    identities_resolve_all()
    a, b = Case.objects.get(pk=review.case_a_id), Case.objects.get(pk=review.case_b_id)
    assert a.person_id != b.person_id


def test_a_decision_needs_a_reason(review):
    with pytest.raises(CaseError, match="reason"):
        review_decide(review_id=review.pk, verdict="merged", user=UserFactory(), reason="  ")
    assert IdentityReview.objects.get(pk=review.pk).status == "open"


def test_the_review_page_shows_both_records_masked_and_logs_the_view(client, review, worker):
    page = client.get(f"/admin/cases/identityreview/{review.pk}/change/").content.decode()

    assert review.case_a.ref in page and review.case_b.ref in page
    assert NUMBER not in page and f"{NUMBER[:4]}**********{NUMBER[-4:]}" in page
    assert "13812345678" not in page
    assert AccessLog.objects.filter(user=worker, where="identity_review").count() == 2

    response = client.post(f"/admin/cases/identityreview/{review.pk}/change/",
                           {"verdict": "split", "reason": "different hospitals and phones"})  # fmt: skip
    assert response.status_code == 302
    assert IdentityReview.objects.get(pk=review.pk).status == "split"


def test_an_earlier_application_without_a_number_joins_when_the_number_comes_twice_in_one_batch():
    # given: one import batch with an application without number, then two with the valid number
    payloads = [case_payload(submitted_at=f"2026-10-0{day}T10:00:00+08:00") for day in (1, 2, 3)]
    for payload, number in zip(payloads, (None, NUMBER, NUMBER), strict=True):
        payload["patient"] = {**PATIENT, **({"id_number": number} if number else {})}
        payload["diagnosis"] = dict(LUNG)
    items = [exchange.parse_case(p, today=timezone.localdate(), tz=timezone.get_current_timezone()) for p in payloads]

    # when
    cases, errors = cases_create(items=items)

    # then: one person, carrying the number
    assert not errors
    assert len({Case.objects.get(pk=c.pk).person_id for c in cases}) == 1
    assert Person.objects.count() == 1 and Person.objects.get().id_hash


def test_a_nightly_run_during_a_hash_key_rotation_moves_nobody(settings):
    first = _case(patient={"id_number": NUMBER})
    second = _case(channel="crowdfunding", patient={"name": "張偉"})
    assert Case.objects.get(pk=second.pk).person_id == first.person_id  # one numbered person, two cases
    before = {c.pk: c.person_id for c in Case.objects.all()}
    public_ids = set(Person.objects.values_list("public_id", flat=True))

    settings.ID_HASH_KEYS = ["a-new-key-for-tests-only", *settings.ID_HASH_KEYS]
    identities_resolve_all()

    assert {c.pk: c.person_id for c in Case.objects.all()} == before
    assert set(Person.objects.values_list("public_id", flat=True)) == public_ids


@pytest.fixture
def decided_merge(review):
    worker = UserFactory(is_staff=True)
    Case.objects.filter(pk=review.case_b_id).update(
        person=Person.objects.create(name="张卫", birth_date=BIRTH, sex="M", province="41")
    )
    review_decide(review_id=review.pk, verdict="merged", user=worker, reason="the same father called")
    return review


def test_a_merge_survives_a_resent_application(decided_merge):
    a = Case.objects.get(pk=decided_merge.case_a_id)
    b_payload = case_payload(ref=decided_merge.case_b.ref, channel="crowdfunding", raised="5000")
    b_payload["patient"] = {**PATIENT, "name": "张卫", "phone": "13600003333", "city": ""}
    b_payload["diagnosis"] = dict(LUNG)
    b = submit(b_payload)
    identities_resolve_all()
    assert Case.objects.get(pk=b.pk).person_id == Case.objects.get(pk=a.pk).person_id


def test_a_merge_never_joins_two_valid_identity_numbers(decided_merge):
    # when: the merged case is re-sent with a valid number of its own, another man's
    other_number = id_number_for(BIRTH, sex="M", address="410105", n=7)
    b_payload = case_payload(ref=decided_merge.case_b.ref, channel="crowdfunding")
    b_payload["patient"] = {**PATIENT, "name": "张卫", "id_number": other_number, "phone": "13600003333"}
    b_payload["diagnosis"] = dict(LUNG)
    submit(b_payload)
    identities_resolve_all()

    # then: two persons, each with their number
    a, b = Case.objects.get(pk=decided_merge.case_a_id), Case.objects.get(pk=decided_merge.case_b_id)
    assert a.person_id != b.person_id


def test_a_decided_pair_is_not_decided_again(decided_merge):
    with pytest.raises(CaseError, match="already decided"):
        review_decide(review_id=decided_merge.pk, verdict="split", user=UserFactory(), reason="changed my mind")
    assert IdentityReview.objects.get(pk=decided_merge.pk).status == "merged"


def test_an_uncertain_pair_goes_to_the_review_queue_at_intake_and_stays_there_overnight():
    # given: the same common name and birth date, but another city, hospital and phone
    first = _case(patient={"id_number": NUMBER})
    second = _case(patient={"phone": "13600003333", "city": "洛阳市"}, diagnosis={"hospital": "洛阳市中心医院"})

    # then: two persons for now, and the pair put to a case worker with the evidence in words
    review = IdentityReview.objects.get()
    assert (review.case_a_id, review.case_b_id, review.status) == (first.pk, second.pk, "open")
    assert Decimal("0.2") <= review.probability < Decimal("0.8")
    assert "different city" in review.reasons and "same birth date" in review.reasons
    assert first.person_id != Case.objects.get(pk=second.pk).person_id

    identities_resolve_all()
    assert IdentityReview.objects.filter(pk=review.pk, status="open").exists()


def test_a_decision_withdraws_the_pairs_proposals_and_leaves_everyone_elses(review):
    from matching.models import Proposal
    from matching.services.need import need_compute_all
    from matching.services.nightly import step_verify
    from matching.services.proposals import proposals_make
    from tests.factories import ProgramFactory

    ProgramFactory(icd10=["C34"], income_tiers=[], budget=Decimal("10000000"))
    _case(patient={"name": "李秀英", "birth_date": "1958-02-03", "sex": "F", "id_number": ""})  # someone else
    step_verify()  # the run's steps, without re-resolving identities (which would settle the pair)
    need_compute_all()
    proposals_make(run=MatchRun.objects.create(trigger="test"))
    theirs = Proposal.objects.filter(case_id__in=[review.case_a_id, review.case_b_id], status="open")
    others = Proposal.objects.exclude(case_id__in=[review.case_a_id, review.case_b_id]).filter(status="open")
    assert theirs.exists()
    kept = set(others.values_list("pk", flat=True))
    review_decide(review_id=review.pk, verdict="split", user=UserFactory(), reason="different mothers")
    assert not theirs.exists()  # withdrawn: made for episodes that no longer exist
    assert set(others.values_list("pk", flat=True)) == kept  # no mid-day run remade everyone's
    assert MatchRun.objects.count() == 1


def test_a_person_who_takes_a_number_at_intake_shows_it_masked():
    # given: a first application without a number, then one with it
    first = _case(patient={"phone": "13812345678"})
    _case(channel="crowdfunding", patient={"id_number": NUMBER, "name": "張偉"})

    # then: one person, holding the number encrypted, hashed and masked
    person = Person.objects.get(pk=Case.objects.get(pk=first.pk).person_id)
    assert Person.objects.count() == 1 and person.id_hash
    assert person.id_masked == f"{NUMBER[:4]}**********{NUMBER[-4:]}" and person.id_number == NUMBER


def test_aid_on_a_case_that_joins_another_person_at_intake_goes_with_it():
    # given: a person with a valid number, and a case of someone else with aid recorded on it
    first = _case(patient={"id_number": NUMBER})
    other = _case(patient={"name": "李强", "birth_date": "1990-01-02", "phone": "13900001111"})
    aid_record(data=exchange.parse_aid(
        {"ref": "AID-1", "case": other.ref, "provider": "民政", "amount": "3000", "date": "2026-10-02"},
        today=timezone.localdate(),
    ))  # fmt: skip
    left = other.person_id
    assert left != first.person_id

    # when: the case is sent again, corrected to the first person
    moved = _case(ref=other.ref, patient={"id_number": NUMBER})

    # then: the case, its aid and nobody else: the person it left is gone
    assert moved.person_id == first.person_id
    assert AidRecord.objects.get(ref="AID-1").person_id == first.person_id
    assert not Person.objects.filter(pk=left).exists()
