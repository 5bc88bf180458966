"""`ldv-archiver reparse`: an archive built or brought up to date from WARC files alone.

Each captured run is crawled again by the same spider with the same arguments and settings
(from its files' warcinfo), every request answered from the WARC files by ReplayMiddleware
instead of the network, so the spider's navigation, the page functions, the pipelines
(normalise, dedupe, store) and the ledger are the ones a live run uses, and each captured run
becomes one run of the archive's ledger.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from archiver.warc.diff import thread_changes
from archiver.warc.reading import first_info, warc_files

# A replay sends nothing over the network: no politeness to keep, only the CPU to use.
REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32", "ARCHIVER_WARC_DIR": "",
    "ARCHIVER_EXPORTS_DIR": "", "LOG_LEVEL": "WARNING",
    # Robots.txt was obeyed when the pages were fetched; its answer is replayed all the same.
}


@dataclass
class CapturedRun:
    """One live run's WARC files, in the order they were written."""

    run: int
    spider: str
    arguments: dict[str, str]
    settings: dict[str, str]
    files: list[Path] = field(default_factory=list)


def captured_runs(inputs: Sequence[str]) -> list[CapturedRun]:
    """The runs the files hold, each with its files; a run's files share a name but for their
    sequence number (archiver.warc.writer.file_name), so runs keep the order they ran in."""
    runs: dict[str, CapturedRun] = {}
    for path in warc_files(inputs):
        info = first_info(path)
        if info.run is None:
            raise ValueError(f"{path}: no archiver warcinfo record (not a WARC file this "
                             "archiver wrote)")
        key = path.name.rsplit("-", 1)[0]
        if key not in runs:
            runs[key] = CapturedRun(info.run, info.spider, info.arguments, info.settings)
        runs[key].files.append(path)
    return sorted(runs.values(), key=lambda r: (r.files[0].name, r.run))


def crawl_command(run: CapturedRun, db: Path) -> list[str]:
    settings = {**run.settings, **REPLAY_SETTINGS, "ARCHIVER_DB": str(db),
                "ARCHIVER_WARC_REPLAY": ",".join(str(p.resolve()) for p in run.files)}
    command = [sys.executable, "-m", "scrapy", "crawl", run.spider]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    for name, value in run.arguments.items():
        if value:
            command += ["-a", f"{name}={value}"]
    return command


def replay(runs: list[CapturedRun], db: Path) -> int:
    """Each run in turn into `db`; stops at the first that fails (exit 2 or more). The exit
    code is the worst run's: 1 when a run was partial (a page it asked for not captured)."""
    env = {**os.environ}
    # Outside a checkout there is no scrapy.cfg; the installed settings module stands in.
    env.setdefault("SCRAPY_SETTINGS_MODULE", "archiver.settings")
    worst = 0
    for run in runs:
        names = ", ".join(p.name for p in run.files)
        print(f"re-parsing captured run {run.run} ({run.spider}): {names}", file=sys.stderr)
        done = subprocess.run(crawl_command(run, db), env=env, check=False)
        if done.returncode >= 2:
            print(f"error: the re-parse of captured run {run.run} failed (exit "
                  f"{done.returncode}); later runs were not re-parsed", file=sys.stderr)
            return done.returncode
        worst = max(worst, done.returncode)
    return worst


def dry_run(runs: list[CapturedRun], db: Path) -> int:
    """Re-parse into a scratch archive and report, per thread, how it differs from `db`."""
    with tempfile.TemporaryDirectory(prefix="reparse-") as scratch:
        rebuilt = Path(scratch) / "archive.db"
        code = replay(runs, rebuilt)
        if code >= 2:
            return code
        # Read-only by URI: not even a checkpoint of its WAL may touch the archive.
        current = (Database(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True))
                   if db.is_file() else Database(memory=True))
        with closing(current.conn), closing(sqlite3.connect(rebuilt)) as scratch_conn:
            changes = thread_changes(current, Database(scratch_conn))
        for change in changes:
            if change:
                print(change.line())
        changed = sum(1 for c in changes if c)
        print(f"{len(changes)} threads re-parsed: {changed} would change, "
              f"{len(changes) - changed} unchanged ({db} not written)")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ldv-archiver reparse",
        description="Build an archive, or bring one up to date, from WARC files alone: each "
                    "captured run read again, in the order the runs ran, with no network.")
    parser.add_argument("inputs", nargs="+", metavar="WARC",
                        help="WARC files, or folders of them (e.g. <db>.warc)")
    parser.add_argument("--db", required=True, help="the archive to build or update")
    parser.add_argument("--dry-run", action="store_true",
                        help="write nothing; report per thread what would change")
    args = parser.parse_args(argv)
    db = Path(args.db)
    missing = [name for name in args.inputs if not Path(name).exists()]
    if missing:
        parser.error(f"{missing[0]} does not exist")
    try:
        runs = captured_runs(args.inputs)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not runs:
        print("error: no WARC files (*.warc.gz) in " + ", ".join(args.inputs), file=sys.stderr)
        return 2
    if args.dry_run:
        return dry_run(runs, db)
    if db.exists() and not db.is_file():
        parser.error(f"--db {db} is not a file")
    db.parent.mkdir(parents=True, exist_ok=True)
    return replay(runs, db)
