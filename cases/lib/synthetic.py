"""Synthetic exchange-format input for the demo and for tests.

`generate()` yields JSON-ready objects in the shape of shared/exchange-format.md, in dependency
order (foundations, programs, blacklist, cases, aid), modelled on shared/domain.md: crowdfunding
dominated by cerebral haemorrhage, uraemia, leukaemia and the common cancers; foundations funding
children's heart surgery, children's leukaemia, cataract and the "two cancers" of women; PAP
programs for targeted drugs. It also carries the faults the real data carries, in small doses:
mistyped identity numbers, missing ICD-10 codes, inflated targets, assistance declared against a
high income, missing documents, blacklisted raisers and the same person applying in several
channels.

Plain data only (no Django): `python -m cases.lib.synthetic > demo.jsonl` writes a demo file.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cases.lib import idnumber, uscc
from cases.lib.exchange import DOCUMENT_TYPES
from cases.lib.regions import PROVINCES

# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------

CHANNEL_WEIGHTS = {"crowdfunding": 55, "foundation_aid": 30, "pap": 15}
# A person's further applications for the same illness: mostly a foundation on top of a campaign,
# sometimes a second campaign on another platform (重复筹款) or a PAP.
EXTRA_CHANNEL_WEIGHTS = {"crowdfunding": 30, "foundation_aid": 50, "pap": 20}

# Income profile of a household by channel: foundations and PAPs see more hardship families,
# crowdfunding more of the sandwich tier. Overall about 25% hardship, 65% sandwich, 10% upper.
# "inconsistent" declares state assistance with an income far above any 低保 line.
PROFILE_WEIGHTS_BY_CHANNEL = {
    "crowdfunding": {"hardship": 19, "sandwich": 66, "upper": 12, "inconsistent": 3},
    "foundation_aid": {"hardship": 33, "sandwich": 61, "upper": 3, "inconsistent": 3},
    "pap": {"hardship": 27, "sandwich": 62, "upper": 8, "inconsistent": 3},
}
ASSISTANCE_WEIGHTS = {"dibao": 45, "jiandang": 20, "dibao_edge": 25, "tekun": 10}
HOUSEHOLD_SIZE_WEIGHTS = {1: 4, 2: 14, 3: 30, 4: 27, 5: 15, 6: 7, 7: 3}

SHARE_PERSONS_WITH_SEVERAL_CASES = 0.08  # each such person has 2 (75%) or 3 (25%) cases
SHARE_ID_NUMBER_SHOWN = 0.67
SHARE_ID_NUMBER_TYPO = 0.03  # one digit changed, so the check character fails
SHARE_RAISER_ID_NUMBER_SHOWN = 0.60
SHARE_RAISER_ID_NUMBER_TYPO = 0.02
SHARE_PHONE_SHOWN = 0.90
# How a later application writes the same patient's name and birth date (the first is as on the card).
NAME_VARIANT_WEIGHTS = {"same": 84, "traditional": 8, "homophone": 5, "space": 3}
SHARE_BIRTH_DATE_SWAPPED = 0.06
SHARE_CITY_SHOWN = 0.70
SHARE_ICD10_SHOWN = 0.85
SHARE_ICD10_WRITTEN_LOOSELY = 0.04  # "c34.1", "C920": valid after normalisation
SHARE_DIAGNOSED_ON_SHOWN = 0.92
SHARE_INFLATED_TARGET = 0.03
SHARE_PROGRAM_MISMATCH = 0.10  # target_program that does not fit the illness
SHARE_REQUIRED_DOCUMENT_PRESENT = 0.93  # per required document
BLACKLIST_SIZE = 20
AID_LINES_PER_CASE = Decimal("0.15")  # about 300 for 2000 cases
SUBMITTED_WITHIN_DAYS = 120
UPPER_HOUSEHOLD_INCOME = 100_000  # CNY a year (domain.md, income tiers)
MAX_RAISED = 800_000  # CNY; even inflated campaigns rarely raise more

CROWDFUNDING_PLATFORMS = {"水滴筹": 50, "轻松筹": 30, "爱心筹": 12, "360大病筹": 8}

BLACKLIST_REASONS = (
    "虚构病情筹款",
    "夸大病情、虚报治疗费用",
    "隐瞒家庭财产及收入",
    "筹款挪作他用",
    "冒用他人身份发起筹款",
    "多平台重复筹款未如实说明",
)

# --------------------------------------------------------------------------------------------
# Foundations and programs (modelled on 004 table 2.5; names and codes are made up)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Foundation:
    ref: str
    name: str
    uscc_first17: str  # 53 = foundation registered with civil affairs; 100000 = national level
    email_host: str
    uscc_check_fails: bool = False


FOUNDATIONS = (
    Foundation("F-CANCER", "华夏癌症救助基金会", "53100000500012736", "hxcancer"),
    Foundation("F-CHILD", "童心少年儿童大病救助基金会", "53100000500021448", "tongxin-kids"),
    Foundation("F-RARE", "北京罕见病关爱公益基金会", "53110000500193052", "rare-care"),
    Foundation("F-PAP", "惠生医药援助基金会", "53100000500008271", "huisheng-pap"),
    Foundation("F-WOMEN", "巾帼女性健康发展基金会", "53100000500030617", "jinguo-health"),
    # Real codes sometimes fail their check character; this one does, on purpose.
    Foundation("F-WELFARE", "中原社会福利基金会", "53410000509874213", "zhongyuan-welfare", uscc_check_fails=True),
)


@dataclass(frozen=True)
class PapTerms:
    drug: str
    cycle_value: int
    paid_cycles: int
    free_cycles: int
    hardship_free: bool


@dataclass(frozen=True)
class Program:
    ref: str
    foundation: str
    channel: str
    name: str
    aid_type: str
    cap_per_case: int
    budget: int
    icd10: tuple[str, ...] = ()
    income_tiers: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    sex: str | None = None
    provinces: tuple[str, ...] = ()
    required_documents: tuple[str, ...] = ()
    pap: PapTerms | None = None


_BASIC_DOCUMENTS = ("id_card", "diagnosis_certificate", "medical_record")

PROGRAMS = (
    Program("P-CANCER-CASH", "F-CANCER", "foundation_aid", "困难肿瘤患者医疗救助金", "cash", 30_000, 2_000_000,
            icd10=("C00-C97",), income_tiers=("hardship", "sandwich"),
            required_documents=(*_BASIC_DOCUMENTS, "income_proof")),
    Program("P-CANCER-HEME", "F-CANCER", "foundation_aid", "淋巴瘤与白血病患者援助", "cash", 50_000, 1_200_000,
            icd10=("C81-C96",), income_tiers=("hardship", "sandwich"), age_min=18,
            required_documents=(*_BASIC_DOCUMENTS, "hospital_invoice", "income_proof")),
    Program("P-CHILD-CHD", "F-CHILD", "foundation_aid", "先心病患儿手术救助", "surgery", 40_000, 3_000_000,
            icd10=("Q20-Q28",), income_tiers=("hardship", "sandwich"), age_max=18,
            required_documents=("household_register", "diagnosis_certificate", "medical_record", "income_proof")),
    Program("P-CHILD-LEUK", "F-CHILD", "foundation_aid", "白血病患儿救助", "cash", 50_000, 2_500_000,
            icd10=("C91-C95",), income_tiers=("hardship", "sandwich"), age_max=18,
            required_documents=("household_register", "diagnosis_certificate", "medical_record", "hospital_invoice")),
    Program("P-CHILD-CLEFT", "F-CHILD", "foundation_aid", "唇腭裂儿童修复手术", "surgery", 20_000, 500_000,
            icd10=("Q35", "Q36", "Q37"), age_max=14,
            required_documents=("household_register", "diagnosis_certificate")),
    Program("P-CHILD-THAL", "F-CHILD", "foundation_aid", "两广琼地贫患儿救助", "cash", 30_000, 600_000,
            icd10=("D56",), income_tiers=("hardship", "sandwich"), age_max=18, provinces=("44", "45", "46"),
            required_documents=("household_register", "diagnosis_certificate", "medical_record", "income_proof")),
    Program("P-RARE-AID", "F-RARE", "foundation_aid", "罕见病多方共付援助", "cash", 20_000, 300_000,
            icd10=("D66", "D67", "D68.0", "E75.2", "E74.0", "E76", "G12.0", "G12.1"),
            income_tiers=("hardship", "sandwich"),
            required_documents=(*_BASIC_DOCUMENTS, "income_proof")),
    Program("P-WOMEN-TWO-CANCERS", "F-WOMEN", "foundation_aid", "困难妇女两癌救助", "cash", 20_000, 1_500_000,
            icd10=("C50", "C53"), income_tiers=("hardship",), sex="F", age_min=18,
            required_documents=(*_BASIC_DOCUMENTS, "dibao_certificate")),
    Program("P-WELFARE-SERIOUS", "F-WELFARE", "foundation_aid", "大病困难家庭救助", "cash", 20_000, 1_000_000,
            income_tiers=("hardship",),
            required_documents=("id_card", "household_register", "diagnosis_certificate", "hospital_invoice",
                                "dibao_certificate")),
    Program("P-WELFARE-CENTRAL", "F-WELFARE", "foundation_aid", "中部乡村大病兜底救助", "cash", 30_000, 800_000,
            income_tiers=("hardship", "sandwich"), provinces=("41", "34", "42", "36"),
            required_documents=("id_card", "household_register", "diagnosis_certificate", "income_proof")),
    Program("P-WELFARE-CATARACT", "F-WELFARE", "foundation_aid", "光明行动白内障复明手术", "surgery", 6_000, 300_000,
            icd10=("H25", "H26"), age_min=50,
            required_documents=("id_card", "diagnosis_certificate")),
    Program("PAP-LUNG-EGFR", "F-PAP", "pap", "肺癌靶向药患者援助项目", "drug", 144_000, 6_000_000,
            icd10=("C34",), income_tiers=("hardship", "sandwich"),
            required_documents=("id_card", "diagnosis_certificate", "prescription", "income_proof"),
            pap=PapTerms("甲磺酸伏美替尼片", 12_000, 3, 9, hardship_free=True)),
    Program("PAP-CML", "F-PAP", "pap", "慢性髓系白血病用药援助项目", "drug", 108_000, 3_000_000,
            icd10=("C92.1",), income_tiers=("hardship", "sandwich"),
            required_documents=("id_card", "diagnosis_certificate", "prescription"),
            pap=PapTerms("达沙替尼片", 9_000, 3, 9, hardship_free=False)),
    Program("PAP-MYELOMA", "F-PAP", "pap", "多发性骨髓瘤患者援助项目", "drug", 168_000, 2_500_000,
            icd10=("C90.0",), income_tiers=("hardship", "sandwich", "upper"),
            required_documents=("id_card", "diagnosis_certificate", "prescription", "medical_record"),
            pap=PapTerms("达雷妥尤单抗注射液", 28_000, 4, 6, hardship_free=True)),
)  # fmt: skip
PAP_PROGRAM_WEIGHTS = {"PAP-LUNG-EGFR": 55, "PAP-CML": 25, "PAP-MYELOMA": 20}
PAP_INDICATION = {"PAP-LUNG-EGFR": "lung", "PAP-CML": "cml", "PAP-MYELOMA": "myeloma"}

# --------------------------------------------------------------------------------------------
# Diseases (ICD-10 codes as in shared/reference/disease_costs.csv, plus a tail the library lacks)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disease:
    """An illness as applications show it: what hospitals write, who has it, what families ask."""

    key: str
    variants: tuple[tuple[str, str], ...]  # (diagnosis text as written, WHO ICD-10 code)
    ages: tuple[int, int, int]  # age at diagnosis: youngest, most common, oldest
    target: tuple[int, int]  # what a crowdfunding family asks for, CNY
    weight_crowdfunding: int
    weight_foundation: int
    care: str = "general"  # kind of hospital that treats it
    purpose: str = "住院治疗费用"
    sex: str | None = None
    childhood: bool = False
    grant: tuple[int, int] = (10_000, 50_000)  # what a foundation application asks for, CNY
    known_for_days: tuple[int, int] = (7, 240)  # from diagnosis to application
    provinces: tuple[str, ...] = ()  # where it clusters


DISEASES = (
    Disease("cerebral_haemorrhage",
            (("脑出血", "I61.9"), ("脑出血术后", "I61.9"), ("高血压性脑出血", "I61.9"),
             ("右侧基底节区脑出血", "I61.0"), ("自发性脑出血破入脑室", "I61.5"), ("脑溢血", "I61.9")),
            (28, 58, 84), (100_000, 400_000), 67, 2, purpose="开颅手术及重症监护费用", known_for_days=(2, 60)),
    Disease("uraemia",
            (("尿毒症", "N18.5"), ("慢性肾衰竭（尿毒症期）", "N18.5"), ("慢性肾脏病5期", "N18.5"),
             ("终末期肾病，维持性血液透析", "N18.5")),
            (16, 45, 75), (200_000, 500_000), 55, 6, purpose="透析及肾移植费用", known_for_days=(60, 1500)),
    Disease("leukaemia_adult",
            (("急性髓系白血病（M2型）", "C92.0"), ("急性髓系白血病M5", "C92.0"), ("急性淋巴细胞白血病", "C91.0"),
             ("急性早幼粒细胞白血病", "C92.4"), ("急性白血病", "C95.0"), ("急性髓系白血病（高危组）", "C92.0")),
            (18, 40, 68), (200_000, 500_000), 30, 5, care="blood", purpose="化疗及造血干细胞移植费用"),
    Disease("leukaemia_child",
            (("急性淋巴细胞白血病（B细胞型，中危）", "C91.0"), ("儿童急性淋巴细胞白血病", "C91.0"),
             ("急性髓系白血病（M5型）", "C92.0"), ("急性早幼粒细胞白血病", "C92.4"), ("白血病", "C95.9")),
            (1, 5, 17), (300_000, 600_000), 22, 30, care="children", purpose="化疗及骨髓移植费用", childhood=True),
    Disease("cml",
            (("慢性髓系白血病（慢性期）", "C92.1"), ("慢性粒细胞白血病", "C92.1"), ("CML慢性期", "C92.1")),
            (20, 45, 72), (100_000, 300_000), 5, 2, care="blood", purpose="靶向药治疗费用", known_for_days=(30, 900)),
    Disease("lung",
            (("右肺腺癌IV期", "C34.1"), ("左肺鳞状细胞癌", "C34.9"), ("肺腺癌伴脑转移", "C34.9"),
             ("小细胞肺癌（广泛期）", "C34.9"), ("右肺上叶腺癌（EGFR 19号外显子缺失）", "C34.1"),
             ("肺癌晚期", "C34.9"), ("左肺下叶腺癌术后", "C34.3")),
            (35, 62, 84), (100_000, 600_000), 45, 10, care="cancer", purpose="化疗、靶向及免疫治疗费用"),
    Disease("breast",
            (("左乳浸润性导管癌", "C50.9"), ("右乳腺癌术后", "C50.9"), ("乳腺癌（HER2阳性）", "C50.9"),
             ("左乳外上象限浸润性癌", "C50.4"), ("三阴性乳腺癌", "C50.9")),
            (26, 48, 76), (100_000, 400_000), 35, 18, care="cancer", purpose="手术及化疗费用", sex="F"),
    Disease("liver",
            (("原发性肝癌", "C22.0"), ("肝细胞癌", "C22.0"), ("肝癌晚期", "C22.9"), ("肝内胆管细胞癌", "C22.1")),
            (30, 56, 80), (150_000, 500_000), 32, 4, care="cancer", purpose="介入及靶向治疗费用"),
    Disease("colorectal",
            (("直肠癌", "C20"), ("结肠癌术后", "C18.9"), ("乙状结肠癌伴肝转移", "C18.7"), ("升结肠腺癌", "C18.2"),
             ("直肠腺癌术后化疗", "C20")),
            (30, 60, 84), (100_000, 400_000), 30, 4, care="cancer", purpose="手术及化疗费用"),
    Disease("stomach",
            (("胃癌", "C16.9"), ("胃窦低分化腺癌", "C16.3"), ("胃癌术后化疗", "C16.9"), ("贲门癌", "C16.0")),
            (35, 60, 84), (100_000, 400_000), 28, 4, care="cancer", purpose="手术及化疗费用"),
    Disease("lymphoma_adult",
            (("弥漫大B细胞淋巴瘤", "C83.3"), ("霍奇金淋巴瘤", "C81.9"), ("非霍奇金淋巴瘤", "C85.9"),
             ("NK/T细胞淋巴瘤（鼻型）", "C86.0"), ("外周T细胞淋巴瘤", "C84.4")),
            (18, 50, 80), (100_000, 400_000), 22, 6, care="blood", purpose="化疗及自体移植费用"),
    Disease("lymphoma_child",
            (("淋巴母细胞淋巴瘤", "C83.5"), ("伯基特淋巴瘤", "C83.7"), ("霍奇金淋巴瘤", "C81.9")),
            (3, 9, 17), (200_000, 500_000), 5, 6, care="children", purpose="化疗费用", childhood=True),
    Disease("chd",
            (("先天性心脏病（室间隔缺损）", "Q21.0"), ("房间隔缺损", "Q21.1"), ("法洛四联症", "Q21.3"),
             ("动脉导管未闭", "Q25.0"), ("先天性肺动脉瓣狭窄", "Q22.1"), ("先心病", "Q24.9"),
             ("完全性大动脉转位", "Q20.3")),
            (0, 1, 14), (30_000, 100_000), 12, 40, care="heart", purpose="心脏手术费用", childhood=True,
            grant=(20_000, 60_000), known_for_days=(15, 700)),
    Disease("cataract",
            (("老年性白内障", "H25.9"), ("双眼白内障", "H26.9"), ("年龄相关性白内障", "H25.9"),
             ("右眼老年性核性白内障", "H25.1")),
            (50, 68, 88), (10_000, 30_000), 1, 22, care="eye", purpose="白内障手术费用", grant=(3_000, 8_000),
            known_for_days=(30, 700)),
    Disease("cervical",
            (("宫颈鳞癌IIB期", "C53.9"), ("宫颈癌", "C53.9"), ("子宫颈癌术后", "C53.9"), ("宫颈腺癌", "C53.9")),
            (28, 50, 76), (100_000, 300_000), 12, 15, care="cancer", purpose="放化疗费用", sex="F"),
    Disease("thalassaemia",
            (("重型β地中海贫血", "D56.1"), ("β-地中海贫血（重型）", "D56.1"), ("地中海贫血", "D56.9")),
            (0, 4, 17), (300_000, 600_000), 5, 12, care="children", purpose="输血、去铁及造血干细胞移植费用",
            childhood=True, known_for_days=(100, 2500), provinces=("45", "44", "46", "53", "52", "36", "43")),
    Disease("cleft",
            (("唇腭裂", "Q37.9"), ("单侧完全性唇裂", "Q36.9"), ("腭裂", "Q35.9"), ("先天性唇腭裂", "Q37.9")),
            (0, 1, 12), (10_000, 50_000), 2, 10, care="children", purpose="修复手术费用", childhood=True,
            grant=(4_000, 30_000), known_for_days=(15, 1000)),
    Disease("haemophilia",
            (("血友病A（重型）", "D66"), ("血友病A", "D66"), ("血友病B", "D67")),
            (1, 12, 50), (100_000, 300_000), 4, 7, care="blood", purpose="凝血因子替代治疗费用", sex="M",
            known_for_days=(200, 4000)),
    Disease("aplastic_anaemia",
            (("重型再生障碍性贫血", "D61.9"), ("再生障碍性贫血", "D61.9")),
            (5, 30, 65), (200_000, 500_000), 8, 3, care="blood", purpose="免疫抑制治疗及骨髓移植费用"),
    Disease("neuroblastoma",
            (("神经母细胞瘤（高危组）", "C74.9"), ("右侧肾上腺神经母细胞瘤", "C74.9")),
            (0, 3, 10), (300_000, 800_000), 4, 3, care="children", purpose="手术、化疗及移植费用", childhood=True),
    Disease("sma",
            (("脊髓性肌萎缩症（SMA II型）", "G12.1"), ("脊髓性肌萎缩症I型", "G12.0")),
            (0, 1, 10), (300_000, 800_000), 3, 3, care="children", purpose="诺西那生钠注射治疗费用",
            childhood=True, known_for_days=(30, 1500)),
    Disease("deafness_child",
            (("双耳极重度感音神经性耳聋", "H90.3"), ("双耳重度听力损失", "H90.3")),
            (0, 2, 6), (100_000, 300_000), 2, 4, care="children", purpose="人工耳蜗植入费用", childhood=True,
            known_for_days=(30, 700)),
    Disease("gaucher",
            (("戈谢病（I型）", "E75.2"),),
            (2, 15, 40), (300_000, 1_000_000), 1, 2, purpose="酶替代治疗费用", known_for_days=(100, 3000)),
    Disease("osteosarcoma",
            (("骨肉瘤", "C40.2"), ("股骨远端骨肉瘤", "C40.2"), ("胫骨近端骨肉瘤", "C40.2")),
            (8, 16, 30), (150_000, 400_000), 5, 3, care="cancer", purpose="保肢手术及化疗费用"),
    Disease("myeloma",
            (("多发性骨髓瘤", "C90.0"), ("多发性骨髓瘤（IgG κ型）", "C90.0")),
            (40, 62, 82), (150_000, 400_000), 4, 2, care="blood", purpose="化疗及靶向治疗费用"),
    Disease("oesophageal",
            (("食管鳞癌", "C15.9"), ("食管癌", "C15.9"), ("食管中段癌术后", "C15.4")),
            (40, 64, 84), (80_000, 300_000), 8, 3, care="cancer", purpose="手术及放化疗费用",
            provinces=("13", "41", "14", "32")),
    Disease("nasopharyngeal",
            (("鼻咽癌", "C11.9"), ("鼻咽未分化型非角化性癌", "C11.9")),
            (25, 50, 76), (100_000, 300_000), 6, 2, care="cancer", purpose="放化疗费用",
            provinces=("44", "45", "35", "43")),
    Disease("pancreatic",
            (("胰腺癌", "C25.9"), ("胰头癌", "C25.0")),
            (40, 63, 84), (100_000, 400_000), 6, 1, care="cancer", purpose="手术及化疗费用"),
    Disease("glioma",
            (("脑胶质瘤", "C71.9"), ("胶质母细胞瘤（WHO 4级）", "C71.9"), ("脑干胶质瘤", "C71.7")),
            (5, 45, 76), (150_000, 400_000), 6, 1, purpose="开颅手术及放化疗费用"),
    Disease("ovarian",
            (("卵巢癌", "C56"), ("卵巢高级别浆液性癌", "C56")),
            (30, 55, 78), (100_000, 400_000), 5, 3, care="cancer", purpose="手术及化疗费用", sex="F"),
    Disease("kidney_cancer", (("肾癌", "C64"), ("左肾透明细胞癌", "C64")),
            (35, 58, 80), (100_000, 300_000), 4, 1, care="cancer", purpose="手术及靶向治疗费用"),
    Disease("brain_injury",
            (("重型颅脑损伤", "S06.2"), ("车祸致颅脑外伤", "S06.9"), ("外伤性硬膜下血肿术后", "S06.5")),
            (5, 40, 76), (100_000, 400_000), 15, 1, purpose="开颅手术及重症监护费用", known_for_days=(1, 30)),
    Disease("burns",
            (("大面积烧伤（III度）", "T31.5"), ("全身多处烧伤", "T31.3")),
            (1, 35, 70), (150_000, 500_000), 5, 1, purpose="植皮手术及治疗费用", known_for_days=(1, 45)),
    Disease("myocardial_infarction",
            (("急性心肌梗死", "I21.9"), ("急性前壁心肌梗死", "I21.0")),
            (40, 60, 82), (50_000, 200_000), 5, 1, care="heart", purpose="介入手术费用", known_for_days=(2, 60)),
    Disease("aortic_dissection",
            (("主动脉夹层（Stanford A型）", "I71.0"), ("主动脉夹层", "I71.0")),
            (30, 52, 75), (150_000, 400_000), 10, 1, care="heart", purpose="主动脉置换手术费用",
            known_for_days=(1, 30)),
    Disease("cerebral_infarction",
            (("脑梗死", "I63.9"), ("大面积脑梗死", "I63.9"), ("脑梗塞后遗症", "I69.3")),
            (40, 65, 85), (50_000, 200_000), 12, 1, purpose="治疗及康复费用", known_for_days=(2, 120)),
    Disease("pneumoconiosis",
            (("尘肺病（矽肺）", "J62.8"), ("煤工尘肺", "J60"), ("尘肺病III期", "J64")),
            (38, 55, 74), (50_000, 200_000), 1, 4, purpose="治疗及肺灌洗费用", sex="M",
            known_for_days=(60, 2000), provinces=("14", "15", "52", "43", "51", "62")),
    Disease("mdr_tb", (("耐多药肺结核", "A15.0"),),
            (20, 45, 72), (50_000, 150_000), 1, 2, purpose="抗结核治疗费用", known_for_days=(30, 400)),
    # Not in the disease-cost library: the importer should still take them and flag what it cannot judge.
    Disease("severe_pneumonia", (("重症肺炎", "J18.9"), ("重症肺炎伴呼吸衰竭", "J18.9")),
            (0, 60, 88), (50_000, 200_000), 10, 1, purpose="重症监护治疗费用", known_for_days=(1, 40)),
    Disease("liver_failure", (("肝衰竭", "K72.9"), ("慢加急性肝衰竭", "K72.9"), ("乙肝肝硬化失代偿期", "K74.6")),
            (25, 50, 75), (150_000, 500_000), 8, 1, purpose="人工肝及肝移植费用", known_for_days=(7, 300)),
    Disease("lupus", (("系统性红斑狼疮（狼疮性肾炎）", "M32.1"), ("系统性红斑狼疮", "M32.9")),
            (15, 30, 60), (100_000, 300_000), 5, 1, purpose="治疗费用", sex="F", known_for_days=(30, 1500)),
    Disease("fracture", (("股骨颈骨折", "S72.0"), ("多发骨折", "T02.9")),
            (10, 55, 88), (50_000, 200_000), 6, 1, purpose="手术及康复费用", known_for_days=(1, 30)),
    Disease("pancreatitis", (("重症急性胰腺炎", "K85.9"),),
            (25, 45, 75), (100_000, 300_000), 5, 1, purpose="重症监护治疗费用", known_for_days=(2, 60)),
    # Free text only: no code a hospital would write, so these arrive without icd10.
    Disease("vague_tumour", (("恶性肿瘤晚期", ""), ("肿瘤", ""), ("癌症晚期多处转移", "")),
            (30, 60, 84), (100_000, 400_000), 4, 1, care="cancer", purpose="治疗费用"),
)  # fmt: skip
DISEASES_BY_KEY = {d.key: d for d in DISEASES}

# --------------------------------------------------------------------------------------------
# People and places
# --------------------------------------------------------------------------------------------

# Population, millions (2020 census, rounded); Taiwan, Hong Kong and Macao are left out.
PROVINCE_WEIGHTS = {
    "11": 22, "12": 14, "13": 75, "14": 35, "15": 24, "21": 43, "22": 24, "23": 32, "31": 25, "32": 85,
    "33": 65, "34": 61, "35": 42, "36": 45, "37": 102, "41": 99, "42": 58, "43": 66, "44": 126, "45": 50,
    "46": 10, "50": 32, "51": 84, "52": 39, "53": 47, "54": 4, "61": 40, "62": 25, "63": 6, "64": 7, "65": 26,
}  # fmt: skip
assert set(PROVINCE_WEIGHTS) <= set(PROVINCES)

CITIES = {
    "11": ("北京市",), "12": ("天津市",), "31": ("上海市",), "50": ("重庆市",),
    "13": ("石家庄市", "保定市", "邯郸市", "唐山市", "沧州市"),
    "14": ("太原市", "大同市", "运城市", "长治市"),
    "15": ("呼和浩特市", "包头市", "赤峰市", "通辽市"),
    "21": ("沈阳市", "大连市", "鞍山市", "锦州市"),
    "22": ("长春市", "吉林市", "四平市"),
    "23": ("哈尔滨市", "齐齐哈尔市", "大庆市", "绥化市"),
    "32": ("南京市", "苏州市", "徐州市", "盐城市", "南通市"),
    "33": ("杭州市", "宁波市", "温州市", "金华市"),
    "34": ("合肥市", "阜阳市", "六安市", "亳州市", "安庆市"),
    "35": ("福州市", "厦门市", "泉州市", "漳州市"),
    "36": ("南昌市", "赣州市", "上饶市", "九江市", "吉安市"),
    "37": ("济南市", "青岛市", "临沂市", "菏泽市", "潍坊市", "济宁市"),
    "41": ("郑州市", "南阳市", "周口市", "商丘市", "信阳市", "驻马店市", "洛阳市"),
    "42": ("武汉市", "襄阳市", "荆州市", "黄冈市", "宜昌市"),
    "43": ("长沙市", "衡阳市", "邵阳市", "常德市", "怀化市"),
    "44": ("广州市", "深圳市", "湛江市", "茂名市", "梅州市", "揭阳市"),
    "45": ("南宁市", "柳州市", "玉林市", "桂林市", "百色市", "贵港市"),
    "46": ("海口市", "三亚市", "儋州市"),
    "51": ("成都市", "南充市", "达州市", "绵阳市", "宜宾市", "凉山彝族自治州"),
    "52": ("贵阳市", "遵义市", "毕节市", "黔东南苗族侗族自治州"),
    "53": ("昆明市", "曲靖市", "昭通市", "红河哈尼族彝族自治州", "大理白族自治州"),
    "54": ("拉萨市", "日喀则市"),
    "61": ("西安市", "咸阳市", "宝鸡市", "渭南市", "汉中市"),
    "62": ("兰州市", "天水市", "定西市", "陇南市"),
    "63": ("西宁市", "海东市"),
    "64": ("银川市", "固原市"),
    "65": ("乌鲁木齐市", "喀什地区", "伊犁哈萨克自治州"),
}  # fmt: skip
MUNICIPALITIES = ("11", "12", "31", "50")

# (name, province, kind); all 3A. Patients go to their provincial hospital or a national centre.
HOSPITALS = (
    ("北京协和医院", "11", "general"), ("中国医学科学院肿瘤医院", "11", "cancer"),
    ("首都医科大学附属北京儿童医院", "11", "children"), ("中国医学科学院阜外医院", "11", "heart"),
    ("北京大学人民医院", "11", "blood"), ("首都医科大学附属北京同仁医院", "11", "eye"),
    ("中国医学科学院血液病医院", "12", "blood"), ("天津医科大学肿瘤医院", "12", "cancer"),
    ("河北医科大学第二医院", "13", "general"), ("河北医科大学第四医院", "13", "cancer"),
    ("山西白求恩医院", "14", "general"), ("内蒙古医科大学附属医院", "15", "general"),
    ("中国医科大学附属盛京医院", "21", "general"), ("吉林大学第一医院", "22", "general"),
    ("哈尔滨医科大学附属第一医院", "23", "general"), ("哈尔滨医科大学附属肿瘤医院", "23", "cancer"),
    ("复旦大学附属中山医院", "31", "general"), ("复旦大学附属肿瘤医院", "31", "cancer"),
    ("上海交通大学医学院附属上海儿童医学中心", "31", "children"), ("上海交通大学医学院附属瑞金医院", "31", "blood"),
    ("江苏省人民医院", "32", "general"), ("苏州大学附属第一医院", "32", "blood"),
    ("浙江大学医学院附属第一医院", "33", "general"), ("浙江大学医学院附属儿童医院", "33", "children"),
    ("安徽省立医院", "34", "general"), ("福建医科大学附属协和医院", "35", "general"),
    ("江西省人民医院", "36", "general"), ("山东大学齐鲁医院", "37", "general"), ("山东省肿瘤医院", "37", "cancer"),
    ("郑州大学第一附属医院", "41", "general"), ("河南省肿瘤医院", "41", "cancer"), ("河南省儿童医院", "41", "children"),
    ("华中科技大学同济医学院附属同济医院", "42", "general"), ("武汉儿童医院", "42", "children"),
    ("中南大学湘雅医院", "43", "general"), ("湖南省儿童医院", "43", "children"),
    ("中山大学附属第一医院", "44", "general"), ("中山大学肿瘤防治中心", "44", "cancer"),
    ("广州市妇女儿童医疗中心", "44", "children"), ("广东省人民医院", "44", "heart"),
    ("南方医科大学南方医院", "44", "blood"), ("中山大学中山眼科中心", "44", "eye"),
    ("广西医科大学第一附属医院", "45", "general"), ("海南省人民医院", "46", "general"),
    ("重庆医科大学附属第一医院", "50", "general"), ("重庆医科大学附属儿童医院", "50", "children"),
    ("四川大学华西医院", "51", "general"), ("四川省肿瘤医院", "51", "cancer"),
    ("贵州医科大学附属医院", "52", "general"), ("昆明医科大学第一附属医院", "53", "general"),
    ("西藏自治区人民医院", "54", "general"), ("西安交通大学第一附属医院", "61", "general"),
    ("兰州大学第一医院", "62", "general"), ("青海大学附属医院", "63", "general"),
    ("宁夏医科大学总医院", "64", "general"), ("新疆医科大学第一附属医院", "65", "general"),
)  # fmt: skip
# Where families travel for treatment, by kind of care.
NATIONAL_CENTRES = (
    "北京协和医院", "中国医学科学院肿瘤医院", "首都医科大学附属北京儿童医院", "中国医学科学院阜外医院",
    "北京大学人民医院", "首都医科大学附属北京同仁医院", "中国医学科学院血液病医院", "复旦大学附属中山医院",
    "复旦大学附属肿瘤医院", "上海交通大学医学院附属上海儿童医学中心", "上海交通大学医学院附属瑞金医院",
    "苏州大学附属第一医院", "中山大学肿瘤防治中心", "广州市妇女儿童医疗中心", "中山大学中山眼科中心",
    "四川大学华西医院",
)  # fmt: skip
SHARE_NATIONAL_CENTRE = {"general": 0.10, "cancer": 0.25, "blood": 0.35, "children": 0.35, "heart": 0.35, "eye": 0.1}
SHARE_CITY_HOSPITAL = 0.15  # a prefecture-level hospital (3A/3B) or a county one (2A)

# Surnames with their rough share per ten thousand people: the hundred most common, and a few
# rare two-character ones (欧阳) that make an occasional four-character name.
SURNAMES = {
    "王": 710, "李": 700, "张": 670, "刘": 540, "陈": 450, "杨": 310, "黄": 220, "赵": 200, "吴": 180,
    "周": 170, "徐": 130, "孙": 120, "马": 120, "朱": 110, "胡": 100, "郭": 100, "何": 90, "林": 90,
    "高": 90, "罗": 90, "郑": 80, "梁": 80, "谢": 60, "宋": 60, "唐": 60, "许": 50, "韩": 50, "邓": 50,
    "冯": 50, "曹": 50, "彭": 50, "曾": 50, "肖": 40, "田": 40, "董": 40, "潘": 40, "袁": 40, "蔡": 40,
    "蒋": 40, "余": 40, "于": 40, "杜": 30, "叶": 30, "程": 30, "魏": 30, "苏": 30, "吕": 30, "丁": 30,
    "任": 30, "卢": 30, "姚": 30, "沈": 30, "钟": 30, "姜": 30, "崔": 30, "谭": 30, "陆": 30, "范": 20,
    "汪": 20, "廖": 20, "石": 20, "金": 20, "韦": 20, "贾": 20, "夏": 20, "付": 20, "方": 20, "邹": 20,
    "熊": 20, "白": 20, "孟": 20, "秦": 20, "邱": 20, "侯": 20, "江": 20, "尹": 20, "薛": 20, "闫": 20,
    "段": 20, "雷": 20, "龙": 10, "黎": 10, "史": 10, "陶": 10, "贺": 10, "毛": 10, "郝": 10, "顾": 10,
    "龚": 10, "邵": 10, "覃": 10, "万": 10, "欧阳": 4, "上官": 1, "司马": 1,
}  # fmt: skip

# Given names by sex and generation, two characters or one (so full names of two or three).
GIVEN_NAMES = {
    ("M", "before_1975"): ("建国", "建华", "国强", "志强", "国庆", "建军", "德明", "永刚", "长生", "振华",
                           "国平", "海涛", "福贵", "玉林", "春生", "卫东", "立新", "宝山", "军", "强", "勇",
                           "刚", "平", "明", "林", "华"),
    ("F", "before_1975"): ("秀英", "桂英", "秀兰", "玉兰", "桂兰", "凤英", "淑珍", "素芬", "玉梅", "春梅",
                           "秀珍", "丽华", "金凤", "美玲", "桂芳", "红梅", "芳", "霞", "梅", "兰", "英", "萍",
                           "娟", "红"),
    ("M", "1975_2004"): ("志伟", "俊杰", "海波", "晓东", "建峰", "文博", "国栋", "明辉", "鹏飞", "晓明",
                         "志刚", "家豪", "振宇", "天宇", "子龙", "浩", "伟", "磊", "涛", "鹏", "超", "杰",
                         "斌", "亮"),
    ("F", "1975_2004"): ("晓燕", "丽娟", "海燕", "玉洁", "婷婷", "雪梅", "丹丹", "晓丽", "佳慧", "春燕",
                         "慧敏", "文静", "静", "丽", "燕", "敏", "婷", "娜", "丹", "洁", "莉", "倩"),
    ("M", "since_2005"): ("子轩", "浩宇", "梓豪", "宇轩", "俊熙", "一鸣", "浩然", "子墨", "沐阳", "博文",
                          "皓轩", "梓睿", "奕辰", "铭泽", "宇航", "睿", "昊", "轩", "宸"),
    ("F", "since_2005"): ("子涵", "欣怡", "梓涵", "一诺", "诗涵", "雨桐", "可馨", "若汐", "语嫣", "紫萱",
                          "思琪", "梓萱", "梦瑶", "芷若", "琪", "萱", "妍", "悦"),
}  # fmt: skip

PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "170", "173", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)  # fmt: skip

# Who starts a campaign, by the patient's age.
RELATION_WEIGHTS_CHILD = {"parent": 88, "sibling": 3, "other": 9}
RELATION_WEIGHTS_ADULT = {"self": 30, "spouse": 28, "parent": 8, "child": 10, "sibling": 13, "other": 11}
RELATION_WEIGHTS_ELDERLY = {"child": 58, "spouse": 15, "self": 7, "sibling": 6, "other": 14}

# Aid already received, by provider kind: (weight for hardship families, weight for others).
AID_PROVIDER_WEIGHTS = {
    "medical_assistance": (50, 12),
    "temporary_assistance": (15, 5),
    "red_cross": (10, 13),
    "foundation": (15, 35),
    "crowdfunding": (10, 35),
}
OTHER_FOUNDATIONS = ("某市慈善总会", "县慈善会", "爱心企业定向捐助")

# How often each document comes with an application, by channel.
DOCUMENT_SHARES = {
    "crowdfunding": {
        "id_card": 0.90, "diagnosis_certificate": 0.92, "medical_record": 0.80, "asset_declaration": 0.85,
        "bank_account": 0.70, "hospital_invoice": 0.35, "household_register": 0.30, "discharge_summary": 0.25,
        "insurance_settlement": 0.20,
    },
    "foundation_aid": {
        "id_card": 0.85, "diagnosis_certificate": 0.90, "medical_record": 0.70, "hospital_invoice": 0.40,
        "household_register": 0.40, "bank_account": 0.40, "discharge_summary": 0.30, "insurance_settlement": 0.25,
    },
    "pap": {
        "id_card": 0.90, "diagnosis_certificate": 0.90, "prescription": 0.95, "medical_record": 0.85,
        "income_proof": 0.50,
    },
}  # fmt: skip

CENT = Decimal("0.01")


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def generate(*, cases: int = 2000, seed: int = 20261123, today: dt.date = dt.date(2026, 11, 23)) -> Iterator[dict]:
    """Yield exchange-format input objects (JSON-ready dicts, money as decimal strings "12000.50"),
    in dependency order: foundations, programs, blacklist, cases, aid."""
    world = _World(random.Random(seed), today)
    yield from (_foundation_line(f) for f in FOUNDATIONS)
    yield from (_program_line(p) for p in PROGRAMS)
    blacklisted = [world.new_adult() for _ in range(BLACKLIST_SIZE)]
    yield from (world.blacklist_line(person) for person in blacklisted)
    yield from world.case_lines(count=cases, blacklisted=blacklisted)
    yield from world.aid_lines(count=int(cases * AID_LINES_PER_CASE))


@dataclass
class Person:
    surname: str
    name: str
    sex: str
    birth_date: dt.date
    province: str
    city: str
    id_number: str
    phone: str


@dataclass(frozen=True)
class Household:
    size: int
    annual_income: int
    dibao_status: str
    houses: int
    car_value: int
    financial_assets: int

    @property
    def declares_assistance(self) -> bool:
        """On 低保, 特困, 建档立卡 or 低保边缘 by its own account (which may not fit its income)."""
        return self.dibao_status != "none"


@dataclass
class Episode:
    """One illness of one person, which may show up as several cases in several channels."""

    patient: Person
    disease: Disease
    diagnosed_on: dt.date
    hospital: str
    hospital_level: str
    household: Household
    insurance_basic: str
    critical_illness_payout: int | None
    submissions: list[dt.datetime] = field(default_factory=list)


@dataclass
class _CaseRecord:
    line: dict[str, Any]
    episode: Episode


class _World:
    """Holds the random source and what has been generated so far, so identities stay unique."""

    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.issued_ids: set[str] = set()
        self.records: list[_CaseRecord] = []

    # -- small helpers ---------------------------------------------------------------------

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def weighted(self, weights: dict[Any, int]) -> Any:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def amount(self, low: int, high: int, step: int = 1) -> int:
        """A whole amount in CNY between low and high, rounded down to a multiple of step."""
        return max(low, self.rng.randint(low, high) // step * step)

    def cents(self, low: int, high: int) -> Decimal:
        """An invoice-like amount with cents, between low and high CNY."""
        return Decimal(self.rng.randint(low * 100, high * 100)) / 100

    # -- people ----------------------------------------------------------------------------

    def new_person(self, *, sex: str, birth_date: dt.date, province: str, surname: str | None = None) -> Person:
        surname = surname or self.weighted(SURNAMES)
        generation = (
            "before_1975" if birth_date.year < 1975 else "1975_2004" if birth_date.year < 2005 else "since_2005"
        )
        given = self.rng.choice(GIVEN_NAMES[(sex, generation)])
        return Person(
            surname=surname,
            name=surname + given,
            sex=sex,
            birth_date=birth_date,
            province=province,
            city=self.rng.choice(CITIES[province]),
            id_number=self.new_id_number(province=province, birth_date=birth_date, sex=sex),
            phone=self.new_phone(),
        )

    def new_adult(self, *, province: str | None = None) -> Person:
        age = self.rng.randint(25, 60)
        return self.new_person(
            sex=self.rng.choice("MF"),
            birth_date=self.birth_date_for(age, on=self.today),
            province=province or self.weighted(PROVINCE_WEIGHTS),
        )

    def new_id_number(self, *, province: str, birth_date: dt.date, sex: str) -> str:
        while True:
            # Prefecture 01-15 and county 01-28 within the province: shaped like real address codes.
            address = f"{province}{self.rng.randint(1, 15):02d}{self.rng.randint(1, 28):02d}"
            sequence = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            number = idnumber.make(address=address, birth_date=birth_date, sequence=sequence)
            if number not in self.issued_ids:
                self.issued_ids.add(number)
                return number

    def new_phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def mistyped(self, value: str, *, first: int = 0) -> str:
        """The same digits with one of them changed, as a hurried clerk types it."""
        position = self.rng.randrange(first, 17 if len(value) == 18 else len(value))
        digit = self.rng.choice([d for d in "0123456789" if d != value[position]])
        return value[:position] + digit + value[position + 1 :]

    def birth_date_for(self, age: int, *, on: dt.date) -> dt.date:
        """A birth date that makes the person exactly `age` years old on `on`."""
        latest = _years_before(on, age) - (dt.timedelta(days=20) if age == 0 else dt.timedelta(0))
        earliest = _years_before(on, age + 1) + dt.timedelta(days=1)
        return earliest + dt.timedelta(days=self.rng.randint(0, (latest - earliest).days))

    # -- episodes --------------------------------------------------------------------------

    def new_episode(self, disease: Disease, channel: str, patient: Person | None = None) -> Episode:
        first_submission = self.submission_time()
        low, high = disease.known_for_days
        diagnosed_on = first_submission.date() - dt.timedelta(days=self.rng.randint(low, high))
        if patient is None:
            age = int(self.rng.triangular(disease.ages[0], disease.ages[2] + 0.999, disease.ages[1]))
            age = min(age, disease.ages[2])
            sex = disease.sex or self.rng.choice("MF")
            if disease.provinces and self.chance(0.7):
                province = self.rng.choice(disease.provinces)
            else:
                province = self.weighted(PROVINCE_WEIGHTS)
            patient = self.new_person(sex=sex, birth_date=self.birth_date_for(age, on=diagnosed_on), province=province)
        hospital, level = self.hospital_for(patient, disease)
        household = self.household_for(patient, disease, channel)
        basic, payout = self.insurance_for(patient, household)
        return Episode(
            patient=patient,
            disease=disease,
            diagnosed_on=diagnosed_on,
            hospital=hospital,
            hospital_level=level,
            household=household,
            insurance_basic=basic,
            critical_illness_payout=payout,
            submissions=[first_submission],
        )

    def submission_time(self) -> dt.datetime:
        day = self.today - dt.timedelta(days=self.rng.randint(1, SUBMITTED_WITHIN_DAYS))
        seconds = self.rng.randint(7 * 3600, 23 * 3600)
        return dt.datetime.combine(day, dt.time(), tzinfo=_CHINA) + dt.timedelta(seconds=seconds)

    def hospital_for(self, patient: Person, disease: Disease) -> tuple[str, str]:
        if patient.province not in MUNICIPALITIES and self.chance(SHARE_CITY_HOSPITAL):
            city = patient.city
            if self.chance(0.6):
                return f"{city}{self.rng.choice(('第一人民医院', '中心医院', '人民医院'))}", self.rng.choice(
                    ("3A", "3B")
                )
            return f"{city}第二人民医院", "2A"
        if self.chance(SHARE_NATIONAL_CENTRE[disease.care]):
            centres = [h for h in HOSPITALS if h[0] in NATIONAL_CENTRES and h[2] in (disease.care, "general")]
            return self.rng.choice(centres)[0], "3A"
        local = [h for h in HOSPITALS if h[1] == patient.province]
        fitting = [h for h in local if h[2] == disease.care] or [h for h in local if h[2] == "general"] or local
        if not fitting:
            return f"{patient.city}人民医院", "3A"
        return self.rng.choice(fitting)[0], "3A"

    def household_for(self, patient: Person, disease: Disease, channel: str) -> Household:
        profile = self.weighted(PROFILE_WEIGHTS_BY_CHANNEL[channel])
        size = self.weighted(HOUSEHOLD_SIZE_WEIGHTS)
        if disease.childhood:
            size = max(size, 3)
        if profile == "hardship":
            status = self.weighted(ASSISTANCE_WEIGHTS)
            if status == "tekun":  # destitute: no family to rely on
                size = 1 if not disease.childhood else 2
            income = size * self.amount(1_500, 5_800, step=100)
        elif profile == "inconsistent":
            status = self.weighted({"dibao": 70, "dibao_edge": 15, "jiandang": 15})
            income = max(self.amount(120_000, 300_000, step=1_000), size * self.amount(25_000, 60_000, step=1_000))
        elif profile == "upper":
            status = "none"
            income = self.amount(105_000, 450_000, step=1_000)
        else:
            status = "none"
            # Skewed towards the lower middle; the household stays at or below 100,000 a year.
            ceiling = min(40_000, UPPER_HOUSEHOLD_INCOME // size)
            per_person = min(self.rng.randint(7_000, ceiling), self.rng.randint(7_000, ceiling))
            income = size * per_person // 500 * 500
        houses, car, savings = self.assets_for(profile)
        return Household(size, income, status, houses, car, savings)

    def assets_for(self, profile: str) -> tuple[int, int, int]:
        if profile == "hardship":
            houses = 1 if self.chance(0.7) else 0
            car = self.amount(5_000, 30_000, step=1_000) if self.chance(0.05) else 0
            savings = self.amount(0, 5_000, step=100)
        elif profile == "upper":
            houses = self.weighted({1: 50, 2: 35, 3: 15})
            car = self.amount(100_000, 400_000, step=10_000) if self.chance(0.8) else 0
            savings = self.amount(50_000, 500_000, step=1_000)
        else:
            houses = self.weighted({0: 15, 1: 70, 2: 15})
            car = self.amount(30_000, 150_000, step=1_000) if self.chance(0.45) else 0
            savings = self.amount(0, 80_000, step=500)
        return houses, car, savings

    def insurance_for(self, patient: Person, household: Household) -> tuple[str, int | None]:
        age = _age_on(patient.birth_date, self.today)
        if age < 18 or household.declares_assistance:
            basic = self.weighted({"resident": 94, "none": 6})
        elif household.annual_income > 100_000:
            basic = self.weighted({"employee": 60, "resident": 37, "none": 3})
        else:
            basic = self.weighted({"employee": 20, "resident": 71, "none": 9})
        share_with_cover = 0.30 if household.annual_income > 100_000 and not household.declares_assistance else 0.07
        payout = self.amount(50_000, 500_000, step=10_000) if self.chance(share_with_cover) else None
        return basic, payout

    # -- cases -----------------------------------------------------------------------------

    def case_lines(self, *, count: int, blacklisted: Sequence[Person]) -> list[dict]:
        planted_patients = min(3, count // 300)
        planted_raisers = min(6, count // 100)
        for person in blacklisted[:planted_patients]:
            self.add_case_for_blacklisted_patient(person)
        while len(self.records) < count:
            self.add_person_cases(remaining=count - len(self.records))
        self.records.sort(key=lambda r: r.line["submitted_at"])
        self.plant_blacklisted_raisers(blacklisted[planted_patients : planted_patients + planted_raisers])
        counters = dict.fromkeys(CHANNEL_WEIGHTS, 0)
        for record in self.records:
            channel = record.line["channel"]
            counters[channel] += 1
            record.line = {"kind": "case", "ref": f"{_REF_PREFIX[channel]}-{counters[channel]:06d}", **record.line}
        return [r.line for r in self.records]

    def add_person_cases(self, *, remaining: int) -> None:
        channel = self.weighted(CHANNEL_WEIGHTS)
        program = self.pick_pap_program() if channel == "pap" else None
        disease = self.disease_for(channel, program)
        episode = self.new_episode(disease, channel)
        channels = [channel]
        if self.chance(SHARE_PERSONS_WITH_SEVERAL_CASES):
            channels += [self.weighted(EXTRA_CHANNEL_WEIGHTS) for _ in range(1 if self.chance(0.75) else 2)]
            episode.submissions += [self.later_submission(episode) for _ in channels[1:]]
            episode.submissions.sort()
        for index, case_channel in enumerate(channels[:remaining]):
            case_program = program if index == 0 else None
            if case_channel == "pap" and case_program is None:
                case_program = self.pap_program_for(disease)
                if case_program is None:
                    case_channel = "foundation_aid"
            line = self.case_line(episode, case_channel, episode.submissions[index], case_program, repeat=index > 0)
            self.records.append(_CaseRecord(line, episode))

    def add_case_for_blacklisted_patient(self, person: Person) -> None:
        age = _age_on(person.birth_date, self.today)
        candidates = {
            d: d.weight_crowdfunding
            for d in DISEASES
            if not d.childhood
            and d.sex in (None, person.sex)
            and d.ages[0] <= age <= d.ages[2]
            and d.weight_crowdfunding
        }
        episode = self.new_episode(self.weighted(candidates), "crowdfunding", patient=person)
        line = self.case_line(episode, "crowdfunding", episode.submissions[0], None, repeat=False)
        line["patient"]["id_number"] = person.id_number
        line["raiser"] = {"name": person.name, "relation": "self", "id_number": person.id_number, "phone": person.phone}
        self.records.append(_CaseRecord(line, episode))

    def plant_blacklisted_raisers(self, people: Sequence[Person]) -> None:
        campaigns = [
            r for r in self.records if r.line["channel"] == "crowdfunding" and r.line["raiser"]["relation"] != "self"
        ]
        for record, person in zip(self.rng.sample(campaigns, min(len(people), len(campaigns))), people, strict=False):
            record.line["raiser"] = {
                "name": person.name,
                "relation": self.rng.choice(("other", "sibling")),
                "id_number": person.id_number,
                "phone": person.phone,
            }

    def later_submission(self, episode: Episode) -> dt.datetime:
        """Another application for the same illness, no earlier than the diagnosis."""
        while True:
            moment = self.submission_time()
            if moment.date() > episode.diagnosed_on:
                return moment

    def pick_pap_program(self) -> Program:
        return _PROGRAMS_BY_REF[self.weighted(PAP_PROGRAM_WEIGHTS)]

    def pap_program_for(self, disease: Disease) -> Program | None:
        for ref, key in PAP_INDICATION.items():
            if key == disease.key:
                return _PROGRAMS_BY_REF[ref]
        return None

    def disease_for(self, channel: str, pap_program: Program | None) -> Disease:
        if pap_program is not None:
            if self.chance(SHARE_PROGRAM_MISMATCH):  # applies with a neighbouring cancer
                return DISEASES_BY_KEY[
                    self.rng.choice(("breast", "liver", "stomach", "leukaemia_adult", "lymphoma_adult"))
                ]
            return DISEASES_BY_KEY[PAP_INDICATION[pap_program.ref]]
        if channel == "crowdfunding":
            return self.weighted({d: d.weight_crowdfunding for d in DISEASES})
        return self.weighted({d: d.weight_foundation for d in DISEASES})

    def foundation_program_for(self, episode: Episode, code: str) -> Program:
        programs = [p for p in PROGRAMS if p.channel == "foundation_aid"]
        age = _age_on(episode.patient.birth_date, episode.diagnosed_on)
        fitting = [p for p in programs if _program_fits(p, code, age, episode.patient)]
        specific = [p for p in fitting if p.icd10]
        if self.chance(SHARE_PROGRAM_MISMATCH) or not fitting:
            return self.rng.choice(programs)
        return self.rng.choice(specific if specific and self.chance(0.8) else fitting)

    def case_line(
        self, episode: Episode, channel: str, submitted_at: dt.datetime, program: Program | None, *, repeat: bool
    ) -> dict[str, Any]:
        disease, patient, household = episode.disease, episode.patient, episode.household
        text, code = self.rng.choice(disease.variants)
        if channel == "foundation_aid":
            program = self.foundation_program_for(episode, code or "R69")
        line: dict[str, Any] = {
            "channel": channel,
            "source": self.source_for(channel, program),
            "submitted_at": submitted_at.isoformat(),
        }
        if program is not None:
            line["target_program"] = program.ref
        line["patient"] = self.patient_part(patient, repeat=repeat)
        if channel == "crowdfunding":
            line["raiser"] = self.raiser_part(patient, line["patient"], submitted_at.date())
        line["household"] = self.household_part(household, with_assets=channel == "crowdfunding", repeat=repeat)
        line["insurance"] = {"basic": episode.insurance_basic}
        if episode.critical_illness_payout is not None:
            line["insurance"]["critical_illness_payout"] = _money(episode.critical_illness_payout)
        line["diagnosis"] = self.diagnosis_part(episode, text, code)
        amount, purpose = self.request_for(episode, channel, program)
        line["request"] = {"amount": _money(amount)}
        if self.chance(0.8):
            line["request"]["purpose"] = purpose
        if channel == "crowdfunding" and self.chance(0.95):
            line["raised"] = _money(self.raised_for(amount))
        line["documents"] = [{"type": t} for t in self.documents_for(channel, program, household, patient)]
        if self.chance(0.96):
            line["consent"] = {
                "data_sharing": self.chance(0.94),
                "public_disclosure": self.chance(0.93 if channel == "crowdfunding" else 0.25),
            }
        return line

    def source_for(self, channel: str, program: Program | None) -> str:
        if channel == "crowdfunding":
            return self.weighted(CROWDFUNDING_PLATFORMS)
        assert program is not None
        foundation = _FOUNDATIONS_BY_REF[program.foundation]
        return foundation.ref if self.chance(0.2) else foundation.name

    def patient_part(self, patient: Person, *, repeat: bool) -> dict[str, Any]:
        part: dict[str, Any] = {
            "name": self.name_as_written(patient.name) if repeat else patient.name,
            "birth_date": self.birth_date_as_written(patient.birth_date, repeat=repeat).isoformat(),
            "sex": patient.sex,
            "province": patient.province,
        }
        if self.chance(SHARE_ID_NUMBER_SHOWN):
            typo = self.chance(SHARE_ID_NUMBER_TYPO)
            part["id_number"] = self.mistyped(patient.id_number) if typo else patient.id_number
        if self.chance(SHARE_PHONE_SHOWN):
            part["phone"] = self.phone_as_given(patient.phone) if repeat else patient.phone
        if self.chance(SHARE_CITY_SHOWN):
            part["city"] = patient.city
        return part

    def name_as_written(self, name: str) -> str:
        """Another form's spelling of a name: traditional characters, a homophone, a space."""
        kind = self.weighted(NAME_VARIANT_WEIGHTS)
        if kind == "traditional":
            return _to_traditional(name)
        if kind == "space":
            return f"{name[0]} {name[1:]}"
        if kind == "homophone":
            index = self.rng.randrange(1, len(name)) if len(name) > 1 else 0
            others = _homophones().get(name[index])
            if others:
                return name[:index] + self.rng.choice(others) + name[index + 1 :]
        return name

    def birth_date_as_written(self, day: dt.date, *, repeat: bool) -> dt.date:
        """Day and month swapped on some later forms, where the swap is still a date."""
        if repeat and day.day <= 12 and day.day != day.month and self.chance(SHARE_BIRTH_DATE_SWAPPED):
            return day.replace(month=day.day, day=day.month)
        return day

    def phone_as_given(self, phone: str) -> str:
        """On a second application the phone is usually the same, sometimes mistyped or a new one."""
        kind = self.weighted({"same": 70, "mistyped": 18, "new": 12})
        if kind == "mistyped":
            return self.mistyped(phone, first=3)
        return self.new_phone() if kind == "new" else phone

    def raiser_part(self, patient: Person, patient_part: dict[str, Any], on: dt.date) -> dict[str, Any]:
        age = _age_on(patient.birth_date, on)
        weights = (
            RELATION_WEIGHTS_CHILD if age < 18 else RELATION_WEIGHTS_ELDERLY if age >= 60 else RELATION_WEIGHTS_ADULT
        )
        relation = self.weighted(weights)
        if relation == "self":
            part = {"name": patient.name, "relation": "self"}
            for key in ("id_number", "phone"):
                if key in patient_part:
                    part[key] = patient_part[key]
            return part
        raiser = self.relative_of(patient, relation, age)
        if raiser is None:
            relation, raiser = "other", self.new_adult(province=patient.province)
        part = {"name": raiser.name, "relation": relation}
        if self.chance(SHARE_RAISER_ID_NUMBER_SHOWN):
            typo = self.chance(SHARE_RAISER_ID_NUMBER_TYPO)
            part["id_number"] = self.mistyped(raiser.id_number) if typo else raiser.id_number
        if self.chance(SHARE_PHONE_SHOWN):
            # A child's phone on the form is a parent's phone.
            shares_phone = relation == "parent" and "phone" in patient_part and self.chance(0.8)
            part["phone"] = patient_part["phone"] if shares_phone else raiser.phone
        return part

    def relative_of(self, patient: Person, relation: str, age: int) -> Person | None:
        if relation == "parent":
            sex = self.weighted({"F": 55, "M": 45})
            raiser_age = age + self.rng.randint(20, 38)
            surname = patient.surname if sex == "M" else None
        elif relation == "spouse":
            sex = "F" if patient.sex == "M" else "M"
            raiser_age = max(20, age + self.rng.randint(-5, 5))
            surname = None
        elif relation == "child":
            sex = self.rng.choice("MF")
            raiser_age = age - self.rng.randint(22, 35)
            surname = patient.surname if self.chance(0.85) else None
        elif relation == "sibling":
            sex = self.rng.choice("MF")
            raiser_age = age + self.rng.randint(-8, 8)
            surname = patient.surname
        else:
            return None
        if raiser_age < 18:
            return None
        return self.new_person(
            sex=sex,
            birth_date=self.birth_date_for(raiser_age, on=self.today),
            province=patient.province,
            surname=surname,
        )

    def household_part(self, household: Household, *, with_assets: bool, repeat: bool) -> dict[str, Any]:
        income = household.annual_income
        if repeat and self.chance(0.3):  # declared a little differently the second time
            income = income * (100 + self.rng.randint(-10, 10)) // 100 // 100 * 100
        part: dict[str, Any] = {
            "size": household.size,
            "annual_income": _money(income),
            "dibao_status": household.dibao_status,
        }
        if with_assets and self.chance(0.92):
            part["assets"] = {
                "houses": household.houses,
                "car_value": _money(household.car_value),
                "financial_assets": _money(household.financial_assets),
            }
        return part

    def diagnosis_part(self, episode: Episode, text: str, code: str) -> dict[str, Any]:
        part: dict[str, Any] = {"text": text}
        if code and self.chance(SHARE_ICD10_SHOWN):
            part["icd10"] = self.loosely_written(code) if self.chance(SHARE_ICD10_WRITTEN_LOOSELY) else code
        if self.chance(0.95):
            part["hospital"] = episode.hospital
            if self.chance(0.95):
                part["hospital_level"] = episode.hospital_level
        if self.chance(SHARE_DIAGNOSED_ON_SHOWN):
            part["diagnosed_on"] = episode.diagnosed_on.isoformat()
        return part

    def loosely_written(self, code: str) -> str:
        return code.lower() if self.chance(0.5) or "." not in code else code.replace(".", "")

    def request_for(self, episode: Episode, channel: str, program: Program | None) -> tuple[Decimal, str]:
        disease = episode.disease
        if channel == "crowdfunding":
            low, high = disease.target
            target = self.amount(low, high, step=10_000 if low >= 50_000 else 1_000)
            if self.chance(SHARE_INFLATED_TARGET):
                target = max(high * self.rng.randint(6, 12), self.rng.choice((2_000_000, 3_000_000, 5_000_000)))
            return Decimal(target), disease.purpose
        if channel == "pap":
            assert program is not None and program.pap is not None
            terms = program.pap
            if terms.hardship_free and episode.household.declares_assistance:
                cycles = terms.paid_cycles + terms.free_cycles
            else:
                cycles = terms.free_cycles if self.chance(0.85) else self.rng.randint(1, terms.free_cycles)
            return Decimal(terms.cycle_value * cycles), f"申请{terms.drug}援助用药{cycles}个周期"
        low, high = disease.grant
        if self.chance(0.6):
            amount = Decimal(self.amount(low, high, step=1_000))
        else:  # reimbursement against receipts
            amount = self.cents(low, high)
        if self.chance(0.05):
            amount = Decimal(self.amount(60_000, 150_000, step=5_000))  # asks beyond any cash grant
        return amount, disease.purpose

    def raised_for(self, target: Decimal) -> Decimal:
        """Most campaigns raise well short of their target; a few exceed it."""
        permille = min(self.rng.randint(0, 1_050), self.rng.randint(0, 1_050))
        target_cents = int(target * 100)
        raised_cents = min(target_cents * permille // 1_000, MAX_RAISED * 100) + self.rng.randint(0, 99)
        return Decimal(raised_cents) / 100

    def documents_for(self, channel: str, program: Program | None, household: Household, patient: Person) -> list[str]:
        required = program.required_documents if program is not None else ()
        present = {t for t, share in DOCUMENT_SHARES[channel].items() if t not in required and self.chance(share)}
        if household.declares_assistance and self.chance(0.8):
            present.add("dibao_certificate")
        elif channel == "foundation_aid" and self.chance(0.5):
            present.add("income_proof")
        if channel != "crowdfunding" and _age_on(patient.birth_date, self.today) < 18 and self.chance(0.8):
            present.add("household_register")
        # Required documents come most of the time; a missing one is what missing_documents is for.
        present -= set(required)
        present |= {t for t in required if self.chance(SHARE_REQUIRED_DOCUMENT_PRESENT)}
        if not household.declares_assistance:
            present.discard("dibao_certificate")  # a family not on assistance has no certificate to send
        return [t for t in DOCUMENT_TYPES if t in present]

    # -- blacklist and aid -----------------------------------------------------------------

    def blacklist_line(self, person: Person) -> dict[str, Any]:
        since = self.today - dt.timedelta(days=self.rng.randint(60, 2_000))
        return {
            "kind": "blacklist",
            "id_number": person.id_number,
            "name": person.name,
            "reason": self.rng.choice(BLACKLIST_REASONS),
            "since": since.isoformat(),
        }

    def aid_lines(self, *, count: int) -> list[dict]:
        if not self.records:
            return []
        lines: list[dict[str, Any]] = []
        for _ in range(count):
            record = self.rng.choice(self.records)
            episode, case = record.episode, record.line
            hardship = episode.household.declares_assistance
            kind = self.weighted({k: w[0] if hardship else w[1] for k, w in AID_PROVIDER_WEIGHTS.items()})
            provider, amount = self.aid_from(kind, episode, case["channel"])
            first_day = episode.diagnosed_on + dt.timedelta(days=1)
            last_day = self.today - dt.timedelta(days=1)
            day = first_day + dt.timedelta(days=self.rng.randint(0, max(0, (last_day - first_day).days)))
            day = min(day, last_day)  # diagnosed only yesterday: the aid came the same day
            line: dict[str, Any] = {}
            shown_id = case["patient"].get("id_number")
            if shown_id == episode.patient.id_number and self.chance(0.5):
                line["patient_id_number"] = shown_id
            else:
                line["case"] = case["ref"]
            line.update(provider=provider, amount=_money(amount), date=day.isoformat())
            code = case["diagnosis"].get("icd10")
            if code and self.chance(0.5):
                line["icd10"] = _normalised_code(code)
            lines.append(line)
        lines.sort(key=lambda aid: aid["date"])
        return [{"kind": "aid", "ref": f"AID-{n:06d}", **aid} for n, aid in enumerate(lines, start=1)]

    def aid_from(self, kind: str, episode: Episode, channel: str) -> tuple[str, Decimal]:
        city = episode.patient.city
        if kind == "medical_assistance":
            return f"{city}医疗救助", self.cents(2_000, 30_000)
        if kind == "temporary_assistance":
            return f"{city}民政局临时救助", Decimal(self.amount(1_000, 10_000, step=500))
        if kind == "red_cross":
            return f"{city}红十字会", Decimal(self.amount(2_000, 20_000, step=1_000))
        if kind == "crowdfunding" and channel != "crowdfunding":
            return self.weighted(CROWDFUNDING_PLATFORMS), self.cents(10_000, 200_000)
        names = [f.name for f in FOUNDATIONS] + list(OTHER_FOUNDATIONS)
        return self.rng.choice(names), Decimal(self.amount(5_000, 50_000, step=1_000))


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------

_CHINA = dt.timezone(dt.timedelta(hours=8))
_REF_PREFIX = {"crowdfunding": "CF", "foundation_aid": "FA", "pap": "PAP"}
_PROGRAMS_BY_REF = {p.ref: p for p in PROGRAMS}
_FOUNDATIONS_BY_REF = {f.ref: f for f in FOUNDATIONS}


@lru_cache(maxsize=1)
def _traditional_converter():
    import opencc

    return opencc.OpenCC("s2t")


def _to_traditional(text: str) -> str:
    return _traditional_converter().convert(text)


@lru_cache(maxsize=1)
def _homophones() -> dict[str, tuple[str, ...]]:
    """Characters of given names that sound alike (same toneless pinyin), as an input method offers them."""
    from pypinyin import lazy_pinyin

    chars = sorted({c for names in GIVEN_NAMES.values() for name in names for c in name})
    by_sound: dict[str, list[str]] = defaultdict(list)
    for char, sound in zip(chars, lazy_pinyin(chars), strict=True):
        by_sound[sound].append(char)
    return {c: tuple(o for o in group if o != c) for group in by_sound.values() for c in group if len(group) > 1}


def _money(amount: int | Decimal) -> str:
    return str(Decimal(amount).quantize(CENT))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _normalised_code(code: str) -> str:
    code = code.upper()
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else code


def _category_key(code: str) -> tuple[str, int]:
    return code[0], int(code[1:3])


def icd10_pattern_matches(code: str, pattern: str) -> bool:
    """Whether a program's icd10 entry (code, category or range of categories) covers a code."""
    if "-" in pattern:
        low, high = pattern.split("-")
        return _category_key(low) <= _category_key(code) <= _category_key(high)
    if len(pattern) == 3:
        return code[:3] == pattern
    return code == pattern


def _program_fits(program: Program, code: str, age: int, patient: Person) -> bool:
    return (
        (not program.icd10 or any(icd10_pattern_matches(code, p) for p in program.icd10))
        and (program.age_min is None or age >= program.age_min)
        and (program.age_max is None or age <= program.age_max)
        and (program.sex is None or program.sex == patient.sex)
        and (not program.provinces or patient.province in program.provinces)
    )


def _foundation_line(foundation: Foundation) -> dict[str, Any]:
    code = uscc.make(foundation.uscc_first17)
    if foundation.uscc_check_fails:
        wrong = uscc.ALPHABET[(uscc.ALPHABET.index(code[-1]) + 7) % len(uscc.ALPHABET)]
        code = code[:-1] + wrong
    return {
        "kind": "foundation",
        "ref": foundation.ref,
        "name": foundation.name,
        "uscc": code,
        # example.org: reserved for examples, so demo mail can never reach anyone.
        "contact_email": f"aid@{foundation.email_host}.example.org",
    }


def _program_line(program: Program) -> dict[str, Any]:
    line: dict[str, Any] = {
        "kind": "program",
        "ref": program.ref,
        "foundation": program.foundation,
        "channel": program.channel,
        "name": program.name,
        "aid_type": program.aid_type,
        "cap_per_case": _money(program.cap_per_case),
        "budget": _money(program.budget),
    }
    optional = {
        "icd10": list(program.icd10),
        "income_tiers": list(program.income_tiers),
        "age_min": program.age_min,
        "age_max": program.age_max,
        "sex": program.sex,
        "provinces": list(program.provinces),
        "required_documents": list(program.required_documents),
    }
    line.update({k: v for k, v in optional.items() if v not in (None, [])})
    if program.pap is not None:
        line["pap"] = {
            "drug": program.pap.drug,
            "cycle_value": _money(program.pap.cycle_value),
            "paid_cycles": program.pap.paid_cycles,
            "free_cycles": program.pap.free_cycles,
            "hardship_free": program.pap.hardship_free,
        }
    return line


if __name__ == "__main__":
    for obj in generate():
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
