"""Free-text diagnoses, as hospitals and families write them, to a disease-library entry and an ICD-10 code.

"右肺腺癌IV期", "急性髓系白血病（M2型）", "CML慢性期", "DLBCL", "腎衰竭": the text is folded
(traditional to simplified, Taiwan and Hong Kong terms to mainland ones, full-width to half-width,
Latin to upper case), stripped of what says how far, how treated or who is writing rather than
what (stage, TNM, type in brackets, "术后", "晚期", laterality, a named spread "骨转移", "我爸"),
and then classified by scikit-learn: character n-gram TF-IDF of the folded text plus word n-grams
of its pinyin (so that homophone slips, "鼻烟癌" for 鼻咽癌, look alike) feed a multinomial
logistic regression. The classes are (entry, code) pairs: an entry's names give its default code,
and ``cases/data/diagnosis_codes.csv`` says which names or body sites give a more specific code
(室间隔缺损 is Q21.0 within congenital heart disease, 股骨骨肉瘤 is C40).

The model is trained on the library's names and synonyms only, each also written the ways the
folding removes and the ways it does not (a family's "我妈得了…", a specific name after a general
one, a site before a tumour, a cause before an injury, "后遗症" after a stroke), never on
evaluation texts, plus an "outside" class (the library's cancer organs with benign words:
甲状腺结节, 结肠息肉) that takes probability away from the organ's cancer and is never returned.
A text is read whole, clause by clause ("舌头上长了个溃疡，活检是舌癌") and, if still unsure, by
what it says in brackets; a clause wins when it names another entry and is clearly surer.

Latin words the library never uses are dropped first ("on gilteritinib"), and the reading is
then weighed against what the words say about a tumour's site and behaviour
(``cases/lib/neoplasm.py``: "（乙状结肠）中分化腺癌" is C18.7 whatever the model guesses); a code no
entry covers (子宫肌瘤: D25) comes back without an entry (``Match.key == ""``). Illnesses the library
does not price are read from the names of ``cases/data/icd10_terms.csv`` (``cases/lib/vocabulary.py``)
where one is clearly nearer than anything the library names: "早产儿视网膜病变 3期" is H35.1.
A name of either written out whole settles what the model is unsure of ("我老公是慢性乙肝，大三阳"
holds 乙肝), and so does one spelt by sound with half its characters right ("颠痫" is 癫痫); a
longer written name holding the one the model read wins over it ("湿疹血小板减少伴免疫缺陷综合征"
is not thrombocytopenia). Last, the code follows ICD-10's rules for what is coded: a consequence
or a state (coma, paralysis, respiratory failure, an effusion, a transplant) yields to the illness
named beside it; a condition the text says came from the perinatal period, from drinking or with
a cleft palate takes its own code (a newborn's sepsis is P36, cirrhosis from drinking K70.3), two
valves named are multiple valve disease (I08), and an injury, a burn or a poisoning written with
"后遗症" is its late effect (T90-T97). A clause that says what may come ("以后可能会脑瘫") is not read.

The confidence (0-1) is the geometric mean of the model's probability for the winning ICD-10
category and the text's cosine similarity (same features) to the nearest training text of that
category: a text must both be told apart from the other classes and look like something the
library names. Below the threshold the caller flags the case `unknown_diagnosis` for a case
worker to pick. ``benchmarks/diagnosis`` measures it and says how the threshold was chosen.

Use :func:`library_normaliser` (built once per library version and content, kept in memory and
pickled under ``DIAGNOSIS_MODEL_CACHE``); a ``match`` then takes about 2 ms, a batch about 0.3 ms
a text. Pure Python plus scikit-learn, opencc and pypinyin; no Django.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import os
import pickle
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cases.lib import disease_library, icd10, neoplasm, sounds, vocabulary

VERSION = "diagnosis-tfidf-logreg/4"
DEFAULT_THRESHOLD = 0.55  # chosen on the dev halves of eval_set.csv and outside.csv (benchmarks/diagnosis)
CLAUSE_MARGIN = 0.15
RULE_CONFIDENCE = 0.9  # a site and a behaviour named in words (cases/lib/neoplasm.py)
TERM_MINIMUM = 0.7  # a name of cases/data/icd10_terms.csv must be at least this similar to be read
TERM_MARGIN = 0.05  # … and this much closer than the library's nearest text (chosen on the dev halves)
NAMED_CONFIDENCE = 0.6  # a name of the library or the terms file written out whole in an unsure text
SOUND_WEIGHT = 1.0
CODES_PATH = Path(__file__).resolve().parent.parent / "data" / "diagnosis_codes.csv"
CODES_COLUMNS = ("key", "code", "names", "qualifiers", "with")

# -- folding ----------------------------------------------------------------------------------------

# English sites of two words, read before the words are read one by one (plurals first).
_ENGLISH_PHRASES = (
    ("RENAL PELVIS", "肾盂"), ("GALL BLADDER", "胆囊"), ("BILE DUCTS", "胆管"), ("BILE DUCT", "胆管"),
    ("ASCENDING COLON", "升结肠"), ("TRANSVERSE COLON", "横结肠"), ("DESCENDING COLON", "降结肠"),
    ("SIGMOID COLON", "乙状结肠"), ("SOFT TISSUES", "软组织"), ("SOFT TISSUE", "软组织"),
    ("LYMPH NODES", "淋巴结"), ("LYMPH NODE", "淋巴结"), ("BONE MARROW", "骨髓"),
)  # fmt: skip
_PHRASE_WORDS = frozenset(word for phrase, _ in _ENGLISH_PHRASES for word in phrase.split())

# Taiwan and Hong Kong terms that opencc's phrase table leaves alone, to the mainland term.
_REGIONAL = [
    (re.compile(p), r)
    for p, r in (
        (r"中膈", "间隔"),
        (r"再生不良性", "再生障碍性"),
        (r"洗肾", "透析"),
        (r"(?<!终)末期肾脏?病", "终末期肾病"),
        (r"乳突癌", "乳头状癌"),
        (r"蜘蛛网膜", "蛛网膜"),
        (r"何杰金", "霍奇金"),
        (r"何奇金", "霍奇金"),
        (r"克隆症", "克罗恩病"),
        (r"骨髓性白血病", "髓系白血病"),
        (r"前骨髓细胞", "早幼粒细胞"),
        (r"肌肉萎缩", "肌萎缩"),
        (r"红斑性狼疮", "红斑狼疮"),
        (r"综合症", "综合征"),
        (r"粘液", "黏液"),
        (r"肾脏", "肾"),
        (r"肝脏", "肝"),
        (r"胰脏", "胰腺"),
        (r"(?<=[肺肝肾脾胃脑])(?:部|脏)(?!分)", ""),  # 肺部, 肺脏: the organ
        (r"胰(?:头|体|尾|颈)部?", "胰腺"),
        (r"血液透析|血透", "透析"),
        (r"(?:摔|撞|压|砸|跌|碰)断|骨头断", "骨折"),  # "大腿骨摔断了": a fracture
        (r"非外伤性|非创伤性", "自发性"),
        (r"换(?:了|过)?(?:一个|个)?(肝|肾|心脏?|肺)", r"\1移植"),  # "前年换了肝": a transplant
        (r"骨髓化生不良", "骨髓增生异常"),
        (r"症候群", "综合征"),
        (r"(?<=[\u4e00-\u9fff])氏(?=[\u4e00-\u9fff])", ""),  # 尤文氏肉瘤, 巴金森氏症, 高雪氏病
    )
] + [(re.compile(r"\s*".join(phrase.split())), chinese) for phrase, chinese in _ENGLISH_PHRASES]

# FAB types of acute myeloid leukaemia, written as "M2", "AML-M5", "(M3)": to the name of the type.
_FAB = {
    "0": "急性髓系白血病", "1": "急性髓系白血病", "2": "急性髓系白血病", "3": "急性早幼粒细胞白血病",
    "4": "急性粒单核细胞白血病", "5": "急性单核细胞白血病", "6": "急性红白血病", "7": "急性巨核细胞白血病",
}  # fmt: skip
_FAB_TYPE = re.compile(r"(?:(?:AML|ANLL)[-\s]*|(?<![A-Z0-9]))M([0-7])[AB]?(?![0-9])")
_LEUKAEMIA_CONTEXT = re.compile(r"白[血学雪]|AML|ANLL|APL|急粒|急髓|急非淋|M[0-7][AB]?型")
_GENERIC_LEUKAEMIA = re.compile(
    r"急性髓系白血病|急性髓细胞性?白血病|急性非淋巴细胞白血病|急性白血病|AML|ANLL|(?<![系粒核红巨淋胞性])白血病"
)

# What a diagnosis says about stage, type or treatment rather than which illness it is.
# Surgery, whose 手 is not the hand: removed whole before "术后" could leave "手" ("烧伤手术后")
_SURGERY = r"手术后?|手段"
# A regimen: drug names (by their usual endings) joined by "+"
_DRUG = r"[\u4e00-\u9fff]{1,6}(?:替尼|单抗|米|胺|松|铂|醇|他赛|星|滨|昔布|肽|素|司|汀|酮|唑|韦|仑|嗪|酯|泊苷|嘧啶)"
_REGIMEN = rf"(?:{_DRUG}\s*\+\s*)+{_DRUG}"
# Staging systems, kept with their stage so that the noise rule below removes both ("R-ISS II")
_STAGINGS = frozenset(
    ["BCLC", "CNLC", "FIGO", "INSS", "ISS", "ANN", "ARBOR", "BINET", "RAI", "KILLIP", "HUNT", "HESS", "NYHA", "WHO"]
)
_NOISE = [
    re.compile(p)
    for p in (
        r"[(（\[【][^)）\]】]*[)）\]】]",  # anything in brackets: (M2型), （高危）, [复发]
        r"P?C?T[0-4XIS][A-D]?N[0-3X][A-C]?M[0-1X][A-C]?",  # TNM
        r"(?:BCLC|CNLC|FIGO|INSS|ISS|R-ISS|ANN\s*ARBOR|BINET|RAI|KILLIP|HUNT-HESS|NYHA|WHO)\s*[-]?\s*(?:[IVX]+|[ⅠⅡⅢⅣⅤ]+|[0-4]|[A-D])?\s*[A-C]?\s*[期级型]?",
        r"第[一二三四五六七八九十\d]+(?:期|疗程|周期|次)",
        r"(?:[IVX]+|[ⅠⅡⅢⅣⅤ]+|[0-4]|[一二三四五叁])\s*[A-C]?\d?\s*[期级]",  # stage, grade
        r"(?<![A-Z])[A-D]\s*期",
        r"[1-5]期",  # CKD's stage (stage 5 is uraemia, folded before: _CKD_FIVE)
        r"[深浅]?(?:[一二三四]|[ⅠⅡⅢⅣ]|[IV]+)度",
        r"\d+(?:\.\d+)?\s*(?:个)?(?:周期|疗程|年|个月|月|天|次)",
        r"(?:待查|待排|不明|不详|未明|未确诊)",  # the diagnosis is not known (yet)
        rf"(?:{_SURGERY}|术后|放化疗后|化疗后|放疗后|靶向治疗中|治疗后|维持治疗|复发|难治性?|晚期|早期|中期|终末期(?!肾)|初诊|进展|"
        r"化疗中|治疗中|放化疗|化疗|放疗|术前|待排|可能|疑似|考虑|高危组?|低危组?|中危组?|高危|标危)",
        r"(?:伴|合并)[^，,。;；]*$",  # "伴纵隔淋巴结转移" and what follows
        r"(?<=[癌瘤])(?:[^，,。;；]{0,6})转移$",  # "肺癌骨转移": the named primary stands
        r"^(?:左|右|双)(?=[^侧心室房])",  # laterality, not the left heart (左心发育不良)
        r"(?:远端|近端|中上段|中下段|上段|中段|下段)",  # where along an organ or a bone
        r"(?<=[脸头手脚腿背胸肚身])上|被",  # "脸上被烫伤": on the face
        r"(?:上|里)?长(?:了)?(?:一个|个|一些|些)?(?=[\u4e00-\u9fff]*[瘤癌])",  # "肝上长了个瘤子"
        r"导致|引起",
        r"抗?\s*[A-Z0-9-]*\s*抗体(?:阳性|阴性)?",  # "抗MDA5抗体阳性皮肌炎": a marker of the illness
        r"(?:要|需要|准备|得|建议)(?:做)?(?:截肢|透析|化疗|放疗|手术)",  # what is planned, not what is wrong
        r"S/P|(?<![A-Z])X\s*\d+(?![\d.])",  # "s/p TACE x3": status post, three times
        _REGIMEN,  # "硼替佐米+来那度胺+地塞米松": drugs, not the illness
        r"[了的呢吧啊呀]",  # particles
        r"(?:左|右|双|单)侧",
        r"(?:不)?完全性|部分性|单纯性|复杂性",  # how complete or complex: the same illness
    )
]
# Body surface named by a percentage: burns "classified according to extent" (T31, T32).
_EXTENT = re.compile(
    r"(?:总面积|体表面积|面积|TBSA)?\s*(?:\d+(?:\.\d+)?\s*%|百分之[零一二三四五六七八九十百\d]+)\s*(?:TBSA)?|TBSA"
)
_EXTENDED = "大面积"  # what fold() makes of an extent
# Who writes and how: "我爸", "孩子得了", "医生说是", "查出来是".
_WRITER = re.compile(
    r"(?:我的?|俺)?(?:爸爸?|妈妈?|父亲|母亲|老公|老婆|丈夫|妻子|爱人|儿子|女儿|孩子|宝宝|小孩|奶奶|爷爷|外婆|外公|"
    r"姥姥|姥爷|哥哥|姐姐|弟弟|妹妹|婆婆|公公)(?:才\S{0,3}岁)?|"
    r"(?:刚|一)?(?:出生|生下来)(?:后|以后)?(?:就|(?=\s|$))|"
    r"(?:早上|晚上|半夜|夜里|昨天|前天|去年|今年|上个月|上周|前几天|那天|有天|一天)(?:起来|起床)?(?:就|突然)?|突然|突发(?!性)|"
    r"(?:医生|大夫)(?:说|讲)(?:是)?|(?:查出来?|检查出来?|确诊为?|诊断为?|诊断|得了|患了|患有|活检是|病理[:：]?|病理是|说是)(?:是)?"
)
# Words that say a thing is feared, not what happened ("怕转成白血病", "可能会有后遗症")
_FEAR = r"怕|担心|可能|风险|防止|预防|以免|避免"
# One disease turned into another: "MDS转AML" is the AML.
_TRANSFORMED = re.compile(
    rf"^(?!.*(?:{_FEAR})).+?(?:转化[为成]?|转变[为成]|转[为成]|变成|进展[为至成]|发展[为成]|演变[为成]|转)(?=急性|慢性|AML|ALL|CMML|白血|骨髓|淋巴|弥漫|DLBCL|高级别|急变)"
)
_SEPARATORS = re.compile(r"[\s,，。;；:：、/\\|+_\-–—·•~～'\"“”‘’!！?？]+")
_ASIDES = re.compile(r"[(（\[【]([^)）\]】]*)[)）\]】]")
_CLAUSES = re.compile(r"[,，。;；、\n]+|(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])")

# English as hospitals mix it in, to the Chinese the library names use (whole words, upper case).
_ENGLISH = {
    "LUNG": "肺", "BRONCHUS": "肺", "LIVER": "肝", "HEPATOCELLULAR": "肝", "HEPATIC": "肝", "GASTRIC": "胃",
    "STOMACH": "胃", "ESOPHAGEAL": "食管", "OESOPHAGEAL": "食管", "ESOPHAGUS": "食管", "COLON": "结肠",
    "SIGMOID": "乙状结肠", "RECTAL": "直肠", "RECTUM": "直肠", "COLORECTAL": "结直肠", "BREAST": "乳腺",
    "CERVICAL": "宫颈", "CERVIX": "宫颈", "NASOPHARYNGEAL": "鼻咽", "THYROID": "甲状腺", "PANCREATIC": "胰腺",
    "PANCREAS": "胰腺", "OVARIAN": "卵巢", "OVARY": "卵巢", "BLADDER": "膀胱", "UROTHELIAL": "尿路上皮",
    "KIDNEY": "肾", "RENAL": "肾", "BRAIN": "脑", "PROSTATE": "前列腺", "BONE": "骨", "FEMUR": "股骨",
    "TIBIA": "胫骨", "HUMERUS": "肱骨", "PELVIS": "骨盆", "PELVIC": "骨盆", "ENDOMETRIAL": "子宫内膜",
    "LARYNGEAL": "喉", "LARYNX": "喉", "TONGUE": "舌", "ORAL": "口腔", "GALLBLADDER": "胆囊",
    "CHOLANGIOCARCINOMA": "胆管癌", "CARCINOMA": "癌", "CANCER": "癌", "ADENOCARCINOMA": "癌", "NEOPLASM": "瘤",
    "MALIGNANT": "恶性", "SQUAMOUS": "", "CELL": "细胞", "TUMOR": "瘤", "TUMOUR": "瘤", "LEUKEMIA": "白血病",
    "LEUKAEMIA": "白血病", "LYMPHOMA": "淋巴瘤", "ACUTE": "急性", "CHRONIC": "慢性", "MYELOID": "髓系",
    "MYELOGENOUS": "髓系", "LYMPHOBLASTIC": "淋巴细胞", "LYMPHOCYTIC": "淋巴细胞", "PROMYELOCYTIC": "早幼粒细胞",
    "MONOCYTIC": "单核细胞", "MULTIPLE": "多发性", "MYELOMA": "骨髓瘤", "HODGKIN": "霍奇金", "NON": "非",
    "DIFFUSE": "弥漫", "LARGE": "大", "FOLLICULAR": "滤泡性", "MANTLE": "套细胞", "STAGE": "", "TYPE": "",
    "EXTENSIVE": "", "LIMITED": "", "METASTATIC": "", "ADVANCED": "", "INVASIVE": "", "HIGH": "", "GRADE": "",
    "LOW": "", "SEROUS": "", "OF": "", "THE": "", "WITH": "", "AND": "", "ON": "", "LEFT": "", "RIGHT": "",
    "BILATERAL": "", "DISTAL": "", "PROXIMAL": "", "PRIMARY": "原发性", "FAILURE": "衰竭", "DISEASE": "病",
    "HEART": "心脏", "CONGENITAL": "先天性", "INTRACEREBRAL": "脑", "CEREBRAL": "脑", "HAEMORRHAGE": "出血",
    "HEMORRHAGE": "出血", "INFARCTION": "梗死", "STROKE": "卒中", "BURN": "烧伤", "BURNS": "烧伤", "FULL": "",
    "THICKNESS": "", "SPINAL": "脊髓性", "MUSCULAR": "肌", "ATROPHY": "萎缩", "DYSTROPHY": "营养不良",
    "DUCHENNE": "杜氏", "THALASSEMIA": "地中海贫血", "THALASSAEMIA": "地中海贫血",
    "BETA": "β", "ALPHA": "α", "APLASTIC": "再生障碍性", "ANEMIA": "贫血", "ANAEMIA": "贫血",
    "HEMOPHILIA": "血友病", "HAEMOPHILIA": "血友病", "DEPENDENT": "", "TRANSFUSION": "", "HEMODIALYSIS": "透析",
    "HAEMODIALYSIS": "透析", "DIALYSIS": "透析", "RETINOBLASTOMA": "视网膜母细胞瘤", "NEUROBLASTOMA": "神经母细胞瘤",
    "OSTEOSARCOMA": "骨肉瘤", "GLIOBLASTOMA": "胶质母细胞瘤", "GLIOMA": "胶质瘤", "MEDULLOBLASTOMA": "髓母细胞瘤",
    "ASTROCYTOMA": "星形细胞瘤", "MENINGIOMA": "脑膜瘤", "SARCOMA": "肉瘤", "EWING": "尤文", "WILMS": "肾母细胞瘤",
    "HEPATOBLASTOMA": "肝母细胞瘤", "MELANOMA": "黑色素瘤", "INJURY": "损伤", "FRACTURE": "骨折",
    "TRAUMATIC": "外伤性", "SUBDURAL": "硬膜下", "EPIDURAL": "硬膜外", "HEMATOMA": "血肿", "HAEMATOMA": "血肿",
    "DEFECT": "缺损", "VENTRICULAR": "室间隔", "ATRIAL": "房间隔", "SEPTAL": "", "TETRALOGY": "法洛四联症",
    "FALLOT": "", "PATENT": "", "DUCTUS": "动脉导管", "ARTERIOSUS": "未闭", "AORTIC": "主动脉", "DISSECTION": "夹层",
    "PULMONARY": "肺动脉", "HYPERTENSION": "高压", "MYOCARDIAL": "心肌", "CIRRHOSIS": "肝硬化",
    "PARKINSON": "帕金森", "ALZHEIMER": "阿尔茨海默", "PALSY": "瘫", "SCHIZOPHRENIA": "精神分裂症",
    "BIPOLAR": "双相", "DISORDER": "障碍", "TUBERCULOSIS": "结核", "RESISTANT": "耐药", "CATARACT": "白内障",
    "CLEFT": "裂", "LIP": "唇", "PALATE": "腭", "SYNDROME": "综合征", "MYELODYSPLASTIC": "骨髓增生异常",
    "EXCESS": "", "BLASTS": "", "BLAST": "", "CRISIS": "", "PHASE": "", "CHILD": "", "PUGH": "", "MUTATION": "",
    "POSITIVE": "", "NEGATIVE": "", "KAPPA": "", "LAMBDA": "", "ON-TREATMENT": "",
    "INFECTION": "感染", "MENINGITIS": "脑膜炎", "ENCEPHALITIS": "脑炎", "CRYPTOCOCCAL": "隐球菌",
    "PNEUMOCYSTIS": "肺孢子菌", "PNEUMONIA": "肺炎", "KAPOSI": "卡波西", "SEPSIS": "脓毒症", "SEPTIC": "脓毒症",
    "SHOCK": "休克", "ALCOHOLIC": "酒精性", "ALCOHOL": "酒精",
    # clinical shorthand for a cancer by its organ, and for a bleed
    "HCC": "肝细胞癌", "NSCLC": "非小细胞肺癌", "SCLC": "小细胞肺癌", "LUAD": "肺腺癌", "LUSC": "肺鳞癌",
    "NPC": "鼻咽癌", "RCC": "肾细胞癌", "CCRCC": "肾透明细胞癌", "ICC": "肝内胆管癌", "PTC": "甲状腺乳头状癌",
    "ESCC": "食管鳞癌", "CRC": "结直肠癌", "PDAC": "胰腺导管腺癌", "TNBC": "三阴性乳腺癌", "GBM": "胶质母细胞瘤",
    "ICH": "脑出血", "SAH": "蛛网膜下腔出血", "PUTAMEN": "壳核", "THALAMUS": "丘脑", "PONTINE": "脑桥",
    # what was done or measured, not what the illness is
    "METASTASIS": "转移癌", "METASTASES": "转移癌", "UNKNOWN": "不明", "SCC": "鳞癌",
    "INTRAHEPATIC": "肝内", "EXTRAHEPATIC": "肝外", "HILAR": "肝门部",
    "TACE": "", "RFA": "", "VATS": "", "TURBT": "", "ESD": "", "EMR": "", "GCS": "", "ECOG": "", "PS": "",
    "LUMINAL": "", "HER": "", "EGFR": "", "ALK": "", "KRAS": "",
}  # fmt: skip
_ENGLISH_WORD = re.compile(r"[A-Z]{2,}")
_ENGLISH_STAGE = re.compile(r"STAGE\s*(?:[IVX]+|[0-4])[A-C]?\d?")
_CA = re.compile(r"(?<![A-Z])CA(?![A-Z])|(?<=[\u4e00-\u9fff])AI(?![A-Z])")  # "肺Ca", "胃ai": cancer
# How a tumour is built says nothing about where it is: 右肺鳞状细胞癌 and 肺腺癌 are both lung cancer.
# "原位" stays: carcinoma in situ is its own block (D00-D09).
_HISTOLOGY = [
    (re.compile(p), r)
    for p, r in (
        (r"肝细胞癌", "肝癌"),
        (r"胆管细胞癌", "胆管癌"),
        (r"恶性肿瘤|恶性瘤子?", "癌"),
        (r"瘤子", "瘤"),
        (r"(?:浸润性|微浸润|中央型|周围型|[低中高]分化|分化差|高级别|低级别)", ""),
        (r"间变性(?=星形|少突|室管膜|脑膜|胶质)", ""),  # anaplastic: a grade, not a place
        (
            r"(?:鳞状细胞|鳞状|鳞|腺鳞|(?<![乳列状胰涎腮])[腺线]|导管|小叶|印戒细胞|[黏粘]液|乳头状|滤泡状|髓样|未分化型?|"
            r"透明细胞|尿路上皮|大细胞神经内分泌|神经内分泌|非小细胞|小细胞|非角化性?|角化性?|浆液性)+癌",
            "癌",
        ),
        (r"(?:卵黄囊|内胚窦|无性细胞|未成熟畸胎|颗粒细胞|生殖细胞)瘤", "癌"),
        (r"(?:磨玻璃)?结节(?=.*[癌瘤])", ""),
        (r"[上中下]肺叶?", "肺"),
        (r"肺?[上中下]叶", "肺"),
        (r"主?支气管", "肺"),
        (r"肺肺", "肺"),
        (r"胃(?:窦|体|底|角)", "胃"),
    )
]


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    # Taiwan phrases too: 攝護腺 is 前列腺, 胰臟 is 胰腺, 巴金森氏症 is 帕金森病.
    return opencc.OpenCC("tw2sp")


def _fold_script(text: str) -> str:
    value = unicodedata.normalize("NFKC", text or "")
    value = _converter().convert(value).upper()
    for pattern, replacement in _REGIONAL:
        value = pattern.sub(replacement, value)
    return value


def _fab(value: str) -> str:
    match = _FAB_TYPE.search(value)
    if not match or not _LEUKAEMIA_CONTEXT.search(value):
        return value
    name = _FAB[match.group(1)]
    value = value[: match.start()] + " " + value[match.end() :]
    # the type's name replaces a general word for the leukaemia ("白血病M2型", "AML-M5")
    value, replaced = _GENERIC_LEUKAEMIA.subn(name, value, count=1)
    return value if replaced or "白血" in value else f"{name} {value}"


def fold(text: str) -> str:
    """The text in one script and language, everything else kept: simplified Chinese, mainland
    terms, Latin upper case, English words and FAB types to the Chinese names, "Ca" to 癌."""
    return _translate(_fold_script(text))


# Chronic kidney disease stage 5 (5D: on dialysis) is end-stage: uraemia, whatever else is written.
_CKD_FIVE = re.compile(r"CKD\s*[-]?\s*(?:STAGE\s*)?5\s*D?\s*期?")


def _translate(value: str) -> str:
    """fold() after the script is folded."""
    value = _CKD_FIVE.sub("尿毒症", value)
    value = _ENGLISH_STAGE.sub(" ", value)
    value = _EXTENT.sub(f" {_EXTENDED} ", value)
    value = _fab(value)
    value = _ENGLISH_WORD.sub(lambda m: _ENGLISH.get(m.group(), m.group()), value)
    return _CA.sub("癌", value)


_LATIN_WORD = re.compile(r"[A-Z][A-Z0-9]*")
_WORDLIKE = re.compile(r"[A-Za-z0-9]")
_ANY_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Latin that always says something: a stage in Roman numerals, a FAB type, "肺Ca", a single letter (血友病A)
_LATIN_KEPT = re.compile(r"[IVX]+|M[0-7][AB]?|CA|AI|[A-Z]")


def latin_vocabulary(entries: Sequence[disease_library.Entry], rules: Sequence[CodeRule] = ()) -> frozenset[str]:
    """The Latin words the library uses: every one in its Chinese names and code rules (DLBCL, MDS,
    TBI), and the words of its English names that name one or two illnesses (not SEVERE, DISEASE)."""
    words: set[str] = set()
    english: Counter = Counter()
    for entry in entries:
        for name in entry.names():
            words.update(_LATIN_WORD.findall(_fold_script(name)))
        english.update(set(_LATIN_WORD.findall(_fold_script(entry.name_en))))
    for rule in rules:
        for name in (*rule.names, *rule.qualifiers, *rule.with_names):
            words.update(_LATIN_WORD.findall(_fold_script(name)))
    return frozenset(words | {word for word, count in english.items() if count <= 2})


def clean(text: str) -> str:
    """The part of a diagnosis that names the illness, folded for comparison."""
    return _strip(fold(text))


def _strip(value: str) -> str:
    """clean() after the text is folded."""
    for pattern in _NOISE:
        value = pattern.sub(" ", value)
    value = _WRITER.sub(" ", value)
    value = _SEPARATORS.sub("", value)
    value = _TRANSFORMED.sub("", value)
    for _ in range(2):
        for pattern, replacement in _HISTOLOGY:
            value = pattern.sub(replacement, value)
    return re.sub(r"(?:大面积)+", "大面积", value)


def _cleaned(parts: Iterable[str]) -> list[str]:
    """Parts of a script-folded text, each cleaned, distinct, empty ones dropped."""
    cleaned = (_strip(_translate(part)) for part in parts)
    return [part for part in dict.fromkeys(cleaned) if len(part) > 1]


_SPREAD = re.compile(r"转移|扩散")
# a clause that says what may come ("以后可能会脑瘫", "怕转成白血病"): not what is treated. Narrower than
# _FEAR: "可能是白血病" is a suspected diagnosis, still read.
_FEARED = re.compile(r"(?:以后|将来|今后|长大)(?:可能|也许|或许|会)|可能会|会不会|(?<!可)怕|担心|万一|以免|避免")
# Burns and corrosions (T20-T32) are read only from a text that says what burned
_BURNS = re.compile(r"T2\d|T3[0-2]")
_BURNED = re.compile(
    r"烧|烫|灼|火|焚|焦|炸|电击|电伤|酸|碱|沸|开水|热水|热油|热汤|蒸汽|石灰|热压|热力|高温|铁水|钢水|沥青|熔"
)


def _unburnt(code: str, folded: str) -> bool:
    """A burn code read from a text naming no fire, heat or corrosive: a body part, not a burn ("断指再植")."""
    return bool(_BURNS.match(code)) and not _BURNED.search(folded)


# A clause that says it is the diagnosis: "孩子出生时窒息，诊断新生儿缺氧缺血性脑病" is the second one.
_DIAGNOSED = re.compile(r"诊断|确诊|查出|检查出|(?:医生|大夫)说|活检|病理|说是|得了|患了|患有")


def readings(text: str) -> tuple[str, str, list[str], list[str], str]:
    """Everything the normaliser reads in a text, its script folded once: the folded text (for the
    sites reader), the cleaned whole, its clauses, its asides and its lead clause (the first that
    says it is the diagnosis, else the first)."""
    script = _fold_script(text)
    folded = _translate(script)
    raw = _CLAUSES.split(script)
    # a clause that only says where it spread names a secondary site: the primary is coded
    # ("大肠癌做了手术，现在又转移到肺"); one that says what is feared is not read either; the sites
    # reader still sees the whole text
    primary = [clause for clause in raw if clause.strip() and not _SPREAD.search(clause) and not _FEARED.search(clause)]
    if primary and len(primary) < len([clause for clause in raw if clause.strip()]):
        raw = primary
        whole = _strip(_translate("，".join(primary)))
    else:
        whole = _strip(folded)
    parts = _cleaned(raw)
    said = _cleaned(clause for clause in raw if _DIAGNOSED.search(clause))
    return folded, whole, parts, _cleaned(_ASIDES.findall(script)), (said or parts or [""])[0]


# -- which code a name gives ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRule:
    """One row of diagnosis_codes.csv: names (or qualifiers with names) of an entry that give a code."""

    key: str
    code: str
    names: tuple[str, ...]
    qualifiers: tuple[str, ...]
    with_names: tuple[str, ...]  # names or "@CODE" references


def load_codes(entries: Sequence[disease_library.Entry], path: Path | str = CODES_PATH) -> tuple[CodeRule, ...]:
    """The code rules, checked against the library: key, code and every name must fit the entry."""
    path = Path(path)
    by_key = {entry.key: entry for entry in entries}
    rules = []
    seen: dict[tuple[str, str], str] = {}
    for row, value in disease_library.data_rows(path, CODES_COLUMNS):

        def fail(field: str, message: str, row: int = row) -> disease_library.LibraryError:
            return disease_library.LibraryError(message, path=path, row=row, field=field)

        entry = by_key.get(value["key"])
        if entry is None:
            raise fail("key", f"no library entry {value['key']!r}")
        code = value["code"]
        if not _covers(entry, code):
            raise fail("code", f"{code!r} is not among {entry.key}'s codes {'|'.join(entry.icd10)}")
        split = disease_library._split
        names = split(value["names"]) if value["names"] else ()
        qualifiers = split(value["qualifiers"]) if value["qualifiers"] else ()
        with_names = split(value["with"]) if value["with"] else ()
        if not names and not qualifiers:
            raise fail("names", "neither names nor qualifiers")
        if qualifiers and not with_names:
            raise fail("with", "qualifiers need names to go with")
        for name in names + tuple(n for n in with_names if not n.startswith("@")):
            if name not in entry.names():
                raise fail("names", f"{name!r} is not a name of {entry.key}")
        for name in names:
            if (entry.key, name) in seen and seen[(entry.key, name)] != code:
                raise fail("names", f"{name!r} already gives {seen[(entry.key, name)]}")
            seen[(entry.key, name)] = code
        rules.append(CodeRule(entry.key, code, names, qualifiers, with_names))
    for rule in rules:
        for ref in (n[1:] for n in rule.with_names if n.startswith("@")):
            if not any(r.key == rule.key and r.code == ref and r.names for r in rules):
                raise disease_library.LibraryError(f"{rule.key}: @{ref} names no row with names", path=path)
    return tuple(rules)


@functools.lru_cache(maxsize=4096)
def _covers(entry: disease_library.Entry, code: str) -> bool:
    """Whether a WHO code, written as the library writes codes, is one of the entry's."""
    return icd10.is_who_code(code) and bool(disease_library.find_all_by_code([entry], code))


def default_code(entry: disease_library.Entry, rules: Sequence[CodeRule] = ()) -> str:
    """The code of an entry's names that no rule pins: the standard name's row, else its only code,
    else the category all its codes share, else its first code (a range gives its first category)."""
    for rule in rules:
        if rule.key == entry.key and entry.name_zh in rule.names:
            return rule.code
    codes = disease_library.codes_of(entry)
    first = codes[0]
    if len(entry.icd10) == 1 and "-" not in entry.icd10[0]:
        return entry.icd10[0]
    categories = {code[:3] for code in codes}
    return first[:3] if len(categories) == 1 else first


# -- training texts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """A text the model learns, for an entry and the code it gives."""

    key: str
    text: str
    code: str = ""


# How families and referral letters wrap a diagnosis; none of it says which illness.
_WRAPPERS = (
    "{}", "我爸{}", "我妈得了{}", "孩子是{}", "老公查出{}", "医生说是{}", "确诊{}", "{}需要手术", "{}住院治疗",
    "{}化疗中", "{}，没钱治疗", "{}维持治疗", "{}术后复查", "{}入院", "病理：{}",
)  # fmt: skip
_CAUSES = ("车祸", "车祸伤", "交通事故伤", "高处坠落伤", "意外伤害")
SEQUELA_KEY = "severe_stroke_sequelae"
_STROKES = ("I60", "I61", "I62", "I63", "I64")
_LATE = re.compile(r"后遗症|陈旧性")
_SEQUELA_OF = {
    "intracerebral_haemorrhage": "I69.1",
    "cerebral_infarction": "I69.3",
    "subarachnoid_haemorrhage": "I69.0",
    "stroke": "I69.4",
}
# The late effect of an injury, a burn or a poisoning (WHO T90-T97), by the code of the injury read
_INJURY_LATE = tuple(
    (re.compile(pattern), code)
    for pattern, code in (
        (r"S02", "T90.2"), (r"S04", "T90.3"), (r"S05", "T90.4"), (r"S06", "T90.5"), (r"S0", "T90.8"),
        (r"S[123]4|T09\.3", "T91.3"), (r"S12|S22\.0|S32\.0", "T91.1"), (r"S22|S32", "T91.2"),
        (r"S2[67]", "T91.4"), (r"S3[67]", "T91.5"), (r"S[123]", "T91.8"),
        (r"S[45]2", "T92.1"), (r"S62", "T92.2"), (r"S[456]8", "T92.6"), (r"S[456]", "T92.8"),
        (r"S72", "T93.1"), (r"S[89]2", "T93.2"), (r"S[789]8", "T93.6"), (r"S[789]", "T93.8"),
        (r"T0[0-7]", "T94.0"), (r"T20", "T95.0"), (r"T21", "T95.1"), (r"T2[23]", "T95.2"), (r"T2[45]", "T95.3"),
        (r"T3[12]", "T95.4"), (r"T2", "T95.8"), (r"T(?:3[6-9]|4\d|50)", "T96"), (r"T(?:5\d|6[0-5])", "T97"),
    )
)  # fmt: skip
# "后遗症" said of what happened, not feared ("怕留下后遗症", "可能会有后遗症")
_AFTER_EFFECT = re.compile(rf"^(?!.*(?:{_FEAR}|会)).*后遗症")
# HIV disease is coded by what it resulted in (B20 infections, B21 tumours), B24 when nothing is said
_HIV_ITSELF = re.compile(r"HIV感染|艾滋病?病毒感染|人类免疫缺陷病毒感染|HIV|AIDS|艾滋病?")
_HIV_NEGATIVE = re.compile(r"(?:HIV|AIDS|艾滋病?)[^，,；;]{0,4}(?:阴性|[(（]?[-－][)）]?|未见|排除)")
_HIV_LINK = re.compile(r"(?:HIV|AIDS|艾滋病?)[^，,；;]{0,6}(?:合并|相关|伴|并发|继发|导致|引起)")
_HIV_RESULTS = (
    ("B21.0", re.compile(r"卡波[西济]")),
    ("B21.1", re.compile(r"伯基特|BURKITT")),
    ("B21.3", re.compile(r"(?<!非)霍奇金")),
    ("B21.2", re.compile(r"淋巴瘤")),
    ("B21.9", re.compile(r"癌|肉瘤|恶性肿瘤")),
    ("B20.0", re.compile(r"结核|分枝杆菌")),
    ("B20.2", re.compile(r"巨细胞病毒|CMV")),
    ("B20.4", re.compile(r"念珠菌")),
    ("B20.5", re.compile(r"隐球菌|真菌|马尔尼菲")),
    ("B20.6", re.compile(r"肺孢子|PCP")),
    ("B20.9", re.compile(r"机会性|感染|肺炎|脑膜炎|败血症|脓毒")),
)


def training_names(entries: Sequence[disease_library.Entry], rules: Sequence[CodeRule] = ()) -> list[Name]:
    """Every name of the library with the code it gives, plus the compositions the rules describe."""
    by_rule: dict[tuple[str, str], str] = {}
    for rule in rules:
        for name in rule.names:
            by_rule[(rule.key, name)] = rule.code
    out: list[Name] = []
    for entry in entries:
        fallback = default_code(entry, rules)
        for name in (*entry.names(), entry.name_en):
            out.append(Name(entry.key, name, by_rule.get((entry.key, name), fallback)))
    return out


def _compositions(entries, rules, names: list[Name]) -> list[Name]:
    """Texts that put a qualifier or a more specific name beside a general one, with the code it gives."""
    out: list[Name] = []
    defaults = {entry.key: default_code(entry, rules) for entry in entries}
    by_entry: dict[str, list[Name]] = {}
    for name in names:
        by_entry.setdefault(name.key, []).append(name)
    rules_of: dict[str, list[CodeRule]] = {}
    for rule in rules:
        rules_of.setdefault(rule.key, []).append(rule)

    def resolve(rule: CodeRule) -> list[str]:
        found = []
        for ref in rule.with_names:
            if ref.startswith("@"):
                found += [n for r in rules_of[rule.key] if r.code == ref[1:] for n in r.names]
            else:
                found.append(ref)
        return found

    for key, key_rules in rules_of.items():
        sited = [r for r in key_rules if r.qualifiers and r.qualifiers != ("+",)]
        for rule in key_rules:
            withs = resolve(rule)
            if rule.qualifiers == ("+",):
                for a, b in itertools.combinations([r for r in sited if r.with_names == rule.with_names], 2):
                    if a.code == b.code:
                        continue
                    for qa, qb in zip(a.qualifiers[:6], b.qualifiers[:6], strict=False):
                        for name in withs[:4]:
                            out.append(Name(key, f"{qa}及{qb}{name}", rule.code))
                            out.append(Name(key, f"{qa}和{qb}{name}", rule.code))
                continue
            for qualifier in rule.qualifiers:
                for name in withs:
                    out.append(Name(key, f"{qualifier}{name}", rule.code))
                    out.append(Name(key, f"{name} {qualifier}", rule.code))
                    out.append(Name(key, f"左{qualifier}{name}", rule.code))
        # a general name of the entry, then a specific one: the specific one's code
        general = [n for n in by_entry.get(key, []) if n.code == defaults[key]]
        for rule in key_rules:
            if rule.code == defaults[key]:
                continue
            for specific in rule.names:
                for g in general[:8]:
                    out.append(Name(key, f"{g.text} {specific}", rule.code))
    # a general name of another entry, then a specific one that contains it: 淋巴瘤 弥漫大B细胞淋巴瘤
    cleaned = [(n, clean(n.text)) for n in names]
    generals = [(n, c) for n, c in cleaned if 2 <= len(c) <= 4]
    for n, c in cleaned:
        for g, gc in generals:
            if g.key != n.key and gc != c and gc in c and len(c) > len(gc) + 1:
                out.append(Name(n.key, f"{g.text}，{n.text}", n.code))
    # an injury with its cause ("车祸致颅脑损伤"): the injury
    causes = [n.text for n in names if n.key == "severe_trauma" and n.text in _CAUSES]
    for n in names:
        if n.key != "severe_trauma" and n.code[:1] in "ST" and causes:
            cause = causes[sum(map(ord, n.text)) % len(causes)]
            out.append(Name(n.key, f"{cause}致{n.text}", n.code))
            out.append(Name(n.key, f"{cause} {n.text}", n.code))
            out.append(Name(n.key, f"{n.text}，{cause}", n.code))
    # a stroke and its sequelae
    for n in names:
        if n.key in _SEQUELA_OF and len(clean(n.text)) >= 2:
            out.append(Name(SEQUELA_KEY, f"{n.text}后遗症", _SEQUELA_OF[n.key]))
    return out


# Treatments written beside a condition; the condition is what is coded.
_TREATMENTS = (
    "要做骨髓移植", "造血干细胞移植后", "需要手术", "做了开颅手术", "规律透析", "等待肾移植", "等待肝移植", "要换瓣膜",
    "放了支架", "PCI术后", "靶向药治疗", "免疫治疗", "康复治疗", "在ICU", "CAR-T治疗后", "要打针",
)  # fmt: skip


# What an organ has that is not in the library: "甲状腺结节" is not thyroid cancer. These texts train
# an "outside" class that takes probability away from the organ's cancer; it is never returned.
_BENIGN = ("结节", "增生", "息肉", "囊肿", "炎", "结石", "感染", "良性肿瘤", "肌瘤", "血管瘤", "脓肿", "积液", "纤维瘤")
OUTSIDE = ("", "")


def _outside(entries) -> list[str]:
    organs = set()
    for entry in entries:
        for name in entry.names():
            value = clean(name)
            if value.endswith("癌") and 1 <= len(value) - 1 <= 4 and not re.search(r"[A-Z性原]", value):
                organs.add(value[:-1])
    return [f"{organ}{benign}" for organ in sorted(organs) for benign in _BENIGN]


def _augmented(entries, rules) -> tuple[list[str], list[tuple[str, str]], list[float]]:
    """Training texts (cleaned, distinct), their (key, code) class and a weight."""
    names = [n for n in training_names(entries, rules) if len(clean(n.text)) > 1]
    weight: dict[tuple[str, tuple[str, str]], float] = {}

    def add(text: str, key: str, code: str, w: float) -> None:
        value = clean(text)
        if len(value) > 1:
            label = (value, (key, code))
            weight[label] = weight.get(label, 0.0) + w

    for name in names:
        for i, wrapper in enumerate(_WRAPPERS):
            add(wrapper.format(name.text), name.key, name.code, 2.0 if i == 0 else 0.3)
        spread = sum(map(ord, name.text))
        for j in range(3):
            add(f"{name.text}，{_TREATMENTS[(spread + 5 * j) % len(_TREATMENTS)]}", name.key, name.code, 0.3)
    for name in _compositions(entries, rules, names):
        add(name.text, name.key, name.code, 1.0)
    known = {text for text, _ in weight}
    for text in _outside(entries):
        if clean(text) not in known:
            add(text, *OUTSIDE, 0.5)
    texts = [text for text, _ in weight]
    labels = [label for _, label in weight]
    return texts, labels, [min(w, 4.0) for w in weight.values()]


# -- the model --------------------------------------------------------------------------------------


def _confidence(probability: float, similarity: float) -> float:
    """How sure: the geometric mean of the category's probability and the similarity to its nearest text."""
    return float(np.sqrt(probability * similarity))


class Scored(NamedTuple):
    """The model's reading of one cleaned text, and the terms file's nearest name to it."""

    index: int  # the class (entry, code)
    confidence: float
    nearest: str  # the category's training text nearest to the text
    similarity: float  # to the library's nearest training text of any category
    term: int  # the terms file's nearest name (-1: no terms)
    term_similarity: float


def _term_names(entries, terms: Sequence[vocabulary.Term], known: set[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The terms file's names as the normaliser reads them (cleaned, distinct, none the library already
    trains on), each with the entry that covers its code (most specific first) or "" and the code."""
    texts: dict[str, tuple[str, str]] = {}
    for term in terms:
        covering = disease_library.find_all_by_code(entries, term.code)
        label = (covering[0].key if covering else "", term.code)
        for name in term.names:
            value = clean(name)
            # a name the folding mostly strips ("病理性骨折" to "性骨折") would match any such text
            whole = _SEPARATORS.sub("", _fold_script(name))
            if len(value) > 1 and value not in known and len(value) >= 0.6 * len(whole):
                texts.setdefault(value, label)
    return list(texts), list(texts.values())


def _named_index(entries, rules, terms: Sequence[vocabulary.Term], term_texts: list[str],
                 term_labels: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:  # fmt: skip
    """Every name of the library and the terms file with its (entry, code), cleaned and as written
    (folded, no separators: "湿疹血小板减少伴免疫缺陷综合征" keeps the 伴 clause that cleaning drops);
    a name two codes share names neither. Latin names shorter than three letters are left out (MM,
    HF): inside a text they are as often something else."""
    found: dict[str, set[tuple[str, str]]] = {}
    for name in training_names(entries, rules):
        for form in (clean(name.text), _SEPARATORS.sub("", fold(name.text))):
            found.setdefault(form, set()).add((name.key, name.code))
    for text, label in zip(term_texts, term_labels, strict=True):
        found.setdefault(text, set()).add(label)
    for term in terms:
        covering = disease_library.find_all_by_code(entries, term.code)
        label = (covering[0].key if covering else "", term.code)
        for name in term.names:
            found.setdefault(_SEPARATORS.sub("", fold(name)), set()).add(label)
    return {
        text: next(iter(labels))
        for text, labels in found.items()
        if len(labels) == 1 and len(text) > 1 and not re.fullmatch(r"[A-Z0-9]{1,2}", text)
    }


def _terms_latin(terms: Sequence[vocabulary.Term]) -> frozenset[str]:
    """Latin the terms file names by, kept when a text is read: abbreviations (HLH, PNH, ROP) and the
    Latin inside Chinese names (抗NMDA受体脑炎, IgA肾病); not the words of English names ("disease"),
    which would match any text."""
    words = set()
    for term in terms:
        for name in term.names:
            if re.search(r"[\u4e00-\u9fff]", name) or re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,7}", name):
                words.update(_LATIN_WORD.findall(_fold_script(name)))
    return frozenset(words)


def _region_rules(rules: Sequence[CodeRule]) -> dict[str, tuple[str, dict[str, str], re.Pattern]]:
    """Per entry with a "+" code rule (two regions: T29): that code, the region words of the rows it
    combines (as the training compositions do; not an extent) with their codes, and their pattern."""
    out = {}
    for plus in (r for r in rules if r.qualifiers == ("+",)):
        by_region = {q: r.code for r in rules if r.key == plus.key and r.qualifiers != ("+",)
                     and r.with_names == plus.with_names for q in r.qualifiers}  # fmt: skip
        pattern = re.compile("|".join(map(re.escape, sorted(by_region, key=len, reverse=True))))
        out[plus.key] = (plus.code, by_region, pattern)
    return out


# Consequences and states, not the illness treated: symptoms and signs (R), status and services (Z),
# paralysis (G81-G83), cardiac arrest and heart failure (I46, I50), ARDS and respiratory failure
# (J80, J96), liver failure (K72), gastrointestinal bleeding (K92), disseminated intravascular
# coagulation (D65); and multiple injuries unspecified (T07, "车祸") beside a named injury.
_MANIFESTATIONS = re.compile(r"[RZ]|G8[123]|I46|I50|J80|J9[016]|K72|K92|D65|T07")


def _is_manifestation(code: str) -> bool:
    return bool(_MANIFESTATIONS.match(code))


# Conditions ICD-10 codes elsewhere when the text says where they come from: a newborn's sepsis is
# P36 (chapter XVI takes conditions originating in the perinatal period), cirrhosis from drinking
# is K70.3. Context words, then the category read -> the code it becomes.
_CONTEXTS = (
    (
        re.compile(
            r"新生儿|NICU|早产|胎龄|足月儿|日龄|出生就|生下来就|刚出生|一出生|出生时|出生后?(?:第)?[0-9一二三四五六七八九十]+天"
            r"|生后(?:第)?[0-9一二三四五六七八九十]+天|(?:宝宝|孩子|女儿|儿子)(?:才|刚)出生"
        ),
        {
            "A40": "P36.9", "A41": "P36.9", "J12": "P23.9", "J13": "P23.9", "J15": "P23.9", "J18": "P23.9",
            "I60": "P52.9", "I61": "P52.9", "I62": "P52.9", "R17": "P59.9", "E16": "P70.4", "J96": "P28.5",
            "J80": "P22.0", "D65": "P60", "R56": "P90", "G40": "P90", "I27": "P29.3", "B25": "P35.1",
            "R09": "P21.9", "T71": "P21.9",
        },
    ),
    (
        re.compile(r"酒精|喝酒|饮酒|酗酒|嗜酒|喝成|好酒|爱喝|白酒"),
        {"K74": "K70.3", "K72": "K70.4", "K76": "K70.0", "K75": "K70.1", "K86": "K86.0", "I42": "I42.6"},
    ),
    (  # mitral and aortic valves both named: multiple valve disease (WHO index: I08 whatever the origin)
        re.compile(r"(?:二尖瓣|二狭|二闭).*(?:主动脉瓣|主狭|主闭)|(?:主动脉瓣|主狭|主闭).*(?:二尖瓣|二狭|二闭)|双瓣|联合瓣膜"),
        {"I05": "I08.0", "I06": "I08.0", "I09": "I08.0", "I34": "I08.0", "I35": "I08.0", "Z95": "I08.0"},
    ),
    (re.compile(r"腭裂|[颚腭][^，,。;；]{0,3}裂"), {"Q36": "Q37.9"}),  # "兔唇，上颚也裂开了": lip and palate
    (re.compile(r"唇裂|兔唇|豁嘴|豁唇"), {"Q35": "Q37.9"}),
)  # fmt: skip


@dataclass(frozen=True)
class Match:
    """The best reading of a text: which library entry, which ICD-10 code, how sure."""

    key: str  # the library entry; "" when the words name a code no entry covers (子宫肌瘤: D25)
    code: str  # WHO ICD-10 code of the entry that the text supports (C92.0), else the entry's default
    confidence: float  # 0-1; below the threshold the case needs a case worker
    matched: str  # the training text (cleaned) nearest to the text, for explanations

    @property
    def category(self) -> str:
        return self.code[:3]


class Normaliser:
    """Character and pinyin n-gram TF-IDF with logistic regression: which entry and code a text means."""

    def __init__(
        self,
        entries: Sequence[disease_library.Entry],
        *,
        codes: Sequence[CodeRule] | None = None,
        terms: Sequence[vocabulary.Term] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        regularisation: float = 50.0,
        iterations: int = 100,
    ) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.threshold = threshold
        self.fingerprint = ""  # set by library_normaliser: a hash of what it was trained on
        self.entries = tuple(entries)
        self.codes = tuple(codes) if codes is not None else load_codes(self.entries)
        self.terms = tuple(terms) if terms is not None else vocabulary.load_terms()
        self._by_key = {entry.key: entry for entry in self.entries}
        # every Latin word a text may keep (known_latin), built once
        self._latin = (
            latin_vocabulary(self.entries, self.codes) | _terms_latin(self.terms) | _ENGLISH.keys() | _PHRASE_WORDS
            | _STAGINGS
        )  # fmt: skip
        self._region_rules = _region_rules(self.codes)
        self._covering: dict[str, list[str]] = {}  # code -> the keys of the entries covering it, most specific first
        hiv = self.covering("B24")
        self._hiv_key = hiv[0] if hiv else ""
        texts, labels, weights = _augmented(self.entries, self.codes)
        # the terms file names what the library's "outside" texts only say is not its own (脑炎)
        named = {text for text, label in zip(texts, labels, strict=True) if label != OUTSIDE}
        self._term_texts, self._term_labels = _term_names(self.entries, self.terms, named)
        self._names = _named_index(self.entries, self.codes, self.terms, self._term_texts, self._term_labels)
        self._longest: dict[str, int] = {}  # per first character (first syllable), the longest name
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for name in self._names:
            for first in (name[0], sounds.syllable(name[0])):
                self._longest[first] = max(self._longest.get(first, 0), len(name))
            if re.fullmatch(r"[\u4e00-\u9fff]{2,}", name):
                by_sound.setdefault(tuple(map(sounds.syllable, name)), set()).add(name)
        # a sound two codes' names share spells neither
        self._by_sound = {
            sound: next(iter(names)) for sound, names in by_sound.items() if len({self._names[n] for n in names}) == 1
        }
        self.classes = sorted(set(labels))
        index = {label: i for i, label in enumerate(self.classes)}
        y = np.array([index[label] for label in labels])

        self._chars = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, dtype=np.float32
        )
        self._sounds = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), token_pattern=r"\S+", sublinear_tf=True, min_df=2, dtype=np.float32
        )
        self._chars.fit(texts + self._term_texts)
        self._sounds.fit([sounds.pinyin(t) for t in texts + self._term_texts])
        model = LogisticRegression(C=regularisation, max_iter=iterations, tol=1e-3)
        model.fit(self._features(texts), y, sample_weight=np.array(weights))
        # only the weights are kept: predict_proba is softmax(features @ coef + intercept)
        self._coef = np.ascontiguousarray(model.coef_.T, dtype=np.float32)
        self._intercept = model.intercept_.astype(np.float32)

        # the distinct training texts of each category, for the similarity half of the confidence
        categories = sorted({code[:3] for _, code in self.classes})
        self._category_of = np.array([categories.index(code[:3]) for _, code in self.classes])
        self._outside = categories.index("") if "" in categories else -1
        distinct = sorted(
            {(self._category_of[label], text) for label, text in zip(y, texts, strict=True)}
            - {(self._outside, text) for text in texts}
        )
        self._near_texts = [text for _, text in distinct]
        self._near_category = np.array([category for category, _ in distinct])
        # features of unit length on both sides: each carries 1 / sqrt(1 + SOUND_WEIGHT²), stored here
        self._near_matrix = (self._features(self._near_texts) / (1 + SOUND_WEIGHT**2)).T.tocsr()
        self._term_matrix = (self._features(self._term_texts) / (1 + SOUND_WEIGHT**2)).T.tocsr()
        # per category: its classes, and its distinct training texts
        self._members = [np.flatnonzero(self._category_of == c) for c in range(len(categories))]
        self._own = [np.flatnonzero(self._near_category == c) for c in range(len(categories))]
        self._class_sum = sparse.csr_matrix(
            (np.ones(len(self.classes)), (np.arange(len(self.classes)), self._category_of)),
            shape=(len(self.classes), len(categories)),
        )

    # -- reading ----------------------------------------------------------------------------------

    def _features(self, cleaned: list[str]):
        """Character n-grams beside pinyin syllable n-grams (weighted SOUND_WEIGHT)."""
        import sklearn

        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            chars = self._chars.transform(cleaned)
            spoken = self._sounds.transform([sounds.pinyin(c) for c in cleaned])
        from scipy import sparse

        return sparse.hstack([chars, SOUND_WEIGHT * spoken]).tocsr()

    def _score(self, cleaned: list[str]) -> list[Scored]:
        """The model's reading of each cleaned text, and the nearest name of the terms file."""
        features = self._features(cleaned)
        scores = features @ self._coef + self._intercept  # the model's predict_proba, without its checks
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        by_category = probabilities @ self._class_sum
        similarity = (features @ self._near_matrix).toarray()
        if self._term_texts:
            to_terms = (features @ self._term_matrix).toarray()
            term_best = to_terms.argmax(axis=1)
            term_similarity = to_terms[np.arange(len(cleaned)), term_best]
        else:
            term_best, term_similarity = np.full(len(cleaned), -1), np.zeros(len(cleaned))
        out = []
        if self._outside >= 0:
            by_category[:, self._outside] = -1.0  # the outside class is never an answer
        for i, (p, p_category, sims) in enumerate(zip(probabilities, by_category, similarity, strict=True)):
            category = int(np.argmax(p_category))
            members = self._members[category]
            best = int(members[np.argmax(p[members])])
            own = self._own[category]
            nearest = int(own[np.argmax(sims[own])])
            confidence = _confidence(max(float(p_category[category]), 0.0), max(float(sims[nearest]), 0.0))
            out.append(
                Scored(best, confidence, self._near_texts[nearest], float(sims.max(initial=0.0)),
                       int(term_best[i]), float(term_similarity[i]))
            )  # fmt: skip
        return out

    def match(self, text: str) -> Match | None:
        """The best entry and code for a text, with its confidence; None for a text with nothing in it."""
        return self.match_many([text])[0]

    def known_latin(self, text: str) -> str:
        """The text without the Latin words the library never uses ("on gilteritinib", "FLT3-ITD",
        "refractory"): they say nothing about which illness, and their letters match English names."""
        known = self._latin

        def keep(found: re.Match) -> str:
            word = found.group()
            upper = word.upper()
            if upper in known or _LATIN_KEPT.fullmatch(upper):
                return upper
            # a known abbreviation after a lower-case qualifier: cHL (classical), mCRC (metastatic), rAML
            rest = word[1:]
            return rest if word[0].islower() and rest.isupper() and rest in known else " "

        return _ANY_LATIN.sub(keep, unicodedata.normalize("NFKC", text or ""))

    def fold(self, text: str) -> str:
        """The text as the sites reader sees it: known Latin only, folded (see fold())."""
        return fold(self.known_latin(text))

    def match_many(self, texts: Iterable[str]) -> list[Match | None]:
        texts = list(texts)
        folded, matches = self._read_many(texts)
        matches = self._underlying(texts, matches)
        return [self._in_context(f, m) for f, m in zip(folded, matches, strict=True)]

    def _in_context(self, folded: str, match: Match | None) -> Match | None:
        """The code a condition takes from what the text says caused it (_CONTEXTS)."""
        if match is None:
            return None
        for words, codes in _CONTEXTS:
            code = codes.get(match.category)
            if code and words.search(folded):
                covering = self.covering(code)
                key = match.key if match.key in covering else (covering[0] if covering else "")
                return Match(key, code, match.confidence, match.matched)
        return match

    def _underlying(self, texts: list[str], matches: list[Match | None]) -> list[Match | None]:
        """A reading that is a consequence or a state (coma, paralysis, respiratory failure, a
        transplant) yields to a clause naming an illness: "脑溢血，开颅手术后昏迷" is the haemorrhage,
        "地中海贫血重型，要骨髓移植" the thalassaemia. ICD-10 codes the condition treated, not its
        symptoms (chapter XVIII) or a status (chapter XXI), when that condition is recorded."""
        asked = {
            i: clauses
            for i, (text, match) in enumerate(zip(texts, matches, strict=True))
            if match is not None
            and _is_manifestation(match.code)
            and len(clauses := [c for c in _CLAUSES.split(_fold_script(text)) if c.strip()]) > 1
        }
        if not asked:
            return matches
        flat = list(dict.fromkeys(c for clauses in asked.values() for c in clauses))
        read = dict(zip(flat, self._read_many(flat)[1], strict=True))
        # the text without its manifestation clauses, read whole: "车祸，颅脑损伤，昏迷" is the injury
        rest = {
            i: "，".join(c for c in clauses if read[c] is None or not _is_manifestation(read[c].code))
            for i, clauses in asked.items()
        }
        rest = {i: text for i, text in rest.items() if text and text != "，".join(asked[i])}
        again = dict(zip(rest, self._read_many(list(rest.values()))[1], strict=True))
        out = list(matches)
        for i, illness in again.items():
            if self.known(illness) and not _is_manifestation(illness.code):
                out[i] = illness
        return out

    def _read_many(self, texts: list[str]) -> tuple[list[str], list[Match | None]]:
        """Each text folded (for the rules read after it), and its reading."""
        read = [readings(self.known_latin(t)) for t in texts]
        flat = list(dict.fromkeys(r for _, whole, parts, inside, _ in read for r in (whole, *parts, *inside) if r))
        scored = dict(zip(flat, self._score(flat), strict=True)) if flat else {}
        out: list[Match | None] = []
        for folded, whole, parts, inside, lead in read:
            if not whole and not inside:
                out.append(None)
                continue
            best = scored[whole] if whole else Scored(0, 0.0, "", 0.0, -1, 0.0)
            entry = self.classes[best.index][0] if whole else None
            for part in parts:
                # a clause wins only when it is clearly surer than the whole text; when both name the
                # same entry the whole text, which says more (烫伤 全身30%), keeps its code unless it
                # is unsure of it ("骨盆粉碎性骨折 不稳定型 外固定架固定": the clause's pelvis)
                index, confidence = scored[part].index, scored[part].confidence
                if self.classes[index][0] == entry:
                    if best.confidence < self.threshold <= confidence:
                        best = scored[part]
                    else:
                        best = best._replace(confidence=max(best.confidence, confidence))
                elif confidence > best.confidence + CLAUSE_MARGIN:
                    best = scored[part]
                    entry = self.classes[index][0]
            for part in inside:
                # what is in brackets only when the rest does not say enough
                if best.confidence < self.threshold and scored[part].confidence > best.confidence:
                    best = scored[part]
            best = self._refined(best, [scored[part] for part in (*parts, *inside)])
            key, code = self.classes[best.index]
            if _unburnt(code, folded):  # so that the terms file may read it instead
                best = best._replace(confidence=0.0)
            match = Match(key, code, round(min(max(best.confidence, 0.0), 1.0), 4), best.nearest)
            first = scored[lead] if lead else None
            others = [scored[r] for r in (*parts, *inside)]
            match = self._termed(match, scored[whole] if whole else None, first, others)
            if _unburnt(match.code, folded):  # the terms file's burns likewise
                match = Match(match.key, match.code, 0.0, match.matched)
            match = self._regions(folded, self._hiv(folded, self._sequela(folded, match)))
            match = self._weighed(neoplasm.read(folded), match)
            written = (lead, *parts, *inside, whole, _SEPARATORS.sub("|", folded))  # the last: as written
            out.append(self._spelt_out(match, [text for text in dict.fromkeys(written) if text]))
        return [folded for folded, *_ in read], out

    def _written(self, cleaned: str) -> list[tuple[int, int, str]]:
        """The names of the library and the terms file written out whole in a cleaned text, none
        inside a longer one, as (start, end, name); a Latin name only as a word of its own."""
        found = []
        for start in range(len(cleaned) - 1):
            for end in range(min(len(cleaned), start + self._longest.get(cleaned[start], 0)), start + 1, -1):
                name = cleaned[start:end]
                if name in self._names and not (
                    (start and _WORDLIKE.match(cleaned[start - 1]) and _WORDLIKE.match(name[0]))
                    or (end < len(cleaned) and _WORDLIKE.match(cleaned[end]) and _WORDLIKE.match(name[-1]))
                ):
                    found.append((start, end, name))
                    break
        inside_longer = {(a, b) for a, b, _ in found for c, d, _ in found if c <= a and b <= d and d - c > b - a}
        return [(a, b, name) for a, b, name in found if (a, b) not in inside_longer]

    def _spelt_out(self, match: Match | None, texts: list[str]) -> Match | None:
        """An unsure reading yields to a name written out whole ("我老公是慢性乙肝，大三阳" holds 乙肝),
        else to one spelt by sound, half its characters right ("孩子有颠痫" is 癫痫): the longest, from
        the first text that holds one of that length. A sure reading yields to a longer written name
        that holds the one read ("湿疹血小板减少伴免疫缺陷综合征" holds 血小板减少)."""
        if match is None:
            return match

        def ranked(finder) -> list[tuple[int, int, str]]:  # (length, earlier text first, name)
            return [(b - a, -order, name) for order, text in enumerate(texts) for a, b, name in finder(text)]

        found = ranked(self._written)
        if self.known(match):
            found = [(length, order, name) for length, order, name in found
                     if match.matched in name and len(name) > len(match.matched)
                     and self._names[name][1][:3] != match.category]  # fmt: skip
            confidence = match.confidence
        else:
            found = found or ranked(self._sounded)
            confidence = NAMED_CONFIDENCE
        if not found:
            return match
        name = max(found)[2]
        key, code = self._names[name]
        return Match(key, code, confidence, name)

    def _sounded(self, cleaned: str) -> list[tuple[int, int, str]]:
        """The Chinese names of at least two characters that a text spells by sound, with at least
        half their characters as written (a name of two by its very sound, without the pairs
        sounds.py merges), the longest at each place: (start, end, name)."""
        spoken = [sounds.syllable(char) for char in cleaned]
        found = []
        for start in range(len(cleaned) - 1):
            for end in range(min(len(cleaned), start + self._longest.get(spoken[start], 0)), start + 1, -1):
                name = self._by_sound.get(tuple(spoken[start:end]))
                written = cleaned[start:end]
                if (
                    name
                    and 2 * sum(a == b for a, b in zip(name, written, strict=True)) >= len(name)
                    and (
                        # two characters, one of them wrong: the very sound, no merged pair ("发烧三天" is not 烧伤)
                        len(name) > 2 or list(map(sounds.plain, name)) == list(map(sounds.plain, written))
                    )
                ):
                    found.append((start, end, name))
                    break
        return found

    def _termed(self, match: Match, whole: Scored | None, first: Scored | None, others: list[Scored]) -> Match:
        """The terms file's nearest name where it is clearly nearer than anything the library names
        ("早产儿视网膜病变 3期" is H35.1, not premature birth), with the entry covering its code if any.

        Read where a diagnosis line puts what is treated: the whole text, else its lead clause (the
        first, or the first that says it is the diagnosis: "出生时窒息，诊断新生儿缺氧缺血性脑病");
        a comorbidity listed later ("脑出血；2型糖尿病") does not displace the library's reading.
        When the library reads nothing confidently, the nearest name of any clause or aside.
        """

        def near(scored: Scored | None) -> bool:
            return (
                scored is not None
                and scored.term >= 0
                and scored.term_similarity >= max(TERM_MINIMUM, scored.similarity + TERM_MARGIN)
            )

        def agrees(clause: Scored | None) -> bool:  # the first clause, if any, names the same code
            return clause is None or (clause.term == whole.term and near(clause))

        surer = (lambda s: s.term_similarity >= match.confidence) if self.known(match) else (lambda s: True)
        if near(whole) and agrees(first) and surer(whole):
            chosen = whole
        elif near(first) and surer(first):
            chosen = first
        elif not self.known(match):
            chosen = max((s for s in others if near(s)), key=lambda s: s.term_similarity, default=None)
        else:
            chosen = None
        if chosen is None:
            return match
        key, code = self._term_labels[chosen.term]
        return Match(key, code, round(min(chosen.term_similarity, 1.0), 4), self._term_texts[chosen.term])

    def _refined(self, best: Scored, parts: list[Scored]) -> Scored:
        """A clause or aside that names a narrower illness inside the reading's entry says which one:
        "孩子白血病复发了，是急淋" is the ALL, "中风了（脑梗）" the infarction, "先心 室缺" the VSD."""
        key, code = self.classes[best.index]
        unspecified = code.endswith(".9")
        for part in parts:
            part_key, part_code = self.classes[part.index]
            if not part_key or part_code[:3] == code[:3] or part.confidence < self.threshold:
                continue
            narrower = part_key != key and _covers(self._by_key[key], part_code)
            if narrower or (part_key == key and unspecified and not _is_manifestation(part_code)):
                return part._replace(confidence=max(best.confidence, part.confidence))
        return best

    def _sequela(self, folded: str, match: Match) -> Match:
        """A stroke written with "后遗症" or "陈旧性" anywhere is its late effect (I69), not the stroke;
        an injury, a burn or a poisoning with "后遗症" its late effect (T90-T97: "胸髓损伤后遗症 截瘫" is
        T91.3)."""
        if match.code[0] in "ST" and any(_AFTER_EFFECT.search(c) for c in _CLAUSES.split(folded)):
            late = next((code for pattern, code in _INJURY_LATE if pattern.match(match.code)), None)
            if late:
                covering = self.covering(late)
                return Match(covering[0] if covering else "", late, match.confidence, match.matched)
        sequela = _SEQUELA_OF.get(match.key) or (_SEQUELA_OF["stroke"] if match.category in _STROKES else None)
        if not sequela or SEQUELA_KEY not in self._by_key or not _LATE.search(folded):
            return match
        return Match(SEQUELA_KEY, sequela, match.confidence, match.matched)

    def _regions(self, folded: str, match: Match) -> Match:
        """An injury of one region coded by region (T20-T25 for burns) that the text says of two or
        more regions, with no extent, is the "multiple regions" code the code rules give ("+"):
        "头面部、躯干、四肢多处烧伤" is T29."""
        regions = self._region_rules.get(match.key)
        if regions is None:
            return match
        if _EXTENDED in folded:  # an extent is coded by extent (T31), however many regions are named
            return Match(match.key, "T31", match.confidence, match.matched) if match.code[:3] == "T29" else match
        several, by_region, pattern = regions
        if match.code not in by_region.values():
            return match
        masked = re.sub(_SURGERY, "", folded)
        named = {by_region[found.group()] for found in pattern.finditer(masked)}
        if len(named) >= 2 or re.search(r"四肢|全身多处|多部位", masked):
            return Match(match.key, several, match.confidence, match.matched)
        return match

    def _hiv(self, folded: str, match: Match) -> Match:
        """HIV disease by what it resulted in: "艾滋病合并卡波西肉瘤" is B21.0, "…肺孢子菌肺炎" B20.6,
        "艾滋病" alone B24 (WHO's combination categories)."""
        if not _HIV_ITSELF.search(folded) or _HIV_NEGATIVE.search(folded):
            return match
        if not self._hiv_key:
            return match
        rest = _HIV_ITSELF.sub(" ", folded)
        code = next((code for code, words in _HIV_RESULTS if words.search(rest)), "B24")
        if match.key != self._hiv_key and (code == "B24" or not _HIV_LINK.search(folded)):
            return match  # another illness read, and HIV named beside it without saying it caused it
        confidence = match.confidence if code == "B24" else max(match.confidence, RULE_CONFIDENCE)
        return Match(self._hiv_key, code, confidence, match.matched)

    def _weighed(self, reading: neoplasm.Reading | None, match: Match | None) -> Match | None:
        """The model's reading weighed against the site and behaviour the words name (cases/lib/neoplasm.py).

        They agree: the more specific code and at least RULE_CONFIDENCE. They differ: the words win
        (a model that has not seen "（乙状结肠）中分化腺癌" guesses), under the model's entry when it
        covers the code, else the most specific entry that does. Words naming a site and behaviour no
        entry covers (most benign tumours: 子宫肌瘤 is D25) give the code without an entry.
        """
        if reading is None or match is None:
            return match
        code = reading.code
        if reading.behaviour == "unknown_primary" and self.known(match) and match.code.startswith("C"):
            return match  # "癌" with no site the reader knows: the model may know a misspelt one
        if match.category == code[:3]:
            # the words' code when it says more: C18.7 (sigmoid) over C18, not C34.9 (unspecified) over C34
            says_more = len(code) > len(match.code) and not code.endswith(".9")
            covered = not match.key or _covers(self._by_key[match.key], code)
            better = code if says_more and covered else match.code
            return Match(match.key, better, max(match.confidence, RULE_CONFIDENCE), match.matched)
        covering = self.covering(code)
        if not covering:
            return Match("", code, RULE_CONFIDENCE, f"{reading.term}:{reading.behaviour}")
        key = match.key if match.key in covering else covering[0]
        return Match(key, code, RULE_CONFIDENCE, f"{reading.term}:{reading.behaviour}")

    def known(self, match: Match | None) -> bool:
        return match is not None and match.confidence >= self.threshold

    def covering(self, code: str) -> list[str]:
        """The keys of the entries covering a code, most specific first (looked up once per code)."""
        if code not in self._covering:
            self._covering[code] = [e.key for e in disease_library.find_all_by_code(self.entries, code)]
        return self._covering[code]


def library_normaliser(
    entries: Sequence[disease_library.Entry] | None = None, *, threshold: float | None = None
) -> Normaliser:
    """The normaliser for a library (default: the shipped one), built once per library version and content.

    Kept in memory for the process and, unless DIAGNOSIS_MODEL_CACHE is "off", pickled under that
    directory (default ~/.cache/tongzhou/diagnosis) so that the next process loads it in well under
    a second instead of training it again. The file name is a hash of everything the model is
    trained on and of the versions of this module, the library and scikit-learn.
    """
    entries = tuple(entries) if entries is not None else disease_library.default_entries()
    key = fingerprint(entries)
    normaliser = _build(key, entries)
    if threshold is not None and threshold != normaliser.threshold:
        normaliser = copy.copy(normaliser)
        normaliser.threshold = threshold
    return normaliser


def fingerprint(entries: Sequence[disease_library.Entry]) -> str:
    """What the model depends on, hashed: this module's and the library's version, names, codes, rules."""
    codes = _codes_for(tuple(entries))
    parts = (
        VERSION,
        _code_digest(),
        disease_library.VERSION,
        [(e.key, e.icd10, e.name_zh, e.name_en, e.synonyms_zh) for e in entries],
        [(r.key, r.code, r.names, r.qualifiers, r.with_names) for r in codes],
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


@functools.cache
def _code_digest() -> tuple[str, list[str]]:
    """This module's source and the versions of what reads or folds the text: an upgrade of any
    changes the features a pickled model expects."""
    from importlib.metadata import version

    packages = ("scikit-learn", "numpy", "scipy", "opencc", "pypinyin")
    modules = (neoplasm, sounds, vocabulary)
    sources = (Path(__file__), *(Path(m.__file__) for m in modules), neoplasm.SITES_PATH, vocabulary.TERMS_PATH)
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    return digest, [version(p) for p in packages]


@functools.lru_cache(maxsize=4)
def _build(key: str, entries: tuple) -> Normaliser:
    directory = _cache_dir()
    path = directory / f"normaliser-{key}.pickle" if directory else None
    if path and path.exists():
        try:
            with path.open("rb") as handle:
                loaded = pickle.load(handle)
            if isinstance(loaded, Normaliser) and loaded.fingerprint == key:
                return loaded
        except Exception:  # a stale or broken file is rebuilt
            pass
    normaliser = Normaliser(entries, codes=_codes_for(entries))
    normaliser.fingerprint = key  # what it was trained on, for callers that record it
    if path:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as handle:
                pickle.dump(normaliser, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
        except OSError:
            pass
    return normaliser


def _cache_dir() -> Path | None:
    value = os.environ.get("DIAGNOSIS_MODEL_CACHE", "")
    if value.lower() == "off":
        return None
    return Path(value) if value else Path.home() / ".cache" / "tongzhou" / "diagnosis"


@functools.lru_cache(maxsize=4)
def _codes_for(entries: tuple) -> tuple[CodeRule, ...]:
    return load_codes(entries)
