"""Embeds, console text, and the Prev/Next page view."""

from datetime import UTC, datetime
from unittest.mock import AsyncMock, MagicMock

import discord

from bot.limits import EMBED_TOTAL, FIELD_VALUE
from bot.render import Reply, answer_embed, embed_to_text, reply_to_text
from bot.send import PageView
from retrieval.models import Hit
from retrieval.results import Answer, AnswerSentence, Filters


def _hit(i: int, text: str = "小米YU7预计7月量产。") -> Hit:
    return Hit(id=f"b{i}", kind="post", author="leijun", published_at=datetime(2025, 5, 28, 2, tzinfo=UTC),
               text=text, url=f"https://weibo.com/1749127163/b{i}", likes=i, shares=0, comments=0, score=1.0)


def test_answer_embed_links_citations_and_fits_limits():
    cites = [_hit(i, "很长的一条微博。" * 40) for i in range(1, 31)]
    sentences = [AnswerSentence(f"Sentence {i} about YU7 mass production, repeated for length. " * 3, i)
                 for i in range(1, 31)]
    text = "\n".join(f"{s.text} [{s.source}]" for s in sentences)
    assert len(text) > 4096
    a = Answer(question="what about YU7? " * 30, filters=Filters(), found=True, sentences=sentences,
               citations=cites, text=text)
    e = answer_embed(a, {"leijun": "Lei Jun"})
    assert len(e) <= EMBED_TOTAL and len(e.title) <= 256 and len(e.description) <= 4096
    assert e.description.endswith("…")
    sources = [f for f in e.fields if f.name.startswith("Sources")]
    assert sources and all(len(f.value) <= FIELD_VALUE for f in sources)
    assert sources[0].value.startswith("[1](<https://weibo.com/1749127163/b1>) Lei Jun")


def test_reply_to_text_lists_pages_fields_footer_and_attachment():
    e = discord.Embed(title="T", description="D")
    e.add_field(name="F", value="V")
    e.set_footer(text="foot")
    e.set_image(url="attachment://chart.png")
    text = reply_to_text(Reply(pages=[e, discord.Embed(title="P2")], content="hi", file=("chart.png", b"x" * 10)))
    assert text.splitlines()[0] == "hi"
    assert "== T ==\nD\nF:\nV\n[image: chart.png]\n-- foot" in text
    assert "== P2 ==" in text and "[attachment: chart.png (10 bytes)]" in text
    assert embed_to_text(discord.Embed()) == ""


def _interaction(user_id: int) -> MagicMock:
    it = MagicMock(spec=discord.Interaction)
    it.user = MagicMock(id=user_id)
    it.response = MagicMock()
    it.response.send_message = AsyncMock()
    it.response.edit_message = AsyncMock()
    return it


async def test_page_view_turns_pages_for_the_invoker_only_and_disables_on_timeout():
    pages = [discord.Embed(title=f"p{i}") for i in range(3)]
    view = PageView(pages, owner_id=42, timeout=60)
    assert view.prev_page.disabled and not view.next_page.disabled

    stranger = _interaction(7)
    assert await view.interaction_check(stranger) is False
    assert stranger.response.send_message.await_args.kwargs["ephemeral"] is True

    owner = _interaction(42)
    assert await view.interaction_check(owner) is True
    await view.next_page.callback(owner)
    await view.next_page.callback(owner)
    assert view.index == 2 and view.next_page.disabled and not view.prev_page.disabled
    assert owner.response.edit_message.await_args.kwargs["embed"].title == "p2"
    await view.prev_page.callback(owner)
    assert view.index == 1

    view.message = MagicMock()
    view.message.edit = AsyncMock()
    await view.on_timeout()
    assert all(item.disabled for item in view.children)
    view.message.edit.assert_awaited_once()
