"""The diagnosis normaliser: free text as people write it, to a disease-library entry and an ICD-10 code."""

from __future__ import annotations

import pytest

from benchmarks.diagnosis import load_eval_set, normalise_for_overlap, overlapping
from benchmarks.diagnosis.evaluate import half, load_outside, training_texts
from cases.lib import disease_library
from cases.lib.diagnosis import (
    DEFAULT_THRESHOLD,
    Match,
    Normaliser,
    clean,
    default_code,
    library_normaliser,
    load_codes,
)


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    # built once per library version (and pickled under ~/.cache unless DIAGNOSIS_MODEL_CACHE=off)
    return library_normaliser()


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
        ("乳腺浸润性小叶癌", "乳腺癌"),  # the gland in 乳腺 stays, the histology goes
        ("攝護腺癌", "前列腺癌"),  # Taiwan term
        ("AML-M5", "急性单核细胞白血病"),  # FAB type named
        ("MDS转AML", "AML"),
        ("烧伤 总面积60%", "烧伤大面积"),  # extent is kept: it decides T31
        ("宫颈原位癌", "宫颈原位癌"),  # in situ is its own block, D00-D09
    ],
)
def test_stage_type_side_histology_script_and_spread_are_folded_away(text, folded):
    assert clean(text) == folded


@pytest.mark.parametrize(
    ("text", "key", "code"),
    [
        ("右肺腺癌IV期", "lung_cancer", "C34"),
        ("急性髓系白血病（M2型）", "acute_myeloid_leukaemia", "C92.0"),
        ("CML慢性期", "chronic_myeloid_leukaemia", "C92.1"),
        ("DLBCL", "diffuse_large_b_cell_lymphoma", "C83.3"),
        ("腎衰竭", "end_stage_renal_disease", "N18.5"),
        ("肺腺癌", "lung_cancer", "C34"),
        ("右肺腺癌第四期 合併腦轉移", "lung_cancer", "C34"),
        ("尿毒症 规律透析", "end_stage_renal_disease", "N18.5"),
        ("法洛四联症", "congenital_heart_disease_child", "Q21.3"),
        ("AML-M5", "acute_myeloid_leukaemia", "C93.0"),
        ("急性肾功能衰竭", "acute_kidney_injury", "N17"),
        ("左股骨骨肉瘤", "osteosarcoma", "C40.2"),
    ],
)
def test_the_ways_people_write_a_diagnosis_find_entry_and_code_confidently(normaliser, text, key, code):
    match = normaliser.match(text)
    assert isinstance(match, Match)
    assert (match.key, match.code) == (key, code), match
    assert normaliser.known(match)


@pytest.mark.parametrize("text", ["今天天气很好", "待查", "不详", "感冒", "诊断不明", "请帮帮我们", "孩子发烧三天了"])
def test_a_text_that_names_no_library_illness_falls_below_the_threshold(normaliser, text):
    match = normaliser.match(text)
    assert match is None or not normaliser.known(match), match


def test_an_empty_text_gives_nothing(normaliser):
    assert normaliser.match("") is None
    assert normaliser.match_many(["", "肺癌"])[0] is None


def test_accuracy_on_a_fixed_sample_of_the_dev_half_stays_high(normaliser):
    dev = [ex for ex in load_eval_set() if half(ex.text) == "dev"][::4]  # 80 rows, fixed
    matches = normaliser.match_many(ex.text for ex in dev)
    right = sum(normaliser.known(m) and m.category == ex.icd10_category for ex, m in zip(dev, matches, strict=True))
    assert len(dev) >= 75
    assert right / len(dev) >= 0.9


def test_the_evaluation_set_is_kept_apart_from_every_training_name():
    entries = disease_library.load()
    names = training_texts(entries, load_codes(entries))  # raw names and names as clean() folds them
    assert overlapping(load_eval_set(), names) == []
    outside = [row["text"] for row in load_outside()]
    assert not {normalise_for_overlap(t) for t in outside} & {normalise_for_overlap(n) for n in names}


def test_the_code_rules_fit_the_library():
    entries = disease_library.load()
    rules = load_codes(entries)
    by_key = {entry.key: entry for entry in entries}
    assert default_code(by_key["acute_myeloid_leukaemia"], rules) == "C92.0"
    assert default_code(by_key["spinal_muscular_atrophy"], rules) == "G12"  # the category its codes share
    assert default_code(by_key["chronic_myeloid_leukaemia"], rules) == "C92.1"  # its only code


def test_a_code_rule_outside_its_entry_is_refused(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("key,code,names,qualifiers,with\nlung_cancer,C50,肺癌,,\n", encoding="utf-8")
    with pytest.raises(disease_library.LibraryError, match="row 2.*'code'"):
        load_codes(disease_library.load(), path)


def test_the_normaliser_is_built_once_per_library(normaliser):
    assert library_normaliser() is normaliser
    stricter = library_normaliser(threshold=0.9)
    assert stricter.classes is normaliser.classes  # the same model, another threshold
    match = normaliser.match("我爸脑子里出血了")  # a family's words: likely, not sure
    assert DEFAULT_THRESHOLD <= match.confidence < 0.9, match
    assert normaliser.known(match) and not stricter.known(match)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("艾滋病", "B24"),  # HIV disease, nothing said of what it resulted in
        ("HIV感染 合并隐球菌脑膜炎", "B20.5"),
        ("艾滋病合并肺孢子菌肺炎", "B20.6"),
        ("AIDS相关卡波西肉瘤", "B21.0"),
        ("HIV相关非霍奇金淋巴瘤，化疗中", "B21.2"),  # a tumour said to come of it: the combination category
        ("弥漫大B细胞淋巴瘤，HIV阴性", "C83.3"),  # ruled out: the lymphoma
        ("肺癌 HIV感染者", "C34.9"),  # beside it, not said to come of it: the cancer is treated
    ],
)
def test_hiv_disease_is_coded_by_what_it_resulted_in(normaliser, text, code):
    match = normaliser.match(text)
    assert match.code == code and normaliser.known(match), match


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("孩子头面部 躯干 四肢多处烧伤", "T29"),  # two or more regions, no extent: multiple regions
        ("面部烧伤，行植皮手术", "T20"),  # 手术 is not the hand
        ("背部烧伤手术后", "T21"),  # nor is the 手 that removing "术后" would leave
        ("我哥工厂爆炸 全身80%烧伤", "T31"),  # an extent: coded by extent
        ("头面部 躯干 四肢多处烧伤 面积30%", "T31"),  # however many regions are named
        ("MM R-ISS II 硼替佐米+来那度胺+地塞米松", "C90"),  # the staging and the regimen are noise
        ("骨髓增生异常综合征转化急性髓系白血病", "C92.0"),  # what it turned into
    ],
)
def test_regions_regimens_stagings_and_transformations_are_read(normaliser, text, code):
    match = normaliser.match(text)
    assert match.code == code and normaliser.known(match), match


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("脑出血术后 深昏迷", "I61"),  # the coma is what the haemorrhage did
        ("重型地中海贫血，等待骨髓移植", "D56"),  # the transplant is the treatment (Z94 is a status)
        ("慢阻肺 II型呼吸衰竭", "J44"),
        ("车祸 颅脑损伤 昏迷不醒", "S06"),  # "车祸" alone is T07: the named injury says more
        ("高位截瘫", "G82"),  # nothing else named: the paralysis
        ("心力衰竭", "I50"),
    ],
)
def test_a_consequence_or_a_state_yields_to_the_illness_named_beside_it(normaliser, text, category):
    match = normaliser.match(text)
    assert match.category == category and normaliser.known(match), match


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("宝宝出生3天 败血症", "P36"),  # a newborn's: chapter XVI
        ("孩子5岁 败血症", "A41"),
        ("宝宝刚出生 颅内出血", "P52"),
        ("我爸喝酒喝成肝硬化了", "K70"),  # from drinking: alcoholic
        ("alcoholic liver cirrhosis, Child-Pugh C", "K70"),
        ("乙肝肝硬化 失代偿期", "K74"),
        ("儿子是兔唇 上腭也裂了", "Q37"),  # lip and palate
        ("唇裂修复术后", "Q36"),
    ],
)
def test_what_the_text_says_caused_a_condition_gives_its_code(normaliser, text, category):
    match = normaliser.match(text)
    assert match.category == category and normaliser.known(match), match


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("结肠癌术后，现在又扩散到肝上了", "C18"),  # a clause that says where it spread: the primary
        ("大肠癌 造口术后", "C18"),  # the large intestine is the colon in WHO's index
        ("CKD 5期 规律血透", "N18"),  # stage 5 is end-stage: uraemia
        ("MDS 医生说怕转成白血病", "D46"),  # a feared transformation has not happened
        ("骨髓增生异常综合征转成急性髓系白血病", "C92"),
        ("孩子高烧抽搐 查出来是脑炎", "G04"),  # the terms file names what the library only knows is not its own
        ("我爸大面积脑梗，昏迷", "I63"),  # "大面积" alone is not a burn
        ("右手食指中指被机器切断 断指再植术后", "S68"),  # a hand without fire or heat is not a burn
    ],
)
def test_spread_stage_and_transformation_words_and_burns_without_fire(normaliser, text, category):
    match = normaliser.match(text)
    assert match.category == category and normaliser.known(match), match


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我婆婆是多囊肾，这两年肌酐越来越高", "Q61"),  # a name written out whole in an unsure text
        ("我爸有慢性乙肝，一直在吃恩替卡韦", "B18"),
        ("孩子得了颠痫，吃药也控制不住", "G40"),  # … or spelt by sound, half its characters right
        ("基因检测确诊湿疹血小板减少伴免疫缺陷综合征，等移植", "D82"),  # the longer name holding the one read
        ("重型颅脑损伤后遗症 长期卧床", "T90"),  # an injury's late effect
        ("腰椎骨折后遗症", "T91"),
        ("孩子脑膜炎，医生说以后可能会脑瘫", "G03"),  # what may come is not what is treated
        ("风湿性心脏病 二尖瓣狭窄并主动脉瓣关闭不全", "I08"),  # two valves
        ("子宫内膜样腺癌 IIIC期 术后化疗", "C54"),  # endometrioid: the endometrium
        ("卵巢子宫内膜样癌 术后", "C56"),  # … unless the ovary is named
    ],
)
def test_names_written_out_late_effects_feared_clauses_valves_and_endometrioid(normaliser, text, category):
    match = normaliser.match(text)
    assert match.category == category and normaliser.known(match), match
