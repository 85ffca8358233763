"""Chinese text as toneless pinyin, with the sounds many speakers (and so their input method) merge.

Families type on pinyin keyboards and pick the wrong character of the right sound: "直长癌" for
直肠癌, "姨腺癌" for 胰腺癌, "鼻烟癌" for 鼻咽癌. Read by sound, these are the same words. Used by the
normaliser's features (``cases/lib/diagnosis.py``) and the sites reader (``cases/lib/neoplasm.py``).
"""

from __future__ import annotations

import functools
import re

# zh/z, ch/c, sh/s and -ng/-n: pairs many speakers do not tell apart
_FUZZY = [(re.compile(p), r) for p, r in ((r"^zh", "z"), (r"^ch", "c"), (r"^sh", "s"), (r"ng$", "n"))]


@functools.lru_cache(maxsize=8192)
def syllable(char: str) -> str:
    """One character's fuzzy toneless syllable; anything but a Chinese character, itself in lower case."""
    value = plain(char)
    for pattern, replacement in _FUZZY:
        value = pattern.sub(replacement, value)
    return value


@functools.lru_cache(maxsize=8192)
def plain(char: str) -> str:
    """One character's toneless syllable, nothing merged (烧 shao, 伤 shang, 三 san)."""
    if not "\u4e00" <= char <= "\u9fff":
        return char.lower()
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def pinyin(text: str) -> str:
    """The text as toneless, fuzzy pinyin syllables separated by spaces."""
    return " ".join(syllable(char) for char in text)


@functools.lru_cache(maxsize=8192)
def syllables(char: str) -> tuple[str, ...]:
    """Every fuzzy toneless reading of a character (长 is chang and zhang), its usual one first."""
    if not "\u4e00" <= char <= "\u9fff":
        return (char.lower(),)
    from pypinyin import Style
    from pypinyin import pinyin as readings

    out = [syllable(char)]
    for value in readings(char, style=Style.NORMAL, heteronym=True)[0]:
        for pattern, replacement in _FUZZY:
            value = pattern.sub(replacement, value)
        if value not in out:
            out.append(value)
    return tuple(out)
