"""Bot start-up and memory: `python -m bench.bot`.

Starts `execbot chat` (the same command handlers as Discord, without a network) over an index of the
sample data, and measures: process start to the first reply (`!top week`: no model needed), the
first question (loads the embedding model), later questions, and RSS when ready, idle, and after
answering. Discord's own login and gateway time is not included: there is no network here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
EXECBOT = str(Path(sys.executable).with_name("execbot"))
# (message, text its reply contains)
# (message, text its reply contains; the console echoes the message first, so never a word of it)
SCRIPT = [
    ("!top week", "321,000"),
    ("what did Lei Jun say about YU7?", "-- answer"),
    ("!summary last week", "40 posts"),
    ("what did Lei Jun say about SU7 deliveries?", "-- answer"),
    ("雷军上周说了什么关于玄戒的？", "-- answer"),
]


def _rss_mb(p: psutil.Process) -> float:
    return round(p.memory_info().rss / 2**20, 1)


def measure(data_dir: Path, timeout: float = 120.0) -> dict:
    env = dict(os.environ, EXECBOT_DATA_DIR=str(data_dir), EXECBOT_NOW="2025-06-02", PYTHONUNBUFFERED="1")
    t0 = time.perf_counter()
    proc = subprocess.Popen([EXECBOT, "chat"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, encoding="utf-8")
    ps = psutil.Process(proc.pid)
    out: list[str] = []
    threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    replies, rss = [], {}
    try:
        for i, (message, expect) in enumerate(SCRIPT):
            seen = len("".join(out))
            t = time.perf_counter()
            proc.stdin.write(message + "\n")
            proc.stdin.flush()
            while expect not in "".join(out)[seen:]:
                if time.perf_counter() - t > timeout or proc.poll() is not None:
                    raise RuntimeError(f"no reply to {message!r} containing {expect!r}")
                time.sleep(0.01)
            done = time.perf_counter()
            replies.append({"message": message, "seconds": round(done - t, 3)})
            if i == 0:
                replies[0]["since_start"] = round(done - t0, 3)
                rss["ready"] = _rss_mb(ps)
                time.sleep(2.0)
                rss["idle"] = _rss_mb(ps)
        rss["after_answering"] = _rss_mb(ps)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    return {"replies": replies, "rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bot", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="execbot-bench-bot-") as tmp:
        env = dict(os.environ, EXECBOT_DATA_DIR=tmp)
        subprocess.run([EXECBOT, "ingest", "data/sample", "--json"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        res = measure(Path(tmp))
    first = res["replies"][0]
    print("| measure | value |\n|---|---|")
    print(f"| process start → first reply (`!top week`) | {first['since_start']} s |")
    for r in res["replies"][1:]:
        print(f"| `{r['message']}` | {r['seconds']} s |")
    for k, v in res["rss_mb"].items():
        print(f"| RSS {k.replace('_', ' ')} | {v} MB |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bot.json").write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
