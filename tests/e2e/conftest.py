"""End-to-end fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

The browser is never downloaded: if /usr/bin/chromium is missing the tests fail, they do not skip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around
    # it (setting up data, checking rows) are still plain synchronous calls. Set only while e2e
    # tests run: the variable must not leak into processes other tests start.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from matching.models import Program, Proposal

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-for-tests-only"
# Long enough for a slow CI machine, short enough that a broken selector fails the group quickly.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Open independent browser sessions (separate cookies), closed after the test."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        # English, so the messages the tests read do not depend on the machine's locale.
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


@pytest.fixture
def log_in(live_server) -> Callable[[Page, User], None]:
    """Log a user in through the portal's login form, as a person would."""

    def log_in_as(page: Page, user: User) -> None:
        page.goto(f"{live_server.url}/portal/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/portal/")

    return log_in_as


@dataclass(frozen=True)
class Portal:
    """Two foundations, each with one program that has one open proposal from a nightly run."""

    user: User
    colleague: User  # a second member of the same foundation
    program: Program
    proposal: Proposal
    id_number: str  # the patient's full identity number, which the portal must never show
    other_program: Program
    other_proposal: Proposal


@pytest.fixture
def portal(transactional_db) -> Portal:
    from cases.services.verification import case_queryset_for_verification, case_verify
    from matching.choices import ProposalStatus
    from matching.models import Proposal
    from matching.services.nightly import nightly_run
    from tests.factories import (
        FoundationMemberFactory,
        ProgramFactory,
        UserFactory,
        case_payload,
        id_number_for,
        submit,
    )

    member = FoundationMemberFactory(user=UserFactory(username="staff-a"))
    colleague = FoundationMemberFactory(user=UserFactory(username="staff-a2"), foundation=member.foundation)
    other = FoundationMemberFactory(user=UserFactory(username="staff-b"))
    # Leukaemia for the first foundation, breast cancer for the other, so each gets its own case.
    program = ProgramFactory(foundation=member.foundation, name="白血病儿童救助", icd10=["C91-C95"])
    other_program = ProgramFactory(foundation=other.foundation, name="乳腺癌救助", icd10=["C50"])

    id_number = id_number_for(dt.date(2016, 3, 4), sex="F")
    leukaemia = submit(case_payload(patient__id_number=id_number))
    breast_cancer = submit(
        case_payload(
            patient={
                "name": "李秀英",
                "birth_date": "1975-06-01",
                "sex": "F",
                "province": "41",
                "id_number": id_number_for(dt.date(1975, 6, 1), sex="F", n=7),
            },
            diagnosis={"text": "乳腺癌", "icd10": "C50.9", "diagnosed_on": "2026-08-15"},
        )  # fmt: skip
    )
    for case in case_queryset_for_verification().filter(pk__in=[leukaemia.pk, breast_cancer.pk]):
        case_verify(case=case)
    nightly_run(trigger="test")

    open_proposals = Proposal.objects.filter(status=ProposalStatus.OPEN)
    return Portal(
        user=member.user,
        colleague=colleague.user,
        program=program,
        proposal=open_proposals.get(program=program, case=leukaemia),
        id_number=id_number,
        other_program=other_program,
        other_proposal=open_proposals.get(program=other_program, case=breast_cancer),
    )
