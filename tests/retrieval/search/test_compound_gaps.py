"""Where the dictionary and the question's segmentation leave gaps: a translation the index lacks,
and two words that the question writes together and no post does. On a small Chinese index built
with the real default model."""

from __future__ import annotations

import json

import pytest

from retrieval.search.crosslang import Expansion, select
from retrieval.search.keyword_rank import (
    LONE_PART,
    PART_CONFIDENCE,
    KeywordHit,
    back_off_untranslated,
    candidate_expansions,
    joined_pairs,
    keyword_relevance,
    pair_tokens,
    prefetch_frequencies,
)

pytestmark = pytest.mark.embedding

POSTS = {
    "g1": "延迟满足感是一项长期修炼。",
    "g2": "做产品一定要坚持面对事实，不绕弯不侥幸，延迟满足感。",
    "g3": "延迟满足感和坚决告别惰性是优秀的最重要两块基石。",
    "d1": "航班又延迟了两个小时，只好在机场看书。",
    "b1": "扎克伯格每天骑自行车上班，财富观很朴素。",
    "b2": "周末和孩子去公园骑自行车。",
    "e1": "今天才发现自己一把电动剃须刀用了十年，连刀片都没换过。",
    "e2": "小区楼下新装了电动汽车充电桩，排队的人不少。",
    "s1": "超级赛亚人的比喻很贴切。",
    "w1": "今天和团队一起吃了顿火锅，聊了聊新产品。",
    "j1": "马云说：今天很残酷，明天更残酷，后天很美好。",
}


@pytest.fixture(scope="module")
def gap_settings(tmp_path_factory):
    import asyncio

    from ingest.pipeline import IngestOptions, ingest
    from retrieval.settings import RetrievalSettings
    from retrieval.store.index import Index

    root = tmp_path_factory.mktemp("gaps")
    src = root / "posts.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": v, "date": f"2025-05-{i + 1:02d}"}, ensure_ascii=False) + "\n"
                           for i, (k, v) in enumerate(POSTS.items())), encoding="utf-8")
    settings = RetrievalSettings(EXECBOT_DATA_DIR=root / "data", EXECBOT_NOW="2025-06-02")
    report = asyncio.run(ingest([str(src)], IngestOptions(author="someone"), index=Index(settings)))
    assert report.errors == [] and report.added == len(POSTS)
    return settings


@pytest.fixture
async def gaps(gap_settings):
    from retrieval.engine import Engine

    async with Engine(gap_settings) as e:
        yield e


def test_near_synonyms_go_by_how_many_docs_use_them():
    # The dictionary ranks 拖延, 晚点, 耽搁 and 延期 above 延迟 for "delayed"; a corpus that only
    # says 延迟 must keep it among the PER_TERM senses. A far weaker sense stays out however common.
    scores = {"拖延": 0.75, "晚点": 0.73, "耽搁": 0.71, "延期": 0.69, "延迟": 0.64, "赶紧": 0.46}
    df = {"拖延": 1, "晚点": 1, "耽搁": 2, "延期": 1, "延迟": 17, "赶紧": 40}
    kept = {e.text: e.confidence for e in select([Expansion("delayed", (z,), s, z) for z, s in scores.items()], df)}
    assert "延迟" in kept and "赶紧" not in kept
    assert kept["拖延"] == 1.0 and kept["延迟"] < 1.0  # confidence still follows the dictionary


async def test_an_untranslatable_word_counts_the_parts_of_its_translations(gaps):
    lex = await gaps.lexicon()
    text = "delayed gratification"
    terms = ["delayed", "gratification"]
    cands = candidate_expansions(lex, text, terms)
    # The dictionary has only 性满足 for it, which no post holds; 满足 is in three.
    assert any(e.term == "gratification" and e.text == "性满足" for e in cands)
    got = await back_off_untranslated(gaps.store, terms, cands, [])
    parts = {e.text: e for e in got if e.term == "gratification"}
    assert set(parts) == {"满足"}
    assert 0 < parts["满足"].confidence <= PART_CONFIDENCE


async def test_a_term_with_a_translation_in_the_index_does_not_back_off(gaps):
    lex = await gaps.lexicon()
    cands = candidate_expansions(lex, "gratification", ["gratification"])
    held = [Expansion("gratification", ("满足",), 1.0, "满足")]  # as if the index held a translation
    assert await back_off_untranslated(gaps.store, ["gratification"], cands, held) == []


async def test_a_phrase_translation_does_not_back_off_to_its_parts(gaps):
    # 超级碗 translates "super bowl" as a whole: its part 超级 is "super" alone, and must not count
    # for both words (the post about 超级赛亚人 is no answer to a Super Bowl question).
    lex = await gaps.lexicon()
    cands = candidate_expansions(lex, "super bowl", ["super", "bowl"])
    assert any(e.text == "超级碗" for e in cands)
    assert await back_off_untranslated(gaps.store, ["super", "bowl"], cands, []) == []
    res = await gaps.search("What did he say about the Super Bowl?")
    assert res.hits == []


async def test_delayed_gratification_finds_the_posts_that_say_it(gaps):
    res = await gaps.search("What did he say about delayed gratification?", k=5)
    ids = [h.id for h in res.hits]
    assert {"g1", "g2", "g3"} <= set(ids[:3])
    assert "d1" not in ids[:3]  # a delayed flight holds half the question at most


async def test_a_pair_the_index_never_holds_together_is_a_compound(gaps):
    terms = ["电动", "自行车"]
    df: dict[str, int | None] = {}
    await prefetch_frequencies(gaps.store, terms, [], df, extra=pair_tokens(terms))
    assert await joined_pairs(gaps.store, "对电动自行车怎么看", terms, df) == [("电动", "自行车")]
    # Held together somewhere (电动汽车), or not written together in the question: no pair.
    both = ["电动", "汽车"]
    await prefetch_frequencies(gaps.store, both, [], df, extra=pair_tokens(both))
    assert await joined_pairs(gaps.store, "电动汽车", both, df) == []
    assert await joined_pairs(gaps.store, "电动的还是自行车", terms, df) == []


def test_a_lone_word_of_a_joined_pair_counts_less():
    w = {"电动": 1.0, "自行车": 1.0}
    lone = KeywordHit("x", -1.0, frozenset({"自行车"}))
    both = KeywordHit("y", -1.0, frozenset({"电动", "自行车"}))
    pairs = [("电动", "自行车")]
    assert keyword_relevance(lone, w) == 0.5
    assert keyword_relevance(lone, w, pairs) == pytest.approx(0.5 * LONE_PART)
    assert keyword_relevance(both, w, pairs) == 1.0


async def test_an_electric_bicycle_question_is_not_answered_by_bicycles(gaps):
    res = await gaps.search("他对电动自行车怎么看？")
    assert res.hits == []
    # The words themselves still find their posts.
    assert {"b1", "b2"} <= {h.id for h in (await gaps.search("他对自行车怎么看？")).hits}
    assert "e2" in {h.id for h in (await gaps.search("他对电动汽车怎么看？")).hits}


async def test_a_person_named_in_english_finds_the_post_that_names_them_in_chinese(gaps):
    # No dictionary has 马云 as "Jack Ma"; the shipped glossary (data/glossary.toml) does.
    assert [h.id for h in (await gaps.search("What did he say about Jack Ma?")).hits] == ["j1"]
    # A person the glossary knows and no post names: nothing, not posts about other people.
    assert (await gaps.search("What did he say about Jensen Huang?")).hits == []
