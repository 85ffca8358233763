"""The integration group: the real PostgreSQL, Redis and a real Celery worker process.

Nothing here is skipped when a service is missing: a run without them fails, loudly, so CI can
never pass this group by accident on SQLite or with eager tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, connections

BASE_DIR = Path(settings.BASE_DIR)
WORKER_READY_TIMEOUT = 60  # seconds: a cold worker imports Django and every app


@pytest.fixture(scope="session")
def real_services(django_db_setup, django_db_blocker) -> None:
    """Fail the session unless the database is PostgreSQL and the Celery broker is a live Redis."""
    engine = settings.DATABASES["default"]["ENGINE"]
    assert engine == "django.db.backends.postgresql", (
        f"the integration group needs PostgreSQL (DATABASE_URL=postgres://...), not {engine}"
    )
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert connection.vendor == "postgresql"
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://"), f"the integration group needs CELERY_BROKER_URL=redis://..., not {broker!r}"
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "tasks must go through the broker, not run in-process"
    assert redis.Redis.from_url(broker, socket_connect_timeout=3, socket_timeout=3).ping(), "Redis did not answer PING"


@pytest.fixture(autouse=True)
def _require_real_services(real_services) -> None:
    """Every integration test needs the real services, whether or not it uses the worker."""


def _test_database_url() -> str:
    """DATABASE_URL with its database swapped for pytest-django's test database."""
    test_name = settings.DATABASES["default"]["NAME"]
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{test_name}"))


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    hostname: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, worker: WorkerProcess | None = None,
              interval: float = 0.25) -> Any:  # fmt: skip
    """Poll until predicate() is truthy and return it; fail with the worker's log when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the Celery worker exited ({worker.process.returncode}) while waiting for {what}:\n"
                        f"{worker.log_tail()}")  # fmt: skip
        time.sleep(interval)
    log = f"\nworker log:\n{worker.log_tail()}" if worker is not None else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}{log}")


@pytest.fixture(scope="session")
def celery_worker(real_services, django_db_setup, tmp_path_factory) -> Iterator[WorkerProcess]:
    """A real `celery worker` process on the test database and the test broker, one task at a time."""
    from config.celery import app

    # Tasks left over from an earlier, interrupted session would run against this session's data.
    app.control.purge()
    hostname = f"integration-{os.getpid()}@localhost"
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=solo", "--concurrency=1", "-Q", "celery", "--loglevel=INFO",
        "-n", hostname, "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = WorkerProcess(process=process, hostname=hostname, log_path=log_path)
    try:
        wait_for(
            lambda: any(worker.hostname in reply for reply in app.control.ping(timeout=0.5)),
            timeout=WORKER_READY_TIMEOUT,
            what="the Celery worker to answer ping",
            worker=worker,
            interval=0,
        )
        yield worker
    finally:
        # Warm shutdown finishes the task in hand; the worker must be gone before the test
        # database is dropped, or PostgreSQL refuses to drop a database still in use.
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_together(calls: list[Callable[[], Any]], *, timeout: float = 60) -> list[tuple[str, Any]]:
    """Run each call in its own thread, released at once by a barrier.

    Each thread has its own database connection (Django's are per thread) and closes it at the
    end. Returns ("ok", value) or ("error", exception) per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("error", RuntimeError("thread did not finish"))] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "some threads never finished (a lock held forever?)"
    return outcomes
