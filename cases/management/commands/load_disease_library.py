from pathlib import Path

from django.core.management.base import BaseCommand

from cases.lib import disease_library
from cases.services.library import library_load


class Command(BaseCommand):
    help = "Load or reload the disease-cost library from its versioned data file, keeping case workers' edits."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, help=f"a library CSV (default: {disease_library.DEFAULT_PATH})")
        parser.add_argument("--force", action="store_true", help="overwrite entries case workers edited")

    def handle(self, *args, path=None, force=False, **options):
        counts = library_load(path=path, force=force)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        self.stdout.write(f"disease library {disease_library.VERSION}: {summary}")
