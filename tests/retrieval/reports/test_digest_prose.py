"""The digest's generated overview and trend analysis: parsing, grounding, citations, and the engine path
against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/retrieval/fake_llm.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from retrieval.engine import Engine
from retrieval.messages import PROSE_UNAVAILABLE as UNAVAILABLE
from retrieval.messages import PROSE_UNCITED as UNCITED
from retrieval.models import Hit
from retrieval.reports.digest_prose import check_prose, grounded, pick_sources, sections
from retrieval.results import DayActivity, Filters, Summary
from retrieval.store.text import is_content_free
from tests.retrieval.fake_llm import MADE_UP, FakeLLM


def hit(n: int, text: str, likes: int = 100) -> Hit:
    return Hit(id=f"P{n}", kind="post", author="leijun", author_name="雷军",
               published_at=datetime(2025, 5, 25 + n, 2, tzinfo=UTC), text=text,
               url=f"https://weibo.com/1749127163/P{n}", likes=likes, shares=n, comments=n, score=1.0)


SOURCES = [hit(1, "小米SU7五月交付量超过28000台。", 280_000), hit(2, "小米YU7正在为7月量产做准备。", 150_000),
           hit(3, "六一儿童节快乐！", 90_000)]


def summary(posts: int = 40, engagement: int = 1_234_567) -> Summary:
    return Summary(filters=Filters(author="leijun", label="last week"), posts=posts, engagement=engagement,
                   likes=engagement - 2, shares=1, comments=1, prev_posts=20, prev_engagement=600_000,
                   top=SOURCES[:3], top_summaries=["", "", ""], topics=["SU7", "YU7"],
                   by_day=[DayActivity(day=date(2025, 6, 1), posts=5, engagement=900_000)], digests=[])


# -- parsing and checking, no server ---------------------------------------------------------------


@pytest.mark.parametrize("reply", [
    "OVERVIEW: A week of deliveries [1].\nTREND: Cars everywhere [2].",
    "**Overview:** A week of deliveries [1].\n\n**Trend analysis:** Cars everywhere [2].",
    "Here is the digest.\n## Overview\nA week of deliveries [1].\n## Trends\nCars everywhere [2].",
    "概述：A week of deliveries [1].\n趋势分析：Cars everywhere [2].",
])
def test_sections_are_found_however_they_are_labelled(reply: str) -> None:
    assert sections(reply) == ("A week of deliveries [1].", "Cars everywhere [2].")


def test_a_reply_without_labels_is_all_overview_and_a_repeated_label_does_not_overwrite() -> None:
    assert sections("Deliveries passed 28,000 [1].") == ("Deliveries passed 28,000 [1].", "")
    assert sections("OVERVIEW: first [1].\nOVERVIEW: second [2].")[0] == "first [1]."


def test_numbers_must_come_from_the_figures_or_the_sources() -> None:
    known = [28000.0, 1_234_567.0, 45.0]
    text = ("Deliveries passed 28,000 [1]. Engagement topped 1.2 million [2]. It rose 45% [1]. "
            "On June 1 and in 2025 he posted 5 times [1]. Xiaomi sold 3,500,000 cars [1]. Up 99% [2].")
    kept = grounded(text, known, 2)
    assert "28,000" in kept and "1.2 million" in kept and "45%" in kept and "June 1" in kept
    assert "3,500,000" not in kept and "99%" not in kept
    assert grounded("Critics were answered [9]. The YU7 [2][9].", known, 2) == "The YU7 [2][9]."


def test_citations_are_checked_and_renumbered_over_both_sections() -> None:
    reply = "OVERVIEW: The YU7 leads [2]. Deliveries too [1][7].\nTREND: Children's Day [3]. Again the YU7 [2]."
    prose = check_prose(reply, summary(), SOURCES, "en")
    assert prose is not None
    assert prose.overview == "The YU7 leads [1]. Deliveries too [2]."  # [7] pointed at no source
    assert prose.trend == "Children's Day [3]. Again the YU7 [1]."
    assert [h.id for h in prose.citations] == ["P2", "P1", "P3"]


def test_a_section_that_cites_nothing_is_dropped_with_its_citations() -> None:
    prose = check_prose("OVERVIEW: Nothing cited here.\nTREND: The YU7 [2].", summary(), SOURCES, "en")
    assert prose is not None and prose.overview == "" and prose.trend == "The YU7 [1]."
    assert [h.id for h in prose.citations] == ["P2"]
    assert check_prose("OVERVIEW: Nothing.\nTREND: Nothing either [9].", summary(), SOURCES, "en") is None


def test_a_made_up_figure_costs_its_sentence_and_may_cost_the_section() -> None:
    prose = check_prose(f"OVERVIEW: {MADE_UP}\nTREND: The YU7 [2].", summary(), SOURCES, "en")
    assert prose is not None and prose.overview == "" and "3,500,000" not in prose.trend


def test_content_free_posts_are_not_offered_as_sources() -> None:
    posts = [hit(1, "转发微博", 10**6), hit(2, "分享图片 http://t.cn/abc"), *SOURCES]
    picked = pick_sources(posts, 3)
    assert [h.id for h in picked] == ["P1", "P2", "P3"] and picked[0].text.startswith("小米")
    assert not any(is_content_free(h.text) for h in picked)


# -- the engine, the sample index and a real HTTP server -------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(chunk_delay=0) as server:
        yield server


async def digest(sample_settings, fake: FakeLLM, model: str, **extra: object):
    settings = sample_settings.model_copy(update={"answer_backend": "openai", "llm_base_url": fake.base_url,
                                                  "llm_model": model, **extra})
    async with Engine(settings) as engine:
        return await engine.summary("last week", author="leijun")


def _cited(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


@pytest.mark.embedding
async def test_the_weeks_prose_is_grounded_in_its_most_engaging_posts(sample_settings, fake: FakeLLM,
                                                                      tmp_path: Path) -> None:
    s = await digest(sample_settings, fake, "digest")
    assert s.prose is not None and s.prose.language == "en"
    assert s.prose.overview.startswith("Lei Jun was busy this week [1].")
    assert "[99]" not in s.prose.trend and "Critics" not in s.prose.trend  # the one citation out of range
    assert _cited(s.prose.overview + s.prose.trend) == set(range(1, len(s.prose.citations) + 1))

    (request,) = fake.requests
    system, user = (m["content"] for m in request.body["messages"])
    assert "Write in English" in system and "OVERVIEW:" in system
    blocks = re.findall(r'<source id="(\d+)"[^>]*likes="(\d+)"[^>]*>\n(.*?)\n</source>', user, re.S)
    assert len(blocks) >= 3
    likes = [int(b[1]) for b in blocks]
    assert s.prose.citations[0].likes == likes[0]  # source [1] is the most liked post offered
    assert not any(is_content_free(b[2]) for b in blocks)
    assert f"posts: {s.posts:,}" in user and f"interactions: {s.engagement:,}" in user
    payload = s.to_json()["prose"]
    assert payload["overview"] == s.prose.overview
    assert [c["id"] for c in payload["citations"]] == [h.id for h in s.prose.citations]


@pytest.mark.embedding
async def test_the_digest_language_setting_reaches_the_model(sample_settings, fake: FakeLLM) -> None:
    s = await digest(sample_settings, fake, "digest", digest_language="zh")
    assert s.prose is not None and s.prose.language == "zh"
    assert "Write in Chinese" in fake.requests[0].body["messages"][0]["content"]


@pytest.mark.embedding
@pytest.mark.parametrize(("model", "notice"), [
    ("no-citation", UNCITED), ("error500", UNAVAILABLE.format(reason="LLMError")),
])
async def test_without_usable_prose_the_digest_stays_extractive(sample_settings, fake: FakeLLM, model: str,
                                                               notice: str) -> None:
    s = await digest(sample_settings, fake, model)
    assert s.prose is None and notice in s.notice
    assert s.posts > 0 and len(s.top) == 3 and s.to_json()["prose"] is None


@pytest.mark.embedding
async def test_the_extractive_default_asks_no_model(sample_settings, fake: FakeLLM) -> None:
    settings = sample_settings.model_copy(update={"llm_base_url": fake.base_url})
    async with Engine(settings) as engine:
        s = await engine.summary("last week", author="leijun")
    assert s.prose is None and fake.requests == [] and s.notice == ""
