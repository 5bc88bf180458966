"""Benchmark the raw pages: bytes captured per article, re-parse against the live crawl.

    python bench/reparse.py                  # N = 1,000 and 10,000, three interleaved repeats
    python bench/reparse.py --sizes 1000 --repeats 1

For each synthetic mirror (bench/synth.py): the live `scrapy crawl ldv` with capture on, over
127.0.0.1 with politeness off (the crawl at its most CPU-bound), then `ldv-archiver reparse`
of its WARC files (with the same stats extension), side by side, `--repeats` times; medians
of pages/s (answers per second of the engine's own time, and of the whole process), the
compressed bytes captured per article, and each crawl's peak RSS with the re-parse's RSS over
time. Then once more on a small mirror (`--polite N`) with the crawl as an operator runs it,
the archiver's delay and AutoThrottle on. Raw figures go to bench/out/reparse.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import parse_loops, synth  # noqa: E402
from bench.run import FAST  # noqa: E402
from testing.mirror import serve  # noqa: E402

OUT = ROOT / "bench" / "out"
CLI = str(Path(sys.executable).with_name("ldv-archiver"))


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def timed(command: list[str], stats_file: Path, stderr_path: Path) -> dict[str, Any]:
    """Run one crawl; its stats (StatsDump), wall time and peak RSS."""
    stats_file.unlink(missing_ok=True)
    start = time.monotonic()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not stats_file.exists():
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"crawl failed ({code}):\n{tail}")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    answers = int(stats.get("downloader/response_count", 0))
    engine = float(stats["bench/seconds"])
    return {"answers": answers, "pages": int(stats.get("archiver/pages_parsed", 0)),
            "engine_s": engine, "wall_s": wall, "answers_per_s": answers / engine,
            "answers_per_wall_s": answers / wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": int(stats["bench/peak_rss_kb"]) / 1024,
            "timeline": stats.get("bench/timeline", [])}


def with_stats(command: list[str], stats_file: Path) -> list[str]:
    return [*command, "-s", f"EXTENSIONS={FAST['EXTENSIONS']}",
            "-s", f"BENCH_STATS_FILE={stats_file}"]


# The crawl as an operator runs it: the archiver's own delay and AutoThrottle kept.
POLITE = {key: FAST[key] for key in ("LOG_LEVEL", "ARCHIVER_EXPORTS_DIR", "EXTENSIONS")}


def one_size(size: int, repeats: int, *, polite: bool = False) -> dict[str, Any]:
    mirror = synth.build(size, OUT / f"mirror-{size}", log=log)
    work = OUT / f"reparse-{size}{'-polite' if polite else ''}"
    live_runs, replays, sizes, stages = [], [], [], []
    with serve(mirror.day1) as server:
        for repeat in range(repeats):
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            db = work / "archive.db"
            settings = {**(POLITE if polite else FAST), "ARCHIVER_BASE_URL": server.base_url,
                        "ARCHIVER_DB": str(db), "BENCH_STATS_FILE": str(work / "stats-live.json")}
            command = [sys.executable, "-m", "scrapy", "crawl", "ldv"]
            for key, value in settings.items():
                command += ["-s", f"{key}={value}"]
            log(f"N={size} repeat {repeat + 1}: live crawl, capture on"
                + (", polite" if polite else ", politeness off"))
            live = timed(command, work / "stats-live.json", work / "stderr-live.log")
            warc = Path(f"{db}.warc")
            warc_bytes = sum(p.stat().st_size for p in warc.glob("*.warc.gz"))
            sizes.append(warc_bytes)
            rebuilt = work / "rebuilt.db"
            log(f"N={size} repeat {repeat + 1}: re-parse of {warc_bytes / 1e6:.1f} MB")
            reparse = [CLI, "reparse", str(warc), "--db", str(rebuilt)]
            replay = timed(with_stats(reparse, work / "stats-reparse.json"),
                           work / "stats-reparse.json", work / "stderr-reparse.log")
            if replay["answers"] != live["answers"] or replay["pages"] != live["pages"]:
                raise RuntimeError(f"re-parse read {replay['answers']} answers and "
                                   f"{replay['pages']} pages; the crawl {live['answers']} and "
                                   f"{live['pages']}")
            live_runs.append(live)
            replays.append(replay)
            if not polite:
                stages.append(stage_seconds(mirror.day1, live["pages"]))
    def med(rows: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in rows)
    ceiling = {}
    if stages:
        per_page = statistics.median(stages)
        ceiling = {"stages_ms_per_page": 1000 * per_page,
                   "live_ms_per_page": 1000 * med(live_runs, "engine_s") / med(live_runs, "pages"),
                   "ceiling": med(live_runs, "engine_s") / med(live_runs, "pages") / per_page}
    return {
        "polite": polite, **ceiling,
        "articles": mirror.articles, "comments": mirror.comments, "repeats": repeats,
        "warc_bytes": statistics.median(sizes),
        "warc_bytes_per_article": statistics.median(sizes) / mirror.articles,
        "live": {k: med(live_runs, k) for k in ("answers", "pages", "engine_s", "wall_s",
                                                "answers_per_s", "answers_per_wall_s",
                                                "cpu_s", "max_rss_mb")},
        "reparse": {k: med(replays, k) for k in ("answers", "pages", "engine_s", "wall_s",
                                                 "answers_per_s", "answers_per_wall_s",
                                                 "cpu_s", "max_rss_mb")},
        "speedup_engine": med(replays, "answers_per_s") / med(live_runs, "answers_per_s"),
        "speedup_wall": med(replays, "answers_per_wall_s") / med(live_runs,
                                                                 "answers_per_wall_s"),
        "reparse_rss_timeline": replays[-1]["timeline"],
    }


def stage_seconds(site: Path, pages_read: int) -> float:
    """Seconds per article page of the pipeline's stages alone, over the mirror's pages."""
    pages = parse_loops.load_pages(site)
    if len(pages) != pages_read:
        raise RuntimeError(f"{len(pages)} article pages in {site}; the crawl read {pages_read}")
    log(f"pipeline stages in process over {len(pages)} article pages")
    return sum(parse_loops.pipeline_stages(pages).values()) / len(pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--polite", type=int, default=60, metavar="N",
                        help="also a mirror of N articles crawled with the archiver's own "
                             "politeness (its delay dominates: kept small; 0 skips it)")
    args = parser.parse_args(argv)
    results = {str(size): one_size(size, args.repeats) for size in args.sizes}
    if args.polite:
        results[f"{args.polite} polite"] = one_size(args.polite, 1, polite=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reparse.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    for size, r in results.items():
        print(f"N={size}{'' if r['polite'] else ', politeness off'}: "
              f"{r['warc_bytes_per_article'] / 1024:.1f} KiB captured per article "
              f"({r['warc_bytes'] / 1e6:.1f} MB); live {r['live']['answers_per_s']:.0f} "
              f"answers/s, re-parse {r['reparse']['answers_per_s']:.0f} answers/s "
              f"({r['speedup_engine']:.1f}x; whole process {r['speedup_wall']:.1f}x); peak RSS "
              f"live {r['live']['max_rss_mb']:.0f} MB, re-parse "
              f"{r['reparse']['max_rss_mb']:.0f} MB")
        if "ceiling" in r:
            print(f"    the stages alone: {r['stages_ms_per_page']:.2f} ms an article page "
                  f"against the crawl's {r['live_ms_per_page']:.2f}: at most "
                  f"{r['ceiling']:.1f}x for any re-parse that runs them on one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
