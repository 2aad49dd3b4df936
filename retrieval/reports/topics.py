"""Main topics of a set of posts, for Chinese and English alike.

Chinese words come from jieba's TF-IDF keywords; Latin-script words and product names (SU7, YU7,
XRING O1, 15S Pro) are counted separately, because jieba knows nothing of product names and
splits phrases like "XRING O1" apart. Both lists are scaled to [0, 1] and merged by score.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

from retrieval.store.text import CJK, EN_STOPWORDS, ZH_STOP_BIGRAMS, cjk_ratio, is_cjk

_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_CJK_RUN_RE = re.compile(rf"[{CJK}]+")
# A Latin-script word, with an optional apostrophe part (Xiaomi's, can't).
_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")

# Words that EN_STOPWORDS (built for queries) lets through but that never name a topic.
_EN_EXTRA_STOPWORDS = frozenset(
    """thank thanks happy day days today tomorrow tonight new one two great good best people like get got
    now yes no not here there out up down over after before other because through while each every many
    much around world time times year years first last make made see let going want need only even still
    too really well way back again few such per via amp rt http https www com lol week month am pm let's
    it's i'm don't can't we're you're that's there's who's just cannot may might must shall should""".split()
)
# Chinese words jieba ranks high in any post set that say nothing about the topic.
_ZH_STOPWORDS = frozenset(
    """大家 今天 明天 昨天 很多 谢谢 感谢 我们 你们 他们 一位 一个 一下 朋友 真的 特别 非常 看到 时候 现在 还有
    这样 那样 一起 一直 继续 已经 还是 就是 可以 没有 自己 什么 怎么 这个 那个 这些 这么 知道 觉得 分享 图片
    转发 微博 收到 希望 欢迎 最近 之前 以后 有人 早上 晚上 下午 上午 东西 一点 不是 如果 因为 所以 但是""".split()
)


def _is_topic_word(tok: str) -> bool:
    low = tok.lower()
    return (
        len(tok) > 1
        and not tok.isdigit()
        and low not in EN_STOPWORDS
        and low not in _EN_EXTRA_STOPWORDS
    )


def _latin_candidates(texts: list[str], min_count: int) -> dict[str, tuple[str, float]]:
    """lower-cased word or phrase -> (display form, count). Phrases are adjacent word pairs with a digit."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        # CJK runs become line breaks: they end a Latin phrase ("玄戒O1只是" is not "O1 只是").
        clean = _CJK_RUN_RE.sub("\n", _URL_RE.sub(" ", text))
        prev: tuple[str, int] | None = None  # (word, end offset) of the previous word
        for m in _WORD_RE.finditer(clean):
            tok = re.sub(r"['’]s$", "", m.group(0), flags=re.IGNORECASE)  # Xiaomi's -> Xiaomi
            follows = prev is not None and clean[prev[1] : m.start()] in (" ", "\u00a0")
            if tok.isdigit() and follows and prev is not None:
                # A number is no topic alone but ends a product name: "Grok 3", "iPhone 16".
                phrase = f"{prev[0]} {tok}"
                pairs[phrase.lower()] += 1
                forms.setdefault(phrase.lower(), Counter())[phrase] += 1
            if not _is_topic_word(tok):
                prev = None
                continue
            low = tok.lower()
            words[low] += 1
            forms.setdefault(low, Counter())[tok] += 1
            if follows and prev is not None:
                phrase = f"{prev[0]} {tok}"
                if any(c.isdigit() for c in phrase):
                    pairs[phrase.lower()] += 1
                    forms.setdefault(phrase.lower(), Counter())[phrase] += 1
            prev = (tok, m.end())
    out: dict[str, tuple[str, float]] = {}
    for phrase, count in pairs.items():
        if count >= min_count:
            out[phrase] = (forms[phrase].most_common(1)[0][0], float(count))
            # The words of a kept phrase count only where they stand alone.
            for part in phrase.split(" "):
                if part in words:
                    words[part] -= count
    for word, count in words.items():
        if count >= min_count:
            out[word] = (forms[word].most_common(1)[0][0], float(count))
    return out


def _chinese_candidates(texts: list[str], k: int) -> dict[str, tuple[str, float]]:
    joined = "\n".join(_URL_RE.sub(" ", t) for t in texts)
    if not _CJK_RUN_RE.search(joined):
        return {}
    import jieba  # lazy: loading the dictionary takes about a second
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    tags: list[Any] = jieba.analyse.extract_tags(joined, topK=k * 4, withWeight=True, allowPOS=())
    out: dict[str, tuple[str, float]] = {}
    for word, weight in tags:
        # Latin words are counted by _latin_candidates; keep jieba to what it is good at.
        if len(word) < 2 or not all(is_cjk(c) for c in word):
            continue
        if word in _ZH_STOPWORDS or word in ZH_STOP_BIGRAMS:
            continue
        out[word] = (word, float(weight))
    return out


def _scaled(cands: dict[str, tuple[str, float]]) -> dict[str, tuple[str, float]]:
    top = max((score for _, score in cands.values()), default=0.0)
    return {key: (form, score / top) for key, (form, score) in cands.items()} if top > 0 else {}


def extract_topics(texts: list[str], k: int = 8) -> list[str]:
    """The k main topics of the texts, best first, unique case-insensitively."""
    texts = [t for t in texts if t and t.strip()]
    if not texts or k <= 0:
        return []
    # A word used once is no topic, unless there are only a few posts to go on.
    min_count = 2 if len(texts) >= 5 else 1
    zh_share = cjk_ratio("\n".join(texts))
    scored: list[tuple[float, str]] = []
    for form, score in _scaled(_chinese_candidates(texts, k)).values():
        scored.append((score * zh_share, form))
    for form, score in _scaled(_latin_candidates(texts, min_count)).values():
        # Tokens with digits are product names (SU7, XRING O1) whatever the language; plain English
        # words weigh by how much of the text is English.
        weight = 1.0 if any(c.isdigit() for c in form) else 1.0 - zh_share
        scored.append((score * weight, form))
    scored.sort(key=lambda item: (-item[0], item[1].lower()))
    out: dict[str, str] = {}
    for score, form in scored:
        if score <= 0:
            break
        out.setdefault(form.lower(), form)
        if len(out) == k:
            break
    return list(out.values())
