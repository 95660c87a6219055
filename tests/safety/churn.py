"""Another client on the same target: a bounded churn of foreign iSCSI credentials.

Real clusters are shared (issue 14): while the suite runs, other clients (Trident, an
admin, another host's tooling) create, patch and delete their own credentials. ``Churn``
plays that client from a background thread, against a loopback target only::

    with Churn(url, ["svm1", "svm4"], USERNAME, PASSWORD, seed=7, rate=20, max_alive=6,
               hold=3) as churn:
        run_the_suite()
    churn.counts()  # {"created": ..., "patched": ..., "deleted": ..., "errors": ..., ...}

What it does, and what it never does:

- It creates initiators only in its own IQN namespace, ``<namespace>:<tag>-<n>``
  (default namespace ``iqn.1999-01.com.example.churn``, ``tag`` random per instance), never
  in the suite's namespaces (``iqn.2000-01.org.conformance.*``,
  ``iqn.2000-01.org.example.conformance``).
- It patches and deletes only records it created itself (it checks every key against its
  own list and namespace before a write); it never reads a password back (none is ever
  returned) and never touches a ``default`` credential or a record of anyone else.
- Bounds: at most ``max_alive`` records of its own exist at any moment (held ones
  included), request starts are at least ``1 / rate`` seconds apart, and the target must
  be a loopback address.
- ``hold=N`` creates N records at ``__enter__``, before the suite starts (records that exist
  before the run, as a real host's would); the thread then patches ``hold_patch`` and
  deletes ``hold_delete`` of them at points drawn from ``seed`` among its first
  ``hold_within`` actions, and leaves the rest alone.
- ``autostart=False``: ``__enter__`` creates the held records only; ``start()`` starts the
  thread (so a caller can look at the target in between).
- ``__exit__`` stops the thread; with ``cleanup=True`` (the default) it deletes every record
  of its own that is still alive, so nothing is left behind.

The action sequence (which action, which SVM, bodies, passwords) is drawn from ``seed``;
the interleaving with the suite's requests is not reproducible and need not be.
"""

from __future__ import annotations

import ipaddress
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import requests

CRED = "/api/protocols/san/iscsi/credentials"
NAMESPACE = "iqn.1999-01.com.example.churn"
#: The suite's namespaces: a churner must never create names inside them.
SUITE_NAMESPACES = ("iqn.2000-01.org.conformance", "iqn.2000-01.org.example.conformance")
Key = tuple[str, str]  # (svm uuid, initiator)


class ChurnError(RuntimeError):
    """The churner cannot run as asked (not loopback, unknown SVM, forbidden namespace)."""


class _Stopped(Exception):
    """The thread was stopped while it waited for its next request slot."""


def _loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise ChurnError(f"churn runs against loopback targets only, not {host or url!r}")


class Churn:
    """Create, patch and delete foreign credentials from a thread until the context exits."""

    def __init__(self, base_url: str, svms: list[str], username: str, password: str, *,
                 seed: int = 0, rate: float = 20.0, max_alive: int = 6, hold: int = 0,
                 hold_patch: int | None = None, hold_delete: int | None = None,
                 hold_within: int = 12,
                 namespace: str = NAMESPACE, tag: str | None = None, cleanup: bool = True,
                 autostart: bool = True, verify: bool | str = True,
                 timeout: float = 10.0) -> None:
        _loopback(base_url)
        if not svms:
            raise ChurnError("churn needs at least one SVM name")
        if not rate > 0:
            raise ChurnError(f"rate must be > 0 requests/s, not {rate}")
        if max_alive < 1 or hold > max_alive:
            raise ChurnError(f"max_alive must be >= 1 and >= hold ({max_alive}, {hold})")
        hold_patch = min(1, hold) if hold_patch is None else hold_patch
        hold_delete = min(1, hold - hold_patch) if hold_delete is None else hold_delete
        if min(hold, hold_patch, hold_delete) < 0 or hold_patch + hold_delete > hold:
            raise ChurnError("hold, hold_patch and hold_delete must be >= 0 and "
                             "hold_patch + hold_delete <= hold")
        if namespace.lower().startswith(SUITE_NAMESPACES):
            raise ChurnError(f"{namespace!r} is inside the suite's namespace")
        self.base = base_url.rstrip("/")
        self.svm_names = list(svms)
        self.rate, self.max_alive, self.cleanup = rate, max_alive, cleanup
        self.autostart = autostart
        self.prefix = f"{namespace}:{tag or secrets.token_hex(3)}-"
        self.random = random.Random(seed)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.auth = (username, password)
        self.session.trust_env = False  # loopback: never through a proxy
        self.session.verify = verify
        self.hold_count = hold
        self._hold_plan: dict[int, tuple[str, Key]] = {}
        self._hold_patch, self._hold_delete, self._hold_within = hold_patch, hold_delete, hold_within
        self.svm_uuids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._n = 0
        self._actions = 0
        self._last_start = float("-inf")
        self._alive: dict[Key, str] = {}  # our records alive -> their authentication type
        self.held: list[Key] = []
        self._counts = {"created": 0, "patched": 0, "deleted": 0, "errors": 0, "requests": 0,
                        "cleaned": 0, "held_patched": 0, "held_deleted": 0, "at_cap": 0}
        self._ever: set[Key] = set()
        self._patched_keys: set[Key] = set()
        self._deleted_keys: set[Key] = set()
        self._passwords: list[str] = []
        self.request_starts: deque[float] = deque(maxlen=10000)
        self.error_log: deque[str] = deque(maxlen=50)
        self.max_alive_seen = 0

    # --- the context ---------------------------------------------------------------------
    def __enter__(self) -> Churn:
        self._resolve_svms()
        for _ in range(self.hold_count):
            key = self._create()
            if key is None:
                self._cleanup()
                raise ChurnError(f"could not create the held records: {list(self.error_log)}")
            self.held.append(key)
        self._plan_held()
        if self.autostart:
            self.start()
        return self

    def start(self) -> None:
        """Start the thread (``__enter__`` does, unless ``autostart=False``: then the held
        records exist and nothing else happens until this call)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="churn", daemon=True)
            self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.cleanup:
            self._cleanup()
        self.session.close()

    def stop(self) -> None:
        """Stop the thread (bounded wait: at most one request timeout plus one pause)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 2 / self.rate + 5)
            if self._thread.is_alive():
                self._error("the churn thread did not stop in time")

    def wait_until(self, done: Callable[[dict[str, int]], bool], attempts: int = 600,
                   pause: float = 0.05) -> bool:
        """Poll ``done(counts)`` (bounded: ``attempts`` polls); True when it held."""
        for _ in range(attempts):
            if done(self.counts()):
                return True
            if self._thread is not None and not self._thread.is_alive():
                return done(self.counts())
            time.sleep(pause)
        return done(self.counts())

    # --- what it did ---------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def alive(self) -> set[Key]:
        """Our records that exist now (as far as our own answers tell)."""
        with self._lock:
            return set(self._alive)

    def created_keys(self) -> set[Key]:
        """Every key this churner created, alive or not."""
        with self._lock:
            return set(self._ever)

    def patched_keys(self) -> set[Key]:
        with self._lock:
            return set(self._patched_keys)

    def deleted_keys(self) -> set[Key]:
        """Keys deleted mid-run (not by the cleanup at exit)."""
        with self._lock:
            return set(self._deleted_keys)

    def passwords(self) -> list[str]:
        """Every CHAP password this churner sent: secrets no report may ever contain."""
        with self._lock:
            return list(self._passwords)

    def owns(self, initiator: str) -> bool:
        return initiator.startswith(self.prefix)

    # --- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._act()
            except _Stopped:
                return
            except Exception as exc:  # a churner that dies silently would test nothing
                self._error(f"churn action failed: {type(exc).__name__}: {exc}")

    def _act(self) -> None:
        self._actions += 1
        planned = self._hold_plan.pop(self._actions, None)
        if planned is not None:
            kind, key = planned
            if key in self.alive():
                if kind == "patch" and self._patch(key):
                    self._count("held_patched")
                elif kind == "delete" and self._delete(key):
                    self._count("held_deleted")
            return
        alive = sorted(self.alive() - set(self.held))  # held ones change only as planned
        choices = ["create"] if len(self.alive()) < self.max_alive else []
        if not choices:
            self._count("at_cap")  # it would have created, but max_alive are alive
        if alive:
            choices += ["patch", "patch", "delete"]
        if not choices:  # full of held records waiting for their planned change: wait
            self._pace()
            return
        action = self.random.choice(choices)
        if action == "create":
            self._create()
        elif action == "patch":
            self._patch(self.random.choice(alive))
        else:
            self._delete(self.random.choice(alive))

    def _plan_held(self) -> None:
        """Which held records change mid-run, and at which action (drawn from the seed)."""
        chosen = self.random.sample(self.held, self._hold_patch + self._hold_delete)
        slots = self.random.sample(range(1, max(self._hold_within, len(chosen)) + 1),
                                   len(chosen))
        for i, (key, slot) in enumerate(zip(chosen, slots, strict=True)):
            self._hold_plan[slot] = ("patch" if i < self._hold_patch else "delete", key)

    # --- requests ------------------------------------------------------------------------
    def _pace(self) -> None:
        """Start requests at least 1/rate seconds apart. The thread gives up the request
        when it is stopped while it waits; the cleanup at exit waits it out."""
        wait = self._last_start + 1 / self.rate - time.monotonic()
        if wait > 0:
            if threading.current_thread() is self._thread:
                if self._stop.wait(wait):
                    raise _Stopped
            else:
                time.sleep(wait)
        self._last_start = time.monotonic()

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        self._pace()
        with self._lock:
            self._counts["requests"] += 1
            self.request_starts.append(self._last_start)
        try:
            return self.session.request(method, self.base + path, timeout=self.timeout,
                                        **kwargs)
        except requests.RequestException as exc:
            self._error(f"{method} {path}: {type(exc).__name__}")
            return None

    def _path(self, key: Key) -> str:
        return f"{CRED}/{key[0]}/{quote(key[1], safe='')}"

    def _resolve_svms(self) -> None:
        for name in self.svm_names:
            answer = self._send("GET", "/api/svm/svms", params={"name": name, "fields": "uuid"})
            records = (answer.json().get("records") or []) if answer is not None and \
                answer.status_code == 200 else []
            if len(records) != 1:
                status = answer.status_code if answer is not None else "no answer"
                raise ChurnError(f"SVM {name!r} not found on the target ({status})")
            self.svm_uuids[name] = records[0]["uuid"]

    def _create(self) -> Key | None:
        svm = self.random.choice(self.svm_names)
        with self._lock:
            if len(self._alive) >= self.max_alive:
                return None
            self._n += 1
            initiator = f"{self.prefix}{self._n}"
        key = (self.svm_uuids[svm], initiator)
        auth = self._auth_body()
        body: dict[str, Any] = {"svm": {"name": svm}, "initiator": initiator, **auth}
        addresses = self._addresses()
        if addresses:
            body["initiator_address"] = addresses
        answer = self._send("POST", CRED, json=body)
        if answer is None:  # no answer: our name is unique, so a GET tells whether it exists
            check = self._send("GET", self._path(key))
            if check is None or check.status_code != 200:
                return None
        elif answer.status_code != 201:
            self._error(f"POST {initiator}: {self._summary(answer)}")
            return None
        with self._lock:
            self._alive[key] = auth["authentication_type"]
            self._ever.add(key)
            self._counts["created"] += 1
            self.max_alive_seen = max(self.max_alive_seen, len(self._alive))
        return key

    def _patch(self, key: Key) -> bool:
        self._mine(key)
        with self._lock:
            current = self._alive.get(key)
        body: dict[str, Any] = self._auth_body(other_than=current)
        if self.random.random() < 0.6:
            body["initiator_address"] = self._addresses(allow_empty=True)
        answer = self._send("PATCH", self._path(key), json=body)
        if answer is None or answer.status_code != 200:
            self._gone_if_404(key, answer)
            if answer is not None:
                self._error(f"PATCH {key[1]}: {self._summary(answer)}")
            return False
        with self._lock:
            self._counts["patched"] += 1
            self._patched_keys.add(key)
            if key in self._alive:
                self._alive[key] = body["authentication_type"]
        return True

    def _delete(self, key: Key, *, cleaning: bool = False) -> bool:
        self._mine(key)
        answer = self._send("DELETE", self._path(key))
        if answer is None or answer.status_code != 200:
            self._gone_if_404(key, answer)
            if answer is not None:
                self._error(f"DELETE {key[1]}: {self._summary(answer)}")
            return False
        with self._lock:
            self._alive.pop(key, None)
            self._counts["cleaned" if cleaning else "deleted"] += 1
            if not cleaning:
                self._deleted_keys.add(key)
        return True

    def _cleanup(self) -> None:
        for key in sorted(self.alive()):
            if not self._delete(key, cleaning=True):
                self._delete(key, cleaning=True)  # one retry (a dropped connection)

    def _mine(self, key: Key) -> None:
        """The guard: a write goes only to a record this churner created."""
        with self._lock:
            ours = key in self._ever and self.owns(key[1])
        if not ours:
            raise ChurnError(f"refusing to write to a record churn did not create: {key}")

    def _gone_if_404(self, key: Key, answer: requests.Response | None) -> None:
        if answer is not None and answer.status_code == 404:
            with self._lock:
                self._alive.pop(key, None)

    # --- bodies --------------------------------------------------------------------------
    def _auth_body(self, other_than: str | None = None) -> dict[str, Any]:
        """A random authentication; a patch always changes the type (a visible change)."""
        kind = self.random.choice([k for k in ("none", "deny", "chap") if k != other_than])
        if kind != "chap":
            return {"authentication_type": kind}
        password = f"churn-{self.random.getrandbits(64):016x}"
        inbound = {"user": f"churn-user-{self.random.randrange(1000)}", "password": password}
        with self._lock:
            self._passwords.append(password)
        return {"authentication_type": "chap", "chap": {"inbound": inbound}}

    def _addresses(self, *, allow_empty: bool = False) -> dict[str, Any] | None:
        pick = self.random.random()
        if pick < 0.3:
            return {"ranges": [], "masks": []} if allow_empty else None
        ranges, masks = [], []
        for _ in range(self.random.randint(1, 2)):
            if self.random.random() < 0.5:
                low = self.random.randrange(1, 200)
                ranges.append({"start": f"192.0.2.{low}",
                               "end": f"192.0.2.{low + self.random.randrange(0, 50)}"})
            else:
                ranges.append({"start": f"2001:db8::{self.random.randrange(1, 0x7fff):x}",
                               "end": "2001:db8::ffff"})
        if self.random.random() < 0.7:
            length = self.random.choice([24, 28, 32])
            net = ipaddress.ip_network(f"198.51.100.{self.random.randrange(256)}/{length}",
                                       strict=False)
            masks.append({"address": str(net.network_address), "netmask": str(length)})
        if self.random.random() < 0.3:
            masks.append({"address": "2001:db8:1::", "netmask": "48"})
        return {"ranges": ranges, "masks": masks}

    # --- bookkeeping ---------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _error(self, text: str) -> None:
        with self._lock:
            self._counts["errors"] += 1
            self.error_log.append(text)

    @staticmethod
    def _summary(answer: requests.Response) -> str:
        try:
            error = (answer.json() or {}).get("error") or {}
        except ValueError:
            error = {}
        return f"{answer.status_code} code {error.get('code')!r}"
