from celery import shared_task

from cases.services.verification import case_queryset_for_verification, case_verify, cases_verify_chunked


@shared_task(acks_late=True)
def verify_case(case_id: int) -> str:
    """Verify one case after intake. Re-running it only replaces the same results."""
    case = case_queryset_for_verification().filter(pk=case_id).first()
    if case is None:
        return "gone"
    return case_verify(case=case, actor_label="system:intake").status


@shared_task(acks_late=True)
def verify_cases(case_ids: list[int]) -> int:
    """Verify the cases of an import batch after it committed, a chunk per transaction."""
    verified, _failed = cases_verify_chunked(case_ids, actor_label="system:intake")
    return verified
