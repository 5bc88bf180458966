"""Regenerate tests/fixtures/themes/: article pages rendered by a live WordPress, with their truth.

    .venv/bin/python scripts/save-theme-pages.py [--out tests/fixtures/themes] [--post 47108]

Brings up testing/wordpress_live.py's bed (Debian's WordPress 6.1.9, installs it first when root),
loads bundled threads through the PHP bridge, and for each of twentytwentyone, twentytwentytwo and
twentytwentythree saves three pages of one thread:

    <theme>-threaded.html   all comments on one page, threaded (depth 5)
    <theme>-flat.html       all comments on one page, threading off
    <theme>-paged.html      comment page 2 of the thread, 10 top-level comments a page, threaded

and next to each a <name>.json with the comments the page should show, read from WordPress's
database. The bed's origin (http://127.0.0.1:<random port>) is rewritten to
http://127.0.0.1:8000 in the saved pages, as in the bundled mirror.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testing.wordpress_live import THEMES, LiveWordPress, load_threads, wordpress_unavailable  # noqa: E402

PLACEHOLDER = "http://127.0.0.1:8000"

VARIANTS: dict[str, dict[str, Any]] = {
    "threaded": {"thread_comments": 1, "thread_comments_depth": 5, "page_comments": 0},
    "flat": {"thread_comments": 0, "page_comments": 0},
    "paged": {
        "thread_comments": 1,
        "thread_comments_depth": 5,
        "page_comments": 1,
        "comments_per_page": 10,
        "default_comments_page": "newest",
    },
}
PAGED_PAGE = 2


def wordpress_version() -> str:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "wordpress"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def rewrite_origin(text: str, port: int) -> str:
    text = text.replace(f"127.0.0.1:{port}", "127.0.0.1:8000")
    return re.sub(r"127\.0\.0\.1%3A" + str(port), "127.0.0.1%3A8000", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "themes")
    parser.add_argument(
        "--post", type=int, default=47108, help="truth post id of the thread to render"
    )
    parser.add_argument("--ready-file", type=Path, default=None, help="touch this file when done")
    args = parser.parse_args(argv)
    reason = wordpress_unavailable(install=True)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    package = wordpress_version()
    saved = []
    with LiveWordPress() as wp:
        threads = load_threads(wp, 3)
        thread = next(t for t in threads if t.truth_post_id == args.post)
        post = wp.expected_posts([thread.post_id])[0]
        for theme in THEMES:
            wp.switch_theme(theme)
            for variant, options in VARIANTS.items():
                wp.set_options(**options)
                path = thread.link[len(wp.base_url) :]
                page = None
                if variant == "paged":
                    page = PAGED_PAGE
                    path = path.rstrip("/") + f"/comment-page-{page}/"
                status, _headers, body = wp.get(path)
                if status != 200:
                    raise SystemExit(f"{theme} {variant}: {path} answered {status}")
                comments = wp.expected_comments(thread.post_id, pages=True, links=True)
                if page is not None:
                    comments = [c for c in comments if c["page"] == page]
                missing = [c["id"] for c in comments if f'id="comment-{c["id"]}"' not in body]
                if missing:
                    raise SystemExit(f"{theme} {variant}: comments {missing} not in the page")
                name = f"{theme}-{variant}"
                (args.out / f"{name}.html").write_text(rewrite_origin(body, wp.port))
                truth = {
                    "theme": theme,
                    "variant": variant,
                    "wordpress": f"{package} (Debian package, /usr/share/wordpress)",
                    "url": rewrite_origin(wp.url(path), wp.port),
                    "comment_page": page,
                    "options": {
                        "timezone_string": wp.timezone,
                        "permalink_structure": wp.permalinks,
                        "comment_order": "asc",
                        **{k: v for k, v in options.items()},
                    },
                    "post": {
                        "id": post["id"],
                        "title": post["title"],
                        "link": rewrite_origin(post["link"], wp.port),
                        "author": post["author"],
                        "date": post["date"],
                        "date_gmt": post["date_gmt"],
                        "categories": post["categories"],
                        "tags": post["tags"],
                        "approved_comments_in_thread": len(thread.comment_ids),
                    },
                    "comments": [
                        {
                            "id": c["id"],
                            "author": c["author"],
                            "author_url": c["author_url"],
                            "date": c["date"],
                            "date_gmt": c["date_gmt"],
                            "parent": c["parent"],
                            "by_post_author": c["user_id"] != 0,
                            "text": c["content"],
                        }
                        for c in comments
                    ],
                }
                (args.out / f"{name}.json").write_text(
                    json.dumps(truth, indent=1, ensure_ascii=False) + "\n"
                )
                saved.append(f"{name}.html ({len(comments)} comments)")
    for line in saved:
        print(line)
    if args.ready_file:
        args.ready_file.write_text(
            "theme pages saved in " + str(args.out) + ":\n" + "\n".join(saved) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
