import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import AidRecord, Case, CaseEvent
from matching.choices import UsccStatus
from matching.models import Foundation, Program
from tests.factories import case_payload, id_number_for

pytestmark = pytest.mark.django_db

FOUNDATION = {"kind": "foundation", "ref": "F1", "name": "中国癌症基金会", "uscc": "91350100M000100Y43"}
PROGRAM = {
    "kind": "program", "ref": "P1", "foundation": "F1", "channel": "foundation_aid", "name": "白血病救助",
    "aid_type": "cash", "cap_per_case": "50000", "budget": 120000.5, "icd10": ["C91-C95"],
}  # fmt: skip


def write(tmp_path: Path, objs: list, extra_lines: list[str] = ()) -> Path:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps(o, ensure_ascii=False) for o in objs] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(*paths) -> subprocess.CompletedProcess:
    # Through the real command line, as partners run it (this path reads no database).
    return subprocess.run(
        [sys.executable, "manage.py", "import_exchange", *map(str, paths)], capture_output=True, text=True
    )


def test_it_stores_valid_lines_and_reports_each_rejected_one(tmp_path, capsys):
    # given a file with good lines around a bad case and a line that is not JSON
    bad = case_payload(ref="BAD-1", patient__sex="X", request__amount="1.234", household__size=0)
    good = case_payload(ref="GOOD-1", target_program="P1")
    path = write(tmp_path, [FOUNDATION, PROGRAM, bad, good], ["{not json"])
    # when
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_exchange", str(path))
    # then
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "line 3 (ref BAD-1): patient.sex: 'X' is not one of M, F" in err
    assert "request.amount: 1.234 has more than two decimals" in err
    assert "household.size: 0 is outside 1..50" in err
    assert "line 5: not valid JSON" in err
    assert Case.objects.filter(ref="GOOD-1").exists()
    assert not Case.objects.filter(ref="BAD-1").exists()
    assert Program.objects.get(ref="P1").budget == 120000.5  # parsed exactly from a JSON number


def test_importing_the_same_file_twice_changes_nothing(tmp_path, capsys):
    # given
    path = write(tmp_path, [FOUNDATION, PROGRAM, case_payload(ref="C-1", target_program="P1")])
    call_command("import_exchange", str(path))
    events = CaseEvent.objects.count()
    updated_at = Case.objects.get(ref="C-1").updated_at
    # when
    call_command("import_exchange", str(path))
    # then
    out = capsys.readouterr().out
    assert "case.unchanged 1" in out and "program.unchanged 1" in out
    assert CaseEvent.objects.count() == events
    assert Case.objects.get(ref="C-1").updated_at == updated_at


def test_a_changed_line_updates_the_case_by_ref(tmp_path, django_capture_on_commit_callbacks):
    for line in (case_payload(ref="C-2"), case_payload(ref="C-2", request__amount="99000")):
        with django_capture_on_commit_callbacks(execute=True):  # as each batch commits outside a test
            call_command("import_exchange", str(write(tmp_path, [line])))
    case = Case.objects.get(ref="C-2")
    assert str(case.request_amount) == "99000.00"
    # Each import verifies what it stored once its batch committed.
    codes = list(case.events.values_list("code", flat=True))
    assert codes == ["case.submitted", "case.verified", "case.updated", "case.verified"]


def test_a_failing_credit_code_goes_to_manual_review_not_refusal(tmp_path):
    call_command("import_exchange", str(write(tmp_path, [{**FOUNDATION, "uscc": "91350100M000100Y44"}])))
    foundation = Foundation.objects.get(ref="F1")
    assert foundation.uscc_status == UsccStatus.MANUAL_REVIEW
    assert "expected 3" in foundation.uscc_note


def test_references_must_exist_earlier(tmp_path, capsys):
    aid = {"kind": "aid", "ref": "A1", "case": "C-404", "provider": "x", "amount": "1", "date": "2026-01-01"}
    path = write(tmp_path, [case_payload(ref="C-3", target_program="NOPE"), aid])
    with pytest.raises(SystemExit):
        call_command("import_exchange", str(path))
    err = capsys.readouterr().err
    assert "line 1 (ref C-3): target_program: no program with ref 'NOPE'" in err
    assert "line 2 (ref A1): case: no case with ref 'C-404'" in err


def test_aid_by_identity_number_attaches_to_the_person(tmp_path):
    number = id_number_for(dt.date(2016, 3, 4), sex="F")
    aid = {"kind": "aid", "ref": "A2", "patient_id_number": number, "provider": "民政", "amount": "5000",
           "date": "2026-10-01"}  # fmt: skip
    call_command("import_exchange", str(write(tmp_path, [case_payload(ref="C-4", patient__id_number=number), aid])))
    assert AidRecord.objects.get(ref="A2").person == Case.objects.get(ref="C-4").person


@pytest.mark.django_db(transaction=True)
def test_the_command_exits_2_when_nothing_can_be_read(tmp_path):
    result = run_import(tmp_path / "missing.jsonl")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_dates_and_provinces_as_chinese_records_write_them_are_understood(tmp_path):
    payload = case_payload(ref="C-5", patient__birth_date="2016年3月4日", patient__province="河南省",
                           diagnosis__diagnosed_on="2026/09/01")  # fmt: skip
    call_command("import_exchange", str(write(tmp_path, [payload])))
    case = Case.objects.get(ref="C-5")
    assert (case.patient_birth_date, case.patient_province) == (dt.date(2016, 3, 4), "41")
    assert case.diagnosis.diagnosed_on == dt.date(2026, 9, 1)


def test_import_does_a_bounded_number_of_queries_per_line(tmp_path, django_assert_max_num_queries):
    # A hot path for large partner files: pin its cost so a change that adds queries is seen.
    path = write(tmp_path, [FOUNDATION, PROGRAM] + [case_payload(target_program="P1") for _ in range(100)])
    # New cases go in together, are resolved to persons together and verified together once committed
    # (the first verification also loads the disease library): the same few queries for 100 as for 1.
    with django_assert_max_num_queries(90):
        call_command("import_exchange", str(path))
    with django_assert_max_num_queries(2 * 8 + 100 * 4):  # unchanged lines, each on its own
        call_command("import_exchange", str(path))


def test_a_line_that_breaks_number_parsing_costs_only_itself(tmp_path, capsys):
    huge = case_payload(ref="C-HUGE", request__amount="1e30")
    long_number = '{"kind": "case", "ref": "C-LONG", "x": ' + "9" * 5000 + "}"
    path = write(tmp_path, [FOUNDATION, case_payload(ref="C-6"), huge], [long_number])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_exchange", str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "(ref C-HUGE): request.amount: 1.00E+30 is larger than" in err or "C-HUGE): request.amount" in err
    assert "line 4: not readable JSON" in err
    assert Case.objects.filter(ref="C-6").exists() and Foundation.objects.filter(ref="F1").exists()


def test_an_unreadable_file_among_readable_ones_exits_1(tmp_path, capsys):
    path = write(tmp_path, [FOUNDATION])
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_exchange", str(path), str(tmp_path / "missing.jsonl"))
    assert exit_info.value.code == 1
    assert "1 file(s) unreadable" in capsys.readouterr().out


def test_new_cases_stored_together_resolve_people_as_one_by_one_intake_would(
    tmp_path, django_capture_on_commit_callbacks
):
    # given a person known from an earlier import, and a file where they and a new person each
    # appear twice, with an aid line right after the case it names
    number, other = id_number_for(dt.date(2016, 3, 4), sex="F"), id_number_for(dt.date(1970, 5, 6), sex="M", n=3)
    old = case_payload(ref="OLD", patient__id_number=number, patient__name="王小红")
    call_command("import_exchange", str(write(tmp_path, [old])))
    lines = [
        case_payload(ref="N1", patient__id_number=number, patient__name="王小红"),
        case_payload(ref="N2", patient__id_number=other, patient__birth_date="1970-05-06", patient__sex="M"),
        case_payload(ref="N3", patient__id_number=other, patient__birth_date="1970-05-06", patient__sex="M"),
        {"kind": "aid", "ref": "A-N3", "case": "N3", "provider": "民政", "amount": "800", "date": "2026-10-02"},
        case_payload(ref="N4", patient__name="王小红"),
        case_payload(ref="N4", patient__name="王小红", request__amount="123"),  # the same ref again: an update
    ]
    # when
    with django_capture_on_commit_callbacks(execute=True):  # as the batches commit outside a test
        call_command("import_exchange", str(write(tmp_path, lines)))
    # then
    cases = {c.ref: c for c in Case.objects.select_related("person", "household", "diagnosis")}
    assert cases["N1"].person_id == cases["OLD"].person_id
    assert cases["N2"].person_id == cases["N3"].person_id != cases["N1"].person_id
    # N4 names no number, but the same girl (name, birth date, illness) as N1: the resolver joins them
    assert cases["N4"].person_id == cases["N1"].person_id and str(cases["N4"].request_amount) == "123.00"
    assert AidRecord.objects.get(ref="A-N3").person_id == cases["N3"].person_id
    assert cases["N2"].household.annual_income == 20000 and cases["N2"].diagnosis.icd10_given == "C91.0"
    assert list(cases["N4"].events.values_list("code", flat=True)) == [
        "case.submitted",
        "case.updated",
        "case.verified",
    ]
    assert set(cases["N1"].documents.values_list("doc_type", flat=True)) == {"id_card", "diagnosis_certificate"}


def test_an_unknown_program_in_a_run_of_new_cases_rejects_only_its_line(tmp_path, capsys):
    lines = [FOUNDATION, PROGRAM, case_payload(ref="R1", target_program="P1"),
             case_payload(ref="R2", target_program="NOPE"), case_payload(ref="R3")]  # fmt: skip
    with pytest.raises(SystemExit):
        call_command("import_exchange", str(write(tmp_path, lines)))
    assert "line 4 (ref R2): target_program: no program with ref 'NOPE'" in capsys.readouterr().err
    assert set(Case.objects.values_list("ref", flat=True)) == {"R1", "R3"}
    assert Case.objects.get(ref="R1").target_program.ref == "P1"
