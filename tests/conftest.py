"""Shared fixtures: the bundled mirror served on 127.0.0.1 and real `scrapy crawl` runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.mirror import MirrorServer, serve

pytest_plugins = ["tests.goldens_plugin"]

ROOT = Path(__file__).resolve().parent.parent
MIRROR = ROOT / "tests" / "fixtures" / "ldv"
DAY1 = MIRROR / "site"
DAY2 = MIRROR / "site-next"

# Politeness is for the real site; against the local mirror the tests run flat out.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "RETRY_TIMES": "1",
    "DOWNLOAD_TIMEOUT": "5",
    "LOG_LEVEL": "INFO",
    # The fixture site is far smaller than one audit cycle's share; tests set the audit size.
    "ARCHIVER_AUDIT_CYCLE_RUNS": "1",
}


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def run_crawl(base_url: str, db: Path, *args: str, settings: dict[str, str] | None = None,
              exports: Path | None = None, timeout: float = 120,
              spider: str = "ldv") -> CrawlResult:
    """Run `scrapy crawl <spider>` in a subprocess, as an operator would."""
    merged = {**FAST, "ARCHIVER_BASE_URL": base_url, "ARCHIVER_DB": str(db),
              "ARCHIVER_EXPORTS_DIR": str(exports) if exports else "", **(settings or {})}
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for arg in args:
        command += ["-a", arg]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    return CrawlResult(done.returncode, done.stdout, done.stderr)


def truth(day: str) -> dict[int, dict[str, object]]:
    """Ground truth per post id for day1 or day2."""
    return {int(path.stem): json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((MIRROR / "truth" / day).glob("*.json"))}


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    with serve(DAY1) as server:
        yield server
