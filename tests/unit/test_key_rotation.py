"""Rotating the hash and encryption keys: rows made under the old keys still match during the
rotation, and after rotate_keys everything is under the new keys and matches with them alone."""

import datetime as dt
import hashlib
import hmac
import io
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from cases.choices import Flag
from cases.lib.exchange import AidInput, BlacklistInput
from cases.models import AidRecord, BlacklistEntry, Case, CrowdfundingCampaign, Person
from cases.services.intake import aid_link_persons, aid_record, blacklist_add
from cases.services.verification import case_queryset_for_verification, case_verify
from tests.factories import case_payload, id_number_for, submit

pytestmark = pytest.mark.django_db
HASH_A, HASH_B = "hash-key-a", "hash-key-b"
FERNET_A, FERNET_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
PATIENT = id_number_for(dt.date(2016, 3, 4), sex="F")
OTHER = id_number_for(dt.date(1970, 5, 6), sex="M", n=3)
RAISER = id_number_for(dt.date(1985, 1, 1), sex="M", n=7)
PHONE = "13812345678"


def keys(hash_keys, fernet_keys):
    return override_settings(ID_HASH_KEYS=hash_keys, FIELD_ENCRYPTION_KEYS=fernet_keys)


def hashed(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def verified_crowdfunding(number: str, **overrides) -> Case:
    raiser = {"name": "骗子", "relation": "other", "id_number": RAISER}
    case = submit(case_payload(channel="crowdfunding", patient__id_number=number, patient__phone=PHONE,
                               raiser=raiser, **overrides))  # fmt: skip
    return case_verify(case=case_queryset_for_verification().get(pk=case.pk))


def blacklisted(case: Case) -> bool:
    return case.flags.filter(code=Flag.BLACKLISTED).exists()


def admin_search(admin_client, number: str) -> str:
    return admin_client.get("/admin/cases/case/", {"q": number}).content.decode()


def raw_tokens() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT patient_id_number FROM cases_case UNION ALL SELECT id_number FROM cases_person "
                       "UNION ALL SELECT raiser_id_number FROM cases_crowdfundingcampaign "
                       "UNION ALL SELECT id_number FROM cases_blacklistentry "
                       "UNION ALL SELECT patient_id_number FROM cases_aidrecord")  # fmt: skip
        return [token for (token,) in cursor.fetchall() if token]


def rotate() -> str:
    out = io.StringIO()
    call_command("rotate_keys", "--no-progress", "--batch-size", "2", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_rows_under_an_old_key_match_during_a_rotation_and_rotate_keys_moves_them_to_the_new_one(admin_client):
    # given: data under key A, aid recorded for a patient no case names yet
    with keys([HASH_A], [FERNET_A]):
        blacklist_add(data=BlacklistInput(id_number=RAISER, name="骗子", reason="虚构病情"))
        aid_record(data=AidInput(ref="A1", case=None, patient_id_number=OTHER, provider="民政",
                                 amount=Decimal("5000"), date=dt.date(2026, 9, 1), icd10=""))  # fmt: skip
        first = verified_crowdfunding(PATIENT)
        assert blacklisted(first)
        person = first.person

    # when: the new keys come first, the old ones still listed
    with keys([HASH_B, HASH_A], [FERNET_B, FERNET_A]):
        # then: everything stored under A is still read and found
        second = verified_crowdfunding(PATIENT)
        assert second.person == person and blacklisted(second)
        assert first.ref in admin_search(admin_client, PATIENT) and second.ref in admin_search(admin_client, PATIENT)
        newcomer = submit(case_payload(patient__id_number=OTHER, patient__birth_date="1970-05-06", patient__sex="M"))
        assert aid_link_persons() == 1
        assert AidRecord.objects.get().person == newcomer.person
        with pytest.raises(InvalidToken):
            for token in raw_tokens():
                Fernet(FERNET_B).decrypt(token.encode())
        # when: the rotation runs
        report = rotate()
    # Rows made during the rotation were already under B: only those from before are rehashed.
    for counted in ("case.rows 3", "case.rehashed 1", "person.rows 2", "person.rehashed 1", "blacklistentry.rehashed 1",
                    "crowdfundingcampaign.rehashed 1", "aidrecord.rehashed 1"):  # fmt: skip
        assert counted in report

    # then: with the new keys alone, every value reads and every lookup finds
    with keys([HASH_B], [FERNET_B]):
        assert all(Fernet(FERNET_B).decrypt(token.encode()) for token in raw_tokens())
        assert Person.objects.get(pk=person.pk).id_hash == hashed(HASH_B, PATIENT)
        assert {c.patient_id_hash for c in Case.objects.filter(person=person)} == {hashed(HASH_B, PATIENT)}
        assert {c.patient_phone_hash for c in Case.objects.filter(person=person)} == {hashed(HASH_B, PHONE)}
        assert set(CrowdfundingCampaign.objects.values_list("raiser_id_hash", flat=True)) == {hashed(HASH_B, RAISER)}
        assert BlacklistEntry.objects.get().id_hash == hashed(HASH_B, RAISER)
        assert AidRecord.objects.get().patient_id_hash == hashed(HASH_B, OTHER)
        third = verified_crowdfunding(PATIENT)
        assert third.person == person and blacklisted(third)
        assert all(ref in admin_search(admin_client, PATIENT) for ref in (first.ref, second.ref, third.ref))
        assert Case.objects.get(pk=first.pk).patient_phone == PHONE
        # Running it again changes no hash.
        assert ".rehashed" not in rotate()


def test_an_aid_record_kept_without_its_number_is_reported_and_keeps_its_hash():
    with keys([HASH_A], [FERNET_A]):
        AidRecord.objects.create(ref="OLD", patient_id_hash=hashed(HASH_A, OTHER), provider="民政",
                                 amount=Decimal("100"), date=dt.date(2026, 1, 1))  # fmt: skip
    with keys([HASH_B, HASH_A], [FERNET_B, FERNET_A]):
        out, err = io.StringIO(), io.StringIO()
        call_command("rotate_keys", "--no-progress", stdout=out, stderr=err)
    assert "aidrecord.without_number 1" in out.getvalue() and "no stored number" in err.getvalue()
    assert AidRecord.objects.get().patient_id_hash == hashed(HASH_A, OTHER)
