import logging

from celery import shared_task

from matching.services.nightly import RunAlreadyInProgress
from matching.services.nightly import nightly_run as nightly_run_service

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def nightly_run(trigger: str = "beat") -> int | None:
    """The 02:00 pipeline. A second delivery while a run is going finds it and stops."""
    try:
        return nightly_run_service(trigger=trigger).pk
    except RunAlreadyInProgress:
        logger.warning("nightly run skipped: another run is in progress")
        return None
