"""`ldv-archiver`: the one console script (crawl, reparse, export, snapshot-db, wacz, mirror)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

USAGE = """usage: ldv-archiver COMMAND [ARGS...]

commands:
  crawl SPIDER [-a NAME=VALUE] [-s NAME=VALUE]...
                 archive a site (SPIDER: ldv, wordpress); as `scrapy crawl`, from any folder
  reparse WARC... --db PATH [--dry-run] [-s NAME=VALUE]...
                 rebuild or update an archive from its WARC files, with no network
  export         write a JSON Lines snapshot of an archive (--help for options)
  snapshot-db    turn a snapshot into a Datasette-ready SQLite file (--help for options)
  wacz           package an archive's WARC files as a WACZ for replay (--help for options)
  mirror         serve a saved site on 127.0.0.1 for local tries (a source checkout only)
"""


def crawl(args: Sequence[str]) -> int:
    # Outside a checkout there is no scrapy.cfg; the installed settings module stands in.
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "archiver.settings")
    from scrapy.cmdline import execute

    try:
        execute(["scrapy", "crawl", *args])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0


def reparse(args: Sequence[str]) -> int:
    from archiver.commands.reparse import main

    return main(args)


def export(args: Sequence[str]) -> int:
    from archiver.export.jsonl import main

    return main(args)


def snapshot_db(args: Sequence[str]) -> int:
    from archiver.export.to_sqlite import main

    return main(args)


def wacz(args: Sequence[str]) -> int:
    from archiver.warc.wacz import main

    return main(args)


def mirror(args: Sequence[str]) -> int:
    try:
        from testing.mirror import main
    except ModuleNotFoundError:
        print("error: the mirror server ships with the source checkout, not the installed "
              "package; run this from the checkout", file=sys.stderr)
        return 2
    return main(args)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "crawl": crawl, "reparse": reparse, "export": export, "snapshot-db": snapshot_db,
    "wacz": wacz, "mirror": mirror}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"error: unknown command {args[0]!r}\n{USAGE}", end="", file=sys.stderr)
        return 2
    return command(args[1:])

