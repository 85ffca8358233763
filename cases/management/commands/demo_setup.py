import sys
import unicodedata

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cases.services.demo import demo_logins, sample_data_load


class Command(BaseCommand):
    help = "Load the sample foundations, programs and cases (synthetic), and create demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, cases, seed, **options):
        with tqdm(desc="sample data", unit="B", unit_scale=True, file=sys.stderr) as bar:
            report = sample_data_load(cases=cases, seed=seed, on_line=bar.update)
        self.stdout.write("sample data: " + ", ".join(f"{k} {n}" for k, n in sorted(report.counts.items())))
        for rejection in report.rejections[:20]:
            self.stderr.write(f"sample data {rejection}")
        self.stdout.write("\nLogins (passwords are new on every run):")
        for role, username, secret in demo_logins():
            self.stdout.write(f"  {_padded(role, 55)} {username:<20} {secret}")


def _padded(text: str, width: int) -> str:
    """The text padded to a terminal width: a Chinese character takes two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)
