"""Discord's size limits, and cutting text to fit them at sentence boundaries."""

from __future__ import annotations

import re

import discord

MESSAGE = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_TOTAL = 6000
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR_NAME = 256
ELLIPSIS = "…"

# The end of a sentence (Latin or CJK), keeping any citation markers that follow it: "…量产。[2]".
_SENTENCE_END = re.compile(r"(?:[.!?…](?=[\s\[]|$)|[。！？])(?:\s*\[\d+\])*|\n")
_SPACE = re.compile(r"\s")


def _best_cut(text: str, limit: int, min_keep: float = 0.5) -> int:
    """Where to cut `text` so that text[:cut] <= limit: the last line break, sentence end or space
    in the window, as long as it keeps at least `min_keep` of it; else a hard cut."""
    window = text[:limit]
    floor = int(limit * min_keep)
    line = window.rfind("\n")
    if line >= floor:
        return line
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends and ends[-1] >= floor:
        return ends[-1]
    spaces = [m.start() for m in _SPACE.finditer(window)]
    if spaces and spaces[-1] >= floor:
        return spaces[-1]
    return limit


def clip_to_limit(text: str, limit: int) -> str:
    """Discord's limit clip: `text` if it fits, else cut at a sentence boundary (or word, or hard) with "…", len <= limit."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    if limit == 1:
        return ELLIPSIS
    room = limit - len(ELLIPSIS)
    head = text[: _best_cut(text, room)].rstrip()
    return head + ELLIPSIS




def split_message(text: str, limit: int = MESSAGE) -> list[str]:
    """Split into chunks of at most `limit` characters, preferring line breaks, then sentence ends,
    then spaces. Nothing is lost but the whitespace at the cuts."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        chunk = rest[:cut].rstrip()
        if not chunk:  # only whitespace before the cut: take a hard cut instead
            chunk, cut = rest[:limit], limit
        chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Clip every part of an embed to its limit, keep at most 25 fields, and keep the total under 6,000."""
    if embed.title:
        embed.title = clip_to_limit(embed.title, EMBED_TITLE)
    if embed.description:
        embed.description = clip_to_limit(embed.description, EMBED_DESCRIPTION)
    fields = [(clip_to_limit(f.name or "", FIELD_NAME) or "\u200b", clip_to_limit(f.value or "", FIELD_VALUE) or "\u200b", f.inline)
              for f in embed.fields[:EMBED_FIELDS]]
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if embed.footer.text:
        embed.set_footer(text=clip_to_limit(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=clip_to_limit(embed.author.name, AUTHOR_NAME), url=embed.author.url, icon_url=embed.author.icon_url)
    # Over the total: drop trailing fields first (the description carries the answer), then clip it.
    while len(embed) > EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    if len(embed) > EMBED_TOTAL and embed.description:
        embed.description = clip_to_limit(embed.description, max(1, len(embed.description) - (len(embed) - EMBED_TOTAL)))
    return embed
