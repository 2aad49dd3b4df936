"""Text helpers shared by the index and search: keyword tokens that work for Chinese, hashes."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from itertools import islice

# CJK ideographs (BMP + extension A + compatibility). Kana/Hangul are rare here and fall under words.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+", re.UNICODE)
_CJK_RE = re.compile(rf"[{CJK}]")
# Counted with findall: the search path classifies every candidate row, and a loop in Python over
# each character cost ~4 ms a question.
_ALNUM_RE = re.compile(r"[^\W_]")  # str.isalnum, exactly
_LATIN_RE = re.compile(r"[A-Za-z]")

# Common English words that would match nearly every post; they carry no topic.
EN_STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its me my of on or our say said says she so tell than that the their them then there these
    they this those to told us was we were what when where which who whom why will with would you your about
    any anything something talk talked talking mention mentioned post posted posts tweet tweets weibo wrote
    write think thought just also more most some all very should shall must may might ought according out
    up via per whether ever else both each every other another such own same only even still yet really
    much many give gave given take took taken get got make made know knew ask asked blogger bloggers""".split()
)
# Frequent Chinese bigrams that say nothing about the topic.
ZH_STOP_BIGRAMS = frozenset(
    "什么 说了 了什 怎么 关于 我们 一个 这个 那个 没有 自己 大家 今天 就是 还是 可以 已经 他的 的是 是什 么的".split()
)


# What a Weibo client writes when a post has no words of its own (a bare repost, a picture).
_CONTENT_FREE_PHRASES = re.compile(
    r"转发微博|轉發微博|分享图片|分享圖片|分享视频|分享視頻|分享链接|网页链接|網頁鏈接|repost|retweet|"
    r"\[(?:无文字|生日动态|图片|视频)\]|\bRT\b", re.I)
_NOISE = re.compile(r"#[^#\n]{1,40}#|#\w+|https?://\S+|www\.\S+|@[\w\-\u4e00-\u9fff]+|//@[^:：]*[:：]?")
MIN_CONTENT_CHARS = 4


# Where a repost's quoted text starts ("// 转发 @小米公司: ...", "//@user: ..."): others' words, context only.
_QUOTE = re.compile(r"//\s*(?:转发\s*)?@")


# Every _CONTENT_FREE_PHRASES match, lower-cased, holds one of these: a text with none skips that
# regex, which costs more than all the rest (an alternation tried at every character).
_PHRASE_HINTS = ("转", "轉", "分享", "网页", "網頁", "[", "re", "rt")


def _own_words(text: str) -> str:
    """The author's own words: links, @mentions, hashtags, quoted reposts and boilerplate gone."""
    rest = _NOISE.sub(" ", _QUOTE.split(text, maxsplit=1)[0])
    low = rest.lower()
    if any(h in low for h in _PHRASE_HINTS):
        rest = _CONTENT_FREE_PHRASES.sub(" ", rest)
    return rest


def content_chars(text: str) -> int:
    """Letters and digits of the author's own words once links, @mentions, hashtags and repost
    boilerplate are gone."""
    return len(_ALNUM_RE.findall(_own_words(text)))


def is_content_free(text: str) -> bool:
    """转发微博, 分享图片, a bare link, @mentions alone, a hashtag alone: findable (by top), never an answer.
    Runs on every candidate row of every question: it counts only up to MIN_CONTENT_CHARS."""
    found = _ALNUM_RE.finditer(_own_words(text))
    return sum(1 for _ in islice(found, MIN_CONTENT_CHARS)) < MIN_CONTENT_CHARS


def language(text: str) -> str:
    """'zh' when more than 30% of the letters are CJK characters, else 'en'. One rule for questions
    and posts, so that the relevance gate's language pairs mean the same thing on both sides."""
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return "zh" if cjk and cjk / (cjk + latin) > 0.3 else "en"


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def cjk_ratio(text: str) -> float:
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if is_cjk(c)) / len(letters)


def tokens(text: str) -> list[str]:
    """Index tokens: lower-cased words for Latin script, overlapping bigrams for Chinese.

    FTS5's trigram tokenizer cannot match 2-character words (量产, 雷军), and most Chinese words
    are 2 characters; bigrams of every CJK run (the CJK analyzer approach) match them with
    no dictionary, and longer words still match as a run of bigrams.
    """
    out: list[str] = []
    for m in _TOKEN_RE.finditer(normalize(text)):
        run = m.group(0)
        if is_cjk(run[0]):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run)
    return out


def query_tokens(text: str) -> list[str]:
    """Tokens worth searching for: index tokens without stopwords, deduplicated, in order."""
    seen: dict[str, None] = {}
    for tok in tokens(text):
        if tok in EN_STOPWORDS or tok in ZH_STOP_BIGRAMS:
            continue
        if len(tok) == 1 and not is_cjk(tok) and not tok.isdigit():
            continue
        seen.setdefault(tok, None)
    return list(seen)


# Bumped whenever fts_document changes what it writes: an index built before is re-tokenized on open.
FTS_TOKENS_VERSION = "3"
GLUED_MIN = 9  # shorter Latin runs are names more often than glued words (xiaomi, spacex, iphone)


@lru_cache(maxsize=65536)
def glued_words(run: str) -> tuple[str, ...]:
    """The English words of a Latin run written without spaces, or () when it is not one:
    sevenhabitsofeffectivepeople -> (seven, habits, of, effective, people), billgates -> (bill, gates).

    Chinese posts often lose the spaces of the English they quote (the Weibo exports in our corpora
    do), which leaves "habits" or "gates" unsearchable. wordninja splits by English unigram
    frequency; a split with stray letters (l + eijun) is no split.
    """
    if len(run) < GLUED_MIN or not (run.isascii() and run.isalpha()):
        return ()
    import wordninja  # about 0.1 s to load its word list: only when a document has such a run

    words = tuple(wordninja.split(run))
    if len(words) < 2 or any(len(w) < 2 and w not in ("a", "i") for w in words):
        return ()
    return words


# A product name glued to its number (iphone4, covid19, gpt4): the name is searchable on its own.
# Three letters at least, so that su7 and yu7 stay what a question about them asks for.
_NAME_NUMBER = re.compile(r"([a-z]{3,})\d{1,4}")


def fts_document(text: str) -> str:
    """What goes into the FTS5 (unicode61) column: tokens separated by spaces.

    A name glued to a number keeps its token and is followed by the name: "iphone4" matches both
    "iphone4" and "iphone". In a text with Chinese, a glued English run keeps its token and is followed
    by its words, so that both "billgates" and "bill gates" match it (see glued_words). English posts
    keep their runs whole: there a run without spaces is a name (Starlink is not "star link").
    """
    toks = tokens(text)
    cjk = bool(_CJK_RE.search(text))
    out: list[str] = []
    for t in toks:
        out.append(t)
        if (m := _NAME_NUMBER.fullmatch(t)) is not None:
            out.append(m.group(1))
        elif cjk:
            out.extend(glued_words(t))
    return " ".join(out)


def fts_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression that ORs the quoted terms (bm25 rewards documents that hold more)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def sha(text: str, n: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def content_hash(text: str) -> str:
    """Hash of the exact text that gets embedded: equal hashes share one vector."""
    return sha(unicodedata.normalize("NFC", text).strip())
