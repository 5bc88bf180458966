"""Where a crawl's CPU goes: py-spy over one crawl of a synthetic mirror, summed by stage.

    python bench/profile.py full [--size 1000]    # `scrapy crawl ldv` (backfill)
    python bench/profile.py bare [--size 1000]    # the bare spider

Needs the mirror from a previous `bench/run.py` (or `python bench/synth.py N bench/out/mirror-N`)
and py-spy (the `bench` extra). Writes py-spy's raw stacks and a flame graph to bench/out/ and
prints the share of samples per stage; a sample counts for the first stage in STAGES whose
marker is anywhere in its stack, so the stages add up to 100 %.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import FAST, OUT  # noqa: E402
from testing.mirror import serve  # noqa: E402

# (stage, substring of a py-spy frame "function (file:line)"), in order of precedence.
STAGES = (
    ("start-up and imports", "_find_and_load"),
    ("store: write_thread (SQLite, FTS triggers)", "archiver/db/"),
    ("store: the pipeline", "archiver/pipelines/store.py"),
    ("ledger, failures, search index, snapshot", "archiver/extensions/"),
    ("normalise", "archiver/pipelines/normalise.py"),
    ("dedupe", "archiver/pipelines/dedupe.py"),
    ("parse: lxml tree (response.selector)", "create_root_node"),
    ("parse: comments (parse_ldv_comments)", "parse_ldv_comments"),
    ("parse: article (parse_ldv_article)", "parse_ldv_article"),
    ("parse: comment-page links", "comment_page_links"),
    ("parse: listings (parse_listing)", "parse_listing"),
    ("bare spider: parsel comment list", "parse_comment_list"),
    ("spider: other", "archiver/wordpress/"),
    ("Scrapy, Twisted, HTTP and the rest", ""),
)


def stage_of(stack: str) -> str:
    for name, marker in STAGES:
        if marker in stack:
            return name
    return STAGES[-1][0]


def summarise(raw: Path) -> list[tuple[str, int, float]]:
    samples: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[stage_of(stack)] += int(count)
    total = sum(samples.values()) or 1
    return [(name, samples[name], 100 * samples[name] / total)
            for name, _ in STAGES if samples[name]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/profile.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=("full", "bare"))
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    args = parser.parse_args(argv)
    mirror = OUT / f"mirror-{args.size}" / "day1"
    if not mirror.is_dir():
        parser.error(f"no mirror at {mirror}; run bench/run.py or bench/synth.py first")
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    work = OUT / "profile"
    work.mkdir(parents=True, exist_ok=True)
    db = work / f"{args.kind}-{args.size}.db"
    for stale in work.glob(db.name + "*"):
        stale.unlink()
    raw = work / f"{args.kind}-{args.size}.txt"
    with serve(mirror) as server:
        settings = {**FAST, "ARCHIVER_BASE_URL": server.base_url, "ARCHIVER_DB": str(db),
                    "BENCH_STATS_FILE": str(work / "stats.json")}
        command = ([sys.executable, "-m", "scrapy", "runspider", "bench/bare_spider.py", "-a",
                    f"base_url={server.base_url}"] if args.kind == "bare"
                   else [sys.executable, "-m", "scrapy", "crawl", "ldv"])
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for fmt, out in (("raw", raw), ("flamegraph", raw.with_suffix(".svg"))):
            for stale in work.glob(db.name + "*"):
                stale.unlink()
            subprocess.run([py_spy, "record", "-r", str(args.rate), "-f", fmt, "-o", str(out),
                            "--", *command], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{args.kind} crawl of {args.size} articles; stacks in {raw}, "
          f"flame graph in {raw.with_suffix('.svg')}")
    for name, count, share in summarise(raw):
        print(f"{share:5.1f} %  {count:7d}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
