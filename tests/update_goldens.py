"""Golden files: the parsed article and comments of each saved LDV article page.

Regenerate only on purpose, after checking the change is right:
`python -m tests.update_goldens` (or `pytest --update-goldens` once the plugin is registered).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from archiver.wordpress.comment_pages import comment_page_links
from spiders.ldv import parse_ldv_article, parse_ldv_comments
from tests.pages import DAYS, load_page, load_truth, truth_ids

GOLDENS = Path(__file__).resolve().parent / "goldens"


def golden_pages() -> dict[int, tuple[str, str]]:
    """Post id → (site, path) of the page its golden describes: day 1, else day 2."""
    pages: dict[int, tuple[str, str]] = {}
    for day in ("day2", "day1"):  # day 1 wins where both have the article
        for post_id in truth_ids(day):
            pages[post_id] = (DAYS[day], load_truth(day, post_id)["mirror_path"])
    return dict(sorted(pages.items()))


def golden_path(post_id: int) -> Path:
    return GOLDENS / f"{post_id}.json"


def build_golden(post_id: int) -> dict[str, Any]:
    """What the page functions make of the page today, as plain JSON-ready data."""
    site, path = golden_pages()[post_id]
    response = load_page(path, site=site)
    return {
        "page": f"{site}{path}",
        "article": asdict(parse_ldv_article(response)),
        "comments": [asdict(comment) for comment in parse_ldv_comments(response.selector,
                                                                       response.url)],
        "comment_pages": comment_page_links(response.selector, response.url),
    }


def render(data: dict[str, Any]) -> str:
    """Stable JSON: sorted keys, indent 2, UTF-8 characters kept."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_golden(post_id: int) -> Path:
    path = golden_path(post_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(build_golden(post_id)), encoding="utf-8")
    return path


def main() -> None:
    for post_id in golden_pages():
        print(write_golden(post_id).relative_to(GOLDENS.parent.parent))


if __name__ == "__main__":
    main()
