"""Speed and memory: ingest throughput, no-change re-ingest, search latency and memory vs corpus size.

    python -m bench.perf                      # Elon Musk CSV ingest + 1k/10k/100k synthetic search
    python -m bench.perf --smoke --out /tmp/x  # tiny sizes, < 60 s

Every figure has a bare baseline measured in the same run:
- ingest posts/s vs bare `model.encode(texts, batch_size=32)` on the same texts (model loaded first);
- search latency vs bare query encode + bare Chroma query (same collection, same filters);
- a re-ingest that changes nothing vs the full ingest.
Large corpora are synthetic: generated text, random unit vectors, written straight through Store.upsert_docs
and VectorStore.upsert (vector search cost does not depend on meaning). Writes bench/results/latest.json,
latency.png and memory.png.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import CORPORA, RESULTS, ROOT

ELON_CSV = CORPORA / "elon_musk_tweets_gpreda" / "elon_musk_tweets.csv"
NOW = "2025-06-02"
SYN_START = 1717171200  # 2024-05-31 16:00 UTC = 2024-06-01 Beijing
SYN_SPAN = 366 * 86400
EXECUTIVES = ("leijun", "elonmusk", "zhangyiming")
BUILD_CAP_SECONDS = 420  # stop growing the synthetic index when writing takes longer than this

QUERIES = [
    # English, no filter
    "YU7 mass production", "SU7 deliveries in May", "Starship orbital launch", "free speech on Twitter",
    "Tesla FSD beta release", "Dogecoin payments", "Community Notes accuracy", "population collapse birth rate",
    "Xiaomi chip design XRING", "Neuralink human trials", "Cybertruck production line", "Optimus robot hands",
    "advice for university students", "morning run pace", "books worth reading", "factory automation",
    # Chinese, no filter
    "小米YU7量产", "小米SU7交付量", "玄戒O1芯片", "今日头条招聘", "延迟满足感", "端午节粽子", "创业最重要的是什么",
    "六一儿童节照片", "推荐算法工程师", "团队氛围", "读书笔记", "智能工厂",
    # with an executive
    "What did Lei Jun say about YU7?", "雷军怎么评价玄戒O1", "What did Elon Musk say about Starship?",
    "马斯克对言论自由的看法", "张一鸣怎么理解延迟满足", "What did Zhang Yiming say about hiring engineers?",
    "Lei Jun on smartphones", "Elon on electric trucks",
    # with a period
    "What did Lei Jun say about SU7 last week?", "上周雷军关于YU7说了什么", "Starship news in April 2025",
    "雷军5月31日说了什么", "What did Elon post last month?", "张一鸣2025年3月的招聘",
    "FSD updates in January 2025", "上个月小米发布了什么", "What happened this year with Tesla?",
    "what did Lei Jun say last week", "雷军上周发了什么", "Musk tweets in December 2024",
    "Xiaomi 15S Pro reviews last week", "今年的交付目标",
]


# -- small helpers ------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    i = (len(s) - 1) * p / 100
    lo, hi = math.floor(i), math.ceil(i)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def ms(x: float) -> float:
    return round(x * 1000, 2)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
               ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT))
    env.pop("EXECBOT_MIN_SIMILARITY", None)
    env.pop("EXECBOT_NOW", None)
    env["EXECBOT_EMBED_BACKEND"] = "minilm"
    return env


def run_tracked(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str, int]:
    """(wall seconds, peak RSS bytes incl. children, stdout, return code), RSS polled every 50 ms."""
    import psutil

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 2):
        sys.stderr.write(err[-3000:])
    return wall, peak, out, proc.returncode


def settings_for(data_dir: Path):  # noqa: ANN201
    from retrieval.settings import RetrievalSettings

    return RetrievalSettings(EXECBOT_DATA_DIR=data_dir, EXECBOT_EMBED_BACKEND="minilm", min_similarity=None,
                             EXECBOT_NOW=None)


# -- ingest -------------------------------------------------------------------------------------------


def ingest_source(tmp: Path, limit: int | None) -> tuple[Path, str]:
    """The Elon Musk CSV (or its first `limit` rows); a synthetic CSV in its format when corpora are absent."""
    if ELON_CSV.exists() and limit is None:
        return ELON_CSV, "elon_musk_tweets.csv (5,101 tweets)"
    out = tmp / "posts.csv"
    if ELON_CSV.exists():
        with ELON_CSV.open(encoding="utf-8", newline="") as fh, out.open("w", encoding="utf-8", newline="") as fo:
            r = csv.reader(fh)
            w = csv.writer(fo)
            for i, row in enumerate(r):
                if i > (limit or 0):
                    break
                w.writerow(row)
        return out, f"first {limit} rows of elon_musk_tweets.csv"
    rng = random.Random(7)
    vocab = _vocab(rng)
    with out.open("w", encoding="utf-8", newline="") as fo:
        w = csv.writer(fo)
        w.writerow(["id", "user_name", "date", "text", "retweets", "favorites"])
        for i in range(limit or 200):
            ts = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(SYN_START + rng.randrange(SYN_SPAN)))
            w.writerow([10**18 + i, "Elon Musk", ts, _text(rng, vocab, english=True), rng.randrange(9999),
                        rng.randrange(99999)])
    return out, f"synthetic CSV, {limit} posts (corpora absent)"


async def _ingest_in_process(src: Path, data_dir: Path, embedder) -> tuple[float, dict]:  # noqa: ANN001
    from ingest.pipeline import IngestOptions, ingest
    from retrieval.index import Index

    index = Index(settings_for(data_dir), embedder=embedder)
    await index.open()
    try:
        t0 = time.perf_counter()
        rep = await ingest([str(src)], IngestOptions(author="elonmusk"), index=index)
        return time.perf_counter() - t0, rep.to_json()
    finally:
        await index.close()


def _csv_texts(src: Path) -> list[str]:
    with src.open(encoding="utf-8", newline="") as fh:
        return [row.get("text") or "" for row in csv.DictReader(fh)]


async def _embedded_texts(data_dir: Path) -> list[str]:
    from retrieval.store import Store, embed_text

    store = Store(data_dir / "execbot.sqlite3")
    await store.open()
    try:
        rows = await store.fetchall("SELECT text, title, kind FROM docs ORDER BY id")
        return [embed_text(t, ti, k) for t, ti, k in rows]
    finally:
        await store.close()


def bench_ingest(tmp: Path, limit: int | None, profile: bool, log) -> dict:  # noqa: ANN001
    src, label = ingest_source(tmp, limit)
    env = child_env()
    exe = [sys.executable, "-m", "bot.cli"] if not (ROOT / ".venv" / "bin" / "execbot").exists() else \
        [str(ROOT / ".venv" / "bin" / "execbot")]
    out: dict = {"source": label}

    # 1. Cold: a fresh process that imports everything, loads the model and ingests (peak RSS polled).
    cold_dir = tmp / "ingest-cold"
    env_c = dict(env, EXECBOT_DATA_DIR=str(cold_dir))
    log(f"  ingest: cold subprocess over {label} ...")
    wall, peak, stdout, rc = run_tracked([*exe, "ingest", "--json", "--author", "elonmusk", str(src)], env_c, tmp)
    rep = json.loads(stdout) if stdout.strip().startswith("{") else {}
    n = rep.get("records", 0) or 1
    out["cold_process"] = {"seconds": round(wall, 2), "posts_per_s": round(n / wall, 1),
                           "peak_rss_mb": round(peak / 2**20, 1), "report": rep, "rc": rc}
    # 2. No-change re-ingest, fresh process, same data dir.
    log("  ingest: no-change re-ingest (fresh process) ...")
    wall2, peak2, stdout2, rc2 = run_tracked([*exe, "ingest", "--json", "--author", "elonmusk", str(src)], env_c, tmp)
    rep2 = json.loads(stdout2) if stdout2.strip().startswith("{") else {}
    out["reingest_process"] = {"seconds": round(wall2, 2), "pipeline_seconds": rep2.get("seconds"),
                               "peak_rss_mb": round(peak2 / 2**20, 1), "report": rep2, "rc": rc2}

    # 3. Warm, in process: the model is loaded BEFORE timing starts.
    from retrieval.embedding import get_embedder

    t0 = time.perf_counter()
    emb = get_embedder("minilm")
    model = emb.model
    model.encode(["warm up the model"] * 8, batch_size=32)
    load_s = time.perf_counter() - t0
    warm_dir = tmp / "ingest-warm"
    # Bare encode before AND after the ingest, averaged: load from other processes drifts during a run.
    texts_src = _csv_texts(src)
    log(f"  ingest: bare model.encode of {len(texts_src)} texts (before) ...")
    t0 = time.perf_counter()
    model.encode(texts_src, batch_size=32)
    bare_before = time.perf_counter() - t0
    log("  ingest: warm in-process ingest (model already loaded) ...")
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        secs, rep3 = asyncio.run(_ingest_in_process(src, warm_dir, emb))
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").dump_stats(str(tmp / "ingest.prof"))
        import io

        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
        out["profile_top"] = buf.getvalue()[-6000:]
    else:
        secs, rep3 = asyncio.run(_ingest_in_process(src, warm_dir, emb))
    n = rep3["records"] or 1
    log("  ingest: no-change re-ingest (in process) ...")
    secs_re, rep4 = asyncio.run(_ingest_in_process(src, warm_dir, emb))
    texts = asyncio.run(_embedded_texts(warm_dir))
    log(f"  ingest: bare model.encode of the same {len(texts)} texts (after) ...")
    t0 = time.perf_counter()
    model.encode(texts, batch_size=32)
    bare_after = time.perf_counter() - t0
    bare = (bare_before * len(texts) / max(len(texts_src), 1) + bare_after) / 2
    out["bare_encode_runs"] = {"before_seconds": round(bare_before, 2), "before_texts": len(texts_src),
                               "after_seconds": round(bare_after, 2), "after_texts": len(texts)}
    out["model_load_seconds"] = round(load_s, 2)
    out["warm"] = {"seconds": round(secs, 2), "posts": n, "embedded": rep3["embedded"],
                   "posts_per_s": round(n / secs, 1)}
    out["bare_encode"] = {"seconds": round(bare, 2), "texts": len(texts), "posts_per_s": round(len(texts) / bare, 1)}
    out["warm_vs_bare"] = round((n / secs) / (len(texts) / bare), 3)
    out["cold_in_process_posts_per_s"] = round(n / (secs + load_s), 1)
    out["reingest_in_process"] = {"seconds": round(secs_re, 3), "unchanged": rep4["unchanged"],
                                  "ratio_to_full": round(secs_re / secs, 4)}
    out["reingest_process"]["ratio_to_full_cold"] = round(wall2 / wall, 4)
    if rep2.get("seconds") is not None and rep.get("seconds"):
        out["reingest_process"]["pipeline_ratio"] = round(rep2["seconds"] / rep["seconds"], 4)
    return out


# -- synthetic corpora --------------------------------------------------------------------------------

_EN = """xiaomi tesla spacex starship launch orbit rocket booster engine raptor factory production delivery
deliveries car cars suv sedan battery charging range autopilot fsd beta release software update neural net chip
chips design silicon phone camera display tablet ultra pro price market stock shares investors revenue growth
team engineers hiring recruit talent culture product users feedback service quality safety test testing
summer winter july may june april week today tomorrow thanks thank congratulations great awesome amazing
twitter verification blue subscription free speech community notes accuracy media news government policy
population birth rate civilization future mars moon earth energy solar grid ai robot optimus humanoid hands
neuralink brain implant trial human dogecoin crypto payments bank money book books reading run running
morning coffee meeting students university startup founder advice decade patience delayed gratification""".split()
_ZH = """小米 汽车 交付 量产 工厂 产线 工程师 同事 米粉 用户 感谢 支持 芯片 玄戒 自研 手机 平板 发布 评测 体验
设计 测试 高温 电池 续航 价格 市场 销量 创业 公司 团队 招聘 人才 算法 推荐 头条 今日 产品 数据 增长 用户
延迟 满足 读书 笔记 跑步 晨跑 端午 粽子 儿童节 照片 家人 电影 周末 上班 开会 咖啡 加油 努力 坚持 梦想 未来
技术 创新 智能 制造 长期 投入 质量 安全 服务 反馈 问题 改进 优化 学习 成长 管理 效率 文化 沟通 合作""".split()


def _vocab(rng: random.Random) -> dict[str, list[str]]:
    syll = ["ka", "lo", "mi", "ra", "ten", "zu", "vi", "sha", "po", "den", "tri", "qua", "ne", "bo", "lex"]
    tail = sorted({"".join(rng.choice(syll) for _ in range(rng.randint(2, 4))) for _ in range(6000)})
    return {"en": _EN + tail, "zh": _ZH}


def _text(rng: random.Random, vocab: dict[str, list[str]], english: bool) -> str:
    if english:
        words = vocab["en"]
        n = len(words)
        # Zipf-like: low indexes (real words) are frequent, the pseudo-word tail is rare.
        picks = [words[min(n - 1, int(rng.paretovariate(1.1)) - 1 + (rng.randrange(n) if rng.random() < 0.3 else 0))]
                 for _ in range(rng.randint(12, 40))]
        return " ".join(picks).capitalize() + "."
    words = vocab["zh"]
    return "".join(rng.choice(words) for _ in range(rng.randint(10, 30))) + "。"


async def grow_synthetic(data_dir: Path, start: int, stop: int, seed: int = 11, batch: int = 2000) -> float:
    """Add synthetic posts number start..stop-1 (SQLite + FTS + Chroma with random unit vectors). Returns seconds."""
    import numpy as np

    from retrieval.index import _row_hash, doc_uid
    from retrieval.models import Doc
    from retrieval.store import DocRow, Store, to_epoch, vector_metadata
    from retrieval.text import content_hash, fts_document
    from retrieval.vectors import VectorStore

    rng = random.Random(seed + start)
    nrng = np.random.default_rng(seed + start)
    vocab = _vocab(random.Random(seed))
    store = Store(data_dir / "execbot.sqlite3")
    await store.open()
    vs = VectorStore(data_dir / "chroma")
    t0 = time.perf_counter()
    from datetime import UTC, datetime

    try:
        from retrieval.embedding import MiniLMEmbedder

        name = MiniLMEmbedder().name
        await store.set_meta("embed_model", name)
        vs.set_model(name)
        for i in range(start, stop, batch):
            rows, metas = [], []
            for j in range(i, min(stop, i + batch)):
                ex = EXECUTIVES[j % 3]
                text = _text(rng, vocab, english=(ex == "elonmusk" or rng.random() < 0.2))
                ts = datetime.fromtimestamp(SYN_START + rng.randrange(SYN_SPAN), UTC)
                d = Doc(platform="x" if ex == "elonmusk" else "weibo", executive=ex, source_id=f"syn{j}", text=text,
                        published_at=ts, likes=rng.randrange(100000), shares=rng.randrange(10000),
                        comments=rng.randrange(10000))
                ch = content_hash(text)
                rows.append(DocRow(doc_uid(d.platform, ex, d.source_id), d, ch, _row_hash(d, ch), fts_document(text)))
                metas.append(vector_metadata(ex, to_epoch(ts), "post", d.platform, d.likes, d.shares, d.comments))
            vecs = nrng.standard_normal((len(rows), 384)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            await asyncio.to_thread(vs.upsert, [r.uid for r in rows], vecs, metas)
            await store.upsert_docs(rows, int(time.time()))
            await store.conn.commit()
    finally:
        await store.close()
    return time.perf_counter() - t0


# -- search (in a child process: its memory is the process's own) ----------------------------------------


async def _search_child(data_dir: Path, rounds: int, nq: int) -> dict:
    import psutil

    from retrieval.embedding import get_embedder
    from retrieval.engine import Engine
    from retrieval.hybrid import CANDIDATES
    from retrieval.index import Index
    from retrieval.store import to_epoch
    from retrieval.vectors import vector_where

    rss0 = psutil.Process().memory_info().rss
    emb = get_embedder("minilm")
    model = emb.model
    index = Index(settings_for(data_dir), embedder=emb)
    await index.open()
    engine = Engine(index=index)
    col = index.vectors.collection()
    queries = QUERIES[:nq]
    wheres = []
    for q in queries:  # the same filters the engine derives, for the bare baseline (computed outside timing)
        pq = await engine.parse(q, now=NOW)
        f = engine._filters(pq)
        wheres.append(vector_where(f.author, to_epoch(f.since), to_epoch(f.until)))
    for q, w in zip(queries, wheres, strict=True):  # warm up both paths
        await engine.search(q, now=NOW)
        col.query(query_embeddings=[model.encode([q], batch_size=32)[0]], n_results=CANDIDATES, where=w)
    ours, bare, bare_encode, bare_query, hits = [], [], [], [], []
    for _ in range(rounds):
        for q, w in zip(queries, wheres, strict=True):
            t0 = time.perf_counter()
            res = await engine.search(q, now=NOW)
            ours.append(time.perf_counter() - t0)
            hits.append(len(res.hits))
            t0 = time.perf_counter()
            v = model.encode([q], batch_size=32)[0]
            t1 = time.perf_counter()
            col.query(query_embeddings=[v], n_results=CANDIDATES, where=w)
            t2 = time.perf_counter()
            bare.append(t2 - t0)
            bare_encode.append(t1 - t0)
            bare_query.append(t2 - t1)
    n_docs = await index.store.scalar("SELECT COUNT(*) FROM docs")
    await index.close()
    diffs = [a - b for a, b in zip(ours, bare, strict=True)]
    me = psutil.Process()
    import resource

    return {
        "docs": n_docs, "queries": len(queries), "rounds": rounds,
        "ours_p50_ms": ms(pct(ours, 50)), "ours_p95_ms": ms(pct(ours, 95)),
        "bare_p50_ms": ms(pct(bare, 50)), "bare_p95_ms": ms(pct(bare, 95)),
        "bare_encode_p50_ms": ms(pct(bare_encode, 50)), "bare_encode_p95_ms": ms(pct(bare_encode, 95)),
        "bare_chroma_p50_ms": ms(pct(bare_query, 50)), "bare_chroma_p95_ms": ms(pct(bare_query, 95)),
        "overhead_p50_ms": ms(pct(ours, 50) - pct(bare, 50)), "paired_overhead_median_ms": ms(statistics.median(diffs)),
        "mean_hits": round(statistics.mean(hits), 2),
        "rss_start_mb": round(rss0 / 2**20, 1), "rss_end_mb": round(me.memory_info().rss / 2**20, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_search(tmp: Path, sizes: list[int], rounds: int, nq: int, log) -> dict:  # noqa: ANN001
    data_dir = tmp / "synthetic"
    out: dict = {"sizes": [], "build": []}
    have = 0
    total_build = 0.0
    for size in sizes:
        if total_build > BUILD_CAP_SECONDS:
            log(f"  search: skipping {size:,} (building took {total_build:.0f}s, cap {BUILD_CAP_SECONDS}s)")
            out.setdefault("skipped", []).append(size)
            continue
        log(f"  search: growing the synthetic index {have:,} -> {size:,} ...")
        secs = asyncio.run(grow_synthetic(data_dir, have, size))
        total_build += secs
        out["build"].append({"from": have, "to": size, "seconds": round(secs, 1),
                             "docs_per_s": round((size - have) / secs, 1)})
        have = size
        log(f"  search: {size:,} posts built in {secs:.1f}s; measuring in a child process ...")
        wall, peak, stdout, rc = run_tracked(
            [sys.executable, "-m", "bench.perf", "--child-search", str(data_dir), "--rounds", str(rounds),
             "--nq", str(nq)], child_env(), ROOT)
        if rc != 0 or not stdout.strip():
            raise SystemExit(f"search child failed at {size} (rc {rc})")
        res = json.loads(stdout.strip().splitlines()[-1])
        res["size"] = size
        res["polled_peak_rss_mb"] = round(peak / 2**20, 1)
        res["disk_mb"] = round(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) / 2**20, 1)
        out["sizes"].append(res)
    return out


# -- scaling fit and plots ----------------------------------------------------------------------------


def fit_growth(xs: list[float], ys: list[float]) -> dict:
    """Which of flat / log / linear describes y(x) best (least squares; 'flat' when y barely moves)."""
    if len(xs) < 2:
        return {"shape": "n/a"}
    lo, hi = min(ys), max(ys)
    out: dict = {"min": round(lo, 2), "max": round(hi, 2)}

    def lsq(f) -> tuple[float, float, float]:  # noqa: ANN001
        fx = [f(x) for x in xs]
        mx, my = statistics.mean(fx), statistics.mean(ys)
        sxx = sum((a - mx) ** 2 for a in fx) or 1e-12
        b = sum((a - mx) * (y - my) for a, y in zip(fx, ys, strict=True)) / sxx
        a0 = my - b * mx
        sse = sum((y - (a0 + b * a)) ** 2 for a, y in zip(fx, ys, strict=True))
        return a0, b, sse

    la, lb, lsse = lsq(math.log)
    na, nb, nsse = lsq(float)
    out["log_fit"] = {"a": round(la, 4), "b_per_ln": round(lb, 4), "sse": round(lsse, 4)}
    out["linear_fit"] = {"a": round(na, 4), "b_per_1k": round(nb * 1000, 4), "sse": round(nsse, 4)}
    if hi - lo <= 0.2 * max(abs(lo), 1e-9) or hi - lo < 1.0:
        out["shape"] = "flat"
    else:
        out["shape"] = "log" if lsse <= nsse else "linear"
    return out


def plots(search: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = search["sizes"]
    if not rows:
        return []
    xs = [r["size"] for r in rows]
    files = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("ours_p50_ms", "execbot p50"), ("ours_p95_ms", "execbot p95"),
                       ("bare_p50_ms", "bare encode+Chroma p50"), ("bare_p95_ms", "bare p95")):
        ax.plot(xs, [r[key] for r in rows], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("posts in the index")
    ax.set_ylabel("search latency (ms)")
    ax.set_title("Search latency vs corpus size (warm)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    files.append(str(out / "latency.png"))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, [r["peak_rss_mb"] for r in rows], marker="o", label="peak RSS, search process")
    ax.plot(xs, [r["disk_mb"] for r in rows], marker="s", label="index on disk")
    ax.set_xscale("log")
    ax.set_xlabel("posts in the index")
    ax.set_ylabel("MB")
    ax.set_title("Memory and disk vs corpus size")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "memory.png", dpi=110)
    plt.close(fig)
    files.append(str(out / "memory.png"))
    return files


# -- report -------------------------------------------------------------------------------------------


def headline(res: dict) -> str:
    ing = res["ingest"]
    lines = ["| measure | value | baseline | ratio | goal |", "|---|---|---|---|---|"]
    lines.append(f"| ingest, warm (model loaded before timing) | {ing['warm']['posts_per_s']} posts/s "
                 f"({ing['warm']['seconds']} s) | bare encode {ing['bare_encode']['posts_per_s']} posts/s | "
                 f"{ing['warm_vs_bare']} | ≥ 0.85 |")
    lines.append(f"| ingest, cold in process (+{ing['model_load_seconds']} s model load) | "
                 f"{ing['cold_in_process_posts_per_s']} posts/s | bare encode | "
                 f"{round(ing['cold_in_process_posts_per_s'] / ing['bare_encode']['posts_per_s'], 3)} | – |")
    cp = ing["cold_process"]
    lines.append(f"| ingest, cold fresh process (`execbot ingest --json`) | {cp['posts_per_s']} posts/s "
                 f"({cp['seconds']} s) | bare encode | "
                 f"{round(cp['posts_per_s'] / ing['bare_encode']['posts_per_s'], 3)} | – |")
    ri = ing["reingest_in_process"]
    lines.append(f"| no-change re-ingest, in process | {ri['seconds']} s | full warm ingest {ing['warm']['seconds']} s | "
                 f"{ri['ratio_to_full']} | ≤ 0.05 |")
    rp = ing["reingest_process"]
    lines.append(f"| no-change re-ingest, fresh process | {rp['seconds']} s (pipeline {rp.get('pipeline_seconds')} s) "
                 f"| full cold ingest {cp['seconds']} s | {rp['ratio_to_full_cold']} "
                 f"(pipeline {rp.get('pipeline_ratio')}) | ≤ 0.05 |")
    lines.append(f"| peak RSS, ingest process | {cp['peak_rss_mb']} MB | – | – | – |")
    for r in res["search"]["sizes"]:
        lines.append(f"| search p50 / p95 at {r['size']:,} posts | {r['ours_p50_ms']} / {r['ours_p95_ms']} ms | "
                     f"bare {r['bare_p50_ms']} / {r['bare_p95_ms']} ms | overhead p50 {r['overhead_p50_ms']} ms "
                     f"(paired median {r['paired_overhead_median_ms']} ms) | < 10 ms |")
    for r in res["search"]["sizes"]:
        lines.append(f"| peak RSS, search process at {r['size']:,} posts | {r['peak_rss_mb']} MB | "
                     f"start {r['rss_start_mb']} MB | disk {r['disk_mb']} MB | – |")
    sc = res.get("scaling", {})
    if sc:
        lines.append(f"| growth, latency p50 vs size | {sc['latency_p50']['shape']} | – | – | – |")
        lines.append(f"| growth, peak RSS vs size | {sc['peak_rss']['shape']} | – | – | – |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (< 60 s)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--ingest-limit", type=int, default=None, help="ingest only the first N CSV rows")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--nq", type=int, default=len(QUERIES))
    ap.add_argument("--profile", action="store_true", help="cProfile the warm ingest")
    ap.add_argument("--child-search", type=Path, default=None, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_search:
        print(json.dumps(asyncio.run(_search_child(args.child_search, args.rounds, args.nq))))
        return 0
    t0 = time.monotonic()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    limit = args.ingest_limit
    rounds, nq = args.rounds, args.nq
    if args.smoke:
        sizes, limit, rounds, nq = [1000], limit or 60, 1, 8

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    res: dict = {"smoke": args.smoke, "cpu_count": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        res["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    tmp = Path(tempfile.mkdtemp(prefix="execbot-perf-"))
    try:
        res["ingest"] = bench_ingest(tmp, limit, args.profile, log)
        res["search"] = bench_search(tmp, sizes, rounds, nq, log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = res["search"]["sizes"]
    if len(rows) >= 2:
        xs = [r["size"] for r in rows]
        res["scaling"] = {
            "latency_p50": fit_growth(xs, [r["ours_p50_ms"] for r in rows]),
            "bare_latency_p50": fit_growth(xs, [r["bare_p50_ms"] for r in rows]),
            "peak_rss": fit_growth(xs, [r["peak_rss_mb"] for r in rows]),
            "disk": fit_growth(xs, [r["disk_mb"] for r in rows]),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    res["plots"] = plots(res["search"], args.out)
    try:
        res["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    res["seconds"] = round(time.monotonic() - t0, 1)
    (args.out / "latest.json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(headline(res))
    print(f"\nbench.perf: {res['seconds']}s; wrote {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

