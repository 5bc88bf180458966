"""Benchmark the archiver against a bare Scrapy spider, lxml and trafilatura, in one run.

    python bench/run.py            # N = 1,000 and 10,000, three interleaved repeats (~7 min)
    python bench/run.py --quick    # N = 200, one repeat: a smoke check (~1 min)

Generates synthetic mirrors (bench/synth.py) under bench/out/, serves them on 127.0.0.1 with
politeness off, and measures side by side: the bare spider (bench/bare_spider.py) and the full
`scrapy crawl ldv` (pages/s, comments/s, CPU, peak RSS); in-process parse loops (lxml floor,
ours, the bare parsel parse, trafilatura); the snapshot export; and the requests of scheduled
re-runs over an unchanged mirror and after a day of changes. Medians go to BENCHMARKS.md
(the full run only) and every raw figure to bench/out/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from archiver.export.jsonl import write_snapshot  # noqa: E402
from bench import parse_loops, report, synth  # noqa: E402
from testing.mirror import LoggedRequest, MirrorServer, serve  # noqa: E402

OUT = ROOT / "bench" / "out"
# Politeness off for the benchmark only; the same engine settings for both spiders.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "WARNING",
    "ARCHIVER_EXPORTS_DIR": "",
    "EXTENSIONS": json.dumps({"bench.statsdump.StatsDump": 1000}),
}


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# --- crawls -------------------------------------------------------------------------------


@dataclass
class Crawl:
    """One crawl subprocess: what it did and what it cost."""

    kind: str
    size: int
    returncode: int
    wall_s: float
    engine_s: float
    cpu_s: float
    process_cpu_s: float
    server_cpu_s: float
    max_rss_mb: float
    requests: int
    server_requests: int
    pages: int
    comments: int
    max_queued: int
    timeline: list[tuple[float, int, int, float]] = field(default_factory=list)
    # Day-2 runs: the changes (post ids per kind) the run stored.
    found: dict[str, list[int]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    ledger: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.engine_s if self.engine_s else 0.0

    @property
    def comments_per_s(self) -> float:
        return self.comments / self.engine_s if self.engine_s else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / self.pages if self.pages else 0.0

    def summary(self) -> dict[str, Any]:
        return {**asdict(self), "pages_per_s": self.pages_per_s,
                "comments_per_s": self.comments_per_s, "cpu_ms_per_page": self.cpu_ms_per_page}


def request_kind(entry: LoggedRequest) -> str:
    path = entry.path.split("?", 1)[0]
    if entry.status == 304:
        return "article 304"
    if path.endswith(".html"):
        return "article"
    if path == "/" or path.startswith("/page/"):
        return "listing"
    if path.startswith("/wp-sitemap"):
        return "sitemap"
    if path == "/robots.txt":
        return "robots.txt"
    if path.startswith("/comments/feed"):
        return "comments feed"
    return "other"


def run_crawl(kind: str, server: MirrorServer, db: Path, size: int, work: Path,
              extra: dict[str, str] | None = None) -> Crawl:
    """`scrapy crawl ldv` (kind full/rerun/day2) or the bare spider, as a subprocess."""
    stats_file = work / f"stats-{kind}.json"
    stats_file.unlink(missing_ok=True)
    settings = {**FAST, "ARCHIVER_BASE_URL": server.base_url, "ARCHIVER_DB": str(db),
                "BENCH_STATS_FILE": str(stats_file), **(extra or {})}
    if kind == "bare":
        command = [sys.executable, "-m", "scrapy", "runspider", "bench/bare_spider.py",
                   "-a", f"base_url={server.base_url}"]
    else:
        command = [sys.executable, "-m", "scrapy", "crawl", "ldv"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    server.clear_log()
    stderr_path = work / f"stderr-{kind}.log"
    server_cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.monotonic()
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        # wait4: this child's own CPU time (getrusage(CHILDREN) would add up every child).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu_s = (after.ru_utime - server_cpu.ru_utime) + (after.ru_stime - server_cpu.ru_stime)
    if process.returncode != 0 or not stats_file.exists():
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{kind} crawl failed ({process.returncode}):\n{tail}")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    logged = server.requests
    ledger: dict[str, Any] = {}
    if kind == "bare":
        pages, comments = stats.get("bare/pages_parsed", 0), stats.get("bare/comments", 0)
    else:
        with closing(sqlite3.connect(db)) as conn:
            conn.row_factory = sqlite3.Row
            ledger = dict(conn.execute(
                "SELECT * FROM crawl_runs ORDER BY run_id DESC LIMIT 1").fetchone())
        pages = stats.get("archiver/pages_parsed", 0)
        comments = stats.get("archiver/comments_seen", 0)
    return Crawl(
        kind=kind, size=size, returncode=process.returncode, wall_s=wall,
        engine_s=float(stats["bench/seconds"]), cpu_s=float(stats["bench/cpu_s"]),
        process_cpu_s=usage.ru_utime + usage.ru_stime,
        server_cpu_s=server_cpu_s, max_rss_mb=int(stats["bench/peak_rss_kb"]) / 1024,
        requests=int(stats.get("downloader/request_count", 0)), server_requests=len(logged),
        pages=int(pages), comments=int(comments),
        max_queued=int(stats.get("bench/max_queued_requests", 0)),
        timeline=stats.get("bench/timeline", []),
        by_kind=dict(Counter(request_kind(entry) for entry in logged)), ledger=ledger,
    )


def detected_changes(db: Path, changes: dict[str, list[int]]) -> dict[str, list[int]]:
    """Of the day-2 changes (post ids per kind), those the last run stored."""
    checks = {
        "new_articles": "SELECT 1 FROM articles WHERE article_id = :post AND first_run_id = :run",
        "comments_added_recent": "SELECT 1 FROM comments WHERE article_id = :post "
                                 "AND first_run_id = :run",
        "comments_added_old": "SELECT 1 FROM comments WHERE article_id = :post "
                              "AND first_run_id = :run",
        "comments_edited_recent": "SELECT 1 FROM comment_events WHERE article_id = :post "
                                  "AND run_id = :run AND event = 'edited'",
        "comments_edited_old": "SELECT 1 FROM comment_events WHERE article_id = :post "
                               "AND run_id = :run AND event = 'edited'",
        "comments_removed": "SELECT 1 FROM comment_events WHERE article_id = :post "
                            "AND run_id = :run AND event = 'removed'",
    }
    with closing(sqlite3.connect(db)) as conn:
        (run,) = conn.execute("SELECT max(run_id) FROM crawl_runs").fetchone()
        return {kind: [post for post in posts
                       if conn.execute(checks[kind], {"post": post, "run": run}).fetchone()]
                for kind, posts in changes.items()}


def remove(path: Path) -> None:
    """An archive's file, or the folder of its raw pages (`<db>.warc/`)."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def copy_archive(source: Path, target: Path) -> None:
    for stale in target.parent.glob(target.name + "*"):
        remove(stale)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def crawl_size(size: int, mirror: synth.Mirror, server: MirrorServer, repeats: int,
               work: Path) -> dict[str, list[Crawl]]:
    """Bare and full crawls interleaved (order alternating), each full run followed by a
    scheduled re-run over the unchanged mirror and one over the day-2 state."""
    runs: dict[str, list[Crawl]] = {"bare": [], "full": [], "rerun": [], "day2": []}
    for repeat in range(repeats):
        order = ["bare", "full"] if repeat % 2 == 0 else ["full", "bare"]
        for kind in order:
            server.set_root(mirror.day1)
            db = work / f"{kind}-{size}.db"
            for stale in work.glob(db.name + "*"):
                remove(stale)
            crawl = run_crawl(kind, server, db, size, work)
            runs[kind].append(crawl)
            log(f"N={size} #{repeat + 1} {kind}: {crawl.pages} pages in {crawl.engine_s:.1f} s "
                f"= {crawl.pages_per_s:.0f} pages/s, {crawl.comments_per_s:.0f} comments/s, "
                f"{crawl.cpu_ms_per_page:.2f} CPU ms/page, peak RSS {crawl.max_rss_mb:.0f} MB "
                f"(up to {crawl.max_queued} requests queued), "
                f"{crawl.requests} requests")
            if kind == "full":
                ledger = crawl.ledger
                if ledger.get("status") != "ok" or any(
                        ledger.get(k) for k in ("count_mismatches", "date_warnings", "errors")):
                    log(f"WARNING: the full run was not clean: {ledger}")
                if crawl.comments != mirror.comments:
                    log(f"WARNING: {crawl.comments} comments stored, "
                        f"{mirror.comments} in the mirror")
            elif kind == "bare" and crawl.comments != mirror.comments:
                log(f"WARNING: the bare spider read {crawl.comments} comments, "
                    f"{mirror.comments} in the mirror")
            if kind != "full":
                continue
            for rerun, root in (("rerun", mirror.day1), ("day2", mirror.day2)):
                copy = work / f"{rerun}-{size}.db"
                copy_archive(db, copy)
                server.set_root(root)
                again = run_crawl(rerun, server, copy, size, work)
                if rerun == "day2":
                    again.found = detected_changes(copy, mirror.changes)
                runs[rerun].append(again)
                for used in work.glob(copy.name + "*"):  # the full run's archive is kept
                    remove(used)
                log(f"N={size} #{repeat + 1} {rerun}: {again.requests} requests "
                    f"({100 * again.requests / crawl.requests:.2f} % of the full run) "
                    f"{dict(sorted(again.by_kind.items()))}")
            server.set_root(mirror.day1)
    return runs


# --- in-process measurements -----------------------------------------------------------------


def parse_benchmark(site: Path, repeats: int, comments: int) -> dict[str, Any]:
    pages = parse_loops.load_pages(site)
    names = list(parse_loops.LOOPS)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    counted: dict[str, int] = {}
    stages: list[dict[str, float]] = []
    for repeat in range(repeats):
        rotated = names[repeat % len(names):] + names[:repeat % len(names)]
        for name in rotated:
            spent, found = parse_loops.time_loop(name, pages)
            seconds[name].append(spent)
            counted[name] = found
            log(f"parse loop #{repeat + 1} {name}: {1000 * spent / len(pages):.3f} ms/page")
        stages.append(parse_loops.pipeline_stages(pages))
        log(f"pipeline stages #{repeat + 1}: " + ", ".join(
            f"{k} {1000 * v / len(pages):.3f} ms/page" for k, v in stages[-1].items()))
    return {"pages": len(pages), "comments": comments, "counted": counted,
            "seconds": seconds, "stages": stages}


def export_benchmark(db: Path, repeats: int, work: Path) -> dict[str, Any]:
    runs = []
    for repeat in range(repeats):
        target = work / "exports"
        shutil.rmtree(target, ignore_errors=True)
        start = time.perf_counter()
        snapshot = write_snapshot(str(db), str(target), run_id=None, keep=1)
        spent = time.perf_counter() - start
        manifest = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
        rows = {entry["table"]: entry["rows"] for entry in manifest["files"].values()}
        size = sum(entry["bytes"] for entry in manifest["files"].values())
        runs.append({"seconds": spent, "rows": rows, "bytes": size})
        log(f"export #{repeat + 1}: {sum(rows.values())} rows in {spent:.2f} s "
            f"({rows.get('comments', 0) / spent:.0f} comments/s)")
    shutil.rmtree(work / "exports", ignore_errors=True)
    return {"runs": runs}


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in ("scrapy", "parsel", "lxml", "twisted", "sqlite-utils", "trafilatura"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["sqlite"] = sqlite3.sqlite_version
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def commit() -> str:
    """The checked-out commit, and whether the working tree differs from it (read-only git)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "-uno") else "")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """Medians and the five targets."""
    sizes = results["sizes"]
    summary: dict[str, Any] = {"sizes": {}}
    for size, runs in sizes.items():
        row: dict[str, Any] = {}
        for kind in ("bare", "full", "rerun", "day2"):
            crawls = runs[kind]
            row[kind] = {
                "pages_per_s": median([c["pages_per_s"] for c in crawls]),
                "comments_per_s": median([c["comments_per_s"] for c in crawls]),
                "cpu_ms_per_page": median([c["cpu_ms_per_page"] for c in crawls]),
                "engine_s": median([c["engine_s"] for c in crawls]),
                "wall_s": median([c["wall_s"] for c in crawls]),
                "cpu_s": median([c["cpu_s"] for c in crawls]),
                "server_cpu_s": median([c["server_cpu_s"] for c in crawls]),
                "max_rss_mb": median([c["max_rss_mb"] for c in crawls]),
                "max_queued": max(c["max_queued"] for c in crawls),
                "requests": median([c["requests"] for c in crawls]),
                "server_requests": median([c["server_requests"] for c in crawls]),
                "pages": median([c["pages"] for c in crawls]),
                "comments": median([c["comments"] for c in crawls]),
            }
        row["full_vs_bare"] = row["full"]["pages_per_s"] / row["bare"]["pages_per_s"]
        row["rerun_share"] = row["rerun"]["requests"] / row["full"]["requests"]
        row["day2_share"] = row["day2"]["requests"] / row["full"]["requests"]
        summary["sizes"][size] = row
    parse = results["parse"]
    per_page = {name: 1000 * median(values) / parse["pages"]
                for name, values in parse["seconds"].items()}
    # Each loop over the floor within the same repeat (they ran back to back), then the median.
    floors = parse["seconds"]["lxml"]
    vs_lxml = {name: median([spent / floor for spent, floor in zip(values, floors, strict=True)])
               for name, values in parse["seconds"].items()}
    stages = {stage: 1000 * median([s[stage] for s in parse["stages"]]) / parse["pages"]
              for stage in parse["stages"][0]}
    summary["parse"] = {"ms_per_page": per_page, "stages_ms_per_page": stages,
                        "vs_lxml": vs_lxml, "ours_vs_lxml": vs_lxml["ours"]}
    export = results.get("export")
    if export:
        seconds = median([r["seconds"] for r in export["runs"]])
        rows = export["runs"][0]["rows"]
        summary["export"] = {"seconds": seconds, "rows": rows,
                             "bytes": export["runs"][0]["bytes"],
                             "comments_per_s": rows.get("comments", 0) / seconds,
                             "rows_per_s": sum(rows.values()) / seconds}
    keys = sorted(sizes, key=int)
    small, large = keys[0], keys[-1]
    summary["targets"] = {
        "full_vs_bare": {size: summary["sizes"][size]["full_vs_bare"] for size in keys},
        "parse_vs_lxml": summary["parse"]["ours_vs_lxml"],
        "rss_growth": (summary["sizes"][large]["full"]["max_rss_mb"]
                       / summary["sizes"][small]["full"]["max_rss_mb"])
        if small != large else None,
        "export_comments_per_s": summary.get("export", {}).get("comments_per_s"),
        "rerun_share": {size: summary["sizes"][size]["rerun_share"] for size in keys},
    }
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N=200, one repeat; no BENCHMARKS.md")
    parser.add_argument("--sizes", type=int, nargs="+", help="article counts (default 1000 10000)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 3)")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="write BENCHMARKS.md (default: yes, except with --quick)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([200] if args.quick else [1000, 10000])
    repeats = args.repeats or (1 if args.quick else 3)
    write = args.write if args.write is not None else not args.quick
    work = OUT / "runs"
    work.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(), "commit": commit(), "repeats": repeats,
        "load_before": os.getloadavg(),
        "settings": FAST, "sizes": {}, "mirrors": {},
    }
    mirrors = {size: synth.build(size, OUT / f"mirror-{size}", log=log) for size in sizes}
    for size, mirror in mirrors.items():
        results["mirrors"][size] = {"articles": mirror.articles, "comments": mirror.comments,
                                    "pingbacks": mirror.pingbacks,
                                    "listing_pages": mirror.listing_pages,
                                    "changes": mirror.changes}
    # One server, one port for the whole run: validators and URLs stay the same for re-runs.
    with serve(mirrors[sizes[0]].day1) as server:
        log(f"serving on {server.base_url}")
        for size in sizes:
            runs = crawl_size(size, mirrors[size], server, repeats, work)
            results["sizes"][size] = {kind: [c.summary() for c in crawls]
                                      for kind, crawls in runs.items()}
    smallest = mirrors[sizes[0]]
    results["parse"] = parse_benchmark(smallest.day1, repeats, smallest.comments)
    largest = sizes[-1]
    results["export"] = export_benchmark(work / f"full-{largest}.db", repeats, work)
    results["export"]["size"] = largest
    results["load_after"] = os.getloadavg()
    results["commit_after"] = commit()
    results["seconds"] = time.monotonic() - began
    results["summary"] = summarise(results)
    name = "results-quick.json" if args.quick else "results.json"
    (OUT / name).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    log(f"raw figures in {OUT / name}; took {results['seconds'] / 60:.1f} min")
    if args.quick:
        print("(a smoke check: the targets are meant for N=1,000 and 10,000)")
    for line in report.verdicts(results):
        print(line)
    if write:
        document = ROOT / "BENCHMARKS.md"
        existing = document.read_text(encoding="utf-8") if document.exists() else None
        document.write_text(report.render(results, existing), encoding="utf-8")
        log("wrote BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
