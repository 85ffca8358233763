from django.core.management.base import BaseCommand

from cases.services.roles import CASE_WORKER_PERMISSIONS, case_worker_group


class Command(BaseCommand):
    help = "Create or update the 'case workers' group with exactly the permissions case workers need."

    def handle(self, *args, **options):
        group = case_worker_group()
        count = sum(len(codenames) for codenames in CASE_WORKER_PERMISSIONS.values())
        self.stdout.write(f"group '{group.name}': {count} permissions")
