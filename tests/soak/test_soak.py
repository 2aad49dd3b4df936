"""Load / soak: mixed queries (ask, top, summary) through the Engine while a re-ingest writes the same data
directory concurrently (same event loop, its own Index, under the write lock). 100 queries in CI,
1,000 with EXECBOT_SOAK_FULL=1. Reports p50/p95 latency and RSS at start and end."""

from __future__ import annotations

import asyncio
import gc
import json
import random
import statistics
import time
import tracemalloc

import psutil
import pytest

from ingest.pipeline import IngestOptions, ingest
from retrieval.engine import Engine
from retrieval.store.embedding import get_embedder
from retrieval.store.index import Index
from tests.conftest import settings_for
from tests.robustness.rbhelpers import SAMPLE, post_text, scale, write_csv

pytestmark = [pytest.mark.slow, pytest.mark.embedding]

QUERIES = scale(100, 1000)
POSTS = scale(200, 2000)
QUESTIONS = ["What did Lei Jun say about YU7?", "小米YU7什么时候量产", "SU7 deliveries", "battery factory update",
             "What happened last week?", "XRING O1 chip", "雷军 上周 说了什么", "launch price camera"]
PERIODS = ["week", "last week", "month", "2025-05-26..2025-06-01", "上周", "day"]


async def test_mixed_queries_during_a_concurrent_reingest(tmp_path):
    settings = settings_for(tmp_path / "data", EXECBOT_NOW="2025-06-02")
    embedder = get_embedder("minilm")
    gen, gen2 = tmp_path / "gen.csv", tmp_path / "gen2.csv"
    n_gen = write_csv(gen, POSTS, repeated_texts=POSTS // 20, author="Lei Jun", seed=11)
    # The re-ingest: the same posts, a quarter of them edited (re-embedded), plus new ones.
    n_new = write_csv(gen2, POSTS + POSTS // 4, author="Lei Jun", seed=11,
                      text_for=lambda i: post_text(i) + (" edited" if i % 4 == 0 else ""))
    async with Index(settings, embedder=embedder) as ix:
        rep = await ingest([str(SAMPLE), str(gen)], IngestOptions(), index=ix)
        assert rep.exit_code == 0, rep.errors
    async with Engine(settings, Index(settings, embedder=embedder)) as warm:
        # One of each first: jieba loads its dictionaries (~130 MB of Python objects) on the first summary;
        # that is a one-time cost, not growth across the run.
        await warm.index.open()
        await warm.ask(QUESTIONS[0])
        await warm.top("week")
        await warm.summary("last week")
        await warm.index.close()
    proc = psutil.Process()
    gc.collect()
    rss0 = proc.memory_info().rss
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    rng = random.Random(7)
    lat: dict[str, list[float]] = {"ask": [], "top": [], "summary": []}
    errors: list[str] = []

    async def reingest() -> dict:
        async with Index(settings, embedder=embedder) as wix:
            r = await ingest([str(gen2)], IngestOptions(), index=wix)
            return r.to_json()

    async with Engine(settings, Index(settings, embedder=embedder)) as engine:
        await engine.index.open()
        writer = asyncio.create_task(reingest())
        during = 0
        t_start = time.perf_counter()
        for i in range(QUERIES):
            kind = ("ask", "top", "summary")[i % 3]
            t0 = time.perf_counter()
            try:
                if kind == "ask":
                    a = await engine.ask(rng.choice(QUESTIONS))
                    assert a.to_json() is not None
                elif kind == "top":
                    r = await engine.top(rng.choice(PERIODS), n=10)
                    json.dumps(r.to_json(), ensure_ascii=False, default=str)
                else:
                    s = await engine.summary(rng.choice(PERIODS))
                    json.dumps(s.to_json(), ensure_ascii=False, default=str)
            except Exception as exc:  # every failure is reported, none tolerated
                errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
            lat[kind].append(time.perf_counter() - t0)
            during += not writer.done()
            await asyncio.sleep(0)
        overlap = not writer.done()
        wrep = await writer
        elapsed = time.perf_counter() - t_start
        st = await engine.stats()
        await engine.index.close()
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    rss1 = proc.memory_info().rss
    all_lat = sorted(x for v in lat.values() for x in v)
    p50 = statistics.median(all_lat) * 1000
    p95 = all_lat[int(0.95 * (len(all_lat) - 1))] * 1000
    growth = snap1.compare_to(snap0, "lineno")[:5]
    print(f"\nsoak: {QUERIES} queries in {elapsed:.1f}s, p50 {p50:.1f} ms, p95 {p95:.1f} ms "
          f"(ask p50 {statistics.median(lat['ask']) * 1000:.1f} ms); RSS {rss0 / 1e6:.0f} MB -> {rss1 / 1e6:.0f} MB; "
          f"{during} queries ran during the re-ingest (still running at the end: {overlap}); re-ingest {wrep['added']} added, "
          f"{wrep['updated']} updated, {wrep['embedded']} embedded")
    for g in growth:
        print(f"  tracemalloc top growth: {g}")
    assert errors == [], errors[:5]
    assert wrep["errors"] == []
    assert st["posts"] == 40 + max(n_gen, n_new)
    assert st["vectors"] == st["posts"] + st["chunks"]
    # Python-heap growth across the run (the model and Chroma's native memory are outside tracemalloc).
    assert sum(g.size_diff for g in snap1.compare_to(snap0, "filename")) < 50e6
