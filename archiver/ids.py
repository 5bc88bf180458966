"""Which ids the archive can hold: SQLite's INTEGER is a signed 64-bit number."""

from __future__ import annotations

SQLITE_INTEGER_MIN = -(2**63)
SQLITE_INTEGER_MAX = 2**63 - 1
# Python refuses to read more than 4,300 digits as an int (CVE-2020-10735); longer runs of
# digits stand for "some number beyond SQLite's range", which is all the archiver needs.
_MAX_DIGITS = 4000
BEYOND_RANGE = SQLITE_INTEGER_MAX + 1


def in_sqlite_range(value: int) -> bool:
    """Whether `value` can be stored (or looked up) as a SQLite INTEGER."""
    return SQLITE_INTEGER_MIN <= value <= SQLITE_INTEGER_MAX


def parse_id(digits: str) -> int:
    """The number a run of digits spells (an id in a URL or an attribute); one too long for
    Python to read is `BEYOND_RANGE`, which `in_sqlite_range` rejects like any other."""
    return int(digits) if len(digits) <= _MAX_DIGITS else BEYOND_RANGE
