"""FtpsTransport (explicit TLS) against pyftpdlib's TLS_FTPHandler."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate
from dockline.warehouses.transports.base import RemoteFile, TransportConfig
from dockline.warehouses.transports.ftp import FtpTransport
from dockline.warehouses.transports.ftps import FtpsTransport, cert_fingerprint


@pytest.fixture
def tls_server(tmp_path):
    cert = self_signed_certificate(tmp_path)
    root = tmp_path / "root"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    server = LoopbackFtpServer(root, tls_certfile=cert, tls_required=True).start()
    server.cert = cert
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_config(tls_server) -> TransportConfig:
    return TransportConfig(
        tls_server.host,
        tls_server.port,
        tls_server.username,
        tls_server.password,
        timeout=5.0,
        extra={"ca_file": str(tls_server.cert)},
    )


def test_transfers_reuse_the_tls_session(tls_config):
    assert FtpsTransport.name == "ftps" and issubclass(FtpsTransport, FtpTransport)
    data = b"0123456789" * 50_000
    with FtpsTransport(tls_config) as t:
        t.write_atomic("/out", "shp_1.csv", data)
        assert t._ftp.last_data_session_reused is True
        assert t.list("/out") == [RemoteFile("shp_1.csv", len(data))]
        assert t.read("/out/shp_1.csv") == data
        assert t._ftp.last_data_session_reused is True
        assert t.move("/out/shp_1.csv", "/out/archive") == "/out/archive/shp_1.csv"


def test_test_connection_over_tls(tls_config, tls_server):
    report = FtpsTransport(tls_config).test()
    assert report.ok, report
    assert [s.name for s in report.steps] == [
        f"Reach 127.0.0.1:{tls_server.port}",
        "Secure the connection with TLS",
        f"Log in as {tls_server.username}",
        "List inbox /in",
        "List outbox /out",
        "Write and remove a probe file in inbox",
    ]


def test_untrusted_certificate_is_fatal(tls_config):
    untrusted = dataclasses.replace(tls_config, extra={})
    report = FtpsTransport(untrusted).test()
    assert [s.ok for s in report.steps] == [True, False]
    assert "not trusted" in report.steps[1].detail
    with pytest.raises(ConnectorError) as info:
        FtpsTransport(untrusted).connect()
    assert info.value.kind is ErrorKind.FATAL
    # Verification can be switched off explicitly.
    assert FtpsTransport(dataclasses.replace(tls_config, extra={"verify_tls": "false"})).test().ok


def test_plain_ftp_refused_by_tls_only_server(tls_config):
    report = FtpTransport(tls_config).test()
    assert not report.ok and not report.steps[-1].ok


def test_server_requiring_session_reuse_refuses_plain_ftplib_but_not_dockline(tmp_path, tls_config):
    import ftplib
    import ssl

    root = tmp_path / "strict"
    (root / "out").mkdir(parents=True)
    (root / "out" / "shp_1.csv").write_bytes(b"x" * 1000)
    cert = tls_config.extra["ca_file"]
    with LoopbackFtpServer(root, tls_certfile=cert, tls_required=True, require_session_reuse=True) as server:
        plain = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=cert), timeout=5)
        plain.connect(server.host, server.port)
        plain.login(server.username, server.password)
        plain.prot_p()
        with pytest.raises(ftplib.error_perm, match="522"):
            plain.retrbinary("RETR /out/shp_1.csv", lambda _: None)
        plain.close()
        assert server.refused_data_connections == 1

        config = dataclasses.replace(tls_config, port=server.port, username=server.username, password=server.password)
        with FtpsTransport(config) as t:
            assert t.read("/out/shp_1.csv") == b"x" * 1000
        assert server.refused_data_connections == 1


# -- trusting a 3PL's own certificate (tls_mode) ---------------------------------------------


def _cn_only_certificate(directory, cn: str = "127.0.0.1") -> tuple[str, str]:
    """A self-signed certificate naming the host only in its subject CN (no subjectAltName), as many 3PLs have.

    Returns (path of PEM with certificate and key for the server, the certificate's PEM alone).
    """
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "3PL")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    path = directory / f"cn-only-{cn}.pem"
    path.write_text(cert_pem + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode("ascii"))
    return str(path), cert_pem


class RecordingFtpServer(LoopbackFtpServer):
    """The sandbox server, remembering every command it received (to prove a login was never sent)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands: list[str] = []

    def _handler_class(self):
        base, server = super()._handler_class(), self

        class Recording(base):
            def pre_process_command(self, line, cmd, arg):
                server.commands.append(cmd)
                return super().pre_process_command(line, cmd, arg)

        return Recording


@pytest.fixture
def cn_only(tmp_path):
    certfile, cert_pem = _cn_only_certificate(tmp_path)
    root = tmp_path / "cn-root"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with RecordingFtpServer(root, tls_certfile=certfile, tls_required=True, require_session_reuse=True) as server:
        server.cert_pem = cert_pem
        yield server


def _config(server, **extra) -> TransportConfig:
    return TransportConfig(server.host, server.port, server.username, server.password, timeout=5.0, extra=extra)


def _der(pem: str) -> bytes:
    import ssl

    return ssl.PEM_cert_to_DER_cert(pem)


def test_system_ca_mode_refuses_a_self_signed_certificate_and_says_what_to_do(cn_only):
    report = FtpsTransport(_config(cn_only)).test()
    assert [s.ok for s in report.steps] == [True, False]
    detail = report.steps[1].detail
    assert "not trusted" in detail and "self-signed certificate" in detail
    assert cert_fingerprint(_der(cn_only.cert_pem)) in detail  # what to compare with the warehouse
    assert "paste it under 'Trust this certificate'" in detail and "pin its fingerprint" in detail
    with pytest.raises(ConnectorError) as info:
        FtpsTransport(_config(cn_only, tls_mode="system")).connect()
    assert info.value.kind is ErrorKind.FATAL
    assert "USER" not in cn_only.commands and "PASS" not in cn_only.commands


def test_pasted_cn_only_certificate_is_trusted_and_transfers_reuse_the_session(cn_only):
    config = _config(cn_only, tls_mode="certificate", tls_certificate=cn_only.cert_pem)
    report = FtpsTransport(config).test()
    assert report.ok, report.steps
    assert cert_fingerprint(_der(cn_only.cert_pem)) in report.steps[1].detail
    assert "for 127.0.0.1, self-signed" in report.steps[1].detail
    with FtpsTransport(config) as t:
        t.write_atomic("/out", "shp_1.csv", b"x" * 100_000)
        assert t.read("/out/shp_1.csv") == b"x" * 100_000
        assert t._ftp.last_data_session_reused is True
    assert cn_only.refused_data_connections == 0


def test_pasted_certificate_naming_another_host_is_refused_before_login(cn_only, tmp_path):
    _path, other_pem = _cn_only_certificate(tmp_path, cn="ftp.elsewhere.example")
    report = FtpsTransport(_config(cn_only, tls_mode="certificate", tls_certificate=other_pem)).test()
    assert [s.ok for s in report.steps] == [True, False]
    assert "not trusted" in report.steps[1].detail and "Paste the certificate the server uses" in report.steps[1].detail

    # The right certificate, reached by a name it does not carry: the CN is checked by Dockline.
    config = dataclasses.replace(_config(cn_only, tls_mode="certificate", tls_certificate=cn_only.cert_pem),
                                 host="localhost")
    with pytest.raises(ConnectorError) as info:
        FtpsTransport(config).connect()
    assert "is for 127.0.0.1, not localhost" in info.value.message and info.value.kind is ErrorKind.FATAL
    assert "USER" not in cn_only.commands


def test_pasted_private_key_or_garbage_is_refused_in_plain_words(cn_only):
    with pytest.raises(ConnectorError, match="holds a private key"):
        FtpsTransport(_config(cn_only, tls_mode="certificate",
                              tls_certificate=Path(cn_only.tls_certfile).read_text())).connect()
    with pytest.raises(ConnectorError, match="no certificate found"):
        FtpsTransport(_config(cn_only, tls_mode="certificate", tls_certificate="hello")).connect()


def test_fingerprint_pin_seen_at_test_connection_is_accepted(cn_only):
    first = FtpsTransport(_config(cn_only, tls_mode="pin"))
    report = first.test()  # no pin yet: Test Connection shows what to pin
    assert report.ok, report.steps
    assert first.seen_fingerprint == cert_fingerprint(_der(cn_only.cert_pem))
    assert first.seen_fingerprint in report.steps[1].detail
    with pytest.raises(ConnectorError, match="No certificate fingerprint is pinned"):
        FtpsTransport(_config(cn_only, tls_mode="pin")).connect()  # a run never trusts an unpinned server

    pinned = _config(cn_only, tls_mode="pin", tls_pin=first.seen_fingerprint)
    with FtpsTransport(pinned) as t:
        t.write_atomic("/in", "ord_1.csv", b"order")
        assert t.list("/in") == [RemoteFile("ord_1.csv", 5)]
        assert t._ftp.last_data_session_reused is True
    # The pin as openssl prints it works too.
    openssl_form = "sha256 Fingerprint=" + first.seen_fingerprint.split()[1]
    assert FtpsTransport(_config(cn_only, tls_mode="pin", tls_pin=openssl_form)).test().ok


def test_wrong_pin_is_refused_with_both_fingerprints_before_login(cn_only):
    wrong = "AB:" * 31 + "AB"
    cn_only.commands.clear()
    with pytest.raises(ConnectorError) as info:
        FtpsTransport(_config(cn_only, tls_mode="pin", tls_pin=wrong)).connect()
    err = info.value
    assert err.kind is ErrorKind.FATAL
    assert cert_fingerprint(_der(cn_only.cert_pem)) in err.message and "SHA256 " + wrong in err.message
    assert "stopped before logging in" in err.message
    assert "AUTH" in cn_only.commands and "USER" not in cn_only.commands and "PASS" not in cn_only.commands
    with pytest.raises(ConnectorError, match="64 hexadecimal digits"):
        FtpsTransport(_config(cn_only, tls_mode="pin", tls_pin="12:34")).connect()
