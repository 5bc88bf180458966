"""Saved pages for page-function tests: one helper that loads them as real HtmlResponses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LDV = FIXTURES / "ldv"
# The LDV mirror's day-1 and day-2 sites, and the hand-written theme variants.
SITES = {"site": LDV / "site", "site-next": LDV / "site-next", "variants": FIXTURES / "variants"}
# The origin written into every saved page (see tests/fixtures/ldv/README.md).
BASE_URL = "http://127.0.0.1:8000"
DAYS = {"day1": "site", "day2": "site-next"}


def load_page(path_in_mirror: str, *, site: str = "site") -> HtmlResponse:
    """A saved page as the spider would receive it, with its live URL form.

    ``path_in_mirror`` is the URL path ("/a-post-47108.html", "page/2/"); a directory maps
    to its index.html. ``site`` is "site" (day 1), "site-next" (day 2) or "variants".
    """
    path = path_in_mirror.lstrip("/")
    file = SITES[site] / path
    if path == "" or path.endswith("/"):
        file = file / "index.html"
    return HtmlResponse(url=f"{BASE_URL}/{path}", body=file.read_bytes(), encoding="utf-8")


def load_truth(day: str, post_id: int) -> dict[str, Any]:
    """Ground truth for one article: ``day`` is "day1" or "day2"."""
    data: dict[str, Any] = json.loads(
        (LDV / "truth" / day / f"{post_id}.json").read_text(encoding="utf-8"))
    return data


def truth_ids(day: str) -> list[int]:
    """Post ids that have a truth file for ``day``."""
    return sorted(int(path.stem) for path in (LDV / "truth" / day).glob("*.json"))
