"""A real FTP (or explicit-TLS FTPS) server on loopback, in a background thread.

Used by the simulated WMS and by the transport tests. Each server has its own
pyftpdlib IOLoop, so several can run in one process.

With ``require_session_reuse`` a TLS data connection that does not resume the
control connection's TLS session is refused with 522, as vsftpd's
``require_ssl_reuse`` does. :meth:`LoopbackFtpServer.drop_after_bytes` cuts
the next upload and/or download off after ``n`` bytes of file data (the bytes
up to there are written or sent, then the whole session is dropped).
"""
from __future__ import annotations

import datetime as _dt
import logging
import secrets
import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

log = logging.getLogger(__name__)

FULL_PERMS = "elradfmwMT"  # list, read, append, delete, rename, mkdir, write, chmod, mtime


def _quiet_pyftpdlib() -> None:
    # pyftpdlib configures stderr logging itself unless logging is configured;
    # a NullHandler counts as configured, and records still reach the root logger.
    lg = logging.getLogger("pyftpdlib")
    if not lg.handlers:
        lg.addHandler(logging.NullHandler())
    if lg.level == logging.NOTSET:
        lg.setLevel(logging.WARNING)


class LoopbackFtpServer:
    """pyftpdlib serving `root` on 127.0.0.1; `port=0` picks a free port.

    With `tls_certfile` (a PEM with certificate and key) it speaks explicit
    FTPS (AUTH TLS); `tls_required` refuses plain logins and plain data.
    """

    def __init__(
        self,
        root: str | Path,
        *,
        username: str = "dockline",
        password: str | None = None,
        perm: str = FULL_PERMS,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_certfile: str | Path | None = None,
        tls_required: bool = False,
        require_session_reuse: bool = False,
    ) -> None:
        self.root = Path(root)
        self.username = username
        self.password = password if password is not None else secrets.token_urlsafe(12)
        self.host = host
        self.port = port
        self.tls_certfile = str(tls_certfile) if tls_certfile else None
        self.tls_required = tls_required
        self.require_session_reuse = require_session_reuse
        self.refused_data_connections = 0  # TLS data connections refused for not reusing the session
        self.drops = 0  # faults fired
        self._fault: tuple[int, str] | None = None
        self._fault_lock = threading.Lock()
        self.authorizer = DummyAuthorizer()
        self.authorizer.add_user(username, self.password, str(self.root), perm=perm)
        self._server: FTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def add_user(self, username: str, password: str, *, perm: str = FULL_PERMS, home: str | Path | None = None) -> None:
        self.authorizer.add_user(username, password, str(home or self.root), perm=perm)

    def drop_after_bytes(self, n: int, direction: str = "any", *, hang_up: bool = True) -> None:
        """Cut the next "upload", "download" (or "any") transfer off after `n` bytes of file data.

        `hang_up=False`: the transfer just ends there and the server reports it complete
        (226), as a buggy server or a file truncated under it would.
        """
        with self._fault_lock:
            self._fault = (int(n), direction, hang_up)

    def clear_faults(self) -> None:
        """Disarm a pending `drop_after_bytes`."""
        with self._fault_lock:
            self._fault = None

    def deny_writes(self, folder: str) -> None:
        """Refuse writes, renames and deletes in `folder` (as the FTP user sees it) and below, with 550,
        as a folder whose permissions were changed on the server; list and read still work."""
        path = (self.root / folder.strip("/")).resolve()
        self.authorizer.override_perm(self.username, str(path), "elr", recursive=True)

    def allow_writes(self, folder: str) -> None:
        path = (self.root / folder.strip("/")).resolve()
        self.authorizer.user_table[self.username]["operms"].pop(str(path), None)

    def _take_fault(self, direction: str) -> tuple[int, bool] | None:
        with self._fault_lock:
            if self._fault and self._fault[1] in (direction, "any"):
                n, _direction, hang_up = self._fault
                self._fault = None
                self.drops += 1
                return n, hang_up
        return None

    def _handler_class(self) -> type[FTPHandler]:
        attrs = {
            "authorizer": self.authorizer,
            "abstracted_fs": _faulty_fs(self),
            "use_sendfile": False,  # file data passes through Python, where drop_after_bytes can cut it
            "banner": "Dockline sandbox FTP ready.",
            "timeout": 120,
            "auth_failed_timeout": 0.1,  # pyftpdlib waits 3 s after a bad login by default
        }
        if self.tls_certfile:
            from pyftpdlib.handlers import TLS_FTPHandler

            if self.require_session_reuse:
                attrs["dtp_handler"] = _reuse_checking_dtp(self)
            attrs.update(
                certfile=self.tls_certfile,
                ssl_context=None,  # built per class, from certfile
                tls_control_required=self.tls_required,
                tls_data_required=self.tls_required,
            )
            return type("SandboxTlsHandler", (TLS_FTPHandler,), attrs)
        return type("SandboxHandler", (FTPHandler,), attrs)

    def start(self) -> "LoopbackFtpServer":
        if self._server is not None:
            return self
        _quiet_pyftpdlib()
        self.root.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        self._server = FTPServer((self.host, self.port), self._handler_class(), ioloop=IOLoop())
        self.host, self.port = self._server.address[0], self._server.address[1]
        self._thread = threading.Thread(target=self._serve, name=f"ftp-{self.port}", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        server = self._server
        assert server is not None
        try:
            while not self._stop.is_set():
                server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        except Exception:  # noqa: BLE001 - keep the reason, the thread ends
            log.exception("sandbox FTP server on port %s stopped", self.port)
        finally:
            server.close_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        self._server = None

    def __enter__(self) -> "LoopbackFtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _reuse_checking_dtp(server: LoopbackFtpServer):
    from OpenSSL.SSL import _lib
    from pyftpdlib.handlers import TLS_DTPHandler

    class ReuseRequiredDTP(TLS_DTPHandler):
        def handle_ssl_established(self):
            if not _lib.SSL_session_reused(self.socket._ssl):
                server.refused_data_connections += 1
                self.cmd_channel.respond("522 Data connections must reuse the TLS session of the control connection.")
                self.close()
                return
            super().handle_ssl_established()

    return ReuseRequiredDTP


def _faulty_fs(server: LoopbackFtpServer) -> type[AbstractedFS]:
    class FaultyFS(AbstractedFS):
        def open(self, filename, mode):
            fh = super().open(filename, mode)
            fault = server._take_fault("upload" if "w" in mode or "a" in mode else "download")
            return fh if fault is None else _CutFile(fh, fault[0], self.cmd_channel if fault[1] else None)

    return FaultyFS


class _CutFile:
    """A file that lets `n` bytes through, then drops the FTP session (`cmd_channel`), or just ends (None)."""

    def __init__(self, fh, n: int, cmd_channel) -> None:
        self._fh, self._left, self._cmd = fh, n, cmd_channel
        self.name, self.closed = fh.name, False
        self._cut_done = False

    def _cut(self) -> None:
        self._fh.flush()
        if self._cmd is not None and not self._cut_done:
            self._cut_done = True
            self._cmd.close()  # control and data connection, no 226: as a network cut looks

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            self._cut()  # n = 0: cut before the first byte
            return b""
        data = self._fh.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(data)
        if self._left <= 0:
            self._cut()
        return data

    def write(self, data: bytes) -> int:
        if self._left <= 0:
            self._cut()  # n = 0: cut before the first byte
            return len(data)
        self._fh.write(data[: self._left])
        self._left -= len(data)
        if self._left <= 0:
            self._cut()
        return len(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def close(self) -> None:
        self.closed = True
        self._fh.close()


def self_signed_certificate(directory: str | Path, host: str = "127.0.0.1") -> Path:
    """Write a PEM holding a fresh self-signed certificate (valid for `host`) and its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = _dt.datetime.now(_dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = Path(directory) / "sandbox-cert.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path
