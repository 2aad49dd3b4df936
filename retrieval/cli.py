"""Thin CLI commands over retrieval: stats (search, ask, top, summary join them)."""

from __future__ import annotations

import argparse
import asyncio
import json

from retrieval.index import Index


def add_stats_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


async def _stats() -> dict:
    async with Index() as index:
        return await index.stats()


def run_stats(args: argparse.Namespace) -> int:
    st = asyncio.run(_stats())
    if args.json:
        st.pop("embed_model", None)
        print(json.dumps(st, ensure_ascii=False))
        return 0
    print(f"posts {st['posts']}, digests {st['digests']} ({st['chunks']} chunks), vectors {st['vectors']}")
    print(f"period {st['first'] or '-'} .. {st['last'] or '-'}; model {st['embed_model'] or '-'}")
    for key, n in st["executives"].items():
        print(f"  {key}: {n}")
    return 0
