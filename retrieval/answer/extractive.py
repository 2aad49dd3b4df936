"""Extractive answers: the sentences most relevant to the question, from the best hits, each cited.

No language model: every sentence shown is copied from the source it cites.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.models import Hit
from retrieval.results import Answer, AnswerSentence, Filters
from retrieval.store.text import tokens

MAX_SOURCES = 5
MAX_SENTENCES = 6
PER_SOURCE = 2

# A Chinese sentence runs to 。！？； and keeps a closing quote that follows ("…仰视。”").
_ZH_SENTENCE = re.compile(r"[^。！？；!?\n]+(?:[。！？；!?]+[”’」』\"']*)?")
# A Latin sentence ends at . ! ? followed by space and a capital, digit or quote.
_EN_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")
# Hashtags (#小米SU7#), links and mentions say nothing on their own: a sentence needs some words besides.
_NOISE = re.compile(r"#[^#\n]{1,40}#|https?://\S+|@\S+")
MIN_CONTENT = 4  # letters or digits left once the noise is gone
# A digest's label lines ("- **Date:** June 1, 2025", "Engagement: 280,000+ Likes | ...") are metadata,
# not something anybody said.
_LABEL_LINE = re.compile(r"^[-*•>\s]*\**\s*(?:date|engagement|likes|shares|comments|source|link|author|posted|"
                         r"日期|时间|互动|点赞|转发|评论|来源|链接)\s*\**\s*[:：]", re.I)


def split_sentences(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if _LABEL_LINE.match(line):
            continue
        for m in _ZH_SENTENCE.finditer(line):
            for part in _EN_SPLIT.split(m.group(0)):
                s = part.strip(" \t")
                if sum(ch.isalnum() for ch in _NOISE.sub("", s)) >= MIN_CONTENT:
                    out.append(s)
    return out


@dataclass
class _Candidate:
    text: str
    hit_rank: int
    score: float


def _score(sentence: str, terms: set[str], hit_rank: int, position: int) -> float:
    overlap = len(terms & set(tokens(sentence))) / len(terms) if terms else 0.0
    # Earlier hits and earlier sentences win ties: a post's opening usually states its point.
    return overlap + 0.05 / (1 + hit_rank) + 0.02 / (1 + position)


def _posts_first(hits: list[Hit]) -> list[Hit]:
    """The executive's own posts before digest sections that retell them; the digest stays a source."""
    return [h for h in hits if h.kind == "post"] + [h for h in hits if h.kind != "post"]


def build_answer(question: str, terms: str, hits: list[Hit], filters: Filters, nothing_found: str,
                 also: Sequence[str] = ()) -> Answer:
    """Pick sentences from the top hits, order them by date, number citations as they appear.
    `also`: index tokens of the terms' translations (交付 for "deliveries"), so that a Chinese post's
    sentence that holds the translation wins over its opening line."""
    if not hits:
        return Answer(question=question, filters=filters, found=False, sentences=[], citations=[], text=nothing_found)
    qterms = set(tokens(terms)) | set(also)
    chosen: list[tuple[Hit, str]] = []
    for rank, hit in enumerate(_posts_first(hits[:MAX_SOURCES])):
        cands = sorted(
            (_Candidate(s, rank, _score(s, qterms, rank, i)) for i, s in enumerate(split_sentences(hit.text))),
            key=lambda c: -c.score,
        )
        best = cands[:1] + [c for c in cands[1:PER_SOURCE] if qterms and c.score >= 0.5]
        chosen.extend((hit, c.text) for c in best)
    chosen = chosen[:MAX_SENTENCES]
    # Date order reads as a story; undated digest chunks go last.
    chosen.sort(key=lambda hc: (hc[0].published_at is None, hc[0].published_at or 0, hits.index(hc[0])))
    citations: list[Hit] = []
    sentences: list[AnswerSentence] = []
    for hit, sentence in chosen:
        if hit not in citations:
            citations.append(hit)
        sentences.append(AnswerSentence(sentence, citations.index(hit) + 1))
    text = "\n".join(f"{s.text} [{s.source}]" for s in sentences)
    return Answer(question=question, filters=filters, found=True, sentences=sentences, citations=citations, text=text)
