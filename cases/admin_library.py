"""The disease-cost library in the admin: edited with history, imported and exported as CSV or Excel."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from import_export import resources
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from cases.models import DiseaseEntry

EDITABLE = ("key", "icd10", "name_zh", "name_en", "synonyms", "lists", "unit", "cost_low", "cost_typical",
            "cost_high", "source", "year", "confidence")  # fmt: skip


class DiseaseEntryResource(resources.ModelResource):
    """A row per entry, keyed by `key`; what a case worker imports counts as their correction."""

    class Meta:
        model = DiseaseEntry
        import_id_fields = ("key",)
        fields = EDITABLE
        export_order = EDITABLE
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def before_save_instance(self, instance, row, **kwargs):
        instance.edited_at = timezone.now()


@admin.register(DiseaseEntry)
class DiseaseEntryAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [DiseaseEntryResource]
    formats = [CSV, XLSX]
    list_display = ("key", "name_zh", "icd10", "unit", "cost_low", "cost_typical", "cost_high", "confidence",
                    "edited_at")  # fmt: skip
    list_filter = ("confidence", "unit", ("edited_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "name_zh", "name_en", "synonyms", "icd10")
    readonly_fields = ("library_version", "edited_at")

    def save_model(self, request, obj, form, change):
        obj.edited_at = timezone.now()  # a reload of the file keeps this correction
        super().save_model(request, obj, form, change)
