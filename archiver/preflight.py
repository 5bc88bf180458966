"""Checks made before a crawl sends any request: settings, arguments and the run lock."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

MODES = ("auto", "backfill", "incremental")


class ConfigError(Exception):
    """A setting or argument the operator must fix; the message is one line saying how."""


class ArchiveBusy(Exception):
    """Another run holds the archive."""


def check_settings(settings: BaseSettings, spider_args: dict[str, str]) -> None:
    base = settings.get("ARCHIVER_BASE_URL", "")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(
            f"ARCHIVER_BASE_URL={base!r} is not a site root; use e.g. https://www.libdemvoice.org")
    mode = spider_args.get("mode", "auto")
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r} is unknown; use one of {', '.join(MODES)}")
    for name in ("ARCHIVER_ACTIVE_DAYS", "ARCHIVER_AUDIT_PER_RUN", "ARCHIVER_EXPORTS_KEEP"):
        try:
            value = settings.getint(name)
        except ValueError:
            raise ConfigError(f"{name}={settings.get(name)!r} must be a whole number") from None
        if value < 0:
            raise ConfigError(f"{name}={value} must not be negative")
    db = Path(settings.get("ARCHIVER_DB", ""))
    if not str(db) or db.is_dir():
        raise ConfigError(f"ARCHIVER_DB={str(db)!r} must name a file, e.g. archive.db")
    folder = db.parent if str(db.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"ARCHIVER_DB={str(db)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (db.exists() and not os.access(db, os.R_OK | os.W_OK)):
        raise ConfigError(f"ARCHIVER_DB={str(db)!r} is not readable and writable by this user")


class RunLock:
    """An exclusive lock beside the archive; the kernel drops it if the process dies."""

    def __init__(self, db_path: str) -> None:
        self.path = Path(f"{db_path}.lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ArchiveBusy(
                f"archive {self.path.with_suffix('')} is in use by a running crawl "
                f"(pid {holder}); not starting") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
