"""A run's WARC files: named by run, one gzip member per record, rotated by size, indexed."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cdxj_indexer.main import write_cdx_index
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

# Beside the archive when ARCHIVER_WARC_DIR is left unset: <db>.warc/.
WARC_SUFFIX = ".warc"
WARC_EXT = ".warc.gz"
CDXJ_EXT = ".cdxj"
# warcinfo fields the re-parse reads back: which run, spider, arguments and settings, and
# when the run began (the ledger's started_at, from which a REST run asks what changed).
INFO_RUN, INFO_SPIDER, INFO_ARGUMENTS, INFO_SETTINGS, INFO_STARTED = (
    "archiver-run", "archiver-spider", "archiver-arguments", "archiver-settings",
    "archiver-run-started-at")


def warc_dir_for(db_path: str, setting: str | None) -> str:
    """Where `db_path`'s WARC files go: ARCHIVER_WARC_DIR when given ("" turns capture off),
    else the archive's own folder beside it."""
    return f"{db_path}{WARC_SUFFIX}" if setting is None else setting


def file_name(prefix: str, run_id: int, started: str, seq: int) -> str:
    """`<prefix>-run00012-20260105T101500Z-001.warc.gz`: sorted by name is sorted by run."""
    return f"{prefix}-run{run_id:05d}-{started}-{seq:03d}{WARC_EXT}"


@dataclass(frozen=True)
class Written:
    """Where a record landed: its file (a name inside the WARC folder), offset and length."""

    warc_file: str
    offset: int
    length: int


class WarcFiles:
    """The run's WARC files in one folder, one open at a time.

    A file is always new (opened with `x`, never appended to): a killed run leaves its last
    file ending in a partial gzip member, and the next run writes beside it, not after it.
    Each record is its own gzip member, flushed to the operating system once written, so a
    record whose pointer is stored is whole in the file even if the process is killed; `sync`
    makes it durable before pointers are committed. A closed file gets its CDXJ index.
    """

    def __init__(self, folder: Path, prefix: str, run_id: int, started: str, max_bytes: int,
                 info: dict[str, str]) -> None:
        self.folder = folder
        self.prefix = prefix
        self.run_id = run_id
        self.started = started
        self.max_bytes = max_bytes
        self.info = info
        self.seq = 0
        self.file: IO[bytes] | None = None
        self.writer: WARCWriter | None = None
        self.name = ""
        # Whether the open file's warcinfo record reached the operating system.
        self.info_written = False
        self.closed_files: list[str] = []

    def open_next(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seq += 1
        self.name = file_name(self.prefix, self.run_id, self.started, self.seq)
        self.file = open(self.folder / self.name, "xb")  # noqa: SIM115 - held across calls
        self.info_written = False
        self.writer = WARCWriter(self.file, gzip=True, warc_version="1.1")
        info = self.writer.create_warcinfo_record(self.name, {
            "software": "ldv-archiver (warcio)", "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/", **self.info})
        self.writer.write_record(info)
        self.file.flush()
        self.info_written = True

    def write(self, records: list[ArcWarcRecord]) -> list[Written]:
        """Write records together in one file (a response and its request); where each went."""
        if self.file is None or self.writer is None:
            self.open_next()
        assert self.file is not None and self.writer is not None
        written = []
        for record in records:
            offset = self.file.tell()
            self.writer.write_record(record)
            written.append(Written(self.name, offset, self.file.tell() - offset))
        self.file.flush()
        if self.file.tell() >= self.max_bytes:
            self.close_file()
        return written

    def sync(self) -> None:
        if self.file is not None:
            os.fsync(self.file.fileno())

    def synced(self) -> bool:
        """Whether what was written reached the disk (False when the fsync fails)."""
        try:
            self.sync()
        except OSError:
            return False
        return True

    def close_file(self) -> None:
        if self.file is None:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = self.writer = None
        index(self.folder / self.name)
        self.closed_files.append(self.name)

    def close(self) -> None:
        self.close_file()

    def abandon(self) -> None:
        """Let go of a file the disk refused, without its index. Closed now (its one last
        flush may fail, silently), so nothing is flushed or reported at exit; its last member
        may be partial, which readers skip (reading.scan). A file the warcinfo record never
        reached holds no answer, and no reader could tell its run: it is removed."""
        if self.file is None:
            return
        with contextlib.suppress(OSError):
            self.file.close()
        if not self.info_written:
            with contextlib.suppress(OSError):
                (self.folder / self.name).unlink()
        self.file = self.writer = None


def index(warc: Path) -> Path:
    """`<file>.cdxj` beside a WARC file, by cdxj-indexer (the index pywb and ReplayWeb.page
    read), written to a temporary name and renamed."""
    target = warc.with_name(warc.name + CDXJ_EXT)
    temp = target.with_name(f".tmp-{target.name}")
    with open(temp, "w", encoding="utf-8") as out:
        write_cdx_index(out, [str(warc)], {"sort": True, "post_append": True})
    os.replace(temp, target)
    return target


def info_fields(run_id: int, spider: str, arguments: dict[str, str],
                settings: dict[str, str], started_at: str | None = None) -> dict[str, str]:
    fields = {INFO_RUN: str(run_id), INFO_SPIDER: spider,
              INFO_ARGUMENTS: json.dumps(arguments, sort_keys=True),
              INFO_SETTINGS: json.dumps(settings, sort_keys=True)}
    if started_at:
        fields[INFO_STARTED] = started_at
    return fields
