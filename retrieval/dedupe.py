"""Fold near-duplicates in results: a repost of a post, the same text posted twice."""

from __future__ import annotations

import re

from retrieval.models import Hit
from retrieval.text import normalize

# Links differ between copies of the same text (t.co wrappers) and say nothing about it.
_URL = re.compile(r"https?://\S+")


def shingles(text: str, n: int = 3) -> set[str]:
    t = re.sub(r"\s+", " ", _URL.sub("", normalize(text))).strip()
    if len(t) <= n:
        return {t}
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def similarity(a: str, b: str) -> float:
    """Containment-aware Jaccard on character 3-grams: a repost containing the original scores high."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return max(inter / len(sa | sb), inter / min(len(sa), len(sb)) if min(len(sa), len(sb)) >= 8 else 0.0)


def fold_duplicates(hits: list[Hit], threshold: float = 0.85) -> list[Hit]:
    """Keep the best-ranked of each group of near-identical texts; the others go into `folded`."""
    kept: list[Hit] = []
    for h in hits:
        for k in kept:
            if similarity(h.text, k.text) >= threshold:
                k.folded.append(h.id)
                break
        else:
            kept.append(h)
    return kept
