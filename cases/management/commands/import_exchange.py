import os
import sys
from collections.abc import Iterator
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cases.services.exchange import ImportReport, Rejection, import_lines


def _decoded(stream: BinaryIO, report: ImportReport) -> Iterator[str]:
    """Lines as text; a line that is not UTF-8 is rejected on its own, the rest go on."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            report.rejections.append(Rejection(number, None, f"not UTF-8: {exc.reason} at byte {exc.start}"))
            report.counts["invalid.rejected"] += 1
            yield ""


class Command(BaseCommand):
    help = "Import exchange-format JSON Lines (shared/exchange-format.md). '-' reads standard input."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")
        parser.add_argument("--no-progress", dest="progress", action="store_false")

    def handle(self, *args, paths, progress, **options):
        total = ImportReport()
        read_any = False
        unreadable = 0
        for path in paths:
            try:
                stream = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
            except OSError as exc:
                self.stderr.write(f"{path}: cannot read: {exc.strerror}")
                unreadable += 1
                continue
            read_any = True
            size = None if path == "-" else os.fstat(stream.fileno()).st_size
            label = "stdin" if path == "-" else os.path.basename(path)
            # tqdm shows the bar on a terminal only, unless --progress or --no-progress says otherwise.
            disable = None if progress is None else not progress
            report = ImportReport()
            with (
                stream,
                tqdm(total=size, unit="B", unit_scale=True, desc=label, disable=disable, file=sys.stderr) as bar,
            ):
                import_lines(_decoded(stream, report), report=report, on_line=bar.update)
            report.rejections.sort(key=lambda r: r.line)
            for rejection in report.rejections:
                self.stderr.write(f"{path}: {rejection}")
            total.counts.update(report.counts)
            total.rejections.extend(report.rejections)
        if not read_any:
            raise CommandError("nothing could be read", returncode=2)
        summary = ", ".join(f"{key} {n}" for key, n in sorted(total.counts.items())) or "no lines"
        self.stdout.write(f"imported: {summary}")
        if total.rejections or unreadable:
            self.stdout.write(
                f"{len(total.rejections)} line(s) rejected, {unreadable} file(s) unreadable, {total.accepted} stored"
            )
            sys.exit(1)
