"""A WACZ of an archive's WARC files, one run's or all of them, listing its article pages."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from wacz import main as py_wacz
from wacz.waczindexer import WACZIndexer
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archiver.db.connection import FileKind, NotAnArchive, check_connection
from archiver.warc.reading import first_info, scan, warc_files
from archiver.warc.writer import warc_dir_for

logger = logging.getLogger(__name__)

PAGES = "pages/pages.jsonl"


class WaczError(Exception):
    """The WACZ cannot be made: no such archive, run or WARC file, or py-wacz refused."""


@dataclass(frozen=True)
class Page:
    """One captured article page, as the WACZ lists it: replayed at `url` as of `ts`."""

    url: str
    ts: str
    title: str

    def as_json(self) -> str:
        return json.dumps({"url": self.url, "ts": self.ts, "title": self.title},
                          ensure_ascii=False, sort_keys=True)


def article_titles(db_path: Path) -> dict[str, str]:
    """Every article URL in the archive, with its title: the pages a WACZ lists."""
    if not db_path.is_file():
        raise WaczError(f"{db_path} does not exist")
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        try:
            kind = check_connection(db, str(db_path))
        except NotAnArchive as exc:
            raise WaczError(str(exc)) from exc
        if kind is FileKind.NEW:
            raise WaczError(f"{db_path} is not an archive yet (no run has written it)")
        return {url: title or url for url, title in db.execute("SELECT url, title FROM articles")}


def select_warcs(folder: Path, run: int | None) -> list[Path]:
    """The WARC files in `folder`, in capture order; with `run`, only that run's (its
    warcinfo record says which run wrote a file)."""
    if not folder.is_dir():
        raise WaczError(f"{folder} is not a folder of WARC files")
    found = warc_files([folder])
    if run is not None:
        found = [path for path in found if first_info(path).run == run]
    if not found:
        which = f"of run {run} " if run is not None else ""
        raise WaczError(f"no WARC files {which}in {folder}")
    return found


def whole_records(warcs: Sequence[Path], scratch: Path) -> list[Path]:
    """The files as they are, except one whose writer was killed mid-record: a copy cut
    before that record, so the WACZ holds whole records only (py-wacz would index the
    partial one as if it were whole)."""
    kept = []
    for path in warcs:
        cut = scan(path).truncated_at
        if cut is None:
            kept.append(path)
            continue
        copy = scratch / path.name
        with open(path, "rb") as source, open(copy, "wb") as target:
            target.write(source.read(cut))
        logger.warning("%s: its last record is incomplete; the WACZ holds the %d bytes before it",
                       path.name, cut)
        kept.append(copy)
    return kept


def article_pages(warcs: Sequence[Path], titles: dict[str, str]) -> list[Page]:
    """Each capture of an article page that replays as one: a 200 HTML answer to a URL the
    archive holds as an article, in capture order."""
    pages = []
    for path in warcs:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests=False):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type != "response" or url not in titles:
                    continue
                http = record.http_headers
                content_type = http.get_header("Content-Type", "") if http else ""
                if http is None or http.get_statuscode() != "200" \
                        or not content_type.startswith("text/html"):
                    continue
                pages.append(Page(url, record.rec_headers.get_header("WARC-Date"), titles[url]))
    return pages


class ReplayIndexer(WACZIndexer):  # type: ignore[misc]  # py-wacz ships no type hints
    """py-wacz's indexer, leaving `304 Not Modified` revisits out of the WACZ's index.

    pywb 2.10 replays a 3xx revisit as itself, an empty 304, before it looks for the page it
    refers to, so a thread whose latest capture is a 304 would show blank. Without those
    lines a replay at the revisit's moment shows the nearest capture of the URL, the page the
    304 confirmed. The revisits stay in the WARC files and their own CDXJ.
    """

    def filter_record(self, record: ArcWarcRecord) -> bool:
        http = record.http_headers
        if record.rec_type == "revisit" and http is not None and http.get_statuscode() == "304":
            return False
        return bool(super().filter_record(record))


@contextlib.contextmanager
def replay_indexer() -> Iterator[None]:
    """py-wacz's `create` builds its indexer from its module's name for it, with no option
    or argument to pass another (py-wacz 0.6); the name means ReplayIndexer meanwhile."""
    original = py_wacz.WACZIndexer
    py_wacz.WACZIndexer = ReplayIndexer
    try:
        yield
    finally:
        py_wacz.WACZIndexer = original


def write_wacz(warcs: Sequence[Path], pages: Sequence[Page], output: Path, title: str) -> None:
    """py-wacz packs the WARCs with their CDXJ index, `pages` as pages.jsonl, and the
    datapackage with every file's hash; written to a temporary name and renamed."""
    if not pages:
        raise WaczError("the WARC files hold no article page to list")
    output.parent.mkdir(parents=True, exist_ok=True)
    names = [path.name for path in warcs]
    if len(set(names)) < len(names):
        raise WaczError("two WARC files share a name; a WACZ keeps one folder of them")
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=output.parent) as scratch:
        listed = Path(scratch) / "pages.jsonl"
        header = json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title})
        listed.write_text("\n".join([header, *(page.as_json() for page in pages)]) + "\n",
                          encoding="utf-8")
        temp = Path(scratch) / output.name
        # py-wacz reports by print(); kept for the debug log, not the operator's terminal.
        said = io.StringIO()
        with contextlib.redirect_stdout(said), replay_indexer():
            code = py_wacz.main(["create", "-o", str(temp), "-p", str(listed), "--title", title,
                              *map(str, warcs)])
        logger.debug("py-wacz: %s", said.getvalue())
        if code != 0:
            raise WaczError(f"py-wacz could not create the WACZ: {said.getvalue().strip()}")
        missing = len(pages) - listed_pages(temp)
        if missing:
            raise WaczError(f"{missing} article pages were not found in the WACZ's index")
        os.replace(temp, output)


def listed_pages(wacz: Path) -> int:
    with zipfile.ZipFile(wacz) as package, package.open(PAGES) as listing:
        return sum(1 for line in listing if "format" not in json.loads(line))


def build(db_path: Path, output: Path, run: int | None = None,
          warc_dir: Path | None = None) -> list[Page]:
    """A WACZ at `output` of the archive's WARC files (`run`'s only, when given) from
    `warc_dir`, else the archive's own WARC folder; returns the pages it lists."""
    titles = article_titles(db_path)
    folder = warc_dir if warc_dir is not None else Path(warc_dir_for(str(db_path), None))
    warcs = select_warcs(folder, run)
    with tempfile.TemporaryDirectory(prefix=".wacz-whole-") as scratch:
        whole = whole_records(warcs, Path(scratch))
        pages = article_pages(whole, titles)
        which = f"run {run}" if run is not None else "all runs"
        write_wacz(whole, pages, output, f"{db_path.name}: {which}")
    return pages


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="ldv-archiver wacz",
        description="Package an archive's WARC files as a WACZ, for ReplayWeb.page or pywb.")
    parser.add_argument("--db", type=Path, default=Path("archive.db"), help="the archive")
    parser.add_argument("--run", type=int, help="only this run's WARC files (default: all)")
    parser.add_argument("--warc-dir", type=Path,
                        help="where the WARC files are (default: <db>.warc beside the archive, "
                             "as ARCHIVER_WARC_DIR's default)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the WACZ to write")
    args = parser.parse_args(argv)
    if args.output.suffix != ".wacz":
        print(f"error: {args.output} must end in .wacz", file=sys.stderr)
        return 2
    try:
        pages = build(args.db, args.output, args.run, args.warc_dir)
    except WaczError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {len(pages)} article pages")
    return 0

