"""Fault plans for the test mirror: which URL paths misbehave, how, and for how many tries."""

from __future__ import annotations

import codecs
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal, cast, get_args

FaultKind = Literal[
    "status",
    "rate_limit",
    "slow",
    "reset",
    "truncate",
    "encoding",
    "huge",
    "garbage",
    "redirect_loop",
    "redirect",
    "replace",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))

# Parameters each kind accepts besides `kind` and `times`; anything else is a typo in a plan.
_PARAMS: dict[str, frozenset[str]] = {
    "status": frozenset({"status", "retry_after"}),
    "rate_limit": frozenset({"retry_after"}),
    "slow": frozenset({"seconds"}),
    "reset": frozenset(),
    "truncate": frozenset({"keep_bytes"}),
    "encoding": frozenset({"declare", "charset", "label"}),
    "huge": frozenset({"megabytes"}),
    "garbage": frozenset({"style", "size", "seed"}),
    "redirect_loop": frozenset({"to", "status"}),
    "redirect": frozenset({"to", "status"}),
    "replace": frozenset({"body", "content_type", "status"}),
}
_GLOB_CHARS = frozenset("*?[")
# JSON types each parameter may take; bool is excluded from the numbers because it is an int.
_TYPES: dict[str, tuple[type, ...]] = {
    "times": (int, type(None)),
    "status": (int, type(None)),
    "retry_after": (int, type(None)),
    "seconds": (int, float),
    "keep_bytes": (int, type(None)),
    "declare": (bool,),
    "charset": (str,),
    "label": (str, type(None)),
    "megabytes": (int, float),
    "style": (str,),
    "size": (int,),
    "seed": (int,),
    "to": (str,),
    "body": (str,),
    "content_type": (str,),
}


@dataclass(frozen=True)
class Fault:
    """One misbehaviour, applied to the first `times` requests of a path (every request if None).

    Kinds and the parameters each takes (others keep their defaults):

    - status (status=500, retry_after): that error status instead of the page.
    - rate_limit (retry_after=1): 429 with `Retry-After: <seconds>`.
    - slow (seconds=5.0): sleep, then answer normally.
    - reset: close the connection with a TCP RST, no response.
    - truncate (keep_bytes=half): full Content-Length, part of the body, then close.
    - encoding (declare=true, charset="windows-1252", label=charset): the page re-encoded in
      `charset`; if `declare` the header names `label` (a lie when it differs from `charset`),
      else it is `text/html` with no charset. Markup is kept.
    - huge (megabytes=20): the page padded to that many MiB.
    - garbage (style="bytes"|"markup", size=4096, seed=0): random bytes, or the page cut in
      half then broken tags, as `text/html; charset=UTF-8`.
    - redirect_loop (to=same path with the trailing slash toggled, status=301): A -> to -> A.
    - redirect (to, status=301): to an absolute URL or a path on this server.
    - replace (body, content_type=the file's or text/html, status=200): literal content.
    """

    kind: FaultKind
    times: int | None = None
    # status: the error code; redirect kinds: 301/302/307/308; replace: the status sent.
    status: int | None = None
    retry_after: int | None = None
    seconds: float = 5.0
    # truncate: body bytes actually sent; None sends the first half.
    keep_bytes: int | None = None
    declare: bool = True
    charset: str = "windows-1252"
    # encoding: the charset the Content-Type header names; None names the real one.
    label: str | None = None
    megabytes: float = 20.0
    style: Literal["bytes", "markup"] = "bytes"
    size: int = 4096
    seed: int = 0
    to: str | None = None
    body: str | None = None
    content_type: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"{self.kind}: times must be >= 0, got {self.times}")
        if self.kind == "redirect" and not self.to:
            raise ValueError("redirect: needs `to` (an absolute URL or a path)")
        if self.kind == "replace" and self.body is None:
            raise ValueError("replace: needs `body`")
        try:
            codecs.lookup(self.charset)
        except LookupError:
            raise ValueError(f"encoding: unknown charset {self.charset!r}") from None
        if self.style not in ("bytes", "markup"):
            raise ValueError(f"garbage: style must be 'bytes' or 'markup', got {self.style!r}")

    @classmethod
    def from_dict(cls, entry: Mapping[str, object]) -> Fault:
        """Build a fault from one config entry, rejecting parameters its kind does not take."""
        kind = entry.get("kind")
        if not isinstance(kind, str) or kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        unknown = set(entry) - {"kind", "times"} - _PARAMS[kind]
        if unknown:
            raise ValueError(f"{kind}: unknown parameter(s) {sorted(unknown)}")
        for key, value in entry.items():
            allowed = _TYPES.get(key, (str,))
            if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
                raise ValueError(f"{kind}: {key} has the wrong type ({value!r})")
        known = {f.name for f in fields(cls)}
        kwargs = {key: value for key, value in entry.items() if key in known}
        # The loop above checked each value against its field's type.
        return cls(**kwargs)  # type: ignore[arg-type]

    def effective_retry_after(self) -> int | None:
        """Seconds for a `Retry-After` header, if this fault sends one."""
        if self.kind == "rate_limit" and self.retry_after is None:
            return 1
        return self.retry_after

    def effective_status(self) -> int:
        """The status line this fault sends, with each kind's default filled in."""
        if self.kind == "rate_limit":
            return 429
        if self.status is not None:
            return self.status
        if self.kind == "status":
            return 500
        if self.kind in ("redirect", "redirect_loop"):
            return 301
        return 200


def loop_partner(path: str) -> str:
    """The default other end of a redirect loop: the same path with the trailing slash toggled."""
    return path[:-1] if path.endswith("/") and path != "/" else path + "/"


class FaultPlan:
    """Faults keyed by URL path, with a thread-safe count of tries per requested path.

    A key is an exact path (`/feed/`) or an `fnmatch` glob (`/*-47108.html`, `*` also matches
    `/`). An exact key wins; otherwise globs are tried in the order given. Each requested path
    has its own counter, so a glob with `times: 1` fails every matching page once.
    """

    def __init__(self, rules: Mapping[str, Fault]) -> None:
        exact: dict[str, Fault] = {}
        globs: list[tuple[str, Fault]] = []
        for key, fault in rules.items():
            if not key.startswith("/") and not key.startswith("*"):
                raise ValueError(f"fault key {key!r} must be a URL path starting with '/'")
            if _GLOB_CHARS.isdisjoint(key):
                exact[key] = fault
            elif fault.kind == "redirect_loop":
                raise ValueError(f"redirect_loop needs an exact path, not the glob {key!r}")
            else:
                globs.append((key, fault))
        # A loop A -> B also needs B -> A; add it unless the plan says what B does.
        for key, fault in list(exact.items()):
            if fault.kind == "redirect_loop":
                partner = fault.to or loop_partner(key)
                exact[key] = replace(fault, to=partner)
                exact.setdefault(partner, replace(fault, to=key))
        self._exact = exact
        self._globs = globs
        self._tries: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, object]]) -> FaultPlan:
        """Build a plan from `{path: {"kind": ..., "times": ..., **params}}`."""
        rules: dict[str, Fault] = {}
        for key, entry in config.items():
            try:
                rules[key] = Fault.from_dict(entry)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"fault {key!r}: {exc}") from exc
        return cls(rules)

    @classmethod
    def from_file(cls, path: Path) -> FaultPlan:
        """Load a plan from a JSON file holding the same mapping as `from_config`."""
        config = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(config, dict):
            raise ValueError(f"{path}: a fault plan is a JSON object keyed by URL path")
        return cls.from_config(cast(dict[str, dict[str, object]], config))

    def match(self, path: str) -> Fault | None:
        """The fault configured for `path`, without counting a try."""
        if path in self._exact:
            return self._exact[path]
        for pattern, fault in self._globs:
            if fnmatchcase(path, pattern):
                return fault
        return None

    def take(self, path: str) -> Fault | None:
        """Count one try of `path` and return its fault while the fault is still active."""
        fault = self.match(path)
        if fault is None:
            return None
        with self._lock:
            tries = self._tries.get(path, 0) + 1
            self._tries[path] = tries
        return fault if fault.times is None or tries <= fault.times else None

    def tries(self, path: str) -> int:
        """How many requests for `path` have matched a fault so far."""
        with self._lock:
            return self._tries.get(path, 0)

    def reset(self) -> None:
        """Forget all tries, so every fault fires again from the start."""
        with self._lock:
            self._tries.clear()
