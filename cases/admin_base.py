"""Admin building blocks shared by the apps' admin modules."""

from __future__ import annotations

from django.contrib import admin


class EncryptedDeferredMixin:
    """Lists and pages show the stored masks; leaving the encrypted columns unloaded means they never decrypt."""

    encrypted_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*self.encrypted_fields)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the services (an audit trail, a ledger): looked at in the admin, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
