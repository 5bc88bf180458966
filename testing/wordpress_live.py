"""A real, live WordPress on 127.0.0.1 for tests: Debian's WordPress 6.1, own MariaDB, PHP server.

Nothing system-wide is touched: the database server runs from a temporary data directory on a
free port, WordPress is copied from /usr/share/wordpress into a temporary document root with
its own wp-config.php, and both servers are stopped by their PIDs at the end. The packages come
from ``scripts/install-wordpress.sh`` (Debian's ``wordpress``, ``mariadb-server``, ``php-cli``,
``php-mysql`` and the twentytwenty{one,two,three} theme packages).

Python drives WordPress through its own PHP: ``testing/wp/bridge.php`` loads wp-load.php and runs
a batch of JSON-described operations in one PHP process (``wp.call`` / ``wp.batch``). What the
tests expect is read back from WordPress's database (``expected_comments``, ``expected_posts``),
never from a scraper.

    from testing.wordpress_live import LiveWordPress, load_threads, wordpress_unavailable

    @pytest.fixture(scope="session")
    def live_wp(tmp_path_factory):
        reason = wordpress_unavailable(install=True)   # runs scripts/install-wordpress.sh as root
        if reason:
            pytest.skip(reason)
        with LiveWordPress(tmp_path_factory.mktemp("wp")) as wp:
            load_threads(wp, 3)
            yield wp

    def test_something(live_wp):
        status, headers, body = live_wp.get("/wp-json/wp/v2/comments?per_page=100")
        truth = live_wp.expected_comments(post_id=47108)

Or by hand: ``python -m testing.wordpress_live [--threads N] [--port P]`` serves a loaded bed
until interrupted.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import IO, Any, ClassVar, cast

from testing.serving import free_port

ROOT = Path(__file__).resolve().parent.parent
PHP_DIR = Path(__file__).resolve().parent / "wp"
BRIDGE = PHP_DIR / "bridge.php"
ROUTER = PHP_DIR / "router.php"
MU_PLUGIN = PHP_DIR / "mu-testbed.php"
INSTALL_SCRIPT = ROOT / "scripts" / "install-wordpress.sh"
TRUTH = ROOT / "tests" / "fixtures" / "ldv" / "truth"

WORDPRESS_SOURCE = Path("/usr/share/wordpress")
THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")
BINARIES = ("php", "mariadbd", "mariadb-install-db", "mariadb")

__all__ = [
    "THEMES",
    "LiveWordPress",
    "LoadedThread",
    "WordPressBridgeError",
    "load_threads",
    "thread_order",
    "wordpress_unavailable",
]


class WordPressBridgeError(RuntimeError):
    """A bridge batch failed; carries the op's index and the results of the ops before it."""

    def __init__(self, message: str, index: int = -1, results: list[Any] | None = None):
        super().__init__(message)
        self.index = index
        self.results = results or []


def _which(name: str) -> str | None:
    found = shutil.which(name)
    if found is None:
        for folder in ("/usr/sbin", "/usr/bin", "/sbin"):
            candidate = Path(folder) / name
            if candidate.exists():
                return str(candidate)
    return found


def _missing() -> list[str]:
    missing = [name for name in BINARIES if _which(name) is None]
    if not (WORDPRESS_SOURCE / "wp-load.php").is_file():
        missing.append(str(WORDPRESS_SOURCE))
    for theme in THEMES:
        if not (WORDPRESS_SOURCE / "wp-content" / "themes" / theme / "style.css").is_file():
            missing.append(f"theme {theme}")
    php = _which("php")
    if php is not None:
        modules = subprocess.run([php, "-m"], capture_output=True, text=True).stdout.split()
        if "mysqli" not in modules:
            missing.append("php mysqli (php-mysql)")
    return missing


def wordpress_unavailable(install: bool = False) -> str | None:
    """Why the live bed cannot run here, or None when it can.

    With ``install``, first runs scripts/install-wordpress.sh when something is missing and this
    process is root with apt-get (the script is idempotent and quiet).
    """
    missing = _missing()
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, timeout=900)
        missing = _missing()
    if missing:
        return (
            "live WordPress bed needs Debian's wordpress, mariadb-server, php-cli, php-mysql and "
            f"the twentytwenty* theme packages (scripts/install-wordpress.sh as root); missing: "
            f"{', '.join(missing)}"
        )
    return None


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop_process(proc: subprocess.Popen[bytes] | None, group: bool, timeout: float = 10.0) -> None:
    """Stop one process we started (and, with ``group``, the process group it leads) by its PID."""
    if proc is None or proc.poll() is not None:
        return
    try:
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
        proc.wait(5)


@dataclass
class LoadedThread:
    """One article loaded from the bundled truth: its WordPress ids and what went in."""

    post_id: int
    link: str
    title: str
    comment_ids: list[int]
    parents: dict[int, int]  # comment id -> parent comment id (only the replies)
    pingback_ids: list[int] = field(default_factory=list)
    truth_post_id: int = 0


class LiveWordPress:
    """A running WordPress with its own MariaDB and PHP built-in server on 127.0.0.1.

    ``LiveWordPress(workdir=None, *, port=None, timezone="Europe/London", theme="twentytwentyone",
    permalinks="/%postname%/", options=None, php_workers=4, keep=False)``

    Use as a context manager (or ``start()`` / ``stop()``). ``workdir`` defaults to a new temp
    folder, removed at ``stop()`` unless ``keep``. ``options`` are WordPress options set after the
    install (on top of the test bed's defaults, see ``DEFAULT_OPTIONS``).
    """

    DEFAULT_OPTIONS: ClassVar[dict[str, Any]] = {
        "blogname": "Live Test Bed",
        "blogdescription": "WordPress for the archiver's tests",
        "thread_comments": 1,
        "thread_comments_depth": 5,
        "page_comments": 0,
        "comments_per_page": 50,
        "default_comments_page": "newest",
        "comment_order": "asc",
        "posts_per_page": 10,
        "comment_registration": 0,
        "comment_moderation": 0,
        "show_avatars": 1,
    }

    def __init__(
        self,
        workdir: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        timezone: str = "Europe/London",
        theme: str = "twentytwentyone",
        permalinks: str = "/%postname%/",
        options: Mapping[str, Any] | None = None,
        php_workers: int = 4,
        keep: bool = False,
    ) -> None:
        self._own_workdir = workdir is None
        self.workdir = (
            Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="wp-live-"))
        )
        self.port = port or 0
        self.db_port = 0
        self.timezone = timezone
        self.theme = theme
        self.permalinks = permalinks
        self.options = dict(options or {})
        self.php_workers = php_workers
        self.keep = keep
        self.docroot = self.workdir / "www"
        self.dbdir = self.workdir / "db"
        self.socket_path = self.dbdir / "mysqld.sock"
        self.timings: dict[str, float] = {}
        self._db: subprocess.Popen[bytes] | None = None
        self._web: subprocess.Popen[bytes] | None = None
        self._logs: list[Any] = []
        self._calls = 0
        self.php = _which("php") or "php"

    # ----------------------------------------------------------------- life cycle

    @property
    def base_url(self) -> str:
        """The site's root, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def __enter__(self) -> LiveWordPress:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LiveWordPress:
        reason = wordpress_unavailable()
        if reason:
            raise RuntimeError(reason)
        self.workdir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        t0 = time.monotonic()
        try:
            self._start_database()
            t1 = time.monotonic()
            self._make_docroot()
            t2 = time.monotonic()
            self._start_web()
            self._install()
            t3 = time.monotonic()
        except BaseException:
            self.stop()
            raise
        self.timings.update(database=t1 - t0, docroot=t2 - t1, install=t3 - t2, total=t3 - t0)
        return self

    def stop(self) -> None:
        _stop_process(self._web, group=True)
        self._web = None
        _stop_process(self._db, group=False, timeout=20)
        self._db = None
        for handle in self._logs:
            handle.close()
        self._logs.clear()
        if self._own_workdir and not self.keep and self.workdir.exists():
            shutil.rmtree(self.workdir, ignore_errors=True)
        atexit.unregister(self.stop)

    @property
    def running(self) -> bool:
        return (
            self._db is not None
            and self._db.poll() is None
            and self._web is not None
            and self._web.poll() is None
        )

    def _log(self, name: str) -> IO[bytes]:
        handle = open(self.workdir / name, "ab")  # noqa: SIM115 (closed in stop())
        self._logs.append(handle)
        return handle

    def _start_database(self) -> None:
        data = self.dbdir / "data"
        self.dbdir.mkdir(parents=True, exist_ok=True)
        if not (data / "mysql").is_dir():
            subprocess.run(
                [
                    _which("mariadb-install-db") or "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        last_error: str = ""
        for _attempt in range(3):
            self.db_port = free_port()
            self._db = subprocess.Popen(
                [
                    _which("mariadbd") or "mariadbd",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--user=root",
                    f"--port={self.db_port}",
                    "--bind-address=127.0.0.1",
                    f"--socket={self.socket_path}",
                    f"--pid-file={self.dbdir / 'mysqld.pid'}",
                    f"--log-error={self.dbdir / 'error.log'}",
                    f"--tmpdir={self.dbdir}",
                    "--skip-grant-tables",
                    "--skip-name-resolve",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=64M",
                    "--innodb-flush-log-at-trx-commit=0",
                    "--innodb-doublewrite=0",
                    "--sync-binlog=0",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                    "--max-connections=200",
                ],
                stdin=subprocess.DEVNULL,
                stdout=self._log("mariadbd.out"),
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self._db.poll() is None:
                if _port_open(self.db_port):
                    done = subprocess.run(
                        [
                            _which("mariadb") or "mariadb",
                            "--no-defaults",
                            "-h127.0.0.1",
                            f"-P{self.db_port}",
                            "-uroot",
                            "-e",
                            "CREATE DATABASE IF NOT EXISTS wordpress "
                            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                        ],
                        capture_output=True,
                        text=True,
                        timeout=10,
                    )
                    if done.returncode == 0:
                        return
                    last_error = done.stderr
                time.sleep(0.05)
            log = self.dbdir / "error.log"
            last_error = last_error or (
                log.read_text(errors="replace")[-2000:] if log.exists() else ""
            )
            _stop_process(self._db, group=False)
            self._db = None
        raise RuntimeError(f"MariaDB did not start: {last_error}")

    def _make_docroot(self) -> None:
        if self.docroot.exists():
            shutil.rmtree(self.docroot)
        # A real copy (symlinks resolved): PHP resolves __DIR__ through symlinks, so a linked
        # wp-load.php would find Debian's own wp-config.php and /etc/wordpress.
        subprocess.run(["cp", "-rL", f"{WORDPRESS_SOURCE}/.", str(self.docroot)], check=True)
        themes = self.docroot / "wp-content" / "themes"
        for theme in THEMES:
            if not (themes / theme).is_dir():
                raise RuntimeError(f"theme {theme} missing from {WORDPRESS_SOURCE}")
        mu = self.docroot / "wp-content" / "mu-plugins"
        mu.mkdir(parents=True, exist_ok=True)
        shutil.copy(MU_PLUGIN, mu / MU_PLUGIN.name)
        (self.docroot / "wp-content" / "uploads").mkdir(exist_ok=True)

    def _write_config(self) -> None:
        keys = "\n".join(
            f"define('{name}', '{secrets.token_hex(32)}');"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        (self.docroot / "wp-config.php").write_text(
            f"""<?php
/* Written by testing/wordpress_live.py for a throwaway test bed. */
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:{self.db_port}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{keys}
$table_prefix = 'wp_';
define('WP_HOME', '{self.base_url}');
define('WP_SITEURL', '{self.base_url}');
define('WP_DEBUG', false);
define('WP_DEBUG_DISPLAY', false);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ENVIRONMENT_TYPE', 'local');
define('FS_METHOD', 'direct');
if (!defined('ABSPATH')) {{
    define('ABSPATH', __DIR__ . '/');
}}
require_once ABSPATH . 'wp-settings.php';
"""
        )

    def _start_web(self) -> None:
        last = ""
        for _attempt in range(5):
            if not self.port:
                self.port = free_port()
            self._write_config()
            env = dict(os.environ, PHP_CLI_SERVER_WORKERS=str(self.php_workers))
            self._web = subprocess.Popen(
                [
                    self.php,
                    "-d",
                    "display_errors=0",
                    "-d",
                    "log_errors=1",
                    "-d",
                    f"error_log={self.workdir / 'php-errors.log'}",
                    "-d",
                    "memory_limit=512M",
                    "-d",
                    "output_buffering=4096",
                    "-S",
                    f"127.0.0.1:{self.port}",
                    "-t",
                    str(self.docroot),
                    str(ROUTER),
                ],
                stdin=subprocess.DEVNULL,
                stdout=self._log("php-server.log"),
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self._web.poll() is None:
                if _port_open(self.port):
                    return
                time.sleep(0.02)
            last = (self.workdir / "php-server.log").read_text(errors="replace")[-1000:]
            _stop_process(self._web, group=True)
            self._web = None
            self.port = 0
        raise RuntimeError(f"php -S did not start: {last}")

    def _install(self) -> None:
        self._run_bridge(
            [{"op": "install", "args": {"title": self.DEFAULT_OPTIONS["blogname"]}}],
            installing=True,
        )
        options = dict(self.DEFAULT_OPTIONS)
        options.update(timezone_string=self.timezone, permalink_structure=self.permalinks)
        options.update(self.options)
        self.batch(
            [
                ("delete_sample_content", {}),
                ("set_options", options),
                ("switch_theme", {"stylesheet": self.theme}),
            ]
        )

    # ----------------------------------------------------------------- the bridge

    def _run_bridge(self, ops: list[dict[str, Any]], installing: bool = False) -> list[Any]:
        self._calls += 1
        folder = self.workdir / "bridge"
        folder.mkdir(exist_ok=True)
        stem = folder / f"{self._calls:05d}"
        request, answer = stem.with_suffix(".in.json"), stem.with_suffix(".out.json")
        request.write_text(
            json.dumps(
                {"ops": ops, "installing": installing, "home": self.base_url}, ensure_ascii=False
            )
        )
        done = subprocess.run(
            [
                self.php,
                "-d",
                "display_errors=stderr",
                "-d",
                "memory_limit=512M",
                "-d",
                "error_reporting=E_ALL & ~E_DEPRECATED & ~E_NOTICE & ~E_WARNING",
                str(BRIDGE),
                str(self.docroot),
                str(request),
                str(answer),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.docroot,
        )
        if not answer.exists():
            raise WordPressBridgeError(
                f"bridge gave no answer (exit {done.returncode}): "
                f"{done.stderr[-2000:]} {done.stdout[-2000:]}"
            )
        result = json.loads(answer.read_text())
        if not self.keep:
            request.unlink(missing_ok=True)
            answer.unlink(missing_ok=True)
        if "error" in result:
            raise WordPressBridgeError(
                f"{result.get('op')} (op {result.get('index')}): {result['error']}",
                result.get("index", -1),
                result.get("results"),
            )
        return cast("list[Any]", result["results"])

    def batch(self, ops: Iterable[tuple[str, Mapping[str, Any]] | Mapping[str, Any]]) -> list[Any]:
        """Run ops ``[(name, args), ...]`` (or ``{"op":, "args":}`` dicts) in one PHP process.

        Returns one result per op. In args, ``{"$ref": k}`` as a value stands for the ``id`` in
        the result of op ``k`` of the same batch (e.g. a reply's parent inserted just before).
        """
        normal = []
        for op in ops:
            if isinstance(op, Mapping):
                normal.append({"op": op["op"], "args": dict(op.get("args", {}))})
            else:
                name, args = op
                normal.append({"op": name, "args": dict(args)})
        if not normal:
            return []
        return self._run_bridge(normal)

    def call(self, op: str, args: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Any:
        """Run one op and return its result.

        ``wp.call("insert_post", {"title": "A"})`` or ``wp.call("trash_comment", id=5)``."""
        return self.batch([(op, {**(args or {}), **kwargs})])[0]

    # ----------------------------------------------------------------- conveniences

    def insert_post(self, **args: Any) -> int:
        """title, content, date (local) / date_gmt, categories, tags, author (display name),
        slug, id (kept as the post's id), status, comment_status."""
        return int(self.call("insert_post", args)["id"])

    def insert_comment(self, **args: Any) -> int:
        """post_id, author, author_email, author_url, content, date / date_gmt, parent, approved
        (1, 0, "spam", "trash"), id, type, by_post_author. The content goes through kses with
        the comment tags, as a visitor's comment does, unless ``raw=True``."""
        return int(self.call("insert_comment", args)["id"])

    def update_comment(self, comment_id: int, **fields: Any) -> None:
        self.call("update_comment", id=comment_id, **fields)

    def trash_comment(self, comment_id: int) -> None:
        self.call("trash_comment", id=comment_id)

    def approve_comment(self, comment_id: int) -> None:
        self.call("approve_comment", id=comment_id)

    def unapprove_comment(self, comment_id: int) -> None:
        self.call("unapprove_comment", id=comment_id)

    def set_options(self, **options: Any) -> dict[str, Any]:
        """WordPress options; ``permalink_structure`` also flushes the rewrite rules."""
        return cast("dict[str, Any]", self.call("set_options", options))

    def set_permalinks(self, structure: str, rewrite: bool | None = None) -> None:
        """Set the permalink structure. ``""`` means plain permalinks and, unless ``rewrite``,
        a server without URL rewriting: /wp-json/ is then a 404 and REST only /?rest_route=/."""
        self.call("set_permalinks", structure=structure, rewrite=rewrite)

    def switch_theme(self, stylesheet: str) -> None:
        self.call("switch_theme", stylesheet=stylesheet)
        self.theme = stylesheet

    def block_rest(self, on: bool = True) -> None:
        """Make the REST API answer unauthenticated requests 401 ``rest_cannot_access``."""
        self.call("block_rest", on=on)

    def expected_comments(
        self,
        post_id: int | None = None,
        *,
        status: str = "approve",
        links: bool = False,
        pages: bool = False,
    ) -> list[dict[str, Any]]:
        """The approved comments (type ``comment``) as WordPress's database holds them.

        Each: id, post_id, author, author_email, author_url, date (local, comment_date),
        date_gmt, content (raw), parent, approved, type, user_id; with ``links`` the
        get_comment_link(); with ``pages`` the comment page it is on (get_page_of_comment, under
        the current paging options). Ordered by date_gmt, then id.
        """
        args: dict[str, Any] = {"status": status, "links": links, "pages": pages}
        if post_id is not None:
            args["post_id"] = post_id
        return cast("list[dict[str, Any]]", self.call("comments", args))

    def expected_posts(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Published posts: id, title, slug, link (get_permalink), date, date_gmt, author,
        categories, tags, content, comment_count. Ordered by date."""
        return cast("list[dict[str, Any]]", self.call("posts", {"ids": list(ids)} if ids else {}))

    def sql(self, query: str) -> list[dict[str, Any]]:
        """Rows of one SQL query through $wpdb (the tables are ``wp_*``)."""
        return cast("list[dict[str, Any]]", self.call("sql", query=query))

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, Message, str]:
        """GET a path over real HTTP (redirects followed): (status, headers, body text)."""
        request = urllib.request.Request(self.url(path), headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            return error.code, error.headers, body


# --------------------------------------------------------------------- bundled threads


def thread_order(day: str = "day1") -> list[int]:
    """The truth's post ids, most comments first (ties by post id): load_threads's order."""
    threads = []
    for path in sorted((TRUTH / day).glob("*.json")):
        data = json.loads(path.read_text())
        threads.append((-len(data["comments"]), data["post_id"]))
    return [post_id for _, post_id in sorted(threads)]


def _slug(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"\.html?$", "", tail)


def _email(name: str) -> str:
    local = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "reader"
    return f"{local}@example.org"


def reply_parent(index: int, reply_every: int = 4) -> int | None:
    """The index of the earlier comment that comment ``index`` (0-based, in time order) replies
    to, or None. Every ``reply_every``-th comment is a reply: alternately to the comment two
    before it, and to the previous reply (which nests a level deeper)."""
    if reply_every <= 0 or index % reply_every != reply_every - 1:
        return None
    if (index // reply_every) % 2 == 1:
        return index - reply_every
    return index - 2 if index >= 2 else index - 1


def load_threads(
    wp: LiveWordPress,
    n_threads: int = 3,
    *,
    post_ids: Sequence[int] | None = None,
    day: str = "day1",
    reply_every: int = 4,
    keep_ids: bool = True,
    pingbacks: bool = True,
) -> list[LoadedThread]:
    """Insert articles from the bundled truth (tests/fixtures/ldv/truth/<day>/) with their
    comments (real authors, local UK times, texts) in one bridge batch.

    The threads are ``post_ids`` or the first ``n_threads`` of ``thread_order(day)`` (47108 with
    38 comments, then 17772, 69228, ...). Every ``reply_every``-th comment gets a parent (see
    ``reply_parent``) so the threads nest. With ``keep_ids`` the posts and comments keep the
    truth's ids (set ``wp`` timezone to Europe/London, the default, for the truth's local
    times to mean what they meant). With ``pingbacks`` the truth's pingbacks go in too
    (comment_type ``pingback``; not among expected_comments()).
    """
    chosen = list(post_ids) if post_ids is not None else thread_order(day)[:n_threads]
    ops: list[tuple[str, dict[str, Any]]] = []
    plan: list[dict[str, Any]] = []
    for truth_id in chosen:
        data = json.loads((TRUTH / day / f"{truth_id}.json").read_text())
        post_index = len(ops)
        post_args: dict[str, Any] = {
            "title": data["title"],
            "content": "\n\n".join(data.get("body_paragraphs") or []),
            "date": data["published_local"],
            "author": data.get("author") or "The Voice",
            "categories": data.get("category") or [],
            "tags": data.get("tags") or [],
            "slug": _slug(data["url"]),
        }
        if keep_ids:
            post_args["id"] = data["post_id"]
        ops.append(("insert_post", post_args))
        entry: dict[str, Any] = {
            "truth": data,
            "post": post_index,
            "comments": [],
            "pingbacks": [],
            "parents": [],
        }
        comments = sorted(data["comments"], key=lambda c: (c["posted_local"], c["comment_id"]))
        for i, comment in enumerate(comments):
            args: dict[str, Any] = {
                "post_id": {"$ref": post_index},
                "author": comment["author"],
                "author_email": _email(comment["author"]),
                "author_url": comment.get("author_url") or "",
                "content": "\n\n".join(comment.get("body_paragraphs") or []),
                "date": comment["posted_local"],
                "approved": 1,
            }
            if comment.get("is_post_author"):
                args["by_post_author"] = True
            parent = reply_parent(i, reply_every)
            if parent is not None:
                args["parent"] = {"$ref": entry["comments"][parent]}
            if keep_ids:
                args["id"] = comment["comment_id"]
            entry["parents"].append(parent)
            entry["comments"].append(len(ops))
            ops.append(("insert_comment", args))
        if pingbacks:
            for ping in data.get("pingbacks") or []:
                args = {
                    "post_id": {"$ref": post_index},
                    "author": ping.get("source_title") or ping.get("source_url"),
                    "author_url": ping.get("source_url") or "",
                    "content": ping.get("excerpt") or f"[…] {ping.get('source_title') or ''} […]",
                    "date": ping["posted_local"],
                    "type": "pingback",
                    "approved": 1,
                }
                if keep_ids:
                    args["id"] = ping["comment_id"]
                entry["pingbacks"].append(len(ops))
                ops.append(("insert_comment", args))
        plan.append(entry)
    results = wp.batch(ops)
    loaded = []
    for entry in plan:
        post = results[entry["post"]]
        ids = [results[k]["id"] for k in entry["comments"]]
        parents = {ids[i]: ids[p] for i, p in enumerate(entry["parents"]) if p is not None}
        loaded.append(
            LoadedThread(
                post_id=post["id"],
                link=post["link"],
                title=entry["truth"]["title"],
                comment_ids=ids,
                parents=parents,
                pingback_ids=[results[k]["id"] for k in entry["pingbacks"]],
                truth_post_id=entry["truth"]["post_id"],
            )
        )
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m testing.wordpress_live", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--threads", type=int, default=3, help="bundled threads to load (default 3)"
    )
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    parser.add_argument("--theme", default="twentytwentyone", choices=THEMES)
    args = parser.parse_args(argv)
    reason = wordpress_unavailable(install=True)
    if reason:
        print(reason, file=sys.stderr)
        return 1
    with LiveWordPress(port=args.port or None, theme=args.theme) as wp:
        for thread in load_threads(wp, args.threads):
            print(f"{thread.link}  ({len(thread.comment_ids)} comments)")
        print(
            f"serving {wp.base_url}/ (database on 127.0.0.1:{wp.db_port}); Ctrl-C stops", flush=True
        )
        try:
            while wp.running:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
