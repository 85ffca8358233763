import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cases.services.keys import BATCH_SIZE, keys_rotate, keys_rotation_size


class Command(BaseCommand):
    help = (
        "Re-encrypt identity numbers and phones with the first of FIELD_ENCRYPTION_KEYS and recompute every "
        "keyed hash with the first of ID_HASH_KEYS; afterwards the older keys can be removed. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, batch_size, progress, **options):
        # tqdm shows the bar on a terminal only, unless --progress or --no-progress says otherwise.
        disable = None if progress is None else not progress
        with tqdm(total=keys_rotation_size(), unit="rows", desc="rotate keys", disable=disable, file=sys.stderr) as bar:
            counts = keys_rotate(batch_size=batch_size, on_rows=bar.update)
        self.stdout.write("rotated: " + (", ".join(f"{key} {n}" for key, n in sorted(counts.items())) or "no rows"))
        kept = sum(n for key, n in counts.items() if key.endswith(".without_number"))
        if kept:
            self.stderr.write(
                f"{kept} aid record(s) have a hash but no stored number: they match only while their old key is listed"
            )
