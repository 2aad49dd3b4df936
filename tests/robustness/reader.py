"""`python -m tests.robustness.reader DATA_DIR STOP_FILE`: a reader that keeps querying the index while
another process ingests, until STOP_FILE appears. Prints one JSON line: iterations, errors, and any moment
when a docs row was visible in SQLite without its vector in Chroma. STOP_FILE.ready appears once the engine is
warm (model, dictionary, segmenter loaded), so the test can check that reads overlap the write."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from tests.robustness.rbhelpers import install_test_hooks


async def main(data_dir: Path, stop: Path) -> dict:
    from retrieval.engine import Engine
    from retrieval.settings import RetrievalSettings

    out = {"iterations": 0, "errors": [], "rows_without_vector": 0, "max_posts_seen": 0, "searches_with_hits": 0,
           "timeline": []}
    t0 = time.monotonic()
    settings = RetrievalSettings(EXECBOT_DATA_DIR=data_dir)
    while not (data_dir / "execbot.sqlite3").exists():
        await asyncio.sleep(0.05)
    async with Engine(settings) as engine:
        # A cold first search takes seconds (dictionary, segmenter): load them first, then read in a loop.
        await engine.warm_up()
        stop.with_suffix(".ready").touch()
        while not stop.exists():
            try:
                uids = await engine.store.all_uids()  # rows first: they are committed after their vectors
                ids = await asyncio.to_thread(engine.index.vectors.all_ids)
                missing = uids - ids
                if missing:
                    out["rows_without_vector"] = max(out["rows_without_vector"], len(missing))
                st = await engine.stats()
                out["max_posts_seen"] = max(out["max_posts_seen"], st["posts"])
                res = await engine.search("factory battery launch")
                out["searches_with_hits"] += bool(res.hits)
                out["iterations"] += 1
            except Exception as exc:  # any failure is a finding: report it, keep reading
                out["errors"].append(f"{type(exc).__name__}: {exc}"[:300])
                ok = False
            else:
                ok = True
            if not out["timeline"] or out["timeline"][-1][1] != ok:  # when reads started/stopped failing
                out["timeline"].append((round(time.monotonic() - t0, 2), ok))
            await asyncio.sleep(0.05)
    return out


if __name__ == "__main__":
    install_test_hooks()
    t0 = time.monotonic()
    result = asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
    result["seconds"] = round(time.monotonic() - t0, 2)
    print(json.dumps(result))
