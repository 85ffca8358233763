"""The disease-cost library in the database: loaded from its file, corrected and exchanged in the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
import tablib
from django.core.management import call_command

from cases.admin_library import DiseaseEntryResource
from cases.lib import disease_library
from cases.models import DiseaseEntry
from cases.services.library import library_load

pytestmark = pytest.mark.django_db


def test_the_library_loads_once_and_a_reload_changes_nothing(capsys):
    call_command("load_disease_library")
    assert DiseaseEntry.objects.count() == len(disease_library.load())
    assert f"created {DiseaseEntry.objects.count()}" in capsys.readouterr().out

    counts = library_load()

    assert counts["unchanged"] == DiseaseEntry.objects.count() and not counts["updated"]


def test_a_reload_keeps_a_case_workers_correction_unless_forced(client, worker):
    library_load()
    entry = DiseaseEntry.objects.get(key="lung_cancer")
    form = {f: getattr(entry, f) for f in ("key", "icd10", "name_zh", "name_en", "synonyms", "lists", "unit",
                                             "cost_low", "cost_typical", "source", "year", "confidence")}  # fmt: skip
    form["cost_high"] = "600000"
    response = client.post(f"/admin/cases/diseaseentry/{entry.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]

    assert library_load()["kept_case_worker_edit"] == 1
    entry.refresh_from_db()
    assert entry.cost_high == Decimal("600000") and entry.edited_at is not None
    assert entry.history.count() == 2 and entry.history.first().history_user == worker

    library_load(force=True)
    entry.refresh_from_db()
    assert entry.cost_high != Decimal("600000") and entry.edited_at is None


def test_an_entry_with_an_unknown_code_is_refused_with_the_reason(client, worker):
    library_load()
    entry = DiseaseEntry.objects.get(key="lung_cancer")
    form = {f: getattr(entry, f) for f in ("key", "name_zh", "name_en", "synonyms", "lists", "unit", "cost_low",
                                             "cost_typical", "cost_high", "source", "year", "confidence")}  # fmt: skip
    page = client.post(f"/admin/cases/diseaseentry/{entry.pk}/change/", {**form, "icd10": "C34|X99.9"})
    assert page.status_code == 200 and "X99.9" in page.content.decode()
    assert DiseaseEntry.objects.get(pk=entry.pk).icd10 == entry.icd10


def test_the_library_exports_as_csv_and_excel_and_a_corrected_file_imports_back_as_an_edit(client, worker):
    library_load()
    resource = DiseaseEntryResource()
    exported = resource.export()
    assert exported.headers[:3] == ["key", "icd10", "name_zh"] and len(exported) == DiseaseEntry.objects.count()
    assert exported.xlsx[:2] == b"PK"  # an Excel workbook

    # when: a case worker corrects one row in the file and imports it
    row = exported.dict[[r["key"] for r in exported.dict].index("lung_cancer")]
    row["cost_high"] = "700000"
    corrected = tablib.Dataset(headers=exported.headers)
    corrected.append([row[h] for h in exported.headers])
    result = resource.import_data(corrected, dry_run=False)

    # then: that entry changed, is marked as a case worker's edit, and keeps its history
    assert not result.has_errors() and not result.has_validation_errors()
    entry = DiseaseEntry.objects.get(key="lung_cancer")
    assert entry.cost_high == Decimal("700000") and entry.edited_at is not None and entry.history.count() == 2
    for page in ("/admin/cases/diseaseentry/export/", "/admin/cases/diseaseentry/import/"):
        assert client.get(page).status_code == 200


def test_an_imported_row_with_an_unknown_code_is_reported_and_changes_nothing():
    library_load()
    resource = DiseaseEntryResource()
    exported = resource.export()
    row = exported.dict[0]
    row["icd10"] = "X99.9"
    bad = tablib.Dataset(headers=exported.headers)
    bad.append([row[h] for h in exported.headers])

    result = resource.import_data(bad, dry_run=False)

    assert result.has_validation_errors()
    assert "X99.9" in str(result.invalid_rows[0].error_dict)
    assert DiseaseEntry.objects.get(key=row["key"]).icd10 != "X99.9"


def test_only_who_may_change_the_library_may_import_into_it(client):
    from cases.services.roles import payout_reviewer_group
    from tests.factories import UserFactory

    library_load()
    reviewer = UserFactory(is_staff=True)  # staff, but no permission on the library
    reviewer.groups.add(payout_reviewer_group())
    client.force_login(reviewer)
    for page in ("/admin/cases/diseaseentry/import/", "/admin/cases/diseaseentry/export/"):
        assert client.get(page).status_code == 403, page
