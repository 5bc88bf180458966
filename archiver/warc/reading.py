"""Reading WARC files back: their run (warcinfo), their answers in order, a truncated end."""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from archiver.warc.writer import (
    INFO_ARGUMENTS,
    INFO_RUN,
    INFO_SETTINGS,
    INFO_SPIDER,
    INFO_STARTED,
    WARC_EXT,
)

logger = logging.getLogger(__name__)

ANSWERS = ("response", "revisit")


@dataclass(frozen=True)
class Answer:
    """One answer's record: where it is, what it answers, when."""

    path: Path
    offset: int
    length: int
    url: str
    date: str


@dataclass
class WarcScan:
    """A WARC file read through once: the run it belongs to and its answers in order."""

    path: Path
    run: int | None = None
    spider: str = ""
    arguments: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    # When the run began writing the file (its warcinfo's WARC-Date).
    began: str = ""
    # When the live run began, as its ledger has it (empty in files from before it was kept).
    started_at: str = ""
    answers: list[Answer] = field(default_factory=list)
    # The offset of a record cut short at the file's end (its writer was killed), if any.
    truncated_at: int | None = None


def warc_files(inputs: Iterable[str | Path]) -> list[Path]:
    """WARC files named, and those in folders named, in name order (run, then sequence)."""
    found: list[Path] = []
    for given in inputs:
        path = Path(given)
        found += sorted(path.rglob(f"*{WARC_EXT}")) if path.is_dir() else [path]
    return found


def info_fields(record: ArcWarcRecord) -> dict[str, str]:
    text = record.content_stream().read().decode("utf-8")
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def scan(path: Path) -> WarcScan:
    """Every answer in the file, and where it ends short if its last record is partial.

    A run killed while writing leaves its last gzip member cut off. warcio reads such a
    member as a shorter record without a word (and `warcio check` passes it), so the last
    record's bytes are checked here: a member whose gzip stream never ends is reported and
    skipped. Only the last can be partial: a file is only ever written at its end.
    """
    result = WarcScan(path)
    last: tuple[int, int, str] | None = None
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream, check_digests=False)
        try:
            for record in iterator:
                kind = record.rec_type
                if kind == "warcinfo":
                    read_info(result, record)
                iterator.read_to_end(record)
                offset, length = iterator.get_record_offset(), iterator.get_record_length()
                last = (offset, length, kind)
                if kind in ANSWERS:
                    result.answers.append(Answer(
                        path, offset, length, record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("WARC-Date")))
        except (ArchiveLoadFailed, EOFError, zlib.error) as exc:
            # Cut inside a record's first bytes: nothing of it can be read.
            result.truncated_at = (last[0] + last[1]) if last else 0
            logger.warning("%s: the record at byte %d is incomplete (%s); skipped",
                           path.name, result.truncated_at, exc)
            return result
        end = stream.seek(0, 2)
        if last is not None and not whole_member(stream, last[0], last[1]):
            result.truncated_at = last[0]
            if last[2] in ANSWERS:
                result.answers.pop()
        elif (last[0] + last[1] if last else 0) < end:
            # Bytes after the last record warcio could read: a member too short to yield one.
            result.truncated_at = last[0] + last[1] if last else 0
    if result.truncated_at is not None:
        logger.warning("%s: the record at byte %d is incomplete (the file ends inside it, its "
                       "run killed while writing); skipped", path.name, result.truncated_at)
    return result


def read_info(result: WarcScan, record: ArcWarcRecord) -> None:
    result.began = record.rec_headers.get_header("WARC-Date") or ""
    fields = info_fields(record)
    if INFO_RUN in fields:
        result.run = int(fields[INFO_RUN])
        result.spider = fields.get(INFO_SPIDER, "")
        result.arguments = json.loads(fields.get(INFO_ARGUMENTS, "{}"))
        result.settings = json.loads(fields.get(INFO_SETTINGS, "{}"))
        result.started_at = fields.get(INFO_STARTED, "")


def whole_member(stream: IO[bytes], offset: int, length: int) -> bool:
    """Whether the bytes at `offset` hold one whole gzip member (its end marker reached)."""
    stream.seek(offset)
    member = zlib.decompressobj(zlib.MAX_WBITS | 16)
    member.decompress(stream.read(length))
    return member.eof


def read_at(stream: IO[bytes], offset: int) -> ArcWarcRecord:
    """The record that starts at `offset` (a pointer's or a CDXJ line's); read its payload
    before the stream is used again."""
    stream.seek(offset)
    return next(iter(ArchiveIterator(stream, check_digests=False)))


def first_info(path: Path) -> WarcScan:
    """Only the file's run, from its warcinfo record (the first), without reading further."""
    result = WarcScan(path)
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests=False):
            if record.rec_type == "warcinfo":
                read_info(result, record)
            break
    return result
