"""The duplicate-aid ledger: every case, award and aid entry on its episode; the database guards the total."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from cases.errors import CaseError
from cases.models import AidRecord
from cases.services.verification import case_verify
from matching.choices import RunStatus
from matching.models import Episode, MatchRun, Proposal
from matching.services.awards import proposal_accept
from matching.services.ledger import episode_award
from matching.services.need import episode_need_for_case, need_compute_all
from tests.factories import FoundationMemberFactory, ProgramFactory, case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db

ID_NUMBER = id_number_for(dt.date(2016, 3, 4), sex="F")  # the factory's patient


def _case(**overrides):
    # Verified, so its diagnosis code is read and it can join an episode with others.
    return case_verify(case=submit(case_payload(patient__id_number=ID_NUMBER, **overrides)))


def test_cases_of_one_illness_share_one_ledger_row_and_the_aid_recorded_on_it():
    # given: leukaemia asked for twice (foundation, then crowdfunding), with aid from elsewhere
    first = _case(request__amount="200000", submitted_at="2026-10-01T10:00:00+08:00")
    second = _case(ref="C-2", channel="crowdfunding", request__amount="150000", raised="20000",
                   submitted_at="2026-10-03T10:00:00+08:00")  # fmt: skip
    aid = AidRecord.objects.create(ref="A-1", person=first.person, provider="红十字会", amount=Decimal("30000"),
                                   date=dt.date(2026, 9, 1), icd10="C91.0")  # fmt: skip

    # when
    need_compute_all()

    # then: one episode, its need the largest ask less everything received
    episode = Episode.objects.get()
    assert set(episode.cases.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert list(episode.aid_records.all()) == [aid]
    assert (episode.asked, episode.received_outside, episode.need) == (
        Decimal("200000.00"), Decimal("50000.00"), Decimal("150000.00"))  # fmt: skip
    assert episode.carrier_id == first.pk


def test_an_award_past_the_episodes_need_is_refused_by_the_database_not_only_the_code():
    # given: an episode with 50 000 of need left
    case = _case(request__amount="200000")
    AidRecord.objects.create(ref="A-1", case=case, provider="x", amount=Decimal("150000"), date=dt.date(2026, 9, 1))
    episode = episode_need_for_case(case=case)

    # when / then: the ledger takes 50 000 and refuses one cent more
    with transaction.atomic():
        episode_award(anchor_id=episode.anchor_id, amount=Decimal("50000.00"))
    with pytest.raises(CaseError, match="past its remaining need 0"), transaction.atomic():
        episode_award(anchor_id=episode.anchor_id, amount=Decimal("0.01"))
    with pytest.raises(IntegrityError, match="episode_awards_within_need"), transaction.atomic():
        Episode.objects.filter(anchor_id=episode.anchor_id).update(awarded=Decimal("50000.01"))
    assert Episode.objects.get(anchor_id=episode.anchor_id).awarded == Decimal("50000.00")


def test_aid_arriving_after_an_award_keeps_the_award_but_leaves_no_room_for_another():
    # given: an award of 100 000 on an episode asking 200 000
    case = _case(request__amount="200000")
    member = FoundationMemberFactory()
    program = ProgramFactory(foundation=member.foundation, cap_per_case=Decimal("100000"))
    run = MatchRun.objects.create(trigger="test", status=RunStatus.SUCCEEDED)
    proposal = Proposal.objects.create(run=run, case=case, program=program, amount=Decimal("100000"),
                                       priority=Decimal("1"), reason="test")  # fmt: skip
    proposal_accept(proposal_id=proposal.pk, user=member.user)
    episode = episode_need_for_case(case=case)

    # when: 150 000 of outside aid is recorded afterwards
    AidRecord.objects.create(ref="A-1", case=case, provider="x", amount=Decimal("150000"), date=dt.date(2026, 9, 1))
    need_compute_all()

    # then: the row stays valid (the award stands) and the need is nil
    ledger = Episode.objects.get(anchor_id=episode.anchor_id)
    assert ledger.award_limit == ledger.awarded and ledger.need == 0


def test_case_workers_read_the_ledger_in_the_admin_and_cannot_change_it(client, worker):
    case = _case(request__amount="200000")
    episode = Episode.objects.get(anchor_id=episode_need_for_case(case=case).anchor_id)

    page = client.get(f"/admin/matching/episode/{episode.pk}/change/")

    assert page.status_code == 200 and case.ref in page.content.decode()
    assert client.post(f"/admin/matching/episode/{episode.pk}/change/", {"awarded": "1"}).status_code == 403
