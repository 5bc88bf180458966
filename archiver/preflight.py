"""Checks made before a crawl sends any request: settings and arguments."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scrapy.settings import BaseSettings

from archiver import settings as project_settings
from archiver.db.connection import NotAnArchive, check_file
from archiver.export.publish import exports_dir_for
from archiver.extensions.progress import MODES as PROGRESS_MODES
from archiver.extensions.progress import parse_mode as parse_progress
from archiver.policy import MODES
from archiver.warc.writer import warc_dir_for

# A host name or IPv4 address (letters, digits, dots, hyphens), or a bracketed IPv6 address.
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_PREFIX = "ARCHIVER_"
SOURCES = ("auto", "rest", "html")


class ConfigError(Exception):
    """A setting or argument the operator must fix; the message is one line saying how."""


def check_settings(settings: BaseSettings, spider_args: dict[str, str],
                   arguments: Sequence[str] = ("mode", "urls")) -> None:
    """Settings as the spider will see them (its profile applied); `arguments`: its `-a` names."""
    check_names(settings)
    if not settings.get("ARCHIVER_BASE_URL"):
        raise ConfigError("ARCHIVER_BASE_URL is not set and this spider's profile has none; "
                          "use e.g. -s ARCHIVER_BASE_URL=https://your.blog")
    check_base_url(settings.get("ARCHIVER_BASE_URL", ""))
    for alias in settings.getlist("ARCHIVER_ALIAS_HOSTS"):
        if not _HOST.fullmatch(alias):
            raise ConfigError(f"ARCHIVER_ALIAS_HOSTS: {alias!r} is not a bare host name, "
                              "e.g. libdemvoice.org")
    zone = settings.get("ARCHIVER_TIMEZONE", "")
    try:
        if zone:  # empty: the site's own (the generic profile)
            ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ARCHIVER_TIMEZONE={zone!r} is not a time zone name; "
                          "use e.g. Europe/London") from None
    source = settings.get("ARCHIVER_SOURCE", "auto")
    if source not in SOURCES:
        raise ConfigError(f"ARCHIVER_SOURCE={source!r} is unknown; use one of "
                          f"{', '.join(SOURCES)}")
    unknown = sorted(set(spider_args) - set(arguments))
    if unknown:
        raise ConfigError(f"-a {unknown[0]}=… is not an argument of this crawl; use "
                          f"{' or '.join(arguments)}")
    mode = spider_args.get("mode", "auto")
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r} is unknown; use one of {', '.join(MODES)}")
    try:
        busy = settings.getfloat("ARCHIVER_BUSY_TIMEOUT")
    except ValueError:
        raise ConfigError(f"ARCHIVER_BUSY_TIMEOUT={settings.get('ARCHIVER_BUSY_TIMEOUT')!r} "
                          "must be a number of seconds") from None
    if busy < 0:
        raise ConfigError(f"ARCHIVER_BUSY_TIMEOUT={busy} must not be negative")
    try:
        parse_progress(settings.get("ARCHIVER_PROGRESS", "auto"))
    except ValueError:
        raise ConfigError(f"ARCHIVER_PROGRESS={settings.get('ARCHIVER_PROGRESS')!r} is unknown; "
                          f"use one of {', '.join(PROGRESS_MODES)}") from None
    try:
        interval = settings.getfloat("ARCHIVER_PROGRESS_INTERVAL")
    except ValueError:
        raise ConfigError(f"ARCHIVER_PROGRESS_INTERVAL="
                          f"{settings.get('ARCHIVER_PROGRESS_INTERVAL')!r} "
                          "must be a number of seconds") from None
    if not 0 < interval < float("inf"):
        raise ConfigError(f"ARCHIVER_PROGRESS_INTERVAL={interval} must be more than 0 seconds")
    for name in ("ARCHIVER_ACTIVE_DAYS", "ARCHIVER_AUDIT_PER_RUN", "ARCHIVER_AUDIT_CYCLE_RUNS",
                 "ARCHIVER_EXPORTS_KEEP", "ARCHIVER_CROSS_CHECK"):
        try:
            value = settings.getint(name)
        except ValueError:
            raise ConfigError(f"{name}={settings.get(name)!r} must be a whole number") from None
        if value < 0:
            raise ConfigError(f"{name}={value} must not be negative")
    if settings.getint("ARCHIVER_AUDIT_CYCLE_RUNS") < 1:
        raise ConfigError("ARCHIVER_AUDIT_CYCLE_RUNS must be at least 1 (runs per audit cycle)")
    db = Path(settings.get("ARCHIVER_DB", ""))
    if not str(db) or db.is_dir():
        raise ConfigError(f"ARCHIVER_DB={str(db)!r} must name a file, e.g. archive.db")
    folder = db.parent if str(db.parent) else Path(".")
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"ARCHIVER_DB={str(db)!r}: folder {str(folder)!r} {problem}")
    if not os.access(folder, os.W_OK) or (db.exists() and not os.access(db, os.R_OK | os.W_OK)):
        raise ConfigError(f"ARCHIVER_DB={str(db)!r} is not readable and writable by this user")
    if db.is_file():
        # Read without writing (another application's file stays byte for byte as it was), from
        # the file itself: this process has no connection to it yet.
        try:
            check_file(str(db))
        except NotAnArchive as exc:
            raise ConfigError(f"ARCHIVER_DB={str(db)!r} {exc.reason}") from None
    exports = exports_dir_for(str(db), settings.get("ARCHIVER_EXPORTS_DIR"))
    if exports and settings.getint("ARCHIVER_EXPORTS_KEEP") < 1:
        raise ConfigError("ARCHIVER_EXPORTS_KEEP must be at least 1 while snapshots are on "
                          "(ARCHIVER_EXPORTS_DIR is not empty)")
    if exports and Path(exports).exists() and not Path(exports).is_dir():
        raise ConfigError(f"ARCHIVER_EXPORTS_DIR={exports!r} is a file, not a folder")
    check_warc(settings, str(db))


def check_warc(settings: BaseSettings, db: str) -> None:
    """The raw pages' folder, its files' size, and the files a re-parse answers from."""
    try:
        max_bytes = settings.getint("ARCHIVER_WARC_MAX_BYTES")
    except ValueError:
        raise ConfigError(f"ARCHIVER_WARC_MAX_BYTES={settings.get('ARCHIVER_WARC_MAX_BYTES')!r} "
                          "must be a whole number of bytes") from None
    if max_bytes < 1:
        raise ConfigError(f"ARCHIVER_WARC_MAX_BYTES={max_bytes} must be at least 1 (bytes a "
                          "file holds before the next begins), e.g. 104857600")
    warc = warc_dir_for(db, settings.get("ARCHIVER_WARC_DIR"))
    if warc and Path(warc).exists() and not Path(warc).is_dir():
        raise ConfigError(f"ARCHIVER_WARC_DIR={warc!r} is a file, not a folder")
    if warc and not Path(warc).exists() and not Path(warc).parent.is_dir():
        raise ConfigError(f"ARCHIVER_WARC_DIR={warc!r}: folder {str(Path(warc).parent)!r} "
                          "does not exist")
    for name in settings.getlist("ARCHIVER_WARC_REPLAY"):
        if not Path(name).is_file():
            raise ConfigError(f"ARCHIVER_WARC_REPLAY: {name!r} is not a WARC file")


def check_names(settings: BaseSettings) -> None:
    """Every ARCHIVER_* name given is one the archiver defines: a misspelt one is no setting."""
    known = sorted(name for name in vars(project_settings) if name.startswith(_PREFIX))
    for name in sorted(str(key) for key in settings):
        if not name.upper().startswith(_PREFIX) or name in known:
            continue
        # Compared without the prefix every name shares, which would make any two look alike.
        close = difflib.get_close_matches(name.upper()[len(_PREFIX):],
                                          [k[len(_PREFIX):] for k in known], n=1, cutoff=0.6)
        hint = (f"did you mean {_PREFIX}{close[0]}?" if close
                else "the README lists every setting")
        raise ConfigError(f"{name} is not a setting of the archiver; {hint}")


def check_base_url(base: str) -> None:
    """A site root: http(s), a host name, an optional valid port, no path, query or fragment."""
    hint = "use e.g. https://www.libdemvoice.org"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"ARCHIVER_BASE_URL={base!r} is not a site root; {hint}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ConfigError(f"ARCHIVER_BASE_URL={base!r} has an invalid port; {hint}") from None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if parts.username or parts.password or not _HOST.fullmatch(host):
        raise ConfigError(f"ARCHIVER_BASE_URL={base!r} has no valid host name; {hint}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"ARCHIVER_BASE_URL={base!r} must be the site root, without a path, "
                          f"query or fragment; {hint}")
