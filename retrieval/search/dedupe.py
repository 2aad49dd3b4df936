"""Fold near-duplicates in results: a repost of a post, the same text posted twice."""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.models import Hit
from retrieval.store.text import normalize

# Links differ between copies of the same text (t.co wrappers) and say nothing about it.
_URL = re.compile(r"https?://\S+")


def shingles(text: str, n: int = 3) -> set[str]:
    # The opening 2,000 characters decide: a repost or a copy shares them, and a 5 MB post stays cheap.
    t = re.sub(r"\s+", " ", _URL.sub("", normalize(text[:2000]))).strip()
    if len(t) <= n:
        return {t}
    return {t[i : i + n] for i in range(len(t) - n + 1)}


def similarity(a: str, b: str) -> float:
    """Containment-aware Jaccard on character 3-grams: a repost containing the original scores high."""
    return _similar(shingles(a), shingles(b))


def _similar(sa: set[str], sb: set[str]) -> float:
    if not sa or not sb:
        return 0.0
    inter = len(sa & sb)
    return max(inter / len(sa | sb), inter / min(len(sa), len(sb)) if min(len(sa), len(sb)) >= 8 else 0.0)


def fold_duplicates(hits: list[Hit], threshold: float = 0.85, limit: int | None = None,
                    shingles_of: Callable[[Hit], set[str]] | None = None) -> list[Hit]:
    """Keep the best-ranked of each group of near-identical texts; the others go into `folded`.
    Stops once `limit` hits are kept: what ranks below is never shown. `shingles_of` lets a caller
    that folds the same hits many times (the eval's sweep) compute each text's shingles once."""
    kept: list[tuple[Hit, set[str]]] = []
    for h in hits:
        sh = shingles_of(h) if shingles_of else shingles(h.text)
        for k, ksh in kept:
            if _similar(sh, ksh) >= threshold:
                k.folded.append(h.id)
                break
        else:
            if limit is not None and len(kept) == limit:
                break
            kept.append((h, sh))
    return [h for h, _ in kept]
