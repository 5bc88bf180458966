"""The README documents every ARCHIVER_* setting, and nothing that does not exist."""

from __future__ import annotations

import re

from archiver import settings
from tests.conftest import ROOT


def test_every_archiver_setting_is_documented_and_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(ARCHIVER_[A-Z_]+)` \|", readme, re.M))
    defined = {name for name in vars(settings) if name.startswith("ARCHIVER_")}
    assert defined == documented


def test_readme_quick_start_is_two_commands_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert all((ROOT / command.split()[1]).is_file() for command in commands)
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
