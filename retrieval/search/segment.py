"""A question's search terms: Latin words as the index holds them, Chinese cut into words by jieba.

The index stores Chinese as overlapping bigrams (see `text.tokens`), so any word matches as the run
of its bigrams. Searching for the question's bigrams instead lets the ones that straddle two words
(的招 in 的招聘, 帮公 in 帮公司) weigh in the relevance gate as if they were topics; searching for
its words does not. jieba (already used for topics) finds names no dictionary has (酷讯).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Container, Iterable

from retrieval.store.text import CJK, EN_STOPWORDS, ZH_STOP_BIGRAMS, normalize

_RUN_RE = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
_CJK_RUN = re.compile(rf"[{CJK}]+")

# Words of a question that name no topic ("怎么回顾在酷讯的创业经历" is about 酷讯 and 创业经历):
# the question's framing ("how", "what to do", "talk about", "look back on"), as "say" and "think"
# are in English. 博主 ("the blogger") is the account itself, as "he" is.
ZH_STOPWORDS = ZH_STOP_BIGRAMS | frozenset(
    """什么 怎么 怎样 怎么样 如何 为什么 为何 哪些 哪个 哪里 多少 是否 有没有 是不是 一种 一下 一些 一点 这句 那句
    这句话 那句话 这些 那些 这么 那么 他们 她们 你们 我们 他说 她说 看法 观点 评价 态度 看待 认为 觉得 说法 说过
    提到 谈到 说到 讲到 提及 曾经 以前 之前 最近 时候 现在 当时 如何看 怎么看 看看 对于 关于 有关 一直 还有
    所有 全部 具体 主要 真的 其中 以及 或者 还是 而且 但是 因为 所以 如果 可能 应该 需要 东西 事情 问题 情况
    博主 作者 怎么办 谈谈 聊聊 说说 讲讲 回顾""".split()
)

_FILLER_CHARS = frozenset("的了吗呢啊吧呀又还也就和跟是在对把被给从向于与及或而且都很太更最")

_lock = threading.Lock()
_ready = False
_taught: set[str] = set()


def _jieba():
    global _ready
    import jieba  # lazy: its dictionary takes about half a second to load

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _ready = True
    return jieba


def warm_up() -> None:
    """Load the dictionary now (blocking; call it off the event loop)."""
    _jieba()


def teach(words: Iterable[str]) -> None:
    """Keep names whole (玄戒, 雷军, an executive's aliases): jieba would split what it never saw."""
    new = {w for w in words if len(w) >= 2 and _CJK_RUN.fullmatch(w) and w not in _taught}
    if not new:
        return
    jb = _jieba()
    with _lock:
        for w in sorted(new):
            jb.add_word(w, freq=None)
        _taught.update(new)


def chinese_words(run: str) -> list[str]:
    """jieba's words of one run of Chinese characters."""
    return [w for w in _jieba().lcut(run, HMM=True) if w.strip()]


def join_compounds(words: list[str], compounds: Container[str]) -> list[str]:
    """jieba's words with adjacent ones joined where the dictionary lists the whole as one word:
    中国 + 菜 -> 中国菜 ("Chinese cuisine"). A question about the compound is about the compound,
    not about 中国 alone. Framing words and fillers are never joined."""
    out, i = [], 0
    while i < len(words):
        for j in range(min(len(words), i + 3), i + 1, -1):
            span = words[i:j]
            whole = "".join(span)
            if whole in compounds and not any(w in ZH_STOPWORDS or w in _FILLER_CHARS for w in span):
                out.append(whole)
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return out


def search_terms(text: str, compounds: Container[str] = ()) -> list[str]:
    """What to search for, in order, deduplicated: Latin words (lower-cased, no stopwords) and
    Chinese words of two or more characters (no stopwords), jieba's words joined where `compounds`
    (the dictionary's Chinese words) has the whole. A Chinese run that yields no such word is kept
    whole when it is short, else cut into bigrams, so that no question goes unsearched; when the
    question has terms elsewhere, such a run is only framing (有什么看法) and adds nothing."""
    seen: dict[str, None] = {}
    bare: list[str] = []
    for m in _RUN_RE.finditer(normalize(text)):
        run = m.group(0)
        if not _CJK_RUN.fullmatch(run):
            if run not in EN_STOPWORDS and (len(run) > 1 or run.isdigit()):
                seen.setdefault(run, None)
            continue
        words = [w for w in join_compounds(chinese_words(run), compounds) if len(w) >= 2 and w not in ZH_STOPWORDS]
        if not words and run not in ZH_STOPWORDS and not (len(run) == 1 and run in _FILLER_CHARS):
            bare.append(run)
        seen.update(dict.fromkeys(words))
    if not seen:
        for run in bare:
            words = [run] if len(run) <= 2 else [
                b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in ZH_STOP_BIGRAMS]
            seen.update(dict.fromkeys(words))
    return list(seen)


# Sorted in full, not by length alone: a set's order changes from run to run.
_STOPWORDS_LONGEST_FIRST = sorted(ZH_STOPWORDS, key=lambda w: (-len(w), w))


def trim_stopwords(word: str) -> str:
    """The word without framing words or filler characters at its ends: jieba's HMM glues unknown
    characters to their neighbours ("博主怎么看美债" gives 博主美债), and the topic is what is left."""
    changed = True
    while changed and len(word) > 2:
        changed = False
        for stop in _STOPWORDS_LONGEST_FIRST:
            if len(stop) >= len(word) - 1:  # keep at least two characters
                continue
            if word.startswith(stop) or word.endswith(stop):
                word = word[len(stop):] if word.startswith(stop) else word[: -len(stop)]
                changed = True
                break
        if not changed and (word[0] in _FILLER_CHARS or word[-1] in _FILLER_CHARS):
            word = word[1:] if word[0] in _FILLER_CHARS else word[:-1]
            changed = True
    return word


def parts(word: str) -> list[str]:
    """The dictionary words inside a compound (外观设计 -> 外观, 设计; 电动自行车 -> 电动, 自行车),
    without those that lie inside a longer part, and without stopwords."""
    subs = {w for w in _jieba().lcut_for_search(word, HMM=False) if 2 <= len(w) < len(word) and w not in ZH_STOPWORDS}
    return [w for w in sorted(subs, key=word.find) if not any(w != o and w in o for o in subs)]
