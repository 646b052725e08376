"""Webhooks for the BigCommerce sandbox: the V3 `/hooks` records and their delivery.

Like BigCommerce, the sandbox POSTs a lightweight callback (`producer`, `hash`,
`created_at`, `store_id`, `scope`, `data`) to every active hook whose scope
matches the event (exactly, or a `store/order/*` wildcard), with the custom
`headers` given at registration. A delivery answered with anything but 2xx is
retried a few times with backoff. Delivery runs on its own thread, so the
store operation that caused the event never waits for it.

As BigCommerce does, the sandbox takes only destinations served over https on
port 443 (422 otherwise). It delivers on loopback through `Deliverer.resolve`,
which maps a destination's host name to a local origin, as DNS and a TLS proxy
would for the real store: a test registers `https://dockline.test/...` and the
callbacks reach its server at `http://127.0.0.1:<port>/...`. A destination on
no resolved or loopback host is never contacted.
"""
from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from urllib.parse import urlsplit

import httpx

from dockline.sandbox.bigcommerce.store import ApiError, BigCommerceStore

log = logging.getLogger(__name__)

STORE_ID = "1025646"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _epoch() -> int:
    return int(time.time())


def create_hook(store: BigCommerceStore, store_hash: str, client_id: str, body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(422, "The request body is invalid.")
    errors = {k: "required" for k in ("scope", "destination") if not isinstance(body.get(k), str) or not body.get(k)}
    if errors:
        raise ApiError(422, "Missing or invalid data", errors)
    _check_headers(body)
    _check_destination(body)
    with store.lock:
        hook_id = max(store.hooks, default=22561592) + 1
        now = _epoch()
        store.hooks[hook_id] = {
            "id": hook_id, "client_id": client_id, "store_hash": store_hash, "scope": body["scope"],
            "destination": body["destination"], "headers": body.get("headers"),
            "is_active": bool(body.get("is_active", True)), "created_at": now, "updated_at": now,
        }
        return dict(store.hooks[hook_id])


def update_hook(store: BigCommerceStore, hook_id: int, body) -> dict:
    if not isinstance(body, dict):
        raise ApiError(422, "The request body is invalid.")
    _check_headers(body)
    _check_destination(body)
    with store.lock:
        hook = get_hook(store, hook_id)
        for key in ("scope", "destination", "is_active", "headers"):
            if key in body:
                hook[key] = body[key]
        hook["updated_at"] = _epoch()
        store.hooks[hook_id] = hook
        return dict(hook)


def get_hook(store: BigCommerceStore, hook_id: int) -> dict:
    with store.lock:
        if hook_id not in store.hooks:
            raise ApiError(404, f"Webhook {hook_id} was not found.")
        return dict(store.hooks[hook_id])


def _check_headers(body: dict) -> None:
    headers = body.get("headers")
    if headers is not None and (
        not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values())
    ):
        raise ApiError(422, "Missing or invalid data", {"headers": "must be an object of strings"})


def _check_destination(body: dict) -> None:
    """BigCommerce's rule: the destination is served over https on port 443 ("custom ports are not supported")."""
    if "destination" not in body:
        return
    destination = body["destination"]
    parts = urlsplit(destination if isinstance(destination, str) else "")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or not parts.hostname or port not in (None, 443):
        raise ApiError(422, "JSON data is missing or invalid", {
            "destination": "must be an https URL served on port 443; custom ports are not supported"})


def _matches(pattern: str, scope: str) -> bool:
    return pattern == scope or (pattern.endswith("/*") and scope.startswith(pattern[:-1]))


class Deliverer:
    """Sends the store's events to its hooks. `repeat` sends each callback that many times
    (BigCommerce delivers at least once); `delivered` keeps (hook id, scope, status) per attempt."""

    def __init__(self, store: BigCommerceStore, store_hash: str, *, retries: int = 3, backoff: float = 0.5):
        self.store = store
        self.store_hash = store_hash
        self.retries = retries
        self.backoff = backoff
        self.repeat = 1
        self.resolve: dict[str, str] = {}  # host name -> loopback origin its callbacks really go to
        self.delivered: list[tuple[int, str, int | None]] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._http = httpx.Client(timeout=5.0)
        store.listeners.append(self._enqueue)

    def _enqueue(self, scope: str, data: dict) -> None:
        self._queue.put((scope, data, _epoch()))

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"bigcommerce-hooks-{self.store_hash}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        self._http.close()

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if not self._stopping.is_set():
                    self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, scope: str, data: dict, created_at: int) -> None:
        with self.store.lock:
            hooks = [dict(h) for h in self.store.hooks.values() if h["is_active"] and _matches(h["scope"], scope)]
        for hook in hooks:
            body = {
                "producer": f"stores/{self.store_hash}",
                "hash": hashlib.sha1(json.dumps([hook["id"], scope, data, created_at]).encode()).hexdigest(),
                "created_at": created_at,
                "store_id": STORE_ID,
                "scope": scope,
                "data": data,
            }
            for _ in range(self.repeat):
                self._post(hook, scope, body)

    def _address(self, destination: str) -> str | None:
        """Where a callback really goes: a resolved host's loopback origin with the destination's path,
        a loopback destination as it is, else None (the sandbox never sends beyond this machine)."""
        parts = urlsplit(destination)
        local = self.resolve.get(parts.hostname or "")
        if local is not None:
            return local.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        return destination if parts.hostname in LOOPBACK else None

    def _post(self, hook: dict, scope: str, body: dict) -> None:
        headers = {**(hook.get("headers") or {}), "Content-Type": "application/json"}
        address = self._address(hook["destination"])
        if address is None:
            self.delivered.append((hook["id"], scope, None))
            log.info("sandbox webhook %s to %s not sent: its host is not resolved to loopback", scope,
                     hook["destination"])
            return
        for attempt in range(self.retries + 1):
            try:
                status = self._http.post(address, content=json.dumps(body), headers=headers).status_code
            except httpx.HTTPError:
                status = None
            self.delivered.append((hook["id"], scope, status))
            if status is not None and 200 <= status < 300:
                return
            if self._stopping.wait(self.backoff * (2 ** attempt)):
                return
        log.info("sandbox webhook %s to %s gave up after %d attempts", scope, hook["destination"], self.retries + 1)
