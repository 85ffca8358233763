"""Exchange round trip on synthetic data: generate, import, run the nightly pipeline, export, check.

    python -m benchmarks.roundtrip --cases 20000 [--database-url sqlite:////tmp/roundtrip.sqlite3]

Runs each command as a partner would (separate processes), prints wall time and peak memory of
each, then the outside check of every exchange invariant. A benchmark, not a test: run it on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cases.lib.synthetic import generate


def _run(label: str, args: list[str], env: dict, workdir: Path) -> None:
    """Run one command; os.wait4 gives this child's own peak memory."""
    log = workdir / f"{label}.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "manage.py", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    print(f"{label:<8} {elapsed:8.1f} s   peak {usage.ru_maxrss / 1024:6.0f} MiB   exit {code}")
    if code not in (0, 1):
        print(log.read_text()[-2000:])
        sys.exit(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tongzhou-roundtrip-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'db.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": ""}
    source, export = workdir / "in.jsonl", workdir / "out.jsonl"
    with source.open("w", encoding="utf-8") as stream:
        for obj in generate(cases=args.cases, seed=args.seed):
            stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    print(f"{args.cases} cases, database {database_url}, files in {workdir}")
    _run("migrate", ["migrate", "--verbosity", "0"], env, workdir)
    _run("import", ["import_exchange", "--no-progress", str(source)], env, workdir)
    _run("nightly", ["run_nightly", "--no-progress"], env, workdir)
    _run("export", ["export_exchange", "-o", str(export)], env, workdir)
    check = subprocess.run([sys.executable, "-m", "benchmarks.check_exchange", str(source), "--export", str(export)])
    sys.exit(check.returncode)


if __name__ == "__main__":
    main()
