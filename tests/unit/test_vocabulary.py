"""ICD-10 codes beyond the disease-cost library, read from the names of cases/data/icd10_terms.csv."""

import pytest

from cases.lib import disease_library, vocabulary
from cases.lib.diagnosis import library_normaliser


@pytest.fixture(scope="module")
def normaliser():
    return library_normaliser()


def write(tmp_path, rows: str):
    path = tmp_path / "terms.csv"
    path.write_text("code,names\n" + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("P91.6,新生儿缺氧缺血性脑病\nX99.9,不存在\n", r"row 3, field 'code': 'X99.9' is not a WHO ICD-10 code"),
        ("p91.6,新生儿缺氧缺血性脑病\n", r"row 2, field 'code': 'p91.6' is not a WHO ICD-10 code written as"),
        ("H35.1,早产儿视网膜病变|ROP\nH35,视网膜病变|rop\n", r"row 3, field 'names': 'rop' already names H35.1"),
        ("D45,|\n", r"row 2, field 'names': no name"),
    ],
)
def test_a_bad_terms_file_names_the_row_the_field_and_why(tmp_path, rows, message):
    with pytest.raises(vocabulary.TermsError, match=message):
        vocabulary.load_terms(write(tmp_path, rows))


def test_a_terms_file_saved_by_excel_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("code,names\nP91.6,新生儿缺氧缺血性脑病|HIE\n", encoding="utf-8-sig")
    assert vocabulary.load_terms(path) == (vocabulary.Term("P91.6", ("新生儿缺氧缺血性脑病", "HIE")),)


def test_a_terms_file_with_other_columns_or_a_row_too_long_is_refused(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("code,name\nP91.6,HIE\n", encoding="utf-8")
    with pytest.raises(vocabulary.TermsError, match=r"row 1, field 'header': header must be code,names"):
        vocabulary.load_terms(path)
    with pytest.raises(vocabulary.TermsError, match=r"row 2: more values than columns"):
        vocabulary.load_terms(write(tmp_path, "P91.6,HIE,extra\n"))


def test_the_shipped_terms_load_and_reach_beyond_the_library():
    terms = vocabulary.load_terms()  # refuses a code that is not WHO's or a name under two codes
    entries = disease_library.default_entries()
    uncovered = {t.code[:1] for t in terms if not disease_library.find_all_by_code(entries, t.code)}
    assert len(terms) >= 500 and len(uncovered) >= 15  # codes no entry prices, across most chapters


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("早产儿视网膜病变（ROP）2区3期，需激光治疗", "H35"),
        ("孩子出生时窒息，诊断新生儿缺氧缺血性脑病（重度）", "P91"),
        ("真性红细胞增多症，JAK2阳性，定期放血", "D45"),
    ],
)
def test_an_illness_the_library_does_not_price_gets_its_code_without_an_entry(normaliser, text, category):
    match = normaliser.match(text)
    assert (match.key, match.category) == ("", category), match
    assert normaliser.known(match)


def test_a_term_whose_code_an_entry_covers_takes_that_entry(normaliser):
    # Waldenström's is C88.0: no entry of its own, but the general cancer entry covers every malignant
    # code, so its amount is checked against that entry's costs
    match = normaliser.match("华氏巨球蛋白血症，伊布替尼治疗中")
    assert (match.key, match.code) == ("malignant_tumour_severe", "C88.0")
    assert normaliser.known(match)


@pytest.mark.parametrize("text", ["右肺腺癌IV期", "急性髓系白血病（M2型）", "尿毒症 规律透析", "法洛四联症"])
def test_the_library_keeps_what_it_names(normaliser, text):
    match = normaliser.match(text)
    assert match.key, match  # read by the model, with the library entry that prices it


def test_the_library_wins_a_name_both_hold(normaliser):
    # 肺痨 is a library name of tuberculosis and a name of A16.2 in the terms file
    assert any("肺痨" in t.names for t in vocabulary.load_terms())
    assert normaliser.match("肺痨").key == "tuberculosis"
