"""What foundation staff rely on in the portal, driven through a real browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from cases.models import AccessLog
from matching.choices import ProposalStatus
from matching.models import Award, Program, Proposal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def money(text: str) -> Decimal:
    return Decimal(text.strip().replace(",", ""))


def budget_used(page: Page, base_url: str, program: Program) -> Decimal:
    page.goto(f"{base_url}/portal/")
    return money(page.locator(f'tr[data-program="{program.ref}"] .budget-used').inner_text())


def open_proposal(page: Page, base_url: str, proposal: Proposal) -> None:
    page.goto(f"{base_url}/portal/proposals/{proposal.pk}/")
    expect(page.locator(".proposal-status")).to_have_text("Open")


def test_a_foundation_user_sees_their_programs_and_not_another_foundations(page, live_server, log_in, portal):
    # given a member of the first foundation

    # when they log in through the form
    log_in(page, portal.user)

    # then their program is listed with its budget used, the other foundation's is not
    row = page.locator(f'tr[data-program="{portal.program.ref}"]')
    expect(row).to_contain_text(portal.program.name)
    expect(row.locator(".budget-used")).to_have_text("0.00")
    expect(row).to_contain_text(f"/ {portal.program.budget}")
    expect(row.locator(".open-count")).to_have_text("1")
    expect(page.locator(f'tr[data-program="{portal.other_program.ref}"]')).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(portal.other_program.name)


def test_another_foundations_program_and_proposal_answer_404(page, live_server, log_in, portal):
    # given a logged-in member of the first foundation
    log_in(page, portal.user)

    # when they open the other foundation's program and proposal by URL
    program_response = page.goto(f"{live_server.url}/portal/programs/{portal.other_program.ref}/")
    proposal_response = page.goto(f"{live_server.url}/portal/proposals/{portal.other_proposal.pk}/")
    # and post an accept for that proposal with a valid session and CSRF token
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    accept_response = page.request.post(
        f"{live_server.url}/portal/proposals/{portal.other_proposal.pk}/accept/",
        form={"csrfmiddlewaretoken": csrf},
        headers={"X-CSRFToken": csrf, "Referer": f"{live_server.url}/portal/"},
    )

    # then every one answers 404 and nothing is decided
    assert program_response.status == 404
    assert proposal_response.status == 404
    assert accept_response.status == 404
    assert not Award.objects.exists()
    assert Proposal.objects.get(pk=portal.other_proposal.pk).status == ProposalStatus.OPEN


def test_the_identity_number_is_shown_only_masked(page, live_server, log_in, portal):
    # given a logged-in member and a case whose patient gave an identity number
    log_in(page, portal.user)
    masked = portal.id_number[:4] + "*" * 10 + portal.id_number[-4:]

    # when they open the program's list and then the proposal
    page.goto(f"{live_server.url}/portal/programs/{portal.program.ref}/")
    program_html = page.content()
    page.get_by_role("link", name=portal.proposal.case.ref).click()
    expect(page.locator(".proposal-status")).to_have_text("Open")
    proposal_html = page.content()

    # then both pages show the number masked, and neither holds it (or the full name) anywhere
    for html in (program_html, proposal_html):
        assert masked in html
        assert portal.id_number not in html
        assert portal.proposal.case.patient_name not in html
    # and the look at the personal data is logged
    assert AccessLog.objects.filter(case=portal.proposal.case, user=portal.user, where="portal").count() == 1


def test_accepting_an_open_proposal_makes_an_award_and_uses_budget(page, live_server, log_in, portal):
    # given a logged-in member looking at an open proposal
    log_in(page, portal.user)
    used_before = budget_used(page, live_server.url, portal.program)
    page.goto(f"{live_server.url}/portal/programs/{portal.program.ref}/")
    page.screenshot(path="/tmp/e2e-program.png", full_page=True)
    open_proposal(page, live_server.url, portal.proposal)
    amount = money(page.locator(".proposed-amount").inner_text())
    page.screenshot(path="/tmp/e2e-proposal.png", full_page=True)

    # when they accept it for the proposed amount
    page.get_by_role("button", name="Accept").click()

    # then they are told, the proposal left the open list and an award exists
    expect(page.locator(".messages .success")).to_have_text(f"Accepted: {amount} for case {portal.proposal.case.ref}.")
    expect(page.get_by_role("link", name=portal.proposal.case.ref)).to_have_count(0)
    award = Award.objects.get(proposal=portal.proposal)
    assert (award.amount, award.program_id, award.created_by_id) == (amount, portal.program.pk, portal.user.pk)
    assert Proposal.objects.get(pk=portal.proposal.pk).status == ProposalStatus.ACCEPTED
    # and the proposal page no longer offers a decision
    page.goto(f"{live_server.url}/portal/proposals/{portal.proposal.pk}/")
    expect(page.locator(".proposal-status")).to_have_text("Accepted")
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    # and the home page counts the amount as budget used
    assert budget_used(page, live_server.url, portal.program) == used_before + amount


def test_declining_without_a_reason_is_refused(page, live_server, log_in, portal):
    # given a logged-in member looking at an open proposal
    log_in(page, portal.user)
    open_proposal(page, live_server.url, portal.proposal)

    # when they decline with an empty reason, the browser holds the form back
    page.get_by_role("button", name="Decline").click()
    assert page.locator("#id_reason").evaluate("el => el.validity.valueMissing")
    # and when the reason is only blanks, the server refuses it
    page.fill("#id_reason", "   ")
    page.get_by_role("button", name="Decline").click()

    # then the error shows by the reason field on the still-open proposal, and nothing was recorded
    expect(page.locator("form .errorlist")).to_contain_text("required")
    expect(page.locator(".proposal-status")).to_have_text("Open")
    proposal = Proposal.objects.get(pk=portal.proposal.pk)
    assert (proposal.status, proposal.decision_reason, proposal.decided_by) == (ProposalStatus.OPEN, "", None)


def test_declining_with_a_reason_records_it(page, live_server, log_in, portal):
    # given a logged-in member looking at an open proposal
    log_in(page, portal.user)
    open_proposal(page, live_server.url, portal.proposal)

    # when they decline it with a reason
    page.fill("#id_reason", "已获得其他基金会全额资助")
    page.get_by_role("button", name="Decline").click()

    # then they are told, and the decision and its reason are recorded
    expect(page.locator(".messages .success")).to_have_text("Declined.")
    proposal = Proposal.objects.get(pk=portal.proposal.pk)
    assert proposal.status == ProposalStatus.DECLINED
    assert proposal.decision_reason == "已获得其他基金会全额资助"
    assert proposal.decided_by_id == portal.user.pk
    assert not Award.objects.exists()


def test_a_second_accept_of_the_same_proposal_is_refused(new_context, live_server, log_in, portal):
    # given two colleagues who both opened the same open proposal
    first, second = new_context().new_page(), new_context().new_page()
    log_in(first, portal.user)
    log_in(second, portal.colleague)
    open_proposal(first, live_server.url, portal.proposal)
    open_proposal(second, live_server.url, portal.proposal)
    first.get_by_role("button", name="Accept").click()
    expect(first.locator(".messages .success")).to_be_visible()

    # when the second submits the accept form they loaded before
    second.get_by_role("button", name="Accept").click()

    # then they see an error, and there is still exactly one award counted once
    expect(second.locator(".messages .error")).to_be_visible()
    expect(second.locator(".proposal-status")).to_have_text("Accepted")
    assert Award.objects.filter(proposal__case=portal.proposal.case, program=portal.program).count() == 1
    award = Award.objects.get()
    assert award.created_by_id == portal.user.pk
    assert Program.objects.get(pk=portal.program.pk).awarded_total == award.amount
