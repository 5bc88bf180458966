"""The exports directory: snapshots published whole by rename, `latest` pointing at the newest,
old ones pruned, and what a killed export left behind removed."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from contextlib import suppress
from pathlib import Path

LATEST = "latest"
# The same pointer as plain text, for copies (zip, object stores) that drop symlinks.
LATEST_FILE = "LATEST"
# Basic ISO 8601 UTC time; a counter separates snapshots taken within the same second.
SNAPSHOT_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z(-[0-9]{2})?")
# Entries being written; the writer's pid follows, so a dead writer's leftovers can go.
TEMP_PREFIX = ".tmp-"
# Beside the archive when ARCHIVER_EXPORTS_DIR is left unset: <db>.exports/.
EXPORTS_SUFFIX = ".exports"
MANIFEST = "manifest.json"


def exports_dir_for(db_path: str, setting: str | None) -> str:
    """Where `db_path`'s snapshots go: ARCHIVER_EXPORTS_DIR when given ("" turns snapshots
    off), else the archive's own folder beside it, so two archives never share one."""
    return f"{db_path}{EXPORTS_SUFFIX}" if setting is None else setting


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(staging: Path, root: Path, base: str) -> Path:
    """Rename the finished directory into place under the first free name for its second."""
    for attempt in range(100):
        target = root / (base if attempt == 0 else f"{base}-{attempt:02d}")
        try:
            # rename refuses a non-empty target, so a concurrent export cannot be overwritten.
            os.rename(staging, target)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            raise
        fsync_directory(root)
        return target
    raise FileExistsError(f"100 snapshots already named {base}* in {root}")


def point_latest(root: Path, name: str) -> None:
    link = root / f"{TEMP_PREFIX}{os.getpid()}-link"
    with suppress(FileNotFoundError):
        link.unlink()
    # Relative, so the exports directory can be moved or mounted elsewhere.
    os.symlink(name, link)
    os.replace(link, root / LATEST)
    text = root / f"{TEMP_PREFIX}{os.getpid()}-text"
    write_file(text, f"{name}\n".encode())
    os.replace(text, root / LATEST_FILE)
    fsync_directory(root)


def latest_name(exports_dir: str | Path) -> str | None:
    """The name of the snapshot `latest` points at, or None before the first."""
    root = Path(exports_dir)
    with suppress(FileNotFoundError):
        return os.readlink(root / LATEST)
    with suppress(FileNotFoundError):
        return (root / LATEST_FILE).read_text(encoding="utf-8").strip() or None
    return None


def snapshot_names(exports_dir: str | Path) -> list[str]:
    """Complete snapshots, oldest first."""
    return sorted(entry.name for entry in os.scandir(exports_dir)
                  if SNAPSHOT_NAME.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False))


def snapshot_archive(snapshot: Path) -> str | None:
    """The archive id a snapshot's manifest names (None: unreadable, or written before ids)."""
    try:
        manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = manifest.get("archive_id") if isinstance(manifest, dict) else None
    return value if isinstance(value, str) else None


def prune(root: Path, keep: int, archive_id: str) -> None:
    """Remove all but the newest `keep` snapshots of this archive; another archive's (or one
    whose manifest names none) is never touched, whatever folder they share."""
    current = latest_name(root)
    own = [name for name in snapshot_names(root) if snapshot_archive(root / name) == archive_id]
    for name in own[:-keep]:
        if name == current:
            continue
        # Renamed first, so a snapshot is never seen half-deleted.
        doomed = root / f"{TEMP_PREFIX}{os.getpid()}-old-{name}"
        os.rename(root / name, doomed)
        shutil.rmtree(doomed)


def remove_abandoned(root: Path) -> None:
    """Delete temporary entries left by exports that were killed."""
    for entry in os.scandir(root):
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        pid = entry.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with suppress(FileNotFoundError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
