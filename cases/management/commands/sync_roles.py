from django.core.management.base import BaseCommand

from cases.services.roles import ROLES, role_group


class Command(BaseCommand):
    help = "Create or update each role's group ('case workers', 'payout reviewers') with exactly its permissions."

    def handle(self, *args, **options):
        for name, permissions in ROLES.items():
            group = role_group(name)
            count = sum(len(codenames) for codenames in permissions.values())
            self.stdout.write(f"group '{group.name}': {count} permissions")
