"""Check a generated answer's citations against the sources it was given, and renumber them.

Models write citations many ways: [1], [1][2], [1, 2], [1，2], 【1】. Every marker is rewritten as
[n][m]…, numbers that point to no source are dropped, and the rest are renumbered in order of
first appearance, so the answer's citation list holds exactly the sources it cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Up to three digits, so a bracketed year like "[2025]" is left alone.
# A citation as models write it; group 2 holds its numbers. Shared with reports/digest_prose.py.
MARKER = re.compile(r"([ \t]*)[\[【]\s*(\d{1,3}(?:\s*[,，、;]\s*\d{1,3})*)\s*[\]】]")
_NUM = re.compile(r"\d+")
_CANON = re.compile(r"\[(\d+)\]")
# A sentence runs to its full stop plus any markers right after it ("Claim. [1]"); a Latin stop
# only counts before a space, a marker or the end, so "2.5" and "e.g.x" stay whole. Lines end sentences too.
_SENTENCE = re.compile(r"\S[^\n]*?(?:(?:[。！？]+|[.!?]+(?=\s|\[|$))(?:\s*\[\d+\])*|(?=\n)|$)")


@dataclass
class Checked:
    text: str
    cited: list[int]  # 1-based indices into the sources, in order of first appearance


def check_citations(text: str, n_sources: int) -> Checked:
    order: list[int] = []

    def rewrite(m: re.Match[str]) -> str:
        out = []
        for raw in _NUM.findall(m.group(2)):
            n = int(raw)
            if not 1 <= n <= n_sources:
                continue
            if n not in order:
                order.append(n)
            new = f"[{order.index(n) + 1}]"
            if new not in out:
                out.append(new)
        # A dropped marker takes its leading space with it, so "claim [9]." becomes "claim.".
        return m.group(1) + "".join(out) if out else ""

    return Checked(text=MARKER.sub(rewrite, text).strip(), cited=order)


def split_sentences(text: str) -> list[str]:
    """The sentences of a checked text, each with the markers that follow it."""
    return [part for m in _SENTENCE.finditer(text) if (part := m.group(0).strip())]


def cited_sentences(text: str) -> list[tuple[str, int]]:
    """(sentence without markers, first source it cites) for a checked answer.

    Approximate on purpose: an uncited sentence borrows the next cited one's source (or the previous one's)."""
    parts = split_sentences(text)
    sources = [int(m.group(1)) if (m := _CANON.search(p)) else 0 for p in parts]
    for i in range(len(sources) - 1, -1, -1):  # borrow from the next cited sentence…
        if not sources[i] and i + 1 < len(sources):
            sources[i] = sources[i + 1]
    for i in range(1, len(sources)):  # …or, at the end, from the previous one
        if not sources[i]:
            sources[i] = sources[i - 1]
    out = []
    for p, src in zip(parts, sources, strict=True):
        clean = re.sub(r"\s+([.,;:!?。，；：！？])", r"\1", _CANON.sub("", p)).strip(" \t-–—•*")
        if src and any(ch.isalnum() for ch in clean):
            out.append((clean, src))
    return out
