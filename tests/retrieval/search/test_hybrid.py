"""The gate and fusion step of the hybrid search, on hand-built rankings (no index, no model)."""

from __future__ import annotations

from retrieval.models import Hit
from retrieval.search.crosslang import Expansion
from retrieval.search.hybrid import Rankings, fuse, with_translations
from retrieval.search.keyword_rank import KeywordHit
from retrieval.store.embedding import Cutoffs


def hit(uid: str, text: str) -> Hit:
    return Hit(id=uid, kind="post", author="leijun", published_at=None, text=text, url="", likes=0, shares=0,
               comments=0, score=0.0, uid=uid)


ROWS = {"a": hit("a", "小米SU7五月交付超过两万八千台"), "b": hit("b", "今天天气很好，去跑步了"),
        "c": hit("c", "小米YU7七月量产，工厂已经准备好")}


def rankings() -> Rankings:
    # "a" holds half the question's weight and sits just under the vector cut-off; "b" is only
    # near the cut-off, with no keyword evidence; "c" is a clear vector hit.
    kw = [KeywordHit("a", -3.0, frozenset({"交付"}))]
    return Rankings("en", keyword=kw, vector=[("c", 0.50), ("a", 0.37), ("b", 0.37)], rows=dict(ROWS),
                    weights={"交付": 1.0, "数量": 1.0})


def ids(cut: Cutoffs) -> list[str]:
    return [h.id for h in fuse(rankings(), cut, k=5)]


def test_each_gate_alone():
    cut = Cutoffs({"en-zh": 0.4}, keyword=0.6)
    assert ids(cut) == ["c"]  # a: share 0.5 < 0.6 and cosine 0.37 < 0.4; b: cosine only
    assert set(ids(Cutoffs({"en-zh": 0.4}, keyword=0.5))) == {"a", "c"}


def test_two_weaker_signals_that_agree_pass_together():
    cut = Cutoffs({"en-zh": 0.4}, keyword=0.6, joint_keyword=0.5, joint_margin=0.05)
    got = ids(cut)
    assert set(got) == {"a", "c"}  # a: share 0.5 and cosine within 0.05 of the cut-off
    assert "b" not in got  # the same cosine with no keyword evidence is not enough
    narrow = Cutoffs({"en-zh": 0.4}, keyword=0.6, joint_keyword=0.5, joint_margin=0.02)
    assert ids(narrow) == ["c"]


def test_the_vector_query_carries_the_surest_translation_of_each_term():
    exps = [Expansion("deliveries", ("交付",), 1.0, "交付"), Expansion("deliveries", ("交货",), 0.8, "交货"),
            Expansion("chip", ("芯片",), 0.9, "芯片")]
    assert with_translations("deliveries chip", exps) == "deliveries chip 交付 芯片"
    assert with_translations("deliveries", []) == "deliveries"
