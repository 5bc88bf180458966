"""The `--update-goldens` pytest option (register with `pytest_plugins` in tests/conftest.py)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/goldens/*.json from the current page functions instead of comparing",
    )
