"""The digest's generated prose: an overview paragraph and a short trend analysis, grounded and cited.

Only with ANSWER_BACKEND=openai. The model sees the period's figures and its most engaging posts,
as the same untrusted <source> blocks that answers use. What it writes is checked as answers are,
and then some, because a digest is posted to a channel unasked:
- citations must point to given sources and are renumbered over both sections;
- a sentence that states a number found neither in the figures nor in the sources is dropped;
- a section left without a citation is dropped.
Any failure leaves the extractive digest as it is, with a note saying why.
"""

from __future__ import annotations

import logging
import re
from zoneinfo import ZoneInfo

from retrieval.answer.citations import MARKER, check_citations, split_sentences
from retrieval.answer.prompt import LANGUAGE_NAMES, UNTRUSTED_SOURCES, format_source
from retrieval.messages import PROSE_UNAVAILABLE, PROSE_UNCITED
from retrieval.models import Hit
from retrieval.results import Prose, Summary
from retrieval.settings import RetrievalSettings
from retrieval.store.text import is_cjk, is_content_free

logger = logging.getLogger(__name__)

SOURCES = 12  # the week's most engaging posts the model may cite
SOURCE_CHARS = 600  # per post: the prompt stays small enough for a local model's context

# "OVERVIEW:", "**Trend analysis**:", "## 趋势分析：": where a section starts.
_HEADING = re.compile(
    r"^[ \t#*>_-]*(overview|trends?(?:\s+analysis)?|概述|概览|总览|趋势分析|趋势)[ \t*_]*[:：]?[ \t*_]*",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBER = re.compile(r"\d+(?:[,，]\d{3})*(?:\.\d+)?")
_SPLIT = "\n§§TREND§§\n"  # keeps the two sections apart while citations are renumbered together
_SCALES = (1, 1_000, 10_000, 1_000_000, 100_000_000)  # "28k", "2.8万", "1.2 million", "3亿"
_TOLERANCE = 0.05  # "over 1.2 million" for 1,234,567 is a fair rounding; "3 million" is not


def pick_sources(posts: list[Hit], n: int = SOURCES) -> list[Hit]:
    """The most engaging posts that say something: 转发微博 alone gives the model nothing to cite."""
    return [h for h in posts if not is_content_free(h.text)][:n]


def _pct(now: int, before: int) -> str:
    return "" if before == 0 else f", {100 * (now - before) / before:+.0f}% on the previous period"


def figures(summary: Summary) -> list[str]:
    """The period's numbers, stated once: the model may quote these and nothing else."""
    s = summary
    lines = [
        f"posts: {s.posts:,} (previous period: {s.prev_posts:,}{_pct(s.posts, s.prev_posts)})",
        f"interactions: {s.engagement:,} = {s.likes:,} likes + {s.shares:,} shares + {s.comments:,} comments "
        f"(previous period: {s.prev_engagement:,}{_pct(s.engagement, s.prev_engagement)})",
    ]
    if s.by_day and s.posts:
        busiest = max(s.by_day, key=lambda d: d.engagement)
        lines.append(f"busiest day: {busiest.day.isoformat()}, {busiest.posts} posts, "
                     f"{busiest.engagement:,} interactions")
    if s.topics:
        lines.append("topics: " + ", ".join(s.topics))
    return lines


def system_prompt(language: str) -> str:
    lang = LANGUAGE_NAMES.get(language, "English")
    return (
        "You write the overview and the trend analysis of a weekly digest of an executive's posts.\n"
        "Rules:\n"
        "1. Use ONLY the figures and the numbered sources in the user message. Do not use outside knowledge.\n"
        "2. Cite every statement about a post with its source number in square brackets, like [1] or [2][3]. "
        "Only cite numbers of sources that were given.\n"
        "3. Every number you write must appear in the figures or in a source. Do not compute new ones.\n"
        f"4. Write in {lang}.\n"
        f"5. {UNTRUSTED_SOURCES}\n"
        "6. Reply in exactly this form, keeping the two labels in English, with nothing before or after:\n"
        "OVERVIEW: one paragraph of 3 to 5 sentences: how active the executive was, the main topics, "
        "and the post that drew the most engagement.\n"
        "TREND: 2 to 4 sentences on the themes that run through the posts and what they suggest."
    )


def build_messages(summary: Summary, sources: list[Hit], who: str, language: str,
                   tz: ZoneInfo) -> list[dict[str, str]]:
    blocks = "\n\n".join(format_source(i, h, tz, limit=SOURCE_CHARS, engagement=True)
                         for i, h in enumerate(sources, 1))
    facts = "\n".join(f"- {line}" for line in figures(summary))
    user = (
        f"Executive: {who}\nPeriod: {summary.filters.label or 'this period'}\n"
        f"Figures:\n{facts}\n\n"
        f"Sources (numbered 1 to {len(sources)}, most engaging first):\n<sources>\n{blocks}\n</sources>\n\n"
        f"Write the OVERVIEW and TREND sections in {LANGUAGE_NAMES.get(language, 'English')}, citing sources as [n]."
    )
    return [{"role": "system", "content": system_prompt(language)}, {"role": "user", "content": user}]


def sections(text: str) -> tuple[str, str]:
    """(overview, trend) from the model's reply; a reply without labels is all overview."""
    found: dict[str, str] = {}
    marks = list(_HEADING.finditer(text))
    for i, m in enumerate(marks):
        name = "overview" if m.group(1).lower() in ("overview", "概述", "概览", "总览") else "trend"
        body = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip()
        found.setdefault(name, body)  # a model that repeats a label does not get to overwrite
    if not marks:
        return text.strip(), ""
    return found.get("overview", ""), found.get("trend", "")


def _value(raw: str) -> float:
    return float(re.sub(r"[,，]", "", raw))


def _supported(number: float, known: list[float]) -> bool:
    if number <= 31 or (1900 <= number <= 2100 and number.is_integer()):
        return True  # days, months, small counts, years: not figures anyone could inflate
    return any(abs(number * scale - v) <= _TOLERANCE * v for v in known for scale in _SCALES)


def grounded(text: str, known: list[float], n_sources: int) -> str:
    """`text` without the sentences that state a number the figures and sources do not hold, or that
    cite only sources that were never given (a claim pinned on a made-up source is not kept uncited)."""
    kept = []
    for sentence in split_sentences(text):
        cites = [int(n) for m in MARKER.finditer(sentence) for n in re.findall(r"\d+", m.group(2))]
        if cites and not any(1 <= n <= n_sources for n in cites):
            logger.info("dropped a generated digest sentence citing no given source: %.80s", sentence)
            continue
        claims = [_value(m.group(0)) for m in _NUMBER.finditer(MARKER.sub("", sentence))]
        bad = [n for n in claims if not _supported(n, known)]
        if bad:
            logger.info("dropped a generated digest sentence with unsupported figures %s: %.80s", bad, sentence)
            continue
        kept.append(sentence)
    joiner = "" if any(is_cjk(ch) for ch in text) else " "
    return joiner.join(kept)


def _cites(text: str) -> bool:
    return re.search(r"\[\d+\]", text) is not None


def check_prose(text: str, summary: Summary, sources: list[Hit], language: str) -> Prose | None:
    """The model's reply, checked: None when nothing cited survives."""
    grounds = "\n".join([*figures(summary), *(h.text for h in sources),
                         *(f"{h.likes} {h.shares} {h.comments} {h.engagement}" for h in sources)])
    known = [_value(m.group(0)) for m in _NUMBER.finditer(grounds)]
    overview, trend = (grounded(part, known, len(sources)) for part in sections(text))
    first = check_citations(f"{overview}{_SPLIT}{trend}", len(sources))
    overview, _, trend = (part.strip() for part in first.text.partition(_SPLIT.strip()))
    # A section must cite something; drop one that doesn't, then renumber what is left.
    kept = f"{overview if _cites(overview) else ''}{_SPLIT}{trend if _cites(trend) else ''}"
    second = check_citations(kept, len(first.cited))
    if not second.cited:
        return None
    overview, _, trend = (part.strip() for part in second.text.partition(_SPLIT.strip()))
    cited = [sources[first.cited[n - 1] - 1] for n in second.cited]
    return Prose(overview=overview, trend=trend, citations=cited, language=language)


async def write_prose(summary: Summary, sources: list[Hit], who: str,
                      settings: RetrievalSettings) -> tuple[Prose | None, str]:
    """(prose, notice): the checked overview and trend, or None and why the digest stays extractive."""
    from retrieval.answer.generated import Unavailable, complete

    if not sources:
        return None, ""
    language = settings.digest_language
    messages = build_messages(summary, sources, who, language, settings.tz)
    try:
        text = await complete(messages, settings)
    except Unavailable as exc:
        return None, PROSE_UNAVAILABLE.format(reason=exc.reason)
    prose = check_prose(text, summary, sources, language)
    if prose is None:
        logger.warning("generated digest prose cited no valid source; keeping the extractive digest")
        return None, PROSE_UNCITED
    return prose, ""
