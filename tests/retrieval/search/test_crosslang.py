"""The dictionary side of cross-language keyword search (CC-CEDICT read both ways, plus the glossary)."""

from __future__ import annotations

import pytest

from retrieval.search.crosslang import (
    Expansion,
    build_lexicon,
    candidates,
    executive_pairs,
    forms,
    gloss_key,
    lemma,
    read_glossary,
    select,
)
from retrieval.store.registry import Registry


@pytest.fixture(scope="module")
def lex():
    return build_lexicon([(["玄戒"], ["XRING"])])


def test_lemma_and_forms_meet_the_dictionary_halfway():
    assert lemma("deliveries") == "delivery" and lemma("tariffs") == "tariff" and lemma("bus") == "bus"
    assert {"deliver", "delivered", "delivery"} <= set(forms("deliveries"))


def test_a_word_does_not_take_the_inflections_of_a_longer_word(lex):
    cars = set(forms("cars", lex.en_zh))
    assert {"car", "cars"} <= cars
    assert not cars & {"cared", "caring", "cares", "card"}  # care's forms, and a word of its own
    assert {"cared", "caring", "cares"} <= set(forms("care", lex.en_zh))
    both = set(forms("tax", lex.en_zh) + forms("launch", lex.en_zh) + forms("deliveries", lex.en_zh))
    assert {"taxes", "taxed", "launches", "delivered", "delivering"} <= both
    assert not both & {"taxs", "launchs"}
    assert gloss_key("to lower interest rates (economics)") == "lower interest rate"


def test_english_words_find_their_chinese_translations(lex):
    def zh(q: str) -> set[str]:
        return {e.text for e in candidates(lex, q) if not e.text.isascii()}

    assert {"交付", "交货"} <= zh("deliveries")
    assert "芯片" in zh("chip")  # from the compound gloss "computer chip"
    assert "关税" in zh("tariffs")
    assert "玄戒" in zh("XRING")  # the glossary, not the dictionary
    assert "满足感" in zh("satisfaction")  # "sense of satisfaction": the noun after "of", not "of satisfaction"


def test_a_dictionary_phrase_wins_over_its_words(lex):
    got = {e.text for e in candidates(lex, "world cup")}
    assert "世界杯" in got and "世界" not in got and "杯" not in got


def test_chinese_words_find_english_phrases_attached_to_the_word(lex):
    exps = [e for e in candidates(lex, "足球世界杯") if e.text == "World Cup"]
    assert {e.term for e in exps} == {"世界杯"}  # the segmented word, not its bigrams
    assert ("world", "cup") in {e.tokens for e in exps}
    assert "football" in {e.text for e in candidates(lex, "足球")}


def test_an_english_gloss_is_searched_as_posts_write_it(lex):
    def spelled(zh: str, gloss: str) -> dict[tuple[str, ...], float]:
        return {e.tokens: e.confidence for e in candidates(lex, zh) if e.text == gloss}

    # A verb is inflected, and its two-word object may shrink to its head: "the Fed raises rates".
    rates = spelled("加息", "raise interest rates")
    assert {("raise", "interest", "rates"), ("raises", "interest", "rates"), ("raising", "rates")} <= set(rates)
    assert rates[("raise", "interest", "rates")] > rates[("raises", "rates")]  # the gloss itself is surest
    # A noun takes its plural, not a verb's endings; a name takes neither.
    assert set(spelled("关税", "tariff")) == {("tariff",), ("tariffs",)}
    assert ("customs", "duties") in set(spelled("关税", "customs duty"))
    # Stopwords inside a gloss stay, or the phrase could never match a post: "Bank of China".
    assert set(spelled("中国银行", "Bank of China")) == {("bank", "of", "china")}


def test_a_word_the_dictionary_lacks_is_translated_through_its_parts(lex):
    got = {e.text for e in candidates(lex, "读书笔记")}  # no CC-CEDICT entry; 读书 and 笔记 have one
    assert {e.term for e in candidates(lex, "读书笔记")} == {"读书笔记"}
    assert got & {"notes", "reading"}


def test_an_inflected_phrase_meets_its_dictionary_form(lex):
    assert "健身" in {e.text for e in candidates(lex, "working out")}  # CC-CEDICT: 健身 /to work out/


def test_a_name_is_matched_as_written_and_run_together(lex):
    spellings = {e.tokens for e in candidates(lex, "Bill Gates") if e.text == "比尔·盖茨"}
    assert spellings == {("比尔", "盖茨"), ("比尔", "尔盖", "盖茨")}


def test_a_synonym_late_in_an_entry_still_translates_nearly_as_well(lex):
    # 机构 /mechanism/structure/organization/agency/institution/ lists its senses in no order of
    # importance: "agency" in fourth place must not fall far behind 办事处 /office/agency/.
    conf = {e.text: e.confidence for e in candidates(lex, "agencies") if not e.text.isascii()}
    assert conf["机构"] >= 0.7 * conf["办事处"]


def test_select_keeps_what_the_index_holds_and_the_best_few():
    cands = [Expansion("deliveries", ("交付",), 0.7, "交付"), Expansion("deliveries", ("递送",), 0.9, "递送"),
             Expansion("deliveries", ("分娩",), 0.2, "分娩"), Expansion("deliveries", ("delivered",), 0.9, "delivered")]
    kept = select(cands, {"交付": 3, "分娩": 1, "delivered": 2})
    texts = {e.text: e.confidence for e in kept}
    assert "递送" not in texts  # no doc holds it
    assert "分娩" not in texts  # far below the best translation the index holds
    assert texts["交付"] == 1.0 and texts["delivered"] == 1.0  # best of its script: full confidence


def test_glossary_file_and_executive_names(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text('[[term]]\nzh = ["玄戒"]\nen = ["XRING", "Xring O1"]\n', encoding="utf-8")
    assert read_glossary(p) == [(["玄戒"], ["XRING", "Xring O1"])]
    assert read_glossary(tmp_path / "missing.toml") == []
    pairs = executive_pairs(Registry.load())
    assert any("雷军" in zh and "Lei Jun" in en for zh, en in pairs)


def test_expansion_order_does_not_depend_on_the_hash_seed():
    # The order reaches the vector query's text: the same question must embed the same way every run.
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "from retrieval.search.crosslang import forms; print(forms('deliveries'), forms('working'))"
    root = Path(__file__).resolve().parents[3]
    outs = {subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONHASHSEED=str(seed)),
                           cwd=root, capture_output=True, text=True, check=True).stdout for seed in (1, 2, 3)}
    assert len(outs) == 1


def test_a_question_names_glossary_entries_in_any_spelling():
    from retrieval.search.crosslang import absent, named

    lex = build_lexicon([(["小米"], ["Xiaomi", "Mi"]), (["米粉"], ["Mi Fans"]), (["玄戒"], ["XRING"])])
    assert named(lex, "Xiaomi's electric cars") == named(lex, "小米汽车") == [(("小米",), ("xiaomi",), ("mi",))]
    assert named(lex, "Mi Fans day") == [(("米粉",), ("mi", "fans"))]  # not 小米 through its "Mi"
    assert named(lex, "electric cars") == []
    xiaomi, xring = named(lex, "小米")[0], named(lex, "XRING")[0]
    # Absent only when no spelling is in the index, and only when every name asked about is.
    assert absent([xiaomi], {"小米": 0, "xiaomi": None}) == ["小米"]
    assert absent([xiaomi], {"小米": 0, "mi": 3}) == []
    assert absent([xiaomi, xring], {"玄戒": 2}) == []
    assert absent([], {}) == []
