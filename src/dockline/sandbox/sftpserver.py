"""A real SFTP server on loopback (asyncssh), in a background thread.

Used by the simulated WMS and by the transport tests. One user, logging in
with a password and/or a public key; the user sees ``root`` as ``/``
(a chroot), with the OpenSSH ``posix-rename@openssh.com`` extension. Each
server runs its own asyncio loop in its own thread, so several can run in one
process.

Fault switches for tests:

* :meth:`SftpServer.rotate_host_key` — the server presents a new host key to
  new connections (the "host key changed" path);
* :meth:`SftpServer.drop_after_bytes` — the next upload and/or download is cut
  off after ``n`` bytes of file data: the bytes up to there are written (or
  sent), then the connection is dropped;
* :meth:`SftpServer.deny` — every operation on a path (and below) answers
  "permission denied".
"""
from __future__ import annotations

import asyncio
import logging
import posixpath
import secrets
import threading
from pathlib import Path

import asyncssh

log = logging.getLogger(__name__)

_PRIVATE_FORMATS = {
    # What `fmt="pem"` means per key type: the classic PEM form OpenSSH and paramiko read.
    "ssh-rsa": "pkcs1-pem",
    "ecdsa-sha2-nistp256": "pkcs1-pem",
    "ecdsa-sha2-nistp384": "pkcs1-pem",
    "ecdsa-sha2-nistp521": "pkcs1-pem",
    "ssh-ed25519": "pkcs8-pem",
}


def _public_line(key: asyncssh.SSHKey) -> str:
    return " ".join(key.export_public_key("openssh").decode("ascii").split()[:2])


def _generate(key_type: str) -> asyncssh.SSHKey:
    if key_type == "ssh-rsa":
        return asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    return asyncssh.generate_private_key(key_type)


class _Fault:
    """A one-shot cut-off after `remaining` bytes in one direction ("upload", "download" or "any")."""

    def __init__(self, remaining: int, direction: str):
        self.remaining = remaining
        self.direction = direction


class SftpServer:
    """asyncssh serving `root` on 127.0.0.1; `port=0` picks a free port.

    Attributes: ``host``, ``port``, ``username``, ``password``, ``root`` (Path),
    ``host_key_line`` (``"ssh-ed25519 AAAA..."``), ``client_private_key_pem``
    (OpenSSH text of a key authorized for the user), ``drops`` (faults fired),
    ``logins`` (successful logins).
    """

    def __init__(
        self,
        root: str | Path,
        *,
        username: str = "dockline",
        password: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        password_auth: bool = True,
        key_auth: bool = True,
        host_key_type: str = "ssh-ed25519",
        client_key_type: str = "ssh-ed25519",
        host_key: str | None = None,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password if password is not None else secrets.token_urlsafe(12)
        self.host = host
        self.port = port
        self.password_auth = password_auth
        self.key_auth = key_auth
        # `host_key`: private key text (OpenSSH or PEM) to keep the same host key across restarts.
        self._host_key = asyncssh.import_private_key(host_key) if host_key else _generate(host_key_type)
        self.host_key_line = _public_line(self._host_key)
        self._authorized: set[bytes] = set()
        self.client_private_key_pem = self.new_client_key(client_key_type)
        self.drops = 0
        self.logins = 0
        self._lock = threading.Lock()
        self._fault: _Fault | None = None
        self._denied: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._conns: set[asyncssh.SSHServerConnection] = set()

    # -- keys ----------------------------------------------------------------

    def new_client_key(self, key_type: str = "ssh-ed25519", fmt: str = "openssh") -> str:
        """Generate a client key, authorize it for the user, return its private key text.

        `fmt`: "openssh" (``BEGIN OPENSSH PRIVATE KEY``), "pem" (PKCS#1/SEC1 for
        RSA/ECDSA, PKCS#8 for Ed25519) or any asyncssh export format name.
        """
        key = _generate(key_type)
        self._authorized.add(key.public_data)
        export = _PRIVATE_FORMATS.get(key_type, "pkcs8-pem") if fmt == "pem" else fmt
        return key.export_private_key(export).decode("ascii")

    @property
    def host_key_private_pem(self) -> str:
        """The host's private key (OpenSSH text), to pass back as `host_key=` after a restart."""
        return self._host_key.export_private_key("openssh").decode("ascii")

    def authorize_key(self, public_key_line: str) -> None:
        """Let the user log in with this public key ("ssh-ed25519 AAAA...")."""
        self._authorized.add(asyncssh.import_public_key(public_key_line).public_data)

    def rotate_host_key(self, key_type: str = "ssh-ed25519") -> str:
        """Present a new host key to new connections; returns its line."""
        self._host_key = _generate(key_type)
        self.host_key_line = _public_line(self._host_key)
        if self._acceptor is not None and self._loop is not None:
            key = self._host_key
            self._call(lambda: self._acceptor.update(server_host_keys=[key]))
        return self.host_key_line

    # -- fault switches ---------------------------------------------------------

    def drop_after_bytes(self, n: int, direction: str = "any") -> None:
        """Drop the connection once `n` more bytes of file data went up ("upload"), down ("download") or either."""
        if direction not in ("upload", "download", "any"):
            raise ValueError("direction must be 'upload', 'download' or 'any'")
        with self._lock:
            self._fault = _Fault(max(0, int(n)), direction)

    def clear_faults(self) -> None:
        with self._lock:
            self._fault = None
            self._denied.clear()

    def deny(self, path: str) -> None:
        """Answer "permission denied" for `path` (as the client sees it) and everything below it."""
        with self._lock:
            self._denied.add(posixpath.normpath("/" + path.lstrip("/")))

    def allow(self, path: str) -> None:
        with self._lock:
            self._denied.discard(posixpath.normpath("/" + path.lstrip("/")))

    def _cut(self, direction: str, n: int) -> int | None:
        """How many of `n` bytes may pass before the connection drops; None: all of them."""
        with self._lock:
            fault = self._fault
            if fault is None or fault.direction not in (direction, "any"):
                return None
            if n <= fault.remaining:
                fault.remaining -= n
                return None
            allowed = fault.remaining
            self._fault = None
            self.drops += 1
            return allowed

    def _is_denied(self, client_path: str) -> bool:
        with self._lock:
            denied = tuple(self._denied)
        return any(client_path == d or client_path.startswith(d.rstrip("/") + "/") for d in denied)

    # -- life cycle ---------------------------------------------------------------

    def start(self) -> "SftpServer":
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=f"sftp-sandbox-{id(self):x}", daemon=True)
        self._thread.start()
        ready.wait(10)
        try:
            asyncio.run_coroutine_threadsafe(self._listen(), loop).result(30)
        except BaseException:
            self.stop()
            raise
        log.info("sandbox SFTP server on %s:%s serving %s", self.host, self.port, self.root)
        return self

    async def _listen(self) -> None:
        owner = self

        class _Server(asyncssh.SSHServer):
            def __init__(self) -> None:
                self._conn: asyncssh.SSHServerConnection | None = None

            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                self._conn = conn
                owner._conns.add(conn)

            def connection_lost(self, exc: Exception | None) -> None:
                if self._conn is not None:
                    owner._conns.discard(self._conn)

            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return owner.password_auth

            def validate_password(self, username: str, password: str) -> bool:
                ok = username == owner.username and secrets.compare_digest(
                    password.encode("utf-8"), owner.password.encode("utf-8")
                )
                if ok:
                    owner.logins += 1
                return ok

            def public_key_auth_supported(self) -> bool:
                return owner.key_auth

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                ok = username == owner.username and key.public_data in owner._authorized
                if ok:
                    owner.logins += 1
                return ok

        class _Sftp(asyncssh.SFTPServer):
            def __init__(self, chan: asyncssh.SSHServerChannel) -> None:
                super().__init__(chan, chroot=str(owner.root).encode())

            def map_path(self, path: bytes) -> bytes:
                virtual = posixpath.normpath(posixpath.join("/", path.decode("utf-8", "replace")))
                if owner._is_denied(virtual):
                    raise asyncssh.SFTPPermissionDenied("Permission denied")
                return super().map_path(path)

            def read(self, file_obj, offset: int, size: int):
                data = super().read(file_obj, offset, size)
                allowed = owner._cut("download", len(data))
                if allowed is None:
                    return data
                self.connection.abort()
                raise asyncssh.SFTPConnectionLost("sandbox fault: connection dropped mid-download")

            def write(self, file_obj, offset: int, data: bytes):
                allowed = owner._cut("upload", len(data))
                if allowed is None:
                    return super().write(file_obj, offset, data)
                if allowed:
                    super().write(file_obj, offset, data[:allowed])
                self.connection.abort()
                raise asyncssh.SFTPConnectionLost("sandbox fault: connection dropped mid-upload")

        self._acceptor = await asyncssh.listen(
            self.host,
            self.port,
            server_host_keys=[self._host_key],
            server_factory=_Server,
            sftp_factory=_Sftp,
            allow_scp=False,
            login_timeout=30,
        )
        self.port = self._acceptor.get_port()

    def _call(self, fn) -> None:
        """Run `fn` on the server's loop and wait for it."""
        loop = self._loop
        if loop is None or not loop.is_running():
            fn()
            return
        done = threading.Event()
        errors: list[BaseException] = []

        def wrapper() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                errors.append(exc)
            finally:
                done.set()

        loop.call_soon_threadsafe(wrapper)
        done.wait(10)
        if errors:
            raise errors[0]

    def drop_connections(self) -> None:
        """Abort every open client connection (the listener stays up)."""
        self._call(lambda: [c.abort() for c in list(self._conns)])

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            if self._acceptor is not None:
                self._acceptor.close()
            for conn in list(self._conns):
                conn.abort()
            if self._acceptor is not None:
                try:
                    await asyncio.wait_for(self._acceptor.wait_closed(), 5)
                except Exception:  # noqa: BLE001
                    pass

        if loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
            except Exception:  # noqa: BLE001 - stopping anyway
                pass
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None
        self._thread = None
        self._acceptor = None
        self._conns.clear()

    def __enter__(self) -> "SftpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SftpServer {self.username}@{self.host}:{self.port} root={self.root}>"
