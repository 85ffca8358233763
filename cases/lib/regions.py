"""Province-level divisions of GB/T 2260, keyed by their two-digit code."""

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

# Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证) carry these
# prefixes in place of a mainland province code (GB 11643-1999 numbering, 2018 rules).
PERMIT_PREFIXES: dict[str, str] = {"81": "香港", "82": "澳门", "83": "台湾"}


def _short(name: str) -> str:
    for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# Full and short names (河南省, 河南) to codes, for senders that write the name instead of the code.
PROVINCE_BY_NAME: dict[str, str] = {
    **{name: code for code, name in PROVINCES.items()},
    **{_short(name): code for code, name in PROVINCES.items()},
}
