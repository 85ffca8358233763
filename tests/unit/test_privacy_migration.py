"""The migration that encrypts identity numbers and phones: existing rows, forwards and back."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cases.lib import idnumber
from cases.services.identity import id_hash, phone_hash

BEFORE, AFTER = ("cases", "0002_initial"), ("cases", "0003_privacy_encrypt_mask_rotate")
NUMBER = idnumber.make(address="110105", birth_date=dt.date(1980, 1, 2), sequence=2)
PHONE = "+86 138-1234-5678"


def migrate(target: tuple[str, str]):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def column(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [value for (value,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_rows_restores_aid_numbers_and_reverses():
    try:
        # given: rows stored in plain text before the migration
        apps = migrate(BEFORE)
        person = apps.get_model("cases", "Person").objects.create(
            name="x", birth_date=dt.date(1980, 1, 2), sex="F", province="11", id_number=NUMBER, id_hash=id_hash(NUMBER)
        )
        apps.get_model("cases", "Case").objects.create(
            ref="C1", channel="foundation_aid", source="s", submitted_at="2026-01-01T00:00:00Z", person=person,
            patient_name="x", patient_birth_date=dt.date(1980, 1, 2), patient_sex="F", patient_province="11",
            patient_id_number=NUMBER, patient_id_hash=id_hash(NUMBER), patient_phone=PHONE, insurance_basic="resident",
            request_amount=1, payload_digest="d",
        )  # fmt: skip
        apps.get_model("cases", "AidRecord").objects.create(
            ref="A1", patient_id_hash=id_hash(NUMBER), provider="p", amount=1, date=dt.date(2026, 1, 1)
        )
        # when
        apps = migrate(AFTER)
        Case, Person, AidRecord = (apps.get_model("cases", name) for name in ("Case", "Person", "AidRecord"))  # noqa: N806
        # then
        stored = [
            *column("SELECT patient_id_number FROM cases_case"),
            *column("SELECT id_number FROM cases_person"),
            *column("SELECT patient_id_number FROM cases_aidrecord"),  # filled from the person with its hash
        ]
        assert len(stored) == 3 and not [token for token in stored if NUMBER in token]
        case = Case.objects.get()
        assert (case.patient_id_number, case.patient_phone) == (NUMBER, PHONE)
        assert (case.patient_id_masked, case.patient_phone_masked) == ("1101**********002X", "138****5678")
        assert case.patient_phone_hash == phone_hash(PHONE)
        assert Person.objects.get().id_masked == case.patient_id_masked
        assert AidRecord.objects.get().patient_id_number == NUMBER
        # and back: plain text again
        migrate(BEFORE)
        assert column("SELECT patient_id_number FROM cases_case") == [NUMBER]
        assert column("SELECT patient_phone FROM cases_case") == [PHONE]
        assert column("SELECT id_number FROM cases_person") == [NUMBER]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
