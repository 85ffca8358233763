"""Admin building blocks shared by the apps' admin modules."""

from __future__ import annotations

from django.contrib import admin

from cases.lib.fields import encrypted_paths


class EncryptedDeferredMixin:
    """Lists and pages show the stored masks; leaving the encrypted columns unloaded means they never decrypt.

    The columns left out are the model's own and those of every model the list joins
    (list_select_related, which must then be a tuple: left to Django, a list that shows a related
    object joins every related table and would decrypt their numbers on every row).
    """

    list_select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*encrypted_paths(self.model, self.list_select_related))


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
