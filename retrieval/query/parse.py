"""Question understanding: who is asked about, which period, and what is left to search for.

Pure functions over a Registry; no I/O. The order matters: the executive's name is removed first so
that "Jun" in "Lei Jun" never reaches the time parser, then the time phrase, then boilerplate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from retrieval.models import Executive
from retrieval.query.spans import remove_span, tidy
from retrieval.query.timeparse import Period, find_period
from retrieval.store.registry import Registry
from retrieval.store.text import language

__all__ = ["ParsedQuery", "extract_terms", "find_executive", "named_as_topic", "parse_query"]

_LATIN = "0-9A-Za-z\u00c0-\u024f"


@dataclass
class ParsedQuery:
    text: str  # the original question
    terms: str  # what is left to search for; may be ""
    executive: str | None  # executive key
    period: Period | None
    language: str  # "zh" or "en"


# --- executives --------------------------------------------------------------------------------------


def _alias_pattern(alias: str) -> re.Pattern[str] | None:
    """Whole-word match for Latin ends (no "Lei" in "Leipzig"), plain match for CJK ends.

    Spaces inside a name may be absent or doubled ("LeiJun", "Lei  Jun"); a possessive ('s, ’s, 的)
    is swallowed with the name.
    """
    alias = alias.strip().lstrip("@")
    if not alias:
        return None
    body = r"[\s\-_.]*".join(re.escape(part) for part in alias.split())
    starts_latin = re.match(f"[{_LATIN}]", alias) is not None
    ends_latin = re.search(f"[{_LATIN}]$", alias) is not None
    head = f"(?<![{_LATIN}])@?" if starts_latin else ""
    tail = f"(?:['’]s|['’])?(?![{_LATIN}])" if ends_latin else "(?:的)?"
    return re.compile(head + body + tail, re.I)


def _names(ex: Executive) -> list[str]:
    """Key, name and aliases, longest first so "Lei Jun" wins over "Lei"."""
    names = dict.fromkeys([ex.key, *ex.all_names()])
    return sorted((n for n in names if n and n.strip()), key=len, reverse=True)


def _strip_names(text: str, ex: Executive) -> str:
    for name in _names(ex):
        rx = _alias_pattern(name)
        while rx and (m := rx.search(text)):
            text = remove_span(text, m.start(), m.end())
    return tidy(text)


def find_executive(text: str, registry: Registry) -> tuple[str | None, str]:
    """(key, text without that executive's names). The earliest mention wins, longest alias first.

    Earliest because the subject usually comes first: "what did Musk say about Lei Jun?" is Musk.
    """
    best: tuple[int, int, Executive] | None = None
    for ex in registry.executives.values():
        for name in _names(ex):
            rx = _alias_pattern(name)
            m = rx.search(text) if rx else None
            if m and (best is None or (m.start(), -len(m.group(0))) < best[:2]):
                best = (m.start(), -len(m.group(0)), ex)
    if best is None:
        return None, text
    return best[2].key, _strip_names(text, best[2])


# What comes just before a name that is the question's topic, not its subject: "what did the
# blogger say about Musk", "博主怎么看马斯克", "对雷军的评价".
_TOPIC_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:about|on|regarding|of|with|against|versus|vs\.?|and|for)|关于|对于|对|评价|看待|怎么看|看|和|与|跟|同)\s*$",
    re.I)


def named_as_topic(text: str, registry: Registry, key: str) -> bool:
    """Whether the executive's first mention in the text is the object of the question (after
    "about", 关于, 对 ...) rather than its subject ("what did Musk say", "马斯克说了什么")."""
    ex = registry.get(key)
    if ex is None:
        return False
    starts = [m.start() for name in _names(ex) if (rx := _alias_pattern(name)) and (m := rx.search(text))]
    return bool(starts) and _TOPIC_BEFORE.search(text[: min(starts)]) is not None


# --- language and terms ------------------------------------------------------------------------------


_VERBS = (
    r"say|said|says|saying|post|posted|posts|posting|tweet|tweeted|tweets|tweeting|write|wrote|written|"
    r"writing|think|thought|thinks|mention|mentioned|mentions|share|shared|talk|talked|talking|speak|spoke|"
    r"announce|announced|comment|commented"
)
_EN_BOILERPLATE = [
    rf"what\s+(?:did|does|do|has|have|had|is|was|were)(?:\s+(?:he|she|they|it))?(?:\s+(?:been|just|recently|ever))?\s+(?:{_VERBS})",
    r"what\s+(?:is|are|was|were)\s+(?:his|her|their)\s+(?:thoughts?|views?|opinions?|take|stance)",
    r"(?:thoughts?|views?|opinions?|comments?|remarks?|take|stance|statements?)\s+(?:on|about|regarding)",
    rf"(?:did|does|do|has|have|had)(?:\s+(?:he|she|they))?\s+(?:ever\s+)?(?:{_VERBS})",
    rf"(?:{_VERBS})\s+(?:about|on|regarding)",
    r"(?:tell|show|give|find|get|fetch|list)\s+me",
    r"(?:can|could|would)\s+you",
    r"please",
    r"i\s+(?:want|would\s+like|wanna)\s+to\s+know",
    r"summari[sz]e",
    r"(?:a\s+)?summary\s+of",
    r"recap(?:\s+of)?",
    r"what['’]?s\s+new(?:\s+(?:from|with))?",
    r"any\s+(?:news|updates?)(?:\s+(?:on|about|from))?",
]
_EN_BOILERPLATE_RX = [re.compile(rf"(?<![{_LATIN}]){p}(?![{_LATIN}])", re.I) for p in _EN_BOILERPLATE]
# Dropped only at either end of what remains ("about YU7" -> "YU7"), never from the middle.
_EN_EDGE_WORDS = set(
    "about on regarding re of the a an his her their its what whats what's did does do is was were are "
    "anything something any posts post tweets tweet weibo said say says lately recently latest recent new "
    "news update updates in from by for to and he she they me concerning everything all has have been how "
    "tell show summary recap ever".split()
)

_ZH_BOILERPLATE = [
    r"(?:都|又|还|最近|近来)?(?:说|讲|谈|聊|发|写|提|发布|分享|评论|表示)(?:了|过)?(?:些|一些)?(?:什么|啥|哪些)(?:内容|东西|话)?",
    r"(?:有)?(?:什么|啥)(?:新的?)?(?:动态|消息|看法|观点|言论|说法|评论)",
    r"(?:有没有|是否)?(?:提到|谈到|说到|讲到|聊到|提及)(?:了|过)?",
    r"(?:请问|告诉我|给我|帮我|请|总结一下|总结|概括一下|概括|汇总|介绍一下)",
    r"关于|有关|对于",
]
_ZH_OPINION = re.compile(r"(?:怎么|如何)(?:看待|看|说|评价)|的?(?:看法|观点|评价|态度)")
_ZH_BOILERPLATE_RX = [re.compile(p) for p in _ZH_BOILERPLATE]
_ZH_EDGES = [
    re.compile(r"^(?:在|于)?(?:微博|推特|推文|帖子)(?:上|里|中)?"),
    re.compile(r"的?(?:微博|推文|帖子|内容|言论|动态)$"),
    re.compile(r"[的了吗呢啊吧呀]+$"),
]
_FILLER_ONLY = re.compile(r"[\s的在都对了吗呢啊吧呀又还也就和跟是]*")
_PUNCT = " \t\n?!.,;:，。？！；：、\"'“”‘’()（）[]【】<>《》-–—~…"


def _cut_all(text: str, rx: re.Pattern[str]) -> str:
    while m := rx.search(text):
        if m.end() == m.start():
            break
        text = remove_span(text, m.start(), m.end())
    return text


def extract_terms(text: str) -> str:
    """Drop question boilerplate ("what did ... say about", "说了什么", "关于") and edge punctuation."""
    for rx in _EN_BOILERPLATE_RX:
        text = _cut_all(text, rx)
    opinion = bool(_ZH_OPINION.search(text))
    text = _cut_all(text, _ZH_OPINION)
    for rx in _ZH_BOILERPLATE_RX:
        text = _cut_all(text, rx)
    text = tidy(text).strip(_PUNCT)
    if opinion:
        text = re.sub(r"^(?:对|就)", "", text)  # "对YU7怎么看" -> "YU7"
    tokens = text.split()
    while tokens and tokens[0].strip(_PUNCT).lower() in _EN_EDGE_WORDS:
        tokens.pop(0)
    while tokens and tokens[-1].strip(_PUNCT).lower() in _EN_EDGE_WORDS:
        tokens.pop()
    text = " ".join(tokens).strip(_PUNCT)
    for rx in _ZH_EDGES:
        text = rx.sub("", text).strip(_PUNCT)
    return "" if _FILLER_ONLY.fullmatch(text) else text


# --- the whole question ------------------------------------------------------------------------------


def parse_query(
    text: str,
    registry: Registry,
    now: datetime,
    tz: ZoneInfo,
    *,
    executive: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ParsedQuery:
    """Understand a question. Explicit options win over what the text says.

    An explicit executive replaces the one found in the text (only its own names are then removed
    from the terms); explicit since/until replace the matching bound of the parsed period.
    """
    rest = text
    if executive is not None:
        known = registry.get(executive) or registry.by_name(executive)
        if known is not None:
            rest = _strip_names(rest, known)
        key: str | None = known.key if known else executive
    else:
        key, rest = find_executive(rest, registry)
    period, rest = find_period(rest, now, tz, since=since, until=until)
    return ParsedQuery(
        text=text,
        terms=extract_terms(rest),
        executive=key,
        period=period,
        language=language(text),
    )
