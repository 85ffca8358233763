import sys

from django.core.management.base import BaseCommand, CommandError

from cases.services.exchange import EXPORTERS, export_lines


class Command(BaseCommand):
    help = "Write result lines (case_result, proposal, award) as JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("--kinds", default=",".join(EXPORTERS), help="comma-separated: " + ", ".join(EXPORTERS))
        parser.add_argument("-o", "--output", default="-", help="file to write, '-' for standard output")

    def handle(self, *args, kinds, output, **options):
        wanted = [k.strip() for k in kinds.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in EXPORTERS]
        if unknown:
            raise CommandError(f"unknown kinds {', '.join(unknown)}; known: {', '.join(EXPORTERS)}")
        stream = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            count = 0
            for line in export_lines(kinds=wanted):
                stream.write(line + "\n")
                count += 1
        finally:
            if stream is not sys.stdout:
                stream.close()
        if output != "-":
            self.stderr.write(f"wrote {count} lines to {output}")
