from celery import shared_task

from cases.services.verification import case_queryset_for_verification, case_verify, cases_verify

# Cases verified together, in one transaction: their results, flags and statuses are written in a
# few bulk queries.
VERIFY_CHUNK = 200


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
    done = 0
    for start in range(0, len(case_ids), VERIFY_CHUNK):
        cases = list(case_queryset_for_verification().filter(pk__in=case_ids[start : start + VERIFY_CHUNK]))
        cases_verify(cases=cases, actor_label="system:intake")
        done += len(cases)
    return done
