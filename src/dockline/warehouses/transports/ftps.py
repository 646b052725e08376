"""FTPS transport: explicit TLS (AUTH TLS) on the FTP transport.

Data connections reuse the control connection's TLS session, which many
servers (vsftpd with require_ssl_reuse, FileZilla Server, ProFTPD
TLSOptions without NoSessionReuseRequired) insist on.

How the server's certificate is trusted, ``TransportConfig.extra["tls_mode"]``
(:class:`TlsMode`); every check happens right after AUTH TLS, before USER/PASS:

* ``system`` (default): the system's CAs (or ``ca_file``, a PEM file path) and
  the host name, as a browser checks them;
* ``certificate``: ``tls_certificate`` (PEM text: the server's own certificate,
  or the CA that issued it) is the only trust anchor. The host name is then
  checked here against the certificate's names, and against its subject CN when
  it has no subjectAltName: 3PLs' self-signed certificates often carry only a
  CN, which OpenSSL's own host-name check ignores;
* ``pin``: only the certificate whose SHA-256 fingerprint (of its DER bytes) is
  ``tls_pin`` is accepted, whatever its issuer, names or dates. Test Connection
  shows the fingerprint to pin. Also checked on every data connection;
* ``off``: no check at all (the connection page shows a warning).

The older settings still work: ``verify_tls`` false means ``off``.
"""
from __future__ import annotations

import enum
import ftplib
import hashlib
import ipaddress
import re
import ssl
from collections.abc import Callable
from typing import ClassVar

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports.base import register
from dockline.warehouses.transports.ftp import FtpTransport

# Replies to AUTH TLS from a server without TLS: unknown command, not implemented, not for
# this parameter, "log in first" (vsftpd), security mechanism unavailable or refused.
_NO_TLS_CODES = ("500", "502", "504", "530", "431", "534")


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """ftplib.FTP_TLS whose data connections resume the control connection's TLS session.

    `peer_check`, when set, sees the DER certificate of the control connection
    (right after AUTH TLS) and of every data connection, and raises to refuse it.
    """

    last_data_session_reused: bool | None = None
    peer_check: Callable[[bytes], None] | None = None

    def auth(self):
        reply = super().auth()
        if self.peer_check is not None:
            self.peer_check(self.sock.getpeercert(binary_form=True) or b"")
        return reply

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = getattr(self.sock, "session", None)
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
            self.last_data_session_reused = conn.session_reused
            if self.peer_check is not None:
                try:
                    self.peer_check(conn.getpeercert(binary_form=True) or b"")
                except BaseException:
                    conn.close()
                    raise
        return conn, size


@register
class FtpsTransport(FtpTransport):
    name: ClassVar[str] = "ftps"
    label: ClassVar[str] = "FTPS (explicit TLS)"
    default_port: ClassVar[int] = 21
    secure_step: ClassVar[str | None] = "Secure the connection with TLS"

    def __init__(self, config) -> None:
        super().__init__(config)
        self.seen_certificate: bytes | None = None  # DER the server presented at the last AUTH TLS
        self._testing = False

    @property
    def seen_fingerprint(self) -> str:
        return cert_fingerprint(self.seen_certificate) if self.seen_certificate else ""

    def ssl_context(self) -> ssl.SSLContext:
        return ssl_context(self.config.extra or {})

    def _new_client(self) -> ftplib.FTP:
        ftp = ReusingFTP_TLS(context=self.ssl_context(), timeout=self.config.timeout, encoding="utf-8")
        ftp.peer_check = self._peer_check
        return ftp

    def _secure(self) -> str:
        """AUTH TLS and the certificate check of the mode; refused servers never see the login."""
        ftp = self._client()
        self.seen_certificate = None
        try:
            ftp.auth()
        except ssl.SSLCertVerificationError as exc:
            self.seen_certificate = _peek_certificate(self.config.host, self.port, self.config.timeout)
            raise ConnectorError(self._untrusted_message(exc), ErrorKind.FATAL) from None
        except (ftplib.error_perm, ftplib.error_temp) as exc:
            answer = str(exc).strip()
            if answer[:3] not in _NO_TLS_CODES:
                raise
            raise ConnectorError(
                "the server does not offer TLS (FTPS): choose plain FTP or ask the warehouse to enable TLS "
                f"(it answered AUTH TLS with: {answer})", ErrorKind.CONFIG,
            ) from None
        return describe_certificate(self.seen_certificate or b"")

    def _after_login(self, ftp: ftplib.FTP) -> None:
        assert isinstance(ftp, ftplib.FTP_TLS)
        ftp.prot_p()

    def test(self):
        """Test Connection; in pin mode with no pin yet, shows the fingerprint to pin instead of refusing."""
        self._testing = True
        try:
            return super().test()
        finally:
            self._testing = False

    # -- trust -------------------------------------------------------------------

    def _peer_check(self, der: bytes) -> None:
        extra = self.config.extra or {}
        mode = tls_mode(extra)
        if self.seen_certificate is None:  # the control connection's, first after AUTH TLS
            self.seen_certificate = der
        if mode is TlsMode.PIN:
            try:
                pin = normalize_fingerprint(extra.get("tls_pin") or "")
            except ValueError as exc:
                raise ConnectorError(f"the pinned certificate fingerprint cannot be read: {exc}",
                                     ErrorKind.CONFIG) from None
            if not pin and self._testing:
                return
            if not pin:
                raise ConnectorError(
                    f"No certificate fingerprint is pinned for the FTPS server {self._where()}, which presented "
                    f"{cert_fingerprint(der)}. Run Test Connection on the warehouse's settings and pin it.",
                    ErrorKind.FATAL)
            if hashlib.sha256(der).hexdigest() != pin:
                raise ConnectorError(
                    f"The FTPS server's certificate is not the pinned one: {self._where()} presented "
                    f"{cert_fingerprint(der)} but the pinned fingerprint is {cert_fingerprint_hex(pin)}. Dockline "
                    "stopped before logging in. If the warehouse renewed its certificate, check the new "
                    "fingerprint with them and pin it on the warehouse's settings.",
                    ErrorKind.FATAL)
        elif mode is TlsMode.CERTIFICATE:
            check_host_name(der, self.config.host)

    def _where(self) -> str:
        return f"{self.config.host}:{self.port}"

    def _untrusted_message(self, exc: ssl.SSLCertVerificationError) -> str:
        reason = exc.verify_message or exc.reason or str(exc)
        seen = f" Its SHA-256 fingerprint is {self.seen_fingerprint}." if self.seen_certificate else ""
        if tls_mode(self.config.extra or {}) is TlsMode.CERTIFICATE:
            return (f"the server's TLS certificate is not trusted ({reason}): it was not issued by the pasted "
                    f"certificate.{seen} Paste the certificate the server uses, or the CA that issued it.")
        return (f"the server's TLS certificate is not trusted ({reason}).{seen} If the warehouse uses its own "
                "(self-signed) certificate, paste it under 'Trust this certificate', or pin its fingerprint "
                "after checking it with the warehouse.")


class TlsMode(enum.StrEnum):
    SYSTEM = "system"
    CERTIFICATE = "certificate"
    PIN = "pin"
    OFF = "off"

    @property
    def label(self) -> str:
        """The choice, as a form offers it."""
        return TLS_MODE_LABELS[self]

    @property
    def state(self) -> str:
        """The choice made, as a page states it."""
        return TLS_MODE_STATES[self]


TLS_MODE_LABELS = {
    TlsMode.SYSTEM: "Verify against the system's certificate authorities (default)",
    TlsMode.CERTIFICATE: "Trust this certificate (the server's own, or the CA that issued it)",
    TlsMode.PIN: "Pin the certificate's SHA-256 fingerprint seen at Test Connection",
    TlsMode.OFF: "Do not verify (not recommended: anyone on the way can read the password and the orders)",
}


TLS_MODE_STATES = {
    TlsMode.SYSTEM: "verified against the system's certificate authorities",
    TlsMode.CERTIFICATE: "only certificates from the pasted certificate are trusted, host name checked",
    TlsMode.PIN: "pinned to one certificate",
    TlsMode.OFF: "not verified",
}


def tls_mode(extra: dict) -> TlsMode:
    raw = (extra.get("tls_mode") or "").strip()
    if raw:
        try:
            return TlsMode(raw)
        except ValueError:
            raise ConnectorError(f"unknown TLS certificate check {raw!r}; choose one on the warehouse's settings",
                                 ErrorKind.CONFIG) from None
    return TlsMode.SYSTEM if _truthy(extra.get("verify_tls", True)) else TlsMode.OFF


def ssl_context(extra: dict) -> ssl.SSLContext:
    """The client context for the warehouse's TLS mode (see the module docstring)."""
    mode = tls_mode(extra)
    if mode is TlsMode.SYSTEM:
        return ssl.create_default_context(cafile=extra.get("ca_file") or None)
    if mode is TlsMode.CERTIFICATE:
        pem = (extra.get("tls_certificate") or "").strip()
        try:
            certificates_in(pem)
            ctx = ssl.create_default_context(cadata=_certificate_blocks(pem))
        except (ValueError, ssl.SSLError) as exc:
            raise ConnectorError(f"the pasted TLS certificate cannot be used: {exc}", ErrorKind.CONFIG) from None
        ctx.check_hostname = False  # checked in check_host_name, with the CN fallback
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the pasted leaf itself may be the anchor
        ctx.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        return ctx
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # PIN: compared after the handshake; OFF: not at all
    return ctx


def cert_fingerprint(der: bytes) -> str:
    """``SHA256 AB:CD:...``, the form `openssl x509 -fingerprint -sha256` and most FTP clients show."""
    return cert_fingerprint_hex(hashlib.sha256(der).hexdigest())


def cert_fingerprint_hex(hexdigest: str) -> str:
    return "SHA256 " + ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2)).upper()


def normalize_fingerprint(text: str) -> str:
    """Lower-case hex of a pasted SHA-256 fingerprint (colons, spaces, ``SHA256`` prefix allowed), '' if none.

    Raises ValueError when something was typed that is not 32 bytes of hex.
    """
    text = re.sub(r"^\s*sha-?256\s*(fingerprint)?\s*[:=]?", "", text or "", flags=re.IGNORECASE)
    digits = re.sub(r"[\s:]", "", text).lower()
    if digits and not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise ValueError("a SHA-256 fingerprint is 64 hexadecimal digits, e.g. 'AB:CD:...' (32 pairs)")
    return digits


def certificates_in(pem: str) -> list:
    """The certificates in pasted PEM text; ValueError in plain words (a private key is refused)."""
    from cryptography import x509

    if "PRIVATE KEY" in (pem or ""):
        raise ValueError("this text holds a private key: paste only the certificate (the key stays on the server)")
    blocks = _certificate_blocks(pem)
    if not blocks:
        raise ValueError("no certificate found: paste the text from -----BEGIN CERTIFICATE----- "
                         "to -----END CERTIFICATE-----")
    try:
        return x509.load_pem_x509_certificates(blocks.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValueError("the certificate text is damaged; paste it again, whole") from None


def check_host_name(der: bytes, host: str) -> None:
    """Refuse unless `host` is among the certificate's DNS/IP names, or its CN when it has no subjectAltName."""
    names = certificate_names(der)
    if any(_name_matches(name, host) for name in names):
        return
    raise ConnectorError(
        f"the server's TLS certificate is for {', '.join(names) or 'no host name'}, not {host}. Connect by a name "
        "the certificate carries, or pin the certificate's fingerprint instead.", ErrorKind.FATAL)


def certificate_names(der: bytes) -> list[str]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return san.get_values_for_type(x509.DNSName) + [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def describe_certificate(der: bytes) -> str:
    """What Test Connection shows: fingerprint, names, issuer, expiry."""
    if not der:
        return ""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    issuer = "self-signed" if cert.issuer == cert.subject else f"issued by {cert.issuer.rfc4514_string()}"
    until = cert.not_valid_after_utc.strftime("%Y-%m-%d")
    return (f"certificate {cert_fingerprint(der)} for {', '.join(certificate_names(der)) or 'no name'}, "
            f"{issuer}, valid until {until}")


def _name_matches(name: str, host: str) -> bool:
    name, host = name.strip().rstrip(".").lower(), host.strip().rstrip(".").lower()
    try:
        return ipaddress.ip_address(name) == ipaddress.ip_address(host)
    except ValueError:
        pass
    if name.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == name[2:] and "*" not in name[2:]
    return name == host


def _certificate_blocks(pem: str) -> str:
    found = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem or "", flags=re.DOTALL)
    return "\n".join(found)


def _peek_certificate(host: str, port: int, timeout: float) -> bytes | None:
    """The certificate a server shows, from a second connection that checks nothing and never logs in."""
    probe = ftplib.FTP_TLS(context=ssl_context({"tls_mode": TlsMode.OFF}), timeout=timeout)
    try:
        probe.connect(host, port, timeout=timeout)
        probe.auth()
        return probe.sock.getpeercert(binary_form=True)
    except (OSError, EOFError, ftplib.Error):
        return None
    finally:
        probe.close()


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)
