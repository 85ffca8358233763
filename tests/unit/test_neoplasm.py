"""A tumour read as a site and a behaviour, as ICD-10 codes chapter II, and weighed against the model."""

import pytest

from cases.lib import icd10, neoplasm
from cases.lib.diagnosis import library_normaliser


def read(text: str):
    # as the normaliser reads it: Latin the library does not use dropped, then folded
    return neoplasm.read(library_normaliser().fold(text))


@pytest.mark.parametrize(
    ("text", "code", "behaviour"),
    [
        ("（降结肠）低分化腺癌，pT3N0M0", "C18.6", "malignant"),  # pathology: the site in brackets first
        ("食管中段鳞癌", "C15.4", "malignant"),
        ("右肺下叶腺癌术后", "C34.3", "malignant"),
        ("腺癌（右肺下叶）", "C34.3", "malignant"),  # the site after the behaviour word
        ("甲状腺乳头状癌伴颈部淋巴结转移", "C73", "malignant"),  # 乳头状 is not the nipple, the node a spread
        ("前列腺癌多发骨转移", "C61", "malignant"),
        ("奶奶胃上长了个瘤子，医生说是恶性的", "C16.9", "malignant"),  # the site in an earlier clause
        ("Adenocarcinoma of the descending colon", "C18.6", "malignant"),
        ("Renal pelvis urothelial carcinoma", "C65", "malignant"),
        ("Gall bladder carcinoma", "C23", "malignant"),  # "Gall" is not ALL
        ("Lymph node metastasis, unknown primary", "C77.9", "secondary"),
        ("睾丸精原细胞瘤", "C62.9", "malignant"),
        ("锁骨上淋巴结转移癌，原发灶不明", "C77.0", "secondary"),  # only a spread, the primary unknown
        ("脑转移瘤", "C79.3", "secondary"),
        ("左乳原位癌", "D05.9", "in_situ"),
        ("子宫多发肌瘤", "D25.9", "benign"),  # a benign kind ICD-10 codes wherever it is
        ("卵巢交界性浆液性肿瘤", "D39.1", "uncertain"),
        ("鼻烟癌肝转移", "C11.9", "malignant"),  # a site typed as its homophone: read by sound
        ("我爸直长癌 做了手术", "C20", "malignant"),  # 长 read as chang, not zhang
        ("前列腺腺癌 骨转移", "C61", "malignant"),  # spelt right: "腺腺" is not 涎腺
    ],
)
def test_a_site_and_a_behaviour_give_the_neoplasm_code(text, code, behaviour):
    reading = read(text)
    assert reading is not None and (reading.code, reading.behaviour) == (code, behaviour), reading


@pytest.mark.parametrize(
    "text",
    [
        "胃MALT淋巴瘤",  # a type word decides (C88), not the site
        "急性髓系白血病",
        "鼻因癌肝转移",  # a primary is named, misspelt past reading by sound: not coded as the spread
        "骨肉瘤术后肺转移",  # the only site is a spread, the primary a type
        "恶性贫血",  # "恶性" that is not a tumour
        "肝硬化失代偿期",
        "脑瘤",  # "瘤" alone does not say benign or malignant
    ],
)
def test_texts_that_do_not_say_both_are_left_to_the_model(text):
    assert read(text) is None


def test_a_bad_sites_file_names_the_row_and_the_field(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(",".join(neoplasm.SITES_COLUMNS) + "\nlung,肺,C34,D02.2,D14.3,D38.1,C99.9\n", encoding="utf-8")
    with pytest.raises(neoplasm.SitesError, match=r"row 2, field 'secondary': 'C99.9' is not a WHO ICD-10 code"):
        neoplasm.load_sites(path)


def test_a_subcategory_the_who_tree_lacks_is_refused_not_read_as_its_category(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(",".join(neoplasm.SITES_COLUMNS) + "\nlung,肺,C34.99,D02.2,D14.3,D38.1,C78.0\n", encoding="utf-8")
    with pytest.raises(neoplasm.SitesError, match=r"row 2, field 'malignant': 'C34.99' is not a WHO ICD-10 code"):
        neoplasm.load_sites(path)


def test_every_code_of_the_shipped_sites_is_in_its_behaviours_block():
    blocks = {
        "malignant": "C00-C97", "in_situ": "D00-D09", "benign": "D10-D36", "uncertain": "D37-D48",
        "secondary": "C77-C79",
    }  # fmt: skip
    for site in neoplasm.load_sites():
        for behaviour, block in blocks.items():
            code = site.code(behaviour)
            assert not code or icd10.matches(code, block), (site.key, behaviour, code)


@pytest.fixture(scope="module")
def normaliser():
    return library_normaliser()


def test_the_words_beat_a_model_that_has_not_seen_the_wording(normaliser):
    match = normaliser.match("病理：（降结肠）低分化腺癌，部分黏液腺癌，pT3N0M0")
    assert (match.key, match.code) == ("colon_cancer", "C18.6")
    assert normaliser.known(match)


def test_a_site_no_specific_entry_covers_goes_to_the_general_cancer_entry(normaliser):
    match = normaliser.match("输卵管高级别浆液性癌术后")
    assert (match.key, match.code) == ("malignant_tumour_severe", "C57.0") and normaliser.known(match)


def test_a_code_no_entry_covers_is_given_without_an_entry(normaliser):
    match = normaliser.match("子宫多发肌瘤，月经量多")
    assert (match.key, match.category) == ("", "D25") and normaliser.known(match)


def test_a_narrower_illness_in_a_clause_refines_the_reading(normaliser):
    match = normaliser.match("孩子白血病，骨穿结果是急淋")
    assert match.category == "C91", match


def test_a_stroke_with_sequelae_written_anywhere_is_its_late_effect(normaliser):
    match = normaliser.match("脑梗死，遗留右侧肢体偏瘫后遗症")
    assert (match.key, match.category) == ("severe_stroke_sequelae", "I69"), match
