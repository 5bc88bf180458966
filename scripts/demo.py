"""Serve the bundled day-1 mirror on 127.0.0.1, run `scrapy crawl ldv` on it, print the archive."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.mirror import serve  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", default=str(ROOT / "tests/fixtures/ldv/site"),
                        help="mirror directory to serve (site-next/ is the day after)")
    parser.add_argument("--db", default=str(ROOT / "demo/archive.db"))
    args = parser.parse_args()
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with serve(Path(args.site)) as mirror:
        print(f"serving {args.site} at {mirror.base_url}")
        command = [sys.executable, "-m", "scrapy", "crawl", "ldv",
                   "-s", f"ARCHIVER_BASE_URL={mirror.base_url}", "-s", f"ARCHIVER_DB={db_path}",
                   "-s", f"ARCHIVER_EXPORTS_DIR={db_path.parent / 'exports'}",
                   # The mirror is local: no need for the real site's politeness delays.
                   "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                   "-s", "LOG_LEVEL=WARNING"]
        done = subprocess.run(command, cwd=ROOT, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        if done.returncode != 0:
            print(f"crawl failed with exit code {done.returncode}", file=sys.stderr)
            return done.returncode
    db = sqlite_utils.Database(db_path)
    print(f"\narchived into {db_path}:")
    for row in db.query(
        "SELECT a.article_id, substr(a.published_at, 1, 10) AS day, a.title, "
        "count(c.comment_id) AS comments FROM articles a LEFT JOIN comments c "
        "ON c.article_id = a.article_id GROUP BY a.article_id ORDER BY a.published_at"
    ):
        print(f"  {row['article_id']:>6}  {row['day']}  {row['comments']:>3} comments  "
              f"{row['title'][:60]}")
    run = next(db.query("SELECT * FROM crawl_runs ORDER BY run_id DESC LIMIT 1"))
    print(f"\nrun {run['run_id']} {run['status']}: {run['requests']} requests, "
          f"{run['articles_new']} new articles, {run['comments_new']} new comments, "
          f"{run['errors']} failures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
