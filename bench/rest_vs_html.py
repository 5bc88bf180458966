"""REST against HTML on the same live WordPress: requests per archived comment, an unchanged
hourly run's requests, wall time.

    python bench/rest_vs_html.py              # 10 copies of the bundled threads, 3 repeats
    python bench/rest_vs_html.py --copies 40 --repeats 5

Starts Debian's WordPress (testing/wordpress_live.py) on 127.0.0.1, loads the bundled threads
`--copies` times through WordPress's own PHP API (new ids each copy, replies every fourth
comment), then, interleaved per repeat so both sources see the same machine state: a backfill
into an empty archive with ARCHIVER_SOURCE=rest and one with ARCHIVER_SOURCE=html, and an
unchanged rerun of each. Requests are the run's own count (crawl_runs.requests, robots.txt
included); comments are the rows the archive holds afterwards. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from testing.wordpress_live import (  # noqa: E402
    LiveWordPress,
    load_threads,
    wordpress_unavailable,
)

# Politeness is for real sites; against the local WordPress the runs go flat out, as the tests.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "30",
    "LOG_LEVEL": "WARNING",
    "ROBOTSTXT_OBEY": "True",
    "ARCHIVER_EXPORTS_DIR": "",
    "ARCHIVER_PROGRESS": "off",
}
SOURCES = ("rest", "html")


def crawl(base_url: str, db: Path, source: str) -> dict[str, Any]:
    settings = {**FAST, "ARCHIVER_BASE_URL": base_url, "ARCHIVER_DB": str(db),
                "ARCHIVER_SOURCE": source}
    command = [sys.executable, "-m", "scrapy", "crawl", "wordpress"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"{source} crawl failed ({done.returncode}):\n{done.stderr[-2000:]}")
    with closing(sqlite3.connect(db)) as conn:
        requests, mode = conn.execute(
            "SELECT requests, mode FROM crawl_runs ORDER BY run_id DESC LIMIT 1").fetchone()
        comments = conn.execute(
            "SELECT count(*) FROM comments WHERE removed_at IS NULL").fetchone()[0]
        posts = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return {"source": source, "mode": mode, "requests": requests, "comments": comments,
            "articles": posts, "wall_s": wall}


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=10,
                        help="times the 12 bundled threads are loaded (default 10)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    reason = wordpress_unavailable(install=True)
    if reason:
        print(f"error: no live WordPress here: {reason}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {"copies": args.copies, "backfill": [], "unchanged": []}
    with tempfile.TemporaryDirectory(prefix="rest-vs-html-") as tmp, \
            LiveWordPress(Path(tmp) / "wp") as wp:
        for _ in range(args.copies):
            load_threads(wp, 12, keep_ids=False)
        totals = wp.sql("SELECT (SELECT count(*) FROM wp_posts WHERE post_type='post' AND "
                        "post_status='publish') AS posts, (SELECT count(*) FROM wp_comments "
                        "WHERE comment_approved='1' AND comment_type IN ('comment','')) "
                        "AS comments")[0]
        totals = {key: int(value) for key, value in totals.items()}
        results["site"] = totals
        print(f"site: {totals['posts']} posts, {totals['comments']} approved comments",
              flush=True)
        for repeat in range(args.repeats):
            for source in SOURCES:
                db = Path(tmp) / f"{source}-{repeat}.db"
                backfill = crawl(wp.base_url, db, source)
                unchanged = crawl(wp.base_url, db, source)
                results["backfill"].append(backfill)
                results["unchanged"].append(unchanged)
                print(f"repeat {repeat + 1} {source}: backfill {backfill['requests']} requests "
                      f"for {backfill['comments']} comments in {backfill['wall_s']:.1f} s; "
                      f"unchanged {unchanged['requests']} requests in "
                      f"{unchanged['wall_s']:.1f} s", flush=True)
    print()
    print("| figure (median) | REST | HTML | HTML / REST |")
    print("|---|---|---|---|")
    by_source = {source: {kind: [run for run in results[kind] if run["source"] == source]
                          for kind in ("backfill", "unchanged")} for source in SOURCES}
    rows = [
        ("backfill requests", lambda runs: median(runs["backfill"], "requests")),
        ("comments archived", lambda runs: median(runs["backfill"], "comments")),
        ("requests per archived comment",
         lambda runs: statistics.median(r["requests"] / r["comments"] for r in runs["backfill"])),
        ("backfill wall time (s)", lambda runs: median(runs["backfill"], "wall_s")),
        ("unchanged run requests", lambda runs: median(runs["unchanged"], "requests")),
        ("unchanged run wall time (s)", lambda runs: median(runs["unchanged"], "wall_s")),
    ]
    for label, figure in rows:
        rest, html = figure(by_source["rest"]), figure(by_source["html"])
        ratio = f"{html / rest:.2f}" if rest else "—"
        print(f"| {label} | {rest:.3g} | {html:.3g} | {ratio} |")
    budget = 1.1 * (totals["posts"] / 100 + totals["comments"] / 100)
    print(f"\nREST backfill budget 1.1 x (posts/100 + comments/100) = {budget:.1f} "
          "requests plus a small constant")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
