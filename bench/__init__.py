"""Benchmarks: retrieval quality (`python -m bench.eval`) and speed/memory (`python -m bench.perf`)."""

from __future__ import annotations

from pathlib import Path

import retrieval  # noqa: F401  (sets the offline environment before any model library loads)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CORPORA = ROOT.parent / "shared" / "corpora"
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache"
