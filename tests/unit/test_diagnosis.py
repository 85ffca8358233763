"""The diagnosis normaliser: free text as people write it, to a disease-library entry."""

from __future__ import annotations

import pytest

from cases.lib import disease_library
from cases.lib.diagnosis import Name, Normaliser, clean


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    entries = disease_library.load()
    return Normaliser([Name(e.key, n) for e in entries for n in (*e.names(), e.name_en) if n])


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("右肺腺癌IV期", "肺癌"),
        ("急性髓系白血病（M2型）", "急性髓系白血病"),
        ("原发性肝癌 BCLC B期", "原发性肝癌"),
        ("胃窦腺癌 T3N1M0", "胃癌"),
        ("肺Ca多发骨转移", "肺癌"),
        ("腎衰竭", "肾衰竭"),
        ("Lung adenocarcinoma, stage IIIA", "肺癌"),
    ],
)
def test_stage_type_side_histology_script_and_spread_are_folded_away(text, folded):
    assert clean(text) == folded


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("右肺腺癌IV期", "lung_cancer"),
        ("急性髓系白血病（M2型）", "acute_myeloid_leukaemia"),
        ("CML慢性期", "chronic_myeloid_leukaemia"),
        ("DLBCL", "diffuse_large_b_cell_lymphoma"),
        ("尿毒症 规律透析", "end_stage_renal_disease"),
        ("法洛四联症", "congenital_heart_disease_child"),
    ],
)
def test_common_ways_of_writing_a_diagnosis_find_their_entry_confidently(normaliser, text, key):
    match = normaliser.match(text)
    assert match.key == key and normaliser.known(match)


def test_a_text_that_names_no_illness_falls_below_the_threshold(normaliser):
    assert not normaliser.known(normaliser.match("今天天气很好"))
    assert normaliser.match("") is None
