import os, pytest
from tests.e2e.test_portal import *  # noqa
from tests.e2e import test_portal as tp

MUT = os.environ.get("MUT")

@pytest.fixture(autouse=True)
def mutate(monkeypatch):
    from cases.models import Case
    from matching.portal import views
    from matching.models import Program, Proposal
    if MUT == "mask":
        monkeypatch.setattr(Case, "masked_id_number", property(lambda self: self.patient_id_number))
    if MUT == "scope":
        monkeypatch.setattr(views, "program_list_for_foundation", lambda foundation: Program.objects.all())
        monkeypatch.setattr(views, "proposal_list_for_foundation", lambda foundation: Proposal.objects.select_related("case", "program", "run"))
    if MUT == "status":
        from matching.services import awards
        orig = awards._proposal_for_decision
        def no_status_check(*, proposal_id, user):
            from matching.choices import ProposalStatus
            p = Proposal.objects.select_for_update().select_related("case", "program").get(pk=proposal_id)
            return p
        monkeypatch.setattr(awards, "_proposal_for_decision", no_status_check)
    if MUT == "budget":
        monkeypatch.setattr(Program, "remaining_budget", property(lambda self: self.budget))
