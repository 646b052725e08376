"""FTPS transport: explicit TLS (AUTH TLS) on the FTP transport.

Data connections reuse the control connection's TLS session, which many
servers (vsftpd with require_ssl_reuse, FileZilla Server, ProFTPD
TLSOptions without NoSessionReuseRequired) insist on.

Settings in ``TransportConfig.extra``:
  ``verify_tls`` (default True): check the server's certificate and host name;
  ``ca_file``: a PEM file of CAs to trust instead of the system store (self-signed servers).
"""
from __future__ import annotations

import ftplib
import ssl
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports.ftp import FtpTransport

# Replies to AUTH TLS from a server without TLS: unknown command, not implemented, not for
# this parameter, "log in first" (vsftpd), security mechanism unavailable or refused.
_NO_TLS_CODES = ("500", "502", "504", "530", "431", "534")


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS whose data connections resume the control connection's TLS session."""

    last_data_session_reused: bool | None = None

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = getattr(self.sock, "session", None)
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
            self.last_data_session_reused = conn.session_reused
        return conn, size


class FtpsTransport(FtpTransport):
    name: ClassVar[str] = "ftps"
    label: ClassVar[str] = "FTPS (explicit TLS)"
    default_port: ClassVar[int] = 21
    secure_step: ClassVar[str | None] = "Secure the connection with TLS"

    def ssl_context(self) -> ssl.SSLContext:
        extra = self.config.extra or {}
        ctx = ssl.create_default_context(cafile=extra.get("ca_file") or None)
        if not _truthy(extra.get("verify_tls", True)):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _new_client(self) -> ftplib.FTP:
        return ReusingFTP_TLS(context=self.ssl_context(), timeout=self.config.timeout, encoding="utf-8")

    def _secure(self) -> None:
        try:
            self._client().auth()
        except (ftplib.error_perm, ftplib.error_temp) as exc:
            answer = str(exc).strip()
            if answer[:3] not in _NO_TLS_CODES:
                raise
            raise ConnectorError(
                "the server does not offer TLS (FTPS): choose plain FTP or ask the warehouse to enable TLS "
                f"(it answered AUTH TLS with: {answer})", ErrorKind.CONFIG,
            ) from None

    def _after_login(self, ftp: ftplib.FTP) -> None:
        assert isinstance(ftp, ftplib.FTP_TLS)
        ftp.prot_p()


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
