import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from matching.services.nightly import RunAlreadyInProgress, nightly_run


class Command(BaseCommand):
    help = "Run the nightly pipeline in this process: verify, resolve identities, compute need, match."

    def add_arguments(self, parser):
        parser.add_argument("--progress", action="store_true", default=None)
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, progress, **options):
        disable = None if progress is None else not progress
        bars: dict[str, tqdm] = {}

        def report(step: str, done: int, total: int) -> None:
            bar = bars.get(step)
            if bar is None:
                bar = bars[step] = tqdm(total=total, desc=step, unit="case" if step == "verify" else "step",
                                        disable=disable, file=sys.stderr)  # fmt: skip
            bar.update(done - bar.n)

        try:
            run = nightly_run(trigger="command", progress=report)
        except RunAlreadyInProgress as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(f"nightly run {run.pk}: {run.status} in {sum(run.step_timings.values()):.1f}s")
        for key, value in run.counts.items():
            self.stdout.write(f"  {key}: {value}")
