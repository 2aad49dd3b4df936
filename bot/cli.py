"""`execbot`: one console command with subcommands for every part."""

from __future__ import annotations

import argparse
import logging
import sys

from ingest import cli as ingest_cli
from retrieval import cli as retrieval_cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="execbot", description="Follow what executives say online.")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="read posts and digests into the index")
    ingest_cli.add_arguments(ing)
    ing.set_defaults(func=ingest_cli.run)
    retrieval_cli.add_arguments(sub)
    demo = sub.add_parser("demo", help="ingest the sample data and show what the index holds")
    demo.set_defaults(func=run_demo)
    return p


def run_demo(args: argparse.Namespace) -> int:
    from ingest.settings import IngestSettings

    code = ingest_cli.run(ingest_cli_args(IngestSettings().sources))
    if code == 1:
        return code
    return retrieval_cli.run_stats(argparse.Namespace(json=False))


def ingest_cli_args(paths: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    ingest_cli.add_arguments(p)
    return p.parse_args(paths)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
