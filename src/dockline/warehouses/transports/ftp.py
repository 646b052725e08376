"""FTP transport (ftplib), built so that FTPS only overrides a few hooks.

Every remote failure is raised as a :class:`ConnectorError` classified for the
sync engine: network trouble, timeouts and 4xx replies are retryable, 530 means
the credentials no longer work; a folder that is missing or not writable and a
full quota (550/553/552/452) are CONFIG, quoting the server's own words and
saying what to fix; other 5xx replies are fatal. Every socket, control and data,
has the config's timeout. The password is never logged nor put in an error message.
"""
from __future__ import annotations

import ftplib
import io
import logging
import posixpath
import secrets
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, ClassVar

from dockline.core.addresses import check_destination
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

_MISSING_WORDS = ("no such", "not found", "does not exist", "doesn't exist", "cannot find", "can't find")
_DENIED_WORDS = ("permission", "denied", "privilege", "not allowed", "forbidden", "access",
                 "could not create", "operation failed", "can't create", "cannot create")
_FULL_WORDS = ("quota", "space", "storage", "disk full", "full")


def _reply_code(exc: ftplib.Error) -> str:
    text = str(exc).strip()
    return text[:3] if text[:3].isdigit() else ""


def describe_error(exc: BaseException, host: str = "", port: int | None = None, *,
                   folder: bool = False) -> tuple[str, ErrorKind]:
    """A plain-words reason for a socket/ftplib/TLS failure, and how to treat it."""
    where = f"{host}:{port}" if host else "the server"
    if isinstance(exc, ConnectorError):
        return exc.message, exc.kind
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate is not trusted ({exc.verify_message or exc})", ErrorKind.FATAL
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}", ErrorKind.RETRYABLE
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
    if isinstance(exc, ftplib.error_perm):
        text = str(exc).strip()
        code = _reply_code(exc)
        lower = text.lower()
        if code == "530":
            return f"login incorrect: the server rejected the username or password ({text})", ErrorKind.REAUTH
        if code == "552" or (code in ("550", "553") and any(w in lower for w in _FULL_WORDS)):
            return f"the server is out of space for this login ({text}): {FIX_FULL}", ErrorKind.CONFIG
        if any(w in lower for w in _MISSING_WORDS):
            if folder:
                return f"folder not found ({text}): {FIX_MISSING}", ErrorKind.CONFIG
            return f"not found ({text})", ErrorKind.FATAL
        if code in ("550", "553") and any(w in lower for w in _DENIED_WORDS):
            return f"permission denied ({text}): {FIX_DENIED}", ErrorKind.CONFIG
        if any(w in lower for w in _DENIED_WORDS):
            return f"permission denied ({text})", ErrorKind.FATAL
        return f"the server refused: {text}", ErrorKind.FATAL
    if isinstance(exc, ftplib.error_temp):
        text = str(exc).strip()
        if _reply_code(exc) == "452":
            return f"the server is out of space for this login ({text}): {FIX_FULL}", ErrorKind.CONFIG
        return f"the server is temporarily unable: {text}", ErrorKind.RETRYABLE
    if isinstance(exc, (ftplib.error_reply, ftplib.error_proto)):
        return f"unexpected reply from the server: {str(exc).strip()}", ErrorKind.RETRYABLE
    if isinstance(exc, OSError):
        return f"network error talking to {where}: {exc.strerror or exc}", ErrorKind.RETRYABLE
    return f"{type(exc).__name__}: {exc}", ErrorKind.FATAL


# What `_errors` translates; anything else is a bug and propagates as is.
_WIRE_ERRORS = (OSError, EOFError, ftplib.Error)


@register
class FtpTransport(CheckedTransport):
    """Plain FTP. Subclasses (FTPS) override `_new_client`, `_secure` and `_after_login`."""

    _wire_errors = _WIRE_ERRORS

    name: ClassVar[str] = "ftp"
    label: ClassVar[str] = "FTP"
    default_port: ClassVar[int] = 21
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("host", "Host", help="Server name or IP address of the warehouse's FTP server"),
        CredentialField("port", "Port", default="21", required=False),
        CredentialField("username", "Username"),
        CredentialField("password", "Password", secret=True),
    )
    # Name of the extra Test Connection step for securing the connection (FTPS), None for FTP.
    secure_step: ClassVar[str | None] = None

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self._ftp: ftplib.FTP | None = None
        self._features: set[str] | None = None
        self._known_dirs: set[str] = set()

    def __repr__(self) -> str:  # never shows the password
        return f"<{type(self).__name__} {self.config.username}@{self.config.host}:{self.port}>"

    @property
    def port(self) -> int:
        return int(self.config.port or self.default_port)

    # -- connection --------------------------------------------------------

    def connect(self) -> None:
        if self._ftp is not None:
            return
        with self._errors("connect"):
            try:
                self._open()
                self._secure()
                self._login()
            except BaseException:
                self._drop()
                raise

    def close(self) -> None:
        ftp, self._ftp = self._ftp, None
        self._features = None
        self._known_dirs.clear()
        if ftp is None:
            return
        try:
            ftp.quit()
        except Exception:  # noqa: BLE001 - closing: the server may be gone already
            pass
        try:
            ftp.close()
        except Exception:  # noqa: BLE001
            pass

    # Hooks for subclasses -------------------------------------------------

    def _new_client(self) -> ftplib.FTP:
        return ftplib.FTP(timeout=self.config.timeout, encoding="utf-8")

    def _secure(self) -> None:
        """Secure the control connection before login (FTPS: AUTH TLS)."""

    def _after_login(self, ftp: ftplib.FTP) -> None:
        """Called once logged in (FTPS: PBSZ 0 / PROT P)."""

    # Phases of connect, also the first steps of test() ---------------------

    def _open(self) -> str:
        check_destination(self.config.host, self.port)
        ftp = self._new_client()
        try:
            welcome = ftp.connect(self.config.host, self.port, timeout=self.config.timeout)
        except BaseException:
            ftp.close()
            raise
        self._ftp = ftp
        return welcome

    def _login(self) -> str:
        ftp = self._client()
        reply = ftp.login(self.config.username, self.config.password)
        ftp.set_pasv(True)
        self._after_login(ftp)
        log.debug("logged in to %s:%s as %s", self.config.host, self.port, self.config.username)
        return _first_line(reply)

    def _client(self) -> ftplib.FTP:
        if self._ftp is None:
            raise ConnectorError("FTP transport is not connected", ErrorKind.FATAL)
        return self._ftp

    def _ensure(self) -> ftplib.FTP:
        if self._ftp is None:
            self.connect()
        return self._client()

    @contextmanager
    def _errors(self, action: str, *, folder: bool = False) -> Iterator[None]:
        """Translate wire errors; `folder`: the path acted on is a folder (missing means a setup problem)."""
        try:
            yield
        except ConnectorError:
            raise
        except _WIRE_ERRORS as exc:
            reason, kind = describe_error(exc, self.config.host, self.port, folder=folder)
            if kind not in (ErrorKind.FATAL, ErrorKind.CONFIG) or not isinstance(exc, ftplib.error_perm):
                # The control connection may be in an unknown state: start afresh next time.
                self._drop()
            raise ConnectorError(f"{self.name.upper()} {action} failed: {reason}", kind) from exc

    def _drop(self) -> None:
        ftp, self._ftp = self._ftp, None
        self._features = None
        self._known_dirs.clear()
        if ftp is not None:
            try:
                ftp.close()
            except Exception:  # noqa: BLE001
                pass

    def _feature(self, name: str) -> bool:
        if self._features is None:
            feats: set[str] = set()
            try:
                resp = self._client().sendcmd("FEAT")
                for line in resp.splitlines()[1:]:
                    if line[:1] == " ":
                        feats.add(line.strip().split(" ")[0].upper())
            except ftplib.error_perm:
                pass  # FEAT not supported: no extensions
            self._features = feats
        return name.upper() in self._features

    # -- the Transport protocol --------------------------------------------

    def list(self, folder: str) -> list[RemoteFile]:
        with self._errors(f"listing {folder}", folder=True):
            ftp = self._ensure()
            files: list[RemoteFile] = []
            if self._feature("MLST"):
                for name, facts in ftp.mlsd(folder, facts=["type", "size", "modify"]):
                    if facts.get("type", "").lower() != "file":
                        continue
                    files.append(RemoteFile(posixpath.basename(name), _int(facts.get("size")),
                                            _timeval(facts.get("modify"))))
            else:
                try:
                    names = ftp.nlst(folder)
                except ftplib.error_perm as exc:
                    if _reply_code(exc) == "550" and not any(w in str(exc).lower() for w in _MISSING_WORDS):
                        names = []  # some servers answer 550 for an empty folder
                    else:
                        raise
                ftp.voidcmd("TYPE I")  # NLST left ASCII mode on; SIZE needs binary
                for entry in names:
                    name = posixpath.basename(entry.rstrip("/"))
                    if name in ("", ".", ".."):
                        continue
                    path = posixpath.join(folder, name)
                    try:
                        size = ftp.size(path)
                    except ftplib.error_perm:
                        continue  # a folder, or not retrievable
                    files.append(RemoteFile(name, size or 0, self._mdtm(path)))
            return sorted(files, key=lambda f: f.name)

    def read_into(self, path: str, sink: IO[bytes]) -> int:
        """Write the file into `sink`; returns its size. A transfer that ends short of the file's size raises RETRYABLE."""
        with self._errors(f"reading {path}"):
            ftp = self._ensure()
            got = 0

            def write(block: bytes) -> None:
                nonlocal got
                sink.write(block)
                got += len(block)

            ftp.retrbinary(f"RETR {path}", write, blocksize=64 * 1024)
            try:
                size = ftp.size(path)
            except ftplib.error_perm:  # SIZE not offered: the 226 reply is all we have
                size = None
            if size is not None and got < size:
                self._drop()
                raise ConnectorError(
                    f"{self.name.upper()} reading {path} failed: got {got} of {size} bytes "
                    "before the transfer stopped",
                    ErrorKind.RETRYABLE,
                )
            return got

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        if not name or "/" in name:
            raise ValueError(f"bad file name {name!r}")
        final = posixpath.join(folder, name)
        temp = posixpath.join(folder, f".{name}.part")
        with self._errors(f"writing {final}"):
            ftp = self._ensure()
            self._makedirs(folder)
            try:
                ftp.storbinary(f"STOR {temp}", io.BytesIO(data))
            except BaseException:
                self._try_delete(temp)
                raise
            self._rename(temp, final, replace=True)

    def exists(self, path: str) -> bool:
        with self._errors(f"checking {path}"):
            return self._exists(path)

    def stat(self, path: str) -> RemoteFile | None:
        with self._errors(f"checking {path}"):
            ftp = self._ensure()
            name = posixpath.basename(path)
            if self._feature("MLST"):
                try:
                    reply = ftp.sendcmd(f"MLST {path}")
                except ftplib.error_perm as exc:
                    if _reply_code(exc) in ("550", "553", "501"):
                        return None
                    raise
                facts = {}
                for line in reply.splitlines()[1:-1]:
                    for fact in line.strip().split(" ", 1)[0].split(";"):
                        key, _, value = fact.partition("=")
                        facts[key.lower()] = value
                return RemoteFile(name, _int(facts.get("size")), _timeval(facts.get("modify")))
            ftp.voidcmd("TYPE I")
            try:
                size = ftp.size(path)
            except ftplib.error_perm:
                return None
            return RemoteFile(name, size or 0, self._mdtm(path))

    def move(self, src: str, dst_folder: str) -> str:
        with self._errors(f"moving {src} to {dst_folder}"):
            self._ensure()
            self._makedirs(dst_folder)
            base = posixpath.basename(src)
            target = posixpath.join(dst_folder, base)
            stem, ext = posixpath.splitext(base)
            n = 0
            while self._exists(target):
                n += 1
                suffix = f"-{n}" if n < 1000 else f"-{secrets.token_hex(4)}"
                target = posixpath.join(dst_folder, f"{stem}{suffix}{ext}")
            self._rename(src, target, replace=False)
            return target

    def delete(self, path: str) -> None:
        with self._errors(f"deleting {path}"):
            self._ensure().delete(path)

    # -- helpers -------------------------------------------------------------

    def _mdtm(self, path: str) -> datetime | None:
        """A file's modification time by MDTM (UTC, to the second), None when the server does not say."""
        try:
            reply = self._client().sendcmd(f"MDTM {path}")
        except ftplib.error_perm:
            return None
        return _timeval(reply[4:].strip()) if reply.startswith("213") else None

    def _exists(self, path: str) -> bool:
        ftp = self._ensure()
        if self._feature("MLST"):
            try:
                ftp.sendcmd(f"MLST {path}")
                return True
            except ftplib.error_perm as exc:
                if _reply_code(exc) in ("550", "553", "501"):
                    return False
                raise
        parent, base = posixpath.split(path.rstrip("/"))
        try:
            names = ftp.nlst(parent or "/")
        except ftplib.error_perm:
            return False
        return base in {posixpath.basename(n.rstrip("/")) for n in names}

    def _rename(self, src: str, dst: str, *, replace: bool) -> None:
        ftp = self._client()
        try:
            ftp.rename(src, dst)
        except ftplib.error_perm:
            # Some servers refuse to rename onto an existing file.
            if replace and self._exists(dst):
                ftp.delete(dst)
                ftp.rename(src, dst)
            else:
                raise

    def _try_delete(self, path: str) -> None:
        ftp = self._ftp
        if ftp is None:
            return
        try:
            ftp.delete(path)
        except Exception:  # noqa: BLE001 - best effort; the temp name is never read
            pass

    def _makedirs(self, folder: str) -> None:
        folder = posixpath.normpath(folder) if folder else "."
        if folder in ("/", ".", "") or folder in self._known_dirs:
            return
        ftp = self._client()
        parts = [p for p in folder.split("/") if p]
        current = "/" if folder.startswith("/") else ""
        for part in parts:
            current = posixpath.join(current, part) if current else part
            if current in self._known_dirs:
                continue
            try:
                ftp.mkd(current)
            except ftplib.error_perm:
                if not self._is_dir(current):
                    raise
            self._known_dirs.add(current)

    def _is_dir(self, path: str) -> bool:
        ftp = self._client()
        if self._feature("MLST"):
            try:
                resp = ftp.sendcmd(f"MLST {path}")
            except ftplib.error_perm:
                return False
            return "type=dir" in resp.lower() or "type=cdir" in resp.lower()
        home = ftp.pwd()
        try:
            ftp.cwd(path)
        except ftplib.error_perm:
            return False
        ftp.cwd(home)
        return True

    # -- Test Connection (the sequence is CheckedTransport.test) -------------------

    def _connect_steps(self) -> list[Step]:
        steps = [Step(f"Reach {self.config.host}:{self.port}", self._open, _first_line)]
        if self.secure_step:
            steps.append(Step(self.secure_step, self._secure))
        steps.append(Step(f"Log in as {self.config.username}", self._login))
        return steps

    def _list_checked(self, path: str) -> list[RemoteFile]:
        if not self._feature("MLST") and not self._is_dir(path):
            raise ftplib.error_perm("550 No such file or directory.")
        return self.list(path)

    def _step_reason(self, exc: BaseException, folder: str | None) -> str:
        cause = exc.__cause__ if isinstance(exc, ConnectorError) and exc.__cause__ else exc
        reason, _kind = describe_error(cause, self.config.host, self.port)
        if folder and isinstance(cause, ftplib.error_perm):
            text = str(cause).lower()
            if any(w in text for w in _MISSING_WORDS):
                reason = f"folder {folder} is missing on the server ({str(cause).strip()})"
            elif any(w in text for w in _DENIED_WORDS):
                reason = f"permission denied on {folder} ({str(cause).strip()})"
        return reason


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _timeval(value: str | None) -> datetime | None:
    """An FTP time value (MLSD ``modify``, MDTM), ``YYYYMMDDHHMMSS[.sss]`` in UTC."""
    value = (value or "").strip()
    try:
        stamp = datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    if value[14:15] == "." and value[15:].isdigit():
        stamp = stamp.replace(microsecond=int(value[15:21].ljust(6, "0")))
    return stamp
