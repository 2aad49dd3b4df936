"""Engine results -> Discord embeds, embeds -> console text (bot.send sends a Reply).

Everything a command produces is a `Reply`; the cogs send it to Discord, `execbot chat` prints it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.limits import EMBED_FIELDS, FIELD_VALUE, clip_to_limit, fit_embed
from retrieval.formatting import date_time, engagement_line, format_change, format_count, relative_change
from retrieval.models import Hit
from retrieval.results import Answer, Summary, TopResult
from retrieval.store.index import IndexStats

log = logging.getLogger(__name__)

COLOR = discord.Colour.from_rgb(255, 105, 0)  # Xiaomi orange; any fixed colour would do
ERROR_COLOR = discord.Colour.red()
NONE = discord.AllowedMentions.none()
TOP_PER_PAGE = 5
CHART_NAME = "chart.png"


@dataclass
class Reply:
    """What a command answers: embeds (more than one = pages with buttons), text, an attachment."""

    pages: list[discord.Embed] = field(default_factory=list)
    content: str = ""
    file: tuple[str, bytes] | None = None  # (filename, PNG bytes): no temp file outlives the command
    ephemeral: bool = False
    view: discord.ui.View | None = None  # buttons under a one-page reply (an answer's 👍/👎)
    record: Any = None  # an answer's bot.feedback.AnswerRecord: what a vote on it is about

    def text(self) -> str:
        return reply_to_text(self)


# -- formatting helpers ---------------------------------------------------------------------------


def _when(dt: datetime | None, tz: ZoneInfo | None = None) -> str:
    return date_time(dt, tz) if dt else "-"


def _one_line(text: str, limit: int) -> str:
    return clip_to_limit(re.sub(r"\s+", " ", text).strip(), limit)


def _link(label: str, url: str) -> str:
    # Masked links only for http(s) URLs; "<>" keeps Discord from unfurling them.
    return f"[{label}](<{url}>)" if url.startswith(("http://", "https://")) else label


def _who(hit: Hit, names: dict[str, str]) -> str:
    return names.get(hit.author) or hit.author_name or hit.author


# -- embeds ---------------------------------------------------------------------------------------


def message_embed(text: str, title: str = "", error: bool = False) -> discord.Embed:
    return fit_embed(discord.Embed(title=title or None, description=text, colour=ERROR_COLOR if error else COLOR))


POST_TEXT = 1500  # of an announced post: embeds allow 4,096, but a wall of text helps no one


def post_embed(hit: Hit, names: dict[str, str], tz: ZoneInfo | None = None, footer: str = "") -> discord.Embed:
    """One post as it arrives (a follow's announcement): who, text, date and link, engagement, first picture."""
    e = discord.Embed(title=f"New post from {_who(hit, names)}", description=clip_to_limit(hit.text.strip(), POST_TEXT),
                      colour=COLOR, url=hit.url if hit.url.startswith(("http://", "https://")) else None)
    e.add_field(name="Posted", value=_link(date_time(hit.published_at, tz), hit.url), inline=True)
    e.add_field(name="Engagement", value=engagement_line(hit), inline=True)
    if hit.pics and hit.pics[0].startswith(("http://", "https://")):
        e.set_image(url=hit.pics[0])
    if footer:
        e.set_footer(text=footer)
    return fit_embed(e)


def top_pages(result: TopResult, names: dict[str, str], tz: ZoneInfo | None = None,
              per_page: int = TOP_PER_PAGE) -> list[discord.Embed]:
    who = names.get(result.filters.author or "", "") if result.filters.author else ""
    title = f"Top posts{' by ' + who if who else ''}: {result.filters.label or 'this period'}"
    if not result.posts:
        return [message_embed(result.notice or "No posts in that period.", title)]
    pages = []
    chunks = [result.posts[i:i + per_page] for i in range(0, len(result.posts), per_page)]
    for page_no, chunk in enumerate(chunks):
        lines = []
        for i, hit in enumerate(chunk, page_no * per_page + 1):
            head = f"**{i}.** {_link(hit.id, hit.url)} · {_who(hit, names)} · {date_time(hit.published_at, tz)}"
            lines.append(f"{head}\n{engagement_line(hit)}\n> {_one_line(hit.title or hit.text, 300)}")
        e = discord.Embed(title=title, description="\n\n".join(lines), colour=COLOR)
        footer = f"ranked by {result.by}"
        if len(chunks) > 1:
            footer += f" · page {page_no + 1}/{len(chunks)}"
        e.set_footer(text=footer)
        pages.append(fit_embed(e))
    return pages


def _change(now: int, before: int) -> str:
    ch = relative_change(now, before)
    return "" if ch is None else f" ({format_change(ch)} vs the period before)"


def summary_embed(s: Summary, names: dict[str, str], tz: ZoneInfo | None = None,
                  chart_name: str | None = None) -> discord.Embed:
    who = names.get(s.filters.author or "", "") if s.filters.author else "All executives"
    title = f"{who}: {s.filters.label or 'summary'}"
    if s.posts == 0:
        return message_embed(s.notice or "No posts in that period.", title)
    overview = (
        f"**{format_count(s.posts)} posts**{_change(s.posts, s.prev_posts)}, **{format_count(s.engagement)}** interactions"
        f"{_change(s.engagement, s.prev_engagement)}: {format_count(s.likes)} likes, {format_count(s.shares)} shares, "
        f"{format_count(s.comments)} comments."
    )
    if s.prose and s.prose.overview:
        # The generated overview leads, as in the seed digest; the figures follow it.
        overview = f"{clip_to_limit(s.prose.overview, 3000)}\n\n{overview}"
    e = discord.Embed(title=title, description=overview, colour=COLOR)
    for i, (hit, summ) in enumerate(zip(s.top, s.top_summaries, strict=False), 1):
        value = f"{_link(date_time(hit.published_at, tz), hit.url)} · {engagement_line(hit)}\n{_one_line(summ or hit.text, 600)}"
        e.add_field(name=f"Top {i}", value=value, inline=False)
    if s.by_day:
        busiest = max(s.by_day, key=lambda d: d.engagement)
        e.add_field(name="Busiest day",
                    value=f"{busiest.day:%a %b} {busiest.day.day}: {busiest.posts} posts, {format_count(busiest.engagement)} interactions",
                    inline=True)
    if s.topics:
        e.add_field(name="Topics", value=_one_line(", ".join(s.topics), FIELD_VALUE), inline=True)
    if s.digests:
        links = [_link(d.title, d.url) if d.url else d.title for d in s.digests[:5]]
        e.add_field(name="Digests", value=_one_line(" · ".join(links), FIELD_VALUE), inline=False)
    if s.photo_url and s.photo is not None:
        # The chart takes the embed's image slot; the photo of the week goes beside it.
        e.set_thumbnail(url=s.photo_url)
        e.add_field(name="Photo of the week", inline=False,
                    value=f"{_link(date_time(s.photo.published_at, tz), s.photo.url)} · {engagement_line(s.photo)}")
    if s.prose and s.prose.trend:
        e.add_field(name="Trend analysis", value=clip_to_limit(s.prose.trend, FIELD_VALUE), inline=False)
    if s.prose:
        for name, value in sources_fields(s.prose.citations, names, tz)[:2]:
            e.add_field(name=name, value=value, inline=False)
    if s.notice:
        e.add_field(name="Note", value=s.notice, inline=False)
    if chart_name:
        e.set_image(url=f"attachment://{chart_name}")
    return fit_embed(e)


def sources_fields(citations: list[Hit], names: dict[str, str], tz: ZoneInfo | None = None) -> list[tuple[str, str]]:
    """'[1](url) Lei Jun · May 31: first words' lines, packed into as few <=1,024-char fields as fit."""
    fields: list[tuple[str, str]] = []
    current: list[str] = []
    for i, hit in enumerate(citations, 1):
        # "[1](url)": the number links to the post; a source without a URL keeps a plain "[1]".
        marker = _link(str(i), hit.url) if hit.url.startswith(("http://", "https://")) else f"[{i}]"
        line = f"{marker} {_who(hit, names)} · {date_time(hit.published_at, tz)}: {_one_line(hit.title or hit.text, 120)}"
        line = clip_to_limit(line, FIELD_VALUE)
        if current and len("\n".join([*current, line])) > FIELD_VALUE:
            fields.append(("Sources" if not fields else "Sources (cont.)", "\n".join(current)))
            current = []
        current.append(line)
    if current:
        fields.append(("Sources" if not fields else "Sources (cont.)", "\n".join(current)))
    return fields


def answer_embed(a: Answer, names: dict[str, str], tz: ZoneInfo | None = None) -> discord.Embed:
    e = discord.Embed(title=clip_to_limit(a.question, 256), description=a.text or "Nothing found.", colour=COLOR)
    for name, value in sources_fields(a.citations, names, tz)[: EMBED_FIELDS - 1]:
        e.add_field(name=name, value=value, inline=False)
    if a.notice and a.found:
        e.add_field(name="Note", value=a.notice, inline=False)
    bits = [f"answer: {a.backend}"]
    if a.filters.label:
        bits.append(a.filters.label)
    e.set_footer(text=" · ".join(bits))
    return fit_embed(e)


def stats_embed(st: IndexStats, names: dict[str, str], tz: ZoneInfo | None = None) -> discord.Embed:
    e = discord.Embed(title="What the index holds", colour=COLOR)
    e.description = (
        f"**{format_count(st.posts or 0)}** posts, **{format_count(st.digests or 0)}** digests "
        f"({format_count(st.chunks or 0)} sections), {format_count(st.vectors or 0)} vectors\n"
        f"From {_when(st.first, tz)} to {_when(st.last, tz)}"
    )
    if st.executives:
        lines = [f"{names.get(k, k)} (`{k}`): {format_count(n)}" for k, n in st.executives.items()]
        e.add_field(name="Posts by executive", value="\n".join(lines), inline=False)
    if st.embed_model:
        e.set_footer(text=f"embedding model: {st.embed_model}")
    if st.default_model:
        e.add_field(name="Embedding model", value=(
            f"Built with `{st.embed_model}`; the default is now `{st.default_model}`. An admin can "
            f"re-embed with `{st.rebuild_command}` on the server."), inline=False)
    return fit_embed(e)


# -- console text ---------------------------------------------------------------------------------


def embed_to_text(e: discord.Embed) -> str:
    parts = []
    if e.title:
        parts.append(f"== {e.title} ==")
    if e.description:
        parts.append(e.description)
    for f in e.fields:
        parts.append(f"{f.name}:\n{f.value}")
    if e.image.url and e.image.url.startswith("attachment://"):
        parts.append(f"[image: {e.image.url.removeprefix('attachment://')}]")
    if e.footer.text:
        parts.append(f"-- {e.footer.text}")
    return "\n".join(parts)


def reply_to_text(r: Reply) -> str:
    """The console's view of a reply: all pages at once (no buttons), attachments by filename."""
    parts = [r.content] if r.content else []
    parts += [embed_to_text(e) for e in r.pages]
    if r.file:
        parts.append(f"[attachment: {r.file[0]} ({len(r.file[1]):,} bytes)]")
    return "\n\n".join(parts)
