from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from cases.errors import CaseError
from cases.services.verification import case_queryset_for_verification, case_verify
from matching.models import Award, MatchRun, Program, Proposal
from matching.services.awards import proposal_accept, proposal_decline
from matching.services.need import need_compute_all
from tests.factories import FoundationMemberFactory, ProgramFactory, UserFactory, case_payload, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return FoundationMemberFactory()


def open_proposal(program: Program, amount="30000", **case_overrides) -> Proposal:
    case = submit(case_payload(**case_overrides))
    case_verify(case=case_queryset_for_verification().get(pk=case.pk))
    need_compute_all()
    run = MatchRun.objects.create(trigger="test", status="succeeded")
    return Proposal.objects.create(
        run=run, case=case, program=program, amount=Decimal(amount), priority=1, reason="test"
    )


def test_accepting_makes_an_award_and_uses_budget(member):
    program = ProgramFactory(foundation=member.foundation, budget=Decimal("100000"))
    proposal = open_proposal(program)
    award = proposal_accept(proposal_id=proposal.pk, user=member.user)
    program.refresh_from_db()
    proposal.refresh_from_db()
    assert (award.amount, program.awarded_total, proposal.status) == (Decimal("30000"), Decimal("30000"), "accepted")
    assert proposal.case.events.filter(code="match.accepted", actor=member.user).exists()


def test_an_accept_past_the_budget_is_refused(member):
    program = ProgramFactory(foundation=member.foundation, budget=Decimal("40000"))
    first, second = open_proposal(program), open_proposal(program)
    proposal_accept(proposal_id=first.pk, user=member.user)
    with pytest.raises(CaseError, match="remaining budget 10000"):
        proposal_accept(proposal_id=second.pk, user=member.user)
    assert Award.objects.count() == 1


def test_an_accept_past_the_episodes_need_is_refused(member):
    program = ProgramFactory(foundation=member.foundation)
    proposal = open_proposal(program, amount="30000", request__amount="20000")
    with pytest.raises(CaseError, match="remaining need 20000"):
        proposal_accept(proposal_id=proposal.pk, user=member.user)


def test_the_database_refuses_a_second_award_and_overspending(member):
    program = ProgramFactory(foundation=member.foundation, budget=Decimal("100000"))
    proposal = open_proposal(program)
    proposal_accept(proposal_id=proposal.pk, user=member.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(case=proposal.case, program=program, amount=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(awarded_total=Decimal("100000.01"))


def test_declining_needs_a_reason_and_another_foundation_cannot_decide(member):
    proposal = open_proposal(ProgramFactory(foundation=member.foundation))
    with pytest.raises(CaseError, match="needs a reason"):
        proposal_decline(proposal_id=proposal.pk, user=member.user, reason="  ")
    with pytest.raises(Proposal.DoesNotExist):
        proposal_accept(proposal_id=proposal.pk, user=FoundationMemberFactory().user)
    with pytest.raises(Proposal.DoesNotExist):  # case workers review; they do not pay
        proposal_accept(proposal_id=proposal.pk, user=UserFactory(is_staff=True, is_superuser=True))
    proposal_decline(proposal_id=proposal.pk, user=member.user, reason="超出本项目地域范围")
    with pytest.raises(CaseError, match="declined, not open"):
        proposal_accept(proposal_id=proposal.pk, user=member.user)


def test_the_portal_shows_only_the_foundations_own_objects(client, member):
    own = open_proposal(ProgramFactory(foundation=member.foundation))
    other = open_proposal(ProgramFactory())
    client.force_login(member.user)
    home = client.get("/portal/").content.decode()
    assert own.program.name in home and other.program.name not in home
    assert client.get(f"/portal/programs/{other.program.ref}/").status_code == 404
    assert client.get(f"/portal/proposals/{other.pk}/").status_code == 404
    assert client.post(f"/portal/proposals/{other.pk}/accept/").status_code == 404
    own.case.flags.create(code="identity_mismatch", reason="birth date 2016-03-04 but the number says 2016-03-05")
    page = client.get(f"/portal/proposals/{own.pk}/").content.decode()
    assert own.case.masked_id_number in page or not own.case.patient_id_number
    assert "Identity number disagrees" in page and "2016-03-05" not in page  # the flag, not its reason


def test_a_user_outside_any_foundation_is_forbidden(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-long-password-1"))
    assert client.get("/portal/").status_code == 403


def test_a_case_rejected_or_changed_since_its_proposal_cannot_be_awarded(member):
    from cases.services.verification import case_reject

    program = ProgramFactory(foundation=member.foundation)
    changed, rejected = open_proposal(program), open_proposal(program)
    submit(case_payload(ref=changed.case.ref, request__amount="250000"))  # resubmitted: pending again
    case_reject(case=rejected.case, user=member.user, reason="材料伪造")
    # Both proposals were withdrawn when their case changed; the status check stands behind that.
    for proposal in (changed, rejected):
        with pytest.raises(CaseError, match="is superseded, not open"):
            proposal_accept(proposal_id=proposal.pk, user=member.user)
    Proposal.objects.filter(pk__in=[changed.pk, rejected.pk]).update(status="open")
    for proposal in (changed, rejected):
        with pytest.raises(CaseError, match="cannot be awarded now"):
            proposal_accept(proposal_id=proposal.pk, user=member.user)
    assert not Award.objects.exists()


def test_an_award_cannot_exceed_the_cap_or_conditions_the_program_has_now(member):
    program = ProgramFactory(foundation=member.foundation)
    proposal = open_proposal(program, amount="40000")
    Program.objects.filter(pk=program.pk).update(cap_per_case=Decimal("10000"))
    with pytest.raises(CaseError, match="cap per case 10000"):
        proposal_accept(proposal_id=proposal.pk, user=member.user)
    Program.objects.filter(pk=program.pk).update(cap_per_case=Decimal("50000"), provinces=["11"])
    with pytest.raises(CaseError, match="no longer meets program .*province 41 is not among 11"):
        proposal_accept(proposal_id=proposal.pk, user=member.user)
