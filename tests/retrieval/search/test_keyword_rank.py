"""Keyword-side helpers on the sample index's real FTS5 vocabulary."""

from __future__ import annotations

from retrieval.search.keyword_rank import PART_CONFIDENCE, back_off_unseen, term_frequencies


async def test_a_glued_word_becomes_the_topic_the_index_holds(engine):
    df = await term_frequencies(engine.store, ["大家小米", "小米"])
    assert df["大家小米"] == 0 and df["小米"] > 0
    terms, extra = await back_off_unseen(engine.store, ["大家小米", "yu7"])
    assert terms == ["小米", "yu7"] and extra == []


async def test_a_glued_word_that_is_only_framing_is_no_term(engine):
    # jieba glues 博主对 in 博主对中国的主权财富基金有什么看法: trimmed, it is 博主 ("the blogger"), no topic.
    assert (await term_frequencies(engine.store, ["博主对"]))["博主对"] == 0
    terms, extra = await back_off_unseen(engine.store, ["博主对", "小米"])
    assert terms == ["小米"] and extra == []


async def test_an_unseen_compound_keeps_its_weight_and_counts_its_seen_parts(engine):
    df = await term_frequencies(engine.store, ["外观设计", "外观", "设计"])
    assert df["外观设计"] == 0 and df["设计"] > 0
    terms, extra = await back_off_unseen(engine.store, ["外观设计"])
    assert terms == ["外观设计"]
    assert {e.text for e in extra} == {p for p in ("外观", "设计") if df[p] > 0}
    assert all(e.term == "外观设计" and 0 < e.confidence <= PART_CONFIDENCE for e in extra)


async def test_a_common_part_of_an_unseen_compound_counts_less_than_a_rare_one(engine):
    df = await term_frequencies(engine.store, ["小米芯片", "小米", "芯片"])
    assert df["小米芯片"] == 0 and df["小米"] > 3 * df["芯片"] > 0
    _, extra = await back_off_unseen(engine.store, ["小米芯片"])
    conf = {e.text: e.confidence for e in extra}
    assert PART_CONFIDENCE >= conf["芯片"] > conf["小米"] > 0


async def test_seen_terms_and_english_words_are_left_alone(engine):
    terms, extra = await back_off_unseen(engine.store, ["小米汽车", "交付", "nonexistentword"])
    assert terms == ["小米汽车", "交付", "nonexistentword"] and extra == []


async def test_the_design_question_finds_the_design_post(engine):
    # 外观设计 is in no post; the YU7 design post says 设计. Before the back-off: nothing found.
    res = await engine.search("小米YU7的外观设计", k=5)
    assert "Pu1J5f61z" in [h.id for h in res.hits]


async def test_one_part_of_a_compound_alone_does_not_answer(engine):
    # 电动汽车 is in no sample post; 汽车 is (小米汽车). A post that holds only 汽车 is a keyword
    # candidate, but it holds too little of the question to pass the keyword gate.
    pq = await engine.parse("雷军怎么评价电动汽车")
    found = await engine.hybrid(pq, engine._filters(pq), 5)
    assert found is not None
    r = found.rankings
    assert any("汽车" in r.rows[h.uid].text for h in r.keyword if h.uid in r.rows)
    assert r.keyword_passing(engine.cutoffs()) == []


async def test_a_term_is_translated_even_when_the_text_segments_otherwise(engine):
    from retrieval.search.keyword_rank import expand

    lex = await engine.lexicon()
    # A trimmed term (美债 of 博主美债) is not one of the question's own jieba words; here the text
    # holds no Chinese at all, and the term must still get the translations the index holds.
    got = await expand(engine.store, lex, "what about it", ["小米"])
    assert {e.text.lower() for e in got if e.term == "小米"} & {"xiaomi", "mi"}


async def test_a_chinese_verb_finds_the_inflected_english_the_index_holds(engine):
    from retrieval.search.keyword_rank import document_frequencies, expand

    lex = await engine.lexicon()
    # The sample's English digest says "delivered", never "deliver": 交付 (/to deliver/) must match it.
    df = await document_frequencies(engine.store, ["deliver", "delivered"])
    assert "deliver" not in df and df["delivered"] > 0
    got = await expand(engine.store, lex, "交付", ["交付"])
    assert ("delivered",) in {e.tokens for e in got if e.term == "交付"}
