"""The disease-cost library: the shipped data file and its pure-Python loader (no database)."""

import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest

from cases.lib import disease_library as dl

README = Path(dl.DEFAULT_PATH).parent / "README.md"

# The 30 diseases of 农村贫困人口大病专项救治 and the library entries that carry each one.
POVERTY30 = {
    "儿童白血病": {"childhood_leukaemia"},
    "儿童先天性心脏病": {"congenital_heart_disease_child"},
    "食管癌": {"oesophageal_cancer"},
    "胃癌": {"stomach_cancer"},
    "结肠癌": {"colon_cancer"},
    "直肠癌": {"rectal_cancer"},
    "终末期肾病": {"end_stage_renal_disease"},
    "耐多药结核病": {"mdr_tuberculosis"},
    "肺癌": {"lung_cancer"},
    "肝癌": {"liver_cancer"},
    "乳腺癌": {"breast_cancer"},
    "宫颈癌": {"cervical_cancer"},
    "急性心肌梗死": {"acute_myocardial_infarction"},
    "白内障": {"cataract"},
    "尘肺病": {"pneumoconiosis"},
    "神经母细胞瘤": {"neuroblastoma"},
    "儿童淋巴瘤": {"childhood_lymphoma"},
    "骨肉瘤": {"osteosarcoma"},
    "血友病": {"haemophilia"},
    "地中海贫血": {"thalassaemia_major"},
    "唇腭裂": {"cleft_lip_palate"},
    "尿道下裂": {"hypospadias"},
    "脑卒中": {"stroke", "cerebral_infarction", "intracerebral_haemorrhage"},
    "慢性阻塞性肺气肿": {"copd"},
    "艾滋病机会性感染": {"hiv_opportunistic_infection"},
    "膀胱癌": {"bladder_cancer"},
    "卵巢癌": {"ovarian_cancer"},
    "肾癌": {"kidney_cancer"},
    "重性精神疾病": {"severe_mental_disorder"},
    "风湿性心脏病": {"rheumatic_heart_disease"},
}

# The 28 severe diseases of 重大疾病保险的疾病定义使用规范（2020年修订版）.
CI28 = {
    "恶性肿瘤——重度": "malignant_tumour_severe",
    "较重急性心肌梗死": "acute_myocardial_infarction",
    "严重脑中风后遗症": "severe_stroke_sequelae",
    "重大器官移植术或造血干细胞移植术": "organ_transplant_hsct",
    "冠状动脉搭桥术": "cabg",
    "严重慢性肾衰竭": "end_stage_renal_disease",
    "多个肢体缺失": "multiple_limb_loss",
    "急性或亚急性重症肝炎": "severe_acute_hepatitis",
    "严重非恶性颅内肿瘤": "benign_intracranial_tumour",
    "严重慢性肝衰竭": "chronic_liver_failure",
    "严重脑炎或脑膜炎后遗症": "encephalitis_meningitis_sequelae",
    "深度昏迷": "deep_coma",
    "双耳失聪": "bilateral_deafness",
    "双目失明": "bilateral_blindness",
    "瘫痪": "paralysis",
    "心脏瓣膜手术": "heart_valve_surgery",
    "严重阿尔茨海默病": "alzheimer_disease",
    "严重脑损伤": "severe_brain_injury",
    "严重原发性帕金森病": "parkinson_disease",
    "严重Ⅲ度烧伤": "severe_burns",
    "严重特发性肺动脉高压": "pulmonary_arterial_hypertension",
    "严重运动神经元病": "motor_neuron_disease",
    "语言能力丧失": "loss_of_speech",
    "重型再生障碍性贫血": "severe_aplastic_anaemia",
    "主动脉手术": "aortic_surgery",
    "严重慢性呼吸衰竭": "chronic_respiratory_failure",
    "严重克罗恩病": "crohn_disease",
    "严重溃疡性结肠炎": "ulcerative_colitis",
}

CROWDFUNDED = {
    "intracerebral_haemorrhage",
    "end_stage_renal_disease",
    "leukaemia_adult",
    "acute_lymphoblastic_leukaemia",
    "acute_myeloid_leukaemia",
    "acute_promyelocytic_leukaemia",
    "chronic_myeloid_leukaemia",
    "lymphoma_adult",
    "hodgkin_lymphoma",
    "diffuse_large_b_cell_lymphoma",
    "lung_cancer",
    "breast_cancer",
    "liver_cancer",
    "colon_cancer",
    "rectal_cancer",
    "stomach_cancer",
    "glioma",
    "medulloblastoma",
    "osteosarcoma",
    "neuroblastoma",
    "severe_burns",
    "severe_trauma",
    "severe_brain_injury",
    "severe_aplastic_anaemia",
    "thalassaemia_major",
    "congenital_heart_disease_child",
    "stroke",
}
RARE = {
    "haemophilia",
    "spinal_muscular_atrophy",
    "gaucher_disease",
    "fabry_disease",
    "mucopolysaccharidosis",
    "pompe_disease",
    "motor_neuron_disease",
    "phenylketonuria",
    "osteogenesis_imperfecta",
    "duchenne_muscular_dystrophy",
    "pulmonary_arterial_hypertension",
}


@pytest.fixture(scope="module")
def library() -> list[dl.Entry]:
    return dl.load()


@pytest.fixture(scope="module")
def by_key(library) -> dict[str, dl.Entry]:
    return {entry.key: entry for entry in library}


def keys_in(library, name: str) -> set[str]:
    return {entry.key for entry in dl.in_list(library, name)}


# -- the shipped file ---------------------------------------------------------------------------


def test_shipped_file_loads_with_the_documented_version(library):
    assert len(library) >= 90
    assert re.fullmatch(r"\d{4}\.\d{2}-\d+", dl.VERSION)
    assert f"`{dl.VERSION}`" in README.read_text(encoding="utf-8")


def test_the_thirty_poverty_diseases_are_all_there(library):
    assert len(POVERTY30) == 30
    expected = set().union(*POVERTY30.values())
    assert keys_in(library, "poverty30") == expected
    assert len(expected) == 32  # 脑卒中 is the umbrella entry plus its two main types


def test_the_twenty_eight_critical_illness_definitions_are_all_there(library, by_key):
    assert len(CI28) == 28
    assert keys_in(library, "ci28") == set(CI28.values())
    for name, key in CI28.items():
        assert name in by_key[key].names(), name
    assert keys_in(library, "ci_mild") == {
        "malignant_tumour_mild",
        "acute_myocardial_infarction",
        "mild_stroke_sequelae",
    }


def test_crowdfunded_rare_and_foundation_diseases(library):
    assert keys_in(library, "crowdfunding") >= CROWDFUNDED
    assert keys_in(library, "rare") >= RARE
    assert {"cataract", "cleft_lip_palate", "congenital_heart_disease_child", "childhood_leukaemia"} <= keys_in(
        library, "foundation"
    )
    assert len(keys_in(library, "crowdfunding")) >= 40
    assert len(keys_in(library, "rare")) >= 15
    assert len(keys_in(library, "foundation")) >= 15


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("肺癌", "lung_cancer"),
        ("非小细胞肺癌", "lung_cancer"),
        ("nsclc", "lung_cancer"),
        ("SCLC", "lung_cancer"),
        ("慢粒", "chronic_myeloid_leukaemia"),
        ("CML", "chronic_myeloid_leukaemia"),
        ("急粒", "acute_myeloid_leukaemia"),
        ("急性髓细胞白血病", "acute_myeloid_leukaemia"),
        ("弥漫大B细胞淋巴瘤", "diffuse_large_b_cell_lymphoma"),
        ("DLBCL", "diffuse_large_b_cell_lymphoma"),
        ("尿毒症", "end_stage_renal_disease"),
        ("脑溢血", "intracerebral_haemorrhage"),
        ("渐冻症", "motor_neuron_disease"),
        ("瓷娃娃", "osteogenesis_imperfecta"),
        ("地贫", "thalassaemia_major"),
        ("再障", "severe_aplastic_anaemia"),
        ("先心病", "congenital_heart_disease_child"),
    ],
)
def test_names_families_write_find_the_entry(library, name, key):
    entry = dl.find_by_name(library, name)
    assert entry is not None and entry.key == key


def test_what_the_loader_leaves_to_the_data(library):
    # the loader refuses bad codes, keys, units and cost orders (test_a_bad_row_names_row_and_field);
    # these are the data's own promises
    for entry in library:
        assert Decimal(0) < entry.cost_low, entry.key
        assert 2000 <= entry.year <= 2026
        if entry.confidence == "unconfirmed":
            assert "estimate" in entry.source, entry.key


def test_reference_figures_are_kept(by_key):
    lung = by_key["lung_cancer"]
    assert (lung.cost_low, lung.cost_high, lung.confidence) == (Decimal(61100), Decimal(100000), "medium")
    gaucher = by_key["gaucher_disease"]
    assert (gaucher.cost_low, gaucher.cost_high, gaucher.confidence) == (Decimal(918600), Decimal(2273000), "high")
    reference = Path("/work/shared/reference/disease_costs.csv")
    if not reference.exists():
        pytest.skip("shared reference not mounted: its row count is not checked")
    with reference.open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 69


# -- look-ups on the shipped file ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("C34.9", "lung_cancer"),
        ("C34.900x001", "lung_cancer"),  # Chinese clinical edition
        ("C920", "acute_myeloid_leukaemia"),
        ("C92.1", "chronic_myeloid_leukaemia"),
        ("C91.0", "acute_lymphoblastic_leukaemia"),
        ("C91.4", "leukaemia_adult"),
        ("C81.1", "hodgkin_lymphoma"),
        ("C83.3", "diffuse_large_b_cell_lymphoma"),
        ("C85.9", "lymphoma_adult"),
        ("C49.9", "soft_tissue_sarcoma"),
        ("C62.9", "malignant_tumour_severe"),  # testicular cancer: only the C00-C97 range
        ("C95.9", "leukaemia_adult"),  # childhood_leukaemia lists C95 too, after it
        ("C82.0", "follicular_lymphoma"),
        ("I61.9", "intracerebral_haemorrhage"),
        ("I64", "stroke"),
        ("N18.5", "end_stage_renal_disease"),
        ("T22.3", "severe_burns"),
        ("Q21.0", "congenital_heart_disease_child"),
    ],
)
def test_find_by_code_on_the_shipped_library(library, code, key):
    entry = dl.find_by_code(library, code)
    assert entry is not None and entry.key == key


def test_find_all_by_code_keeps_the_age_specific_entry_as_an_alternative(library):
    keys = [entry.key for entry in dl.find_all_by_code(library, "C91.0")]
    assert keys[:3] == ["acute_lymphoblastic_leukaemia", "childhood_leukaemia", "leukaemia_adult"]
    assert dl.find_by_code(library, "Z00.0") is None


# -- validation and specificity on small files --------------------------------------------------

GOOD = {
    "key": "lung_cancer",
    "icd10": "C34",
    "name_zh": "肺癌",
    "name_en": "Lung cancer",
    "synonyms_zh": "肺癌|NSCLC",
    "lists": "poverty30|crowdfunding",
    "unit": "course",
    "cost_low": "60000",
    "cost_typical": "80000",
    "cost_high": "100000",
    "source": "test",
    "year": "2014",
    "confidence": "medium",
}


def write(path: Path, *rows: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=dl.COLUMNS)
        writer.writeheader()
        writer.writerows({**GOOD, **row} for row in rows)
    return path


def row(key: str, icd10: str, **extra: str) -> dict[str, str]:
    return {"key": key, "icd10": icd10, "name_zh": key, "synonyms_zh": "", **extra}


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"icd10": "C34|X99.9"}, "icd10", "unknown ICD-10 code 'X99.9'"),
        ({"icd10": "C96-C81"}, "icd10", "runs backwards"),
        ({"icd10": "C81-C99"}, "icd10", "'C99' is not a WHO ICD-10 category"),
        ({"cost_low": "90000"}, "cost_typical", "below cost_low"),
        ({"cost_high": "70000"}, "cost_typical", "above cost_high"),
        ({"cost_high": "1,000"}, "cost_high", "not a whole number"),
        ({"name_zh": " "}, "name_zh", "is empty"),
        ({"key": "lung_cancer"}, "key", "duplicate key 'lung_cancer' (first used in row 2)"),
        ({"key": "Lung Cancer"}, "key", "ascii slug"),
        ({"lists": "poverty30|charity"}, "lists", "unknown list 'charity'"),
        ({"unit": "month"}, "unit", "'month'"),
        ({"confidence": "n/a"}, "confidence", "'n/a'"),
        ({"synonyms_zh": "nsclc"}, "synonyms_zh", "already names 'lung_cancer' (row 2)"),
    ],
)
def test_a_bad_row_names_row_and_field(tmp_path, bad, field, message):
    second = {"key": "stomach_cancer", "icd10": "C16", "name_zh": "胃癌", "synonyms_zh": "胃癌", **bad}
    path = write(tmp_path / "library.csv", {}, second)
    with pytest.raises(dl.LibraryError) as caught:
        dl.load(path)
    assert caught.value.row == 3 and caught.value.field == field
    assert f"library.csv, row 3, field '{field}'" in str(caught.value)
    assert message in str(caught.value)


def test_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "library.csv"
    path.write_text("key,icd10,name_zh\nx,C34,肺癌\n", encoding="utf-8")
    with pytest.raises(dl.LibraryError, match="row 1, field 'header'"):
        dl.load(path)


def test_codes_of_expands_ranges_to_categories(tmp_path):
    [entry] = dl.load(write(tmp_path / "library.csv", row("blood", "C81-C96|C92.0|D46")))
    codes = dl.codes_of(entry)
    assert codes[0] == "C81" and "C92" in codes and "C96" in codes
    assert "C80" not in codes and "C97" not in codes
    assert {"C89", "C87"}.isdisjoint(codes)  # not categories in the WHO tree
    assert codes[-2:] == ("C92.0", "D46")
    assert len(codes) == len(set(codes))


def test_find_by_code_prefers_subcategory_then_category_then_range(tmp_path):
    path = write(
        tmp_path / "library.csv",
        row("blood_range", "C81-C96"),
        row("myeloid", "C92"),
        row("aml", "C92.0"),
        row("aml_again", "C92.0|C93.0"),
    )
    entries = dl.load(path)

    def key(code):
        found = dl.find_by_code(entries, code)
        return found.key if found else None

    assert key("C92.0") == "aml"  # subcategory; the earlier of two equal matches
    assert key("c920") == "aml"
    assert key("C92.1") == "myeloid"  # category
    assert key("C92") == "myeloid"  # a category query does not claim a subcategory entry
    assert key("C93.0") == "aml_again"
    assert key("C91.0") == "blood_range"  # range only
    assert key("C34.1") is None
    assert [e.key for e in dl.find_all_by_code(entries, "C92.0")] == ["aml", "aml_again", "myeloid", "blood_range"]
    with pytest.raises(ValueError):
        dl.find_by_code(entries, "lung cancer")
