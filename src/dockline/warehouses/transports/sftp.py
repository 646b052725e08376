"""SFTP transport (paramiko).

Settings and credentials, as the caller puts them in :class:`TransportConfig`:

* ``host``, ``port`` (default 22), ``username``, ``password`` (may be empty);
* ``extra["private_key"]``: the private key as text (PEM or OpenSSH; RSA,
  Ed25519 or ECDSA), optional;
* ``extra["host_key"]``: the server's host key as pinned, ``"<type> <base64>"``.
  A different key stops the connection with a FATAL :class:`HostKeyChanged`
  until a person accepts the new key. With no key pinned, Test Connection (and a
  transport used directly) takes the key the server shows and leaves it in
  :attr:`SftpTransport.seen_host_key` for the caller to show (:func:`fingerprint`)
  and pin; a warehouse's runs set :attr:`SftpTransport.require_pinned_host_key`
  and refuse with :class:`HostKeyUnknown` instead of trusting on first use. Either
  refusal hands the key offered to :attr:`SftpTransport.on_host_key_checked`, so a
  person can compare and accept it; a later match tells it too (a stale offer is dropped).

Writes are atomic: data goes to ``.<name>.part`` in the same folder, then is
renamed with ``posix-rename@openssh.com`` when the server offers it (an atomic
replace); otherwise with a plain rename, removing an existing target first
only when the plain rename fails because of it.

Every remote failure is raised as a :class:`ConnectorError` classified for the
sync engine: network trouble and timeouts are RETRYABLE, rejected credentials
REAUTH, a changed host key FATAL; permission denied, a missing folder and a full
quota are CONFIG, quoting the server's words and saying what to fix. Connecting,
each request and each reply are bounded by the config's timeout. Neither the
password nor the private key is ever logged or put in a message.
"""
from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import io
import logging
import posixpath
import secrets
import socket
import stat
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, ClassVar

import paramiko

from dockline.core.addresses import connect_checked
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.platforms.base import CredentialField
from dockline.warehouses.transports.base import (
    FIX_DENIED,
    FIX_FULL,
    FIX_MISSING,
    CheckedTransport,
    RemoteFile,
    Step,
    TransportConfig,
    register,
)

log = logging.getLogger(__name__)

POSIX_RENAME = "posix-rename@openssh.com"

# Host key algorithms per key type, in the order we prefer them.
_ALGORITHMS: dict[str, tuple[str, ...]] = {
    "ssh-ed25519": ("ssh-ed25519",),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256",),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384",),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521",),
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
}


# -- host keys -------------------------------------------------------------------


def _parse_host_key(line: str) -> tuple[str, bytes]:
    """(key type, key blob) from ``"<type> <base64>"`` (a known_hosts line works too)."""
    tokens = (line or "").split()
    for i, token in enumerate(tokens[:-1]):
        if token.startswith(("ssh-", "ecdsa-", "sk-")):
            try:
                blob = base64.b64decode(tokens[i + 1], validate=True)
            except (binascii.Error, ValueError):
                break
            if len(blob) < 4:
                break
            (n,) = struct.unpack(">I", blob[:4])
            inner = blob[4 : 4 + n].decode("ascii", "replace")
            if inner != token:
                raise ValueError(f"host key says {token} but its data is a {inner} key")
            return token, blob
    raise ValueError("not a host key: expected '<type> <base64>', e.g. 'ssh-ed25519 AAAA...'")


def fingerprint(host_key_line: str) -> str:
    """The OpenSSH SHA256 fingerprint of a host key line, e.g. ``"SHA256:nThbg6kX..."``."""
    _type, blob = _parse_host_key(host_key_line)
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def fingerprint_label(host_key_line: str) -> str:
    """What a person compares: ``"SHA256:nThbg6kX... (ssh-ed25519)"``."""
    return f"{fingerprint(host_key_line)} ({host_key_line.split()[0]})"


def _key_line(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()}"


class HostKeyChanged(ConnectorError):
    """The server presented a different host key than the one pinned (FATAL)."""

    def __init__(self, host: str, port: int, expected: str, presented: str):
        self.expected = expected
        self.presented = presented
        exp_type, pre_type = expected.split()[0], presented.split()[0]
        super().__init__(
            f"The SFTP server's host key has changed: {host}:{port} presented {fingerprint(presented)} "
            f"({pre_type}) but the key pinned for it is {fingerprint(expected)} ({exp_type}). "
            "This happens when the server was reinstalled or moved, or when someone is intercepting "
            "the connection. The connection was stopped and will stay stopped until a person checks "
            "the new key with the warehouse and accepts it on the connection page.",
            ErrorKind.FATAL,
        )


class HostKeyUnknown(ConnectorError):
    """No host key is pinned for this server, and runs do not trust on first use (FATAL)."""

    def __init__(self, host: str, port: int, presented: str):
        self.presented = presented
        super().__init__(
            f"No host key is pinned for the SFTP server {host}:{port}, which presented "
            f"{fingerprint(presented)} ({presented.split()[0]}). Dockline does not trust a key no person has "
            "checked: an administrator compares this fingerprint with the one the warehouse gives and accepts it "
            "on the connection page. Nothing was sent and orders stay queued.",
            ErrorKind.FATAL,
        )


# -- private keys ------------------------------------------------------------------


def load_private_key(text: str) -> paramiko.PKey:
    """A paramiko key from PEM or OpenSSH text (RSA, Ed25519, ECDSA; PKCS#1, SEC1, PKCS#8 or OpenSSH).

    Raises ValueError in plain words (never quoting the key).
    """
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        raise ValueError("the private key is empty")
    if "Proc-Type: 4,ENCRYPTED" in text or "BEGIN ENCRYPTED PRIVATE KEY" in text:
        raise ValueError("the private key is protected by a passphrase; paste an unencrypted key")
    text += "\n"
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except paramiko.PasswordRequiredException:
            raise ValueError("the private key is protected by a passphrase; paste an unencrypted key") from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError, AssertionError, struct.error):
            continue
    # PKCS#8 ("BEGIN PRIVATE KEY") and other forms paramiko does not read itself.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    data = text.encode("utf-8")
    key = None
    for loader in (serialization.load_pem_private_key, serialization.load_ssh_private_key):
        try:
            key = loader(data, password=None)
            break
        except TypeError:
            raise ValueError("the private key is protected by a passphrase; paste an unencrypted key") from None
        except Exception:  # noqa: BLE001 - cryptography raises several kinds
            continue
    if isinstance(key, ed25519.Ed25519PrivateKey):
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
        return paramiko.Ed25519Key.from_private_key(io.StringIO(pem.decode("ascii")))
    if isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
        cls = paramiko.RSAKey if isinstance(key, rsa.RSAPrivateKey) else paramiko.ECDSAKey
        return cls.from_private_key(io.StringIO(pem.decode("ascii")))
    raise ValueError("the private key could not be read: expected an RSA, Ed25519 or ECDSA key in PEM or OpenSSH form")


# -- error classification ------------------------------------------------------------


def describe_error(exc: BaseException, host: str = "", port: int | None = None, *,
                   folder: bool = False) -> tuple[str, ErrorKind]:
    """A plain-words reason for a socket/SSH/SFTP failure, and how the engine should treat it."""
    where = f"{host}:{port}" if host else "the server"
    if isinstance(exc, ConnectorError):
        return exc.message, exc.kind
    if isinstance(exc, paramiko.PasswordRequiredException):
        return "the private key is protected by a passphrase; paste an unencrypted key", ErrorKind.REAUTH
    if isinstance(exc, paramiko.BadAuthenticationType):
        allowed = ", ".join(exc.allowed_types or []) or "none"
        return f"authentication failed: the server does not accept this login method (it allows: {allowed})", ErrorKind.REAUTH
    if isinstance(exc, paramiko.AuthenticationException):
        return "authentication failed: the server rejected the login", ErrorKind.REAUTH
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out waiting for {where}", ErrorKind.RETRYABLE
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused: nothing is listening on {where}", ErrorKind.RETRYABLE
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return f"the connection to {where} was dropped", ErrorKind.RETRYABLE
    if isinstance(exc, EOFError):
        return f"{where} closed the connection", ErrorKind.RETRYABLE
    if isinstance(exc, socket.gaierror):
        return f"host name {host!r} could not be resolved ({exc.strerror or exc})", ErrorKind.RETRYABLE
    if isinstance(exc, paramiko.SSHException):
        text = str(exc) or type(exc).__name__
        lower = text.lower()
        if "connection dropped" in lower or "channel closed" in lower or "no existing session" in lower:
            return f"the connection to {where} was dropped", ErrorKind.RETRYABLE
        if "banner" in lower:
            return f"{where} answered, but not with SSH (or too slowly): {text}", ErrorKind.RETRYABLE
        if "incompatible" in lower or "no acceptable" in lower:
            return f"the server and Dockline share no SSH algorithm: {text}", ErrorKind.FATAL
        return f"SSH error talking to {where}: {text}", ErrorKind.RETRYABLE
    if isinstance(exc, OSError):
        code = exc.errno
        text = exc.strerror or (exc.args[0] if exc.args and isinstance(exc.args[0], str) else "") or str(exc)
        if code == errno.ENOENT:
            if folder:
                return f"folder not found ({text}): {FIX_MISSING}", ErrorKind.CONFIG
            return f"not found ({text})", ErrorKind.FATAL
        if code == errno.EACCES or code == errno.EPERM:
            return f"permission denied ({text}): {FIX_DENIED}", ErrorKind.CONFIG
        if code in (errno.EDQUOT, errno.ENOSPC) or any(w in text.lower() for w in ("quota", "no space")):
            return f"the server is out of space for this login ({text}): {FIX_FULL}", ErrorKind.CONFIG
        if code is None and "socket is closed" in text.lower():
            return f"the connection to {where} was dropped", ErrorKind.RETRYABLE
        return f"the server reported a failure: {text}", ErrorKind.RETRYABLE
    return f"{type(exc).__name__}: {exc}", ErrorKind.FATAL


# What `_errors` translates; anything else is a bug and propagates as is.
_WIRE_ERRORS = (OSError, EOFError, paramiko.SSHException)


class _SftpClient(paramiko.SFTPClient):
    """paramiko's client, remembering the extensions the server offers in its VERSION packet."""

    def _send_version(self):  # noqa: D401 - paramiko hook
        from paramiko.message import Message
        from paramiko.sftp import _VERSION, CMD_INIT, CMD_VERSION, SFTPError

        m = Message()
        m.add_int(_VERSION)
        self._send_packet(CMD_INIT, m)
        t, data = self._read_packet()
        if t != CMD_VERSION:
            raise SFTPError("Incompatible sftp protocol")
        msg = Message(data)
        version = msg.get_int()
        extensions: dict[str, bytes] = {}
        try:
            while msg.get_remainder():
                name = msg.get_string().decode("utf-8", "replace")
                extensions[name] = msg.get_string()
        except Exception:  # noqa: BLE001 - a malformed extension list only loses the extensions
            pass
        self.extensions = extensions
        return version


@register
class SftpTransport(CheckedTransport):
    """SFTP with paramiko; see the module docstring for settings and behaviour."""

    _wire_errors = _WIRE_ERRORS

    name: ClassVar[str] = "sftp"
    label: ClassVar[str] = "SFTP"
    default_port: ClassVar[int] = 22
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("host", "Host", help="Server name or IP address of the warehouse's SFTP server"),
        CredentialField("port", "Port", required=False, default="22"),
        CredentialField("username", "Username"),
        CredentialField(
            "password", "Password", secret=True, required=False,
            help="Leave empty when logging in with a private key",
        ),
        CredentialField(
            "private_key", "Private key", secret=True, required=False,
            help="PEM or OpenSSH text of an RSA, Ed25519 or ECDSA key (not passphrase-protected)",
        ),
    )

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self.seen_host_key: str | None = None  # "<type> <base64>" the server presented
        self.host_key_is_new: bool = False  # True when no key was pinned and seen_host_key was taken
        self.require_pinned_host_key: bool = False  # runs: refuse a server with no pinned key (no TOFU)
        # Told (key presented, trusted?) at every check; the Warehouse records a refused key for a person.
        self.on_host_key_checked: Callable[[str, bool], None] | None = None
        self.extensions: dict[str, bytes] = {}
        self._sock: socket.socket | None = None
        self._transport: paramiko.Transport | None = None
        self._sftp: _SftpClient | None = None
        self._known_dirs: set[str] = set()

    def __repr__(self) -> str:  # never shows the password or key
        return f"<{type(self).__name__} {self.config.username}@{self.config.host}:{self.port}>"

    @property
    def port(self) -> int:
        return int(self.config.port or self.default_port)

    @property
    def expected_host_key(self) -> str:
        """The recorded host key; within one transport object, the first key seen counts as recorded."""
        return (self.config.extra.get("host_key") or "").strip() or (self.seen_host_key or "")

    # -- connection ----------------------------------------------------------

    def connect(self) -> None:
        if self._sftp is not None and self._alive():
            return
        self._drop()
        with self._errors("connect"):
            try:
                self._reach()
                self._check_host_key()
                self._login()
                self._open_sftp()
            except BaseException:
                self._drop()
                raise

    def close(self) -> None:
        self._drop()

    def _alive(self) -> bool:
        t = self._transport
        return t is not None and t.is_active()

    def _drop(self) -> None:
        sftp, self._sftp = self._sftp, None
        transport, self._transport = self._transport, None
        sock, self._sock = self._sock, None
        self._known_dirs.clear()
        for thing in (sftp, transport, sock):
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # noqa: BLE001 - closing: the server may be gone already
                    pass

    # Phases of connect, also the first steps of test() --------------------------

    def _reach(self) -> str:
        timeout = self.config.timeout
        sock = connect_checked(self.config.host, self.port, timeout)
        self._sock = sock
        transport = paramiko.Transport(sock)
        self._transport = transport
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        transport.auth_timeout = timeout
        options = transport.get_security_options()
        options.key_types = self._key_type_order(tuple(options.key_types))
        done = threading.Event()
        transport.start_client(event=done)  # returns at once; `done` is set when the handshake ends
        if not done.wait(timeout):
            raise TimeoutError(f"no SSH handshake within {timeout:g} s")
        if not transport.is_active():
            raise transport.get_exception() or paramiko.SSHException("SSH negotiation failed")
        return transport.remote_version or ""

    def _key_type_order(self, available: tuple[str, ...]) -> tuple[str, ...]:
        """Ask first for the kind of host key recorded, so a server with several keys shows that one."""
        preferred: list[str] = []
        expected = self.expected_host_key
        if expected:
            try:
                key_type, _blob = _parse_host_key(expected)
                preferred += list(_ALGORITHMS.get(key_type, (key_type,)))
            except ValueError:
                pass
        for algos in _ALGORITHMS.values():
            preferred += list(algos)
        ordered = [a for a in dict.fromkeys(preferred) if a in available]
        return tuple(ordered + [a for a in available if a not in ordered])

    def _check_host_key(self) -> str:
        """Compare the server's key with the pinned one before any credential is sent."""
        transport = self._client_transport()
        presented = _key_line(transport.get_remote_server_key())
        shown = f"{fingerprint(presented)} ({presented.split()[0]})"
        expected = self.expected_host_key
        if not expected:
            if self.require_pinned_host_key:
                self._checked(presented, False)
                raise HostKeyUnknown(self.config.host, self.port, presented)
            self.seen_host_key = presented
            self.host_key_is_new = True
            log.info("new SFTP host key for %s:%s: %s", self.config.host, self.port, shown)
            return f"{shown}, new: not pinned yet; compare it with the fingerprint the warehouse gives you"
        try:
            _etype, expected_blob = _parse_host_key(expected)
        except ValueError as exc:
            raise ConnectorError(f"the pinned host key cannot be read ({exc}); accept the server's key again",
                                 ErrorKind.FATAL) from None
        _ptype, presented_blob = _parse_host_key(presented)
        if presented_blob != expected_blob:
            self._checked(presented, False)
            raise HostKeyChanged(self.config.host, self.port, expected, presented)
        self._checked(presented, True)
        return f"{shown} matches the pinned key"

    def _checked(self, presented: str, trusted: bool) -> None:
        self.seen_host_key = presented
        if self.on_host_key_checked is not None:
            self.on_host_key_checked(presented, trusted)

    def _login(self) -> str:
        transport = self._client_transport()
        user = self.config.username
        password = self.config.password or ""
        key_text = (self.config.extra.get("private_key") or "").strip()
        if not password and not key_text:
            raise ConnectorError("no password or private key is configured for this SFTP login", ErrorKind.REAUTH)
        tried: list[str] = []
        if key_text:
            try:
                key = load_private_key(key_text)
            except ValueError as exc:
                raise ConnectorError(f"key rejected: {exc}", ErrorKind.REAUTH) from None
            try:
                transport.auth_publickey(user, key)
            except paramiko.BadAuthenticationType as exc:
                tried.append(f"the server does not take keys (it allows: {', '.join(exc.allowed_types or []) or 'none'})")
            except paramiko.AuthenticationException:
                tried.append("key")
            if transport.is_authenticated():
                return f"with private key {fingerprint(_key_line(key))} ({key.get_name()})"
        if password:
            try:
                transport.auth_password(user, password)
            except paramiko.BadAuthenticationType as exc:
                if "keyboard-interactive" in (exc.allowed_types or []):
                    try:
                        transport.auth_interactive(user, lambda _t, _i, prompts: [password for _p in prompts])
                    except paramiko.AuthenticationException:
                        tried.append("password")
                else:
                    tried.append(
                        f"the server does not take passwords (it allows: {', '.join(exc.allowed_types or []) or 'none'})"
                    )
            except paramiko.AuthenticationException:
                tried.append("password")
            if transport.is_authenticated():
                return "with password"
        if tried == ["key"]:
            reason = f"key rejected: the server did not accept the private key for user {user}"
        elif tried == ["password"]:
            reason = f"authentication failed: the server rejected the password for user {user}"
        elif tried == ["key", "password"]:
            reason = f"authentication failed: the server rejected both the private key and the password for user {user}"
        else:
            reason = f"authentication failed for user {user}: " + "; ".join(
                {"key": "key rejected", "password": "password rejected"}.get(t, t) for t in tried
            )
        raise ConnectorError(reason, ErrorKind.REAUTH)

    def _open_sftp(self) -> None:
        transport = self._client_transport()
        timeout = self.config.timeout
        # paramiko waits without limit for the subsystem to start: a frozen server would hang us.
        watchdog = threading.Timer(timeout, transport.close)
        watchdog.daemon = True
        watchdog.start()
        try:
            channel = transport.open_session(timeout=timeout)
            channel.settimeout(timeout)
            channel.invoke_subsystem("sftp")
            sftp = _SftpClient(channel)
        except (EOFError, paramiko.SSHException) as exc:
            if not watchdog.is_alive():
                raise TimeoutError(f"the SFTP session did not start within {timeout:g} s") from exc
            raise
        finally:
            watchdog.cancel()
        self._sftp = sftp
        self.extensions = dict(getattr(sftp, "extensions", {}) or {})
        log.debug("SFTP open to %s:%s as %s", self.config.host, self.port, self.config.username)

    def _client_transport(self) -> paramiko.Transport:
        if self._transport is None:
            raise ConnectorError("SFTP transport is not connected", ErrorKind.FATAL)
        return self._transport

    def _client(self) -> _SftpClient:
        if self._sftp is None or not self._alive():
            self.connect()
        assert self._sftp is not None
        return self._sftp

    @contextmanager
    def _errors(self, action: str, *, folder: bool = False) -> Iterator[None]:
        """Translate wire errors; `folder`: the path acted on is a folder (missing means a setup problem)."""
        try:
            yield
        except ConnectorError:
            raise
        except _WIRE_ERRORS as exc:
            reason, kind = describe_error(exc, self.config.host, self.port, folder=folder)
            if kind is not ErrorKind.FATAL or not self._alive():
                self._drop()  # the session may be in an unknown state: start afresh next time
            raise ConnectorError(f"SFTP {action} failed: {reason}", kind) from exc

    @property
    def posix_rename_offered(self) -> bool:
        return POSIX_RENAME in self.extensions

    # -- the Transport protocol ------------------------------------------------

    def list(self, folder: str) -> list[RemoteFile]:
        with self._errors(f"listing {folder}", folder=True):
            sftp = self._client()
            files = []
            for attrs in sftp.listdir_attr(folder):
                name = attrs.filename
                if name in (".", ".."):
                    continue
                mode = attrs.st_mode
                if mode is None:
                    attrs = sftp.stat(posixpath.join(folder, name))
                    mode = attrs.st_mode or 0
                if stat.S_ISREG(mode):
                    modified = datetime.fromtimestamp(attrs.st_mtime, UTC) if attrs.st_mtime is not None else None
                    files.append(RemoteFile(name, int(attrs.st_size or 0), modified))
            return sorted(files, key=lambda f: f.name)

    def read_into(self, path: str, sink: IO[bytes]) -> int:
        """Write the file into `sink`; returns its size. A dropped connection raises RETRYABLE (read again whole)."""
        with self._errors(f"reading {path}"):
            sftp = self._client()
            got = 0
            with sftp.open(path, "rb") as fh:
                size = fh.stat().st_size
                if size:
                    fh.prefetch(size, max_concurrent_requests=64)  # bounded read-ahead, not the whole file
                while block := fh.read(256 * 1024):
                    sink.write(block)
                    got += len(block)
            if size is not None and got < size:
                self._drop()
                raise ConnectorError(
                    f"SFTP reading {path} failed: got {got} of {size} bytes before the transfer stopped",
                    ErrorKind.RETRYABLE,
                )
            return got

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"bad file name {name!r}")
        final = posixpath.join(folder, name)
        temp = posixpath.join(folder, f".{name}.part")
        with self._errors(f"writing {final}"):
            sftp = self._client()
            self._makedirs(folder)
            try:
                with sftp.open(temp, "wb") as fh:
                    fh.set_pipelined(True)
                    fh.write(data)
                written = sftp.stat(temp).st_size
                if written is not None and written != len(data):
                    raise ConnectorError(
                        f"SFTP writing {final} failed: the server has {written} of {len(data)} bytes",
                        ErrorKind.RETRYABLE,
                    )
                self._replace(temp, final)
            except BaseException:
                self._try_remove(temp)
                raise

    def exists(self, path: str) -> bool:
        with self._errors(f"checking {path}"):
            return self._exists(path)

    def stat(self, path: str) -> RemoteFile | None:
        with self._errors(f"checking {path}"):
            try:
                attrs = self._client().stat(path)
            except FileNotFoundError:
                return None
            modified = datetime.fromtimestamp(attrs.st_mtime, UTC) if attrs.st_mtime is not None else None
            return RemoteFile(posixpath.basename(path), int(attrs.st_size or 0), modified)

    def move(self, src: str, dst_folder: str) -> str:
        """Move into `dst_folder` (created if missing), adding -1, -2... rather than overwriting."""
        with self._errors(f"moving {src} to {dst_folder}"):
            sftp = self._client()
            self._makedirs(dst_folder)
            base = posixpath.basename(src)
            stem, ext = posixpath.splitext(base)
            target = posixpath.join(dst_folder, base)
            n = 0
            while True:
                if not self._exists(target):
                    try:
                        sftp.rename(src, target)  # plain SFTP rename never overwrites
                        return target
                    except OSError:
                        if not self._exists(src):
                            raise
                        if not self._exists(target):
                            raise
                        # The target appeared meanwhile: try the next name.
                n += 1
                suffix = f"-{n}" if n < 1000 else f"-{secrets.token_hex(4)}"
                target = posixpath.join(dst_folder, f"{stem}{suffix}{ext}")

    def delete(self, path: str) -> None:
        with self._errors(f"deleting {path}"):
            self._client().remove(path)

    # -- helpers -----------------------------------------------------------------

    def _exists(self, path: str) -> bool:
        try:
            self._client().stat(path)
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return False
            raise

    def _replace(self, src: str, dst: str) -> None:
        sftp = self._client()
        if self.posix_rename_offered:
            try:
                sftp.posix_rename(src, dst)
                return
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.EACCES, errno.EPERM):
                    raise
                log.debug("posix-rename failed (%s); falling back to plain rename", exc)
        try:
            sftp.rename(src, dst)
        except OSError:
            # SFTP v3 rename refuses an existing target: remove it, then rename.
            if self._exists(dst) and self._exists(src):
                sftp.remove(dst)
                sftp.rename(src, dst)
            else:
                raise

    def _try_remove(self, path: str) -> None:
        if self._sftp is None or not self._alive():
            return
        try:
            self._sftp.remove(path)
        except Exception:  # noqa: BLE001 - best effort; the temp name is never read
            pass

    def _makedirs(self, folder: str) -> None:
        folder = posixpath.normpath(folder) if folder else "."
        if folder in ("/", ".", "") or folder in self._known_dirs:
            return
        sftp = self._client()
        current = "/" if folder.startswith("/") else ""
        for part in [p for p in folder.split("/") if p]:
            current = posixpath.join(current, part) if current else part
            if current in self._known_dirs:
                continue
            try:
                mode = sftp.stat(current).st_mode
                if mode is not None and not stat.S_ISDIR(mode):
                    raise ConnectorError(f"{current} exists on the server but is not a folder", ErrorKind.FATAL)
            except FileNotFoundError:
                try:
                    sftp.mkdir(current)
                except OSError:
                    mode = sftp.stat(current).st_mode  # made meanwhile by someone else?
                    if mode is None or not stat.S_ISDIR(mode):
                        raise
            self._known_dirs.add(current)

    # -- Test Connection (the sequence is CheckedTransport.test) ---------------------

    def _connect_steps(self) -> list[Step]:
        return [
            Step(f"Reach {self.config.host}:{self.port}", self._reach),
            Step("Check host key", self._check_host_key),
            Step(f"Log in as {self.config.username}", self._login),
            Step("Open SFTP session", self._open_sftp, quiet=True),
        ]

    def _list_checked(self, path: str) -> list[RemoteFile]:
        sftp = self._client()
        mode = sftp.stat(path).st_mode
        if mode is not None and not stat.S_ISDIR(mode):
            raise ConnectorError(f"{path} is a file on the server, not a folder", ErrorKind.FATAL)
        return self.list(path)

    def _step_reason(self, exc: BaseException, folder: str | None) -> str:
        cause = exc.__cause__ if isinstance(exc, ConnectorError) and exc.__cause__ else exc
        reason, _kind = describe_error(cause, self.config.host, self.port)
        if isinstance(cause, (TimeoutError, socket.timeout)):
            reason = f"timed out after {self.config.timeout:g} s waiting for {self.config.host}:{self.port}"
        if folder and isinstance(cause, OSError) and not isinstance(cause, (TimeoutError, socket.timeout)):
            if cause.errno == errno.ENOENT:
                reason = f"folder {folder} is missing on the server"
            elif cause.errno in (errno.EACCES, errno.EPERM):
                reason = f"permission denied on {folder}"
        return reason
