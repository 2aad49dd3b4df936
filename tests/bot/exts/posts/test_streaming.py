"""ANSWER_BACKEND=openai in Discord: the answer streams into one message, then becomes the cited embed."""

from __future__ import annotations

import discord
import discord.ext.test as dpytest
import pytest

from tests.retrieval.fake_llm import FakeLLM

pytestmark = pytest.mark.embedding


async def test_generated_answer_streams_into_one_message(bot, engine, monkeypatch):
    edits: list[dict] = []
    real_edit = discord.Message.edit

    async def spy(self, **kwargs):
        edits.append(kwargs)
        return await real_edit(self, **kwargs)

    monkeypatch.setattr(discord.Message, "edit", spy)
    async with FakeLLM(chunk_delay=0.45) as llm:  # 4 chunks over ~1.8 s: at least one mid-stream edit
        engine.settings = engine.settings.model_copy(update={
            "answer_backend": "openai", "llm_base_url": llm.base_url, "llm_model": "cited", "llm_timeout": 20.0,
        })
        await dpytest.message("!ask what did Lei Jun say about YU7?")
    streamed = [e["content"] for e in edits if e.get("content")]
    final = edits[-1]
    assert streamed and all(c.endswith("▌") for c in streamed)  # live text with a cursor
    assert len(edits) <= 4  # throttled: not one edit per token
    assert final["content"] is None and final["embed"] is not None
    body = final["embed"].description or ""
    assert "28,000" in body and "[1]" in body
    assert all(e["allowed_mentions"].to_dict() == {"parse": []} for e in edits)  # nobody is pinged
    # The question went to the model with the retrieved posts as numbered sources.
    assert '<source id="1"' in llm.requests[0].body["messages"][-1]["content"]
