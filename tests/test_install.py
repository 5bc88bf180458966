"""A plain `pip install .` into a fresh venv: the console script alone archives the mirror."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from testing.mirror import serve
from tests.conftest import DAY1, FAST, ROOT, truth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the project as a user installs it: no checkout on its path."""
    folder = tmp_path_factory.mktemp("install")
    source = folder / "source"
    # A copy, so the build leaves no build/ or egg-info in the checkout.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".venv-pywb", ".git", "bench", "demo", "build", "*.egg-info", "__pycache__",
        ".*_cache"))
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                           str(source)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def test_the_install_holds_no_test_harness(installed: Path, tmp_path: Path) -> None:
    for module in ("testing", "testing.mirror", "testing.faults", "archiver.mirror",
                   "archiver.faults", "tests"):
        done = subprocess.run([str(installed / "bin" / "python"), "-c", f"import {module}"],
                              cwd=tmp_path, capture_output=True, text=True, check=False)
        assert done.returncode == 1 and "ModuleNotFoundError" in done.stderr, module


def test_the_console_script_crawls_the_mirror_from_another_folder(
        installed: Path, tmp_path: Path) -> None:
    settings = {**FAST, "ARCHIVER_DB": str(tmp_path / "archive.db"),
                "ARCHIVER_EXPORTS_DIR": str(tmp_path / "exports")}
    with serve(DAY1) as server:
        command = [str(installed / "bin" / "ldv-archiver"), "crawl", "ldv",
                   "-s", f"ARCHIVER_BASE_URL={server.base_url}"]
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "archive.db")
    expected = truth("day1")
    assert {row["article_id"] for row in db["articles"].rows} == set(expected)
    assert db["comments"].count == sum(len(t["comments"]) for t in expected.values())  # type: ignore[arg-type]
    assert (tmp_path / "exports" / "latest" / "manifest.json").is_file()
