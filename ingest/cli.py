"""`execbot ingest`: thin CLI over ingest.pipeline."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys

from ingest.formats import FORMATS, MAP_FIELDS
from ingest.lock import LockedError
from ingest.pipeline import IngestOptions, Progress, ingest
from ingest.settings import IngestSettings
from retrieval.index import ModelMismatchError
from retrieval.vectors import VectorStoreError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or feed URLs (default: EXECBOT_SOURCES)")
    p.add_argument("--format", dest="fmt", default="auto", choices=["auto", *FORMATS])
    p.add_argument("--author", help="executive key for every record (added to the registry if new)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help=f"map a field ({', '.join(MAP_FIELDS)}) to a column of a generic CSV/JSON source")
    p.add_argument("--rebuild", action="store_true", help="re-embed the whole index (e.g. after changing model)")
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wait", dest="wait", action="store_true", default=None,
                   help="if another ingest is writing, wait for it (default)")
    g.add_argument("--no-wait", dest="wait", action="store_false", help="if another ingest is writing, exit 1")


def parse_mapping(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not column or field not in MAP_FIELDS:
            raise ValueError(f"--map {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(MAP_FIELDS)}")
        mapping[field] = column
    return mapping


def run(args: argparse.Namespace) -> int:
    settings = IngestSettings()
    try:
        mapping = parse_mapping(args.map)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sources = args.paths or settings.sources
    opts = IngestOptions(
        fmt=args.fmt, author=args.author, mapping=mapping, rebuild=args.rebuild,
        wait=settings.wait_for_lock if args.wait is None else args.wait, fetch_timeout=settings.fetch_timeout,
    )
    progress = Progress(enabled=not args.json)
    try:
        report = asyncio.run(ingest(sources, opts, progress=progress))
    except (ModelMismatchError, LockedError, VectorStoreError) as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk or a read-only data directory
        progress.close()
        print(f"error: cannot write the index: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:  # SQLite reports a full disk / read-only file as its own errors
        progress.close()
        print(f"error: cannot write the index in {settings_dir()}: {exc} (is the disk full or read-only?); "
              "the next run repairs it", file=sys.stderr)
        return 1
    progress.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.skipped} skipped; {report.embedded} embedded in {report.seconds:.1f}s"
        )
        for key in report.new_executives:
            print(f"added executive {key!r} (from the data)")
        for e in report.errors[:50]:
            where = f"{e.source}:{e.line}" if e.line is not None else e.source
            print(f"  skipped {where}: {e.error}", file=sys.stderr)
        if len(report.errors) > 50:
            print(f"  … and {len(report.errors) - 50} more (use --json for all)", file=sys.stderr)
    return report.exit_code


def settings_dir() -> str:
    from retrieval.settings import get_settings

    return str(get_settings().data_dir)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ingest", description="Ingest posts and digests into the index.")
    add_arguments(p)
    return run(p.parse_args(argv))
