"""SftpTransport against a real asyncssh SFTP server over loopback."""
import logging
import re
import socket

import asyncssh
import pytest

from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports.base import RemoteFile
from dockline.warehouses.transports.sftp import (
    POSIX_RENAME,
    HostKeyChanged,
    HostKeyUnknown,
    SftpTransport,
    fingerprint,
    load_private_key,
)

pytestmark = pytest.mark.integration

FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")


def _expected_fingerprint(line: str) -> str:
    return asyncssh.import_public_key(line).get_fingerprint("sha256")


# -- login and host keys -------------------------------------------------------------------


def test_password_login_records_host_key_on_first_connect(server, make_config):
    t = SftpTransport(make_config())
    with t:
        assert t.list("/") == []
    assert t.host_key_is_new
    assert t.seen_host_key == server.host_key_line
    assert fingerprint(t.seen_host_key) == _expected_fingerprint(server.host_key_line)
    assert FINGERPRINT.match(fingerprint(t.seen_host_key))


@pytest.mark.parametrize(
    "key_type, fmt",
    [
        ("ssh-ed25519", "openssh"),
        ("ssh-ed25519", "pem"),  # PKCS#8
        ("ssh-rsa", "pem"),  # PKCS#1 "BEGIN RSA PRIVATE KEY"
        ("ssh-rsa", "openssh"),
        ("ecdsa-sha2-nistp256", "pem"),  # SEC1 "BEGIN EC PRIVATE KEY"
        ("ecdsa-sha2-nistp384", "openssh"),
    ],
)
def test_key_login(server, make_config, key_type, fmt):
    key_text = server.new_client_key(key_type, fmt)
    server.password_auth = False
    t = SftpTransport(make_config(password="", private_key=key_text, host_key=server.host_key_line))
    with t:
        t.write_atomic("/in", "k.txt", b"key login")
    assert (server.root / "in" / "k.txt").read_bytes() == b"key login"
    assert not t.host_key_is_new


def test_default_client_key_and_line_endings(server, make_config):
    key_text = server.client_private_key_pem.replace("\n", "\r\n")  # pasted from Windows
    with SftpTransport(make_config(password="", private_key=key_text)) as t:
        assert t.exists("/") is True


def test_wrong_password_is_reauth_and_never_shows_the_password(server, make_config):
    cfg = make_config(password="wrong-Pa55word")
    with pytest.raises(ConnectorError) as info:
        SftpTransport(cfg).connect()
    assert info.value.kind is ErrorKind.REAUTH
    assert "authentication failed" in info.value.message
    assert "wrong-Pa55word" not in info.value.message
    assert "wrong-Pa55word" not in repr(cfg)


def test_unknown_key_is_rejected(server, make_config, tmp_path):
    other = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    with pytest.raises(ConnectorError) as info:
        SftpTransport(make_config(password="", private_key=other)).connect()
    assert info.value.kind is ErrorKind.REAUTH
    assert "key rejected" in info.value.message


def test_garbage_key_text_is_reauth(server, make_config):
    with pytest.raises(ConnectorError) as info:
        SftpTransport(make_config(password="", private_key="-----BEGIN NONSENSE-----\nabc\n")).connect()
    assert info.value.kind is ErrorKind.REAUTH
    with pytest.raises(ValueError):
        load_private_key("not a key")


def test_changed_host_key_is_refused_with_both_fingerprints(server, make_config):
    first = SftpTransport(make_config())
    with first:
        pass
    recorded = first.seen_host_key
    server.rotate_host_key()
    assert server.host_key_line != recorded
    with pytest.raises(ConnectorError) as info:
        SftpTransport(make_config(host_key=recorded)).connect()
    err = info.value
    assert err.kind is ErrorKind.FATAL
    assert not err.retryable
    assert "host key has changed" in err.message
    assert fingerprint(recorded) in err.message
    assert fingerprint(server.host_key_line) in err.message
    assert "until a person" in err.message
    # Once a person accepts the new key, the connection works again.
    with SftpTransport(make_config(host_key=server.host_key_line)) as t:
        assert t.seen_host_key == server.host_key_line


def test_host_key_type_change_is_refused(server, make_config):
    recorded = server.host_key_line
    server.rotate_host_key("ecdsa-sha2-nistp256")
    with pytest.raises(ConnectorError) as info:
        SftpTransport(make_config(host_key=recorded)).connect()
    assert info.value.kind is ErrorKind.FATAL
    assert "ecdsa-sha2-nistp256" in info.value.message


def test_fingerprint_helper_accepts_known_hosts_lines(server):
    line = server.host_key_line
    assert fingerprint(f"[127.0.0.1]:2222 {line} comment") == fingerprint(line)
    with pytest.raises(ValueError):
        fingerprint("ssh-ed25519 not-base64!")


# -- atomic writes ---------------------------------------------------------------------------


def _watch_uploads(server, path, seen):
    """Record, at every chunk the server receives, what is visible under the final name."""
    original = server._cut

    def cut(direction, n):
        if direction == "upload":
            seen.append(path.read_bytes() if path.exists() else None)
        return original(direction, n)

    server._cut = cut


def test_final_name_appears_only_when_complete(server, make_config):
    final = server.root / "in" / "big.edi"
    seen: list = []
    _watch_uploads(server, final, seen)
    data = bytes(range(256)) * 2048  # 512 KiB: many SFTP writes
    with SftpTransport(make_config()) as t:
        t.write_atomic("/in", "big.edi", data)
        assert len(seen) > 4 and all(s is None for s in seen)
        assert final.read_bytes() == data
        # Replacing: the old content stays whole under the final name until the new one is complete.
        seen.clear()
        t.write_atomic("/in", "big.edi", data[::-1])
        assert seen and all(s == data for s in seen)
        assert final.read_bytes() == data[::-1]
    assert [p.name for p in (server.root / "in").iterdir()] == ["big.edi"]


def test_plain_rename_fallback_replaces_existing_file(server, make_config):
    with SftpTransport(make_config()) as t:
        t.write_atomic("/in", "a.edi", b"one")
        assert t.posix_rename_offered
        t.extensions.pop(POSIX_RENAME)  # as with a server without the OpenSSH extension
        t.write_atomic("/in", "a.edi", b"two")
        t.write_atomic("/in", "b.edi", b"new")
    assert (server.root / "in" / "a.edi").read_bytes() == b"two"
    assert sorted(p.name for p in (server.root / "in").iterdir()) == ["a.edi", "b.edi"]


def test_write_creates_missing_folders(server, make_config):
    with SftpTransport(make_config()) as t:
        t.write_atomic("/deep/er/in", "x.edi", b"x")
    assert (server.root / "deep" / "er" / "in" / "x.edi").read_bytes() == b"x"


def test_upload_dropped_midway_leaves_no_final_file_and_next_upload_succeeds(server, make_config):
    data = b"0123456789" * 30_000
    t = SftpTransport(make_config())
    with t:
        server.drop_after_bytes(100_000, "upload")
        with pytest.raises(ConnectorError) as info:
            t.write_atomic("/in", "order.edi", data)
        assert info.value.kind is ErrorKind.RETRYABLE
        assert server.drops == 1
        assert not (server.root / "in" / "order.edi").exists()
        # The same transport reconnects and the next upload goes through.
        t.write_atomic("/in", "order.edi", data)
    assert (server.root / "in" / "order.edi").read_bytes() == data
    assert [p.name for p in (server.root / "in").iterdir()] == ["order.edi"]


def test_download_dropped_midway_is_retryable_and_returns_nothing(server, make_config):
    data = bytes(range(256)) * 1200
    (server.root / "out").mkdir()
    (server.root / "out" / "945_1.edi").write_bytes(data)
    t = SftpTransport(make_config())
    with t:
        server.drop_after_bytes(50_000, "download")
        result = None
        with pytest.raises(ConnectorError) as info:
            result = t.read("/out/945_1.edi")
        assert result is None
        assert info.value.kind is ErrorKind.RETRYABLE
        assert t.read("/out/945_1.edi") == data


# -- list, read, move ----------------------------------------------------------------------------


def test_list_read_move(server, make_config):
    out = server.root / "out"
    (out / "sub").mkdir(parents=True)
    (out / "b.edi").write_bytes(b"bb")
    (out / "a.edi").write_bytes(b"a")
    (out / "archive").mkdir()
    (out / "archive" / "a.edi").write_bytes(b"older")
    with SftpTransport(make_config()) as t:
        assert t.list("/out") == [RemoteFile("a.edi", 1), RemoteFile("b.edi", 2)]
        assert t.read("/out/b.edi") == b"bb"
        assert t.exists("/out/a.edi") and not t.exists("/out/zzz.edi")
        assert t.move("/out/a.edi", "/out/archive") == "/out/archive/a-1.edi"
        assert t.move("/out/b.edi", "/out/error/new") == "/out/error/new/b.edi"
        assert t.list("/out") == []
        with pytest.raises(ConnectorError) as info:
            t.read("/out/missing.edi")
        assert info.value.kind is ErrorKind.FATAL
        with pytest.raises(ConnectorError) as info:
            t.list("/nope")
        assert info.value.kind is ErrorKind.CONFIG  # a missing folder is the setup's fault
        assert "No such file" in info.value.message and "warehouse's settings" in info.value.message
    assert (out / "archive" / "a.edi").read_bytes() == b"older"
    assert (out / "archive" / "a-1.edi").read_bytes() == b"a"
    assert (out / "error" / "new" / "b.edi").read_bytes() == b"bb"


def test_bad_file_names_are_refused(server, make_config):
    with SftpTransport(make_config()) as t:
        for name in ("", "a/b", ".."):
            with pytest.raises(ValueError):
                t.write_atomic("/in", name, b"x")


# -- Test Connection -----------------------------------------------------------------------------


def _names(report):
    return [s.name for s in report.steps]


def test_check_succeeds_step_by_step(server, make_config):
    (server.root / "in").mkdir()
    (server.root / "out").mkdir()
    (server.root / "out" / "945_1.edi").write_bytes(b"x")
    t = SftpTransport(make_config())
    report = t.test()
    assert report.ok, report.steps
    assert _names(report) == [
        f"Reach {server.host}:{server.port}",
        "Check host key",
        f"Log in as {server.username}",
        "List inbox /in",
        "List outbox /out",
        "Write and remove a probe file in inbox",
    ]
    host_step = report.steps[1]
    assert fingerprint(server.host_key_line) in host_step.detail and "new: not pinned yet" in host_step.detail
    assert report.steps[4].detail == "1 file"
    assert t.seen_host_key == server.host_key_line
    assert sorted(p.name for p in (server.root / "in").iterdir()) == []  # the probe is gone
    again = SftpTransport(make_config(host_key=t.seen_host_key)).test()
    assert again.ok and "matches" in again.steps[1].detail


def test_check_connection_refused(make_config):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = SftpTransport(make_config(port=port)).test()
    assert not report.ok
    assert len(report.steps) == 1
    assert "connection refused" in report.steps[0].detail


def test_check_timed_out(make_config):
    with socket.socket() as listener:  # accepts TCP, never says a word of SSH
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        report = SftpTransport(make_config(port=listener.getsockname()[1], timeout=0.5)).test()
    assert len(report.steps) == 1 and not report.ok
    assert "timed out" in report.steps[0].detail or "not with SSH" in report.steps[0].detail


def test_check_authentication_failed(server, make_config):
    report = SftpTransport(make_config(password="nope")).test()
    assert [s.ok for s in report.steps] == [True, True, False]
    assert "authentication failed" in report.steps[2].detail
    assert "nope" not in report.steps[2].detail


def test_check_key_rejected(server, make_config):
    other = asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh").decode()
    report = SftpTransport(make_config(password="", private_key=other)).test()
    assert [s.ok for s in report.steps] == [True, True, False]
    assert "key rejected" in report.steps[2].detail


def test_check_host_key_changed(server, make_config):
    recorded = server.host_key_line
    server.rotate_host_key()
    report = SftpTransport(make_config(host_key=recorded)).test()
    assert [s.ok for s in report.steps] == [True, False]
    assert fingerprint(recorded) in report.steps[1].detail
    assert fingerprint(server.host_key_line) in report.steps[1].detail


def test_check_folder_missing(server, make_config):
    (server.root / "in").mkdir()
    report = SftpTransport(make_config()).test()
    assert [s.ok for s in report.steps] == [True, True, True, True, False]
    assert report.steps[4].name == "List outbox /out"
    assert report.steps[4].detail == "folder /out is missing on the server"


def test_check_permission_denied(server, make_config):
    (server.root / "in").mkdir()
    (server.root / "out").mkdir()
    server.deny("/in")
    report = SftpTransport(make_config()).test()
    assert [s.ok for s in report.steps] == [True, True, True, False]
    assert report.steps[3].detail == "permission denied on /in"


def test_check_probe_write_denied(server, make_config):
    (server.root / "in").mkdir()
    (server.root / "out").mkdir()
    server.deny("/in/.dockline-probe")  # listing works, writing does not
    original = server._is_denied
    server._is_denied = lambda p: original(p) or p.startswith("/in/.")
    report = SftpTransport(make_config()).test()
    assert [s.ok for s in report.steps] == [True, True, True, True, True, False]
    assert report.steps[5].detail == "permission denied on /in"


def test_secrets_never_logged(server, make_config, caplog):
    caplog.set_level(logging.DEBUG)
    key_text = server.new_client_key("ssh-ed25519")
    body = key_text.splitlines()[1]
    SftpTransport(make_config(password="wrong-Pa55word")).test()
    SftpTransport(make_config(password="", private_key=key_text)).test()
    with SftpTransport(make_config()) as t:
        t.write_atomic("/in", "x", b"x")
    assert "wrong-Pa55word" not in caplog.text
    assert server.password not in caplog.text
    assert body not in caplog.text
    assert server.password not in repr(t) and server.password not in repr(t.config)


def test_sandbox_host_key_survives_a_restart(tmp_path, server, make_config):
    from dockline.sandbox.sftpserver import SftpServer

    with SftpServer(tmp_path / "again", host_key=server.host_key_private_pem) as again:
        assert again.host_key_line == server.host_key_line


# -- runs trust only a pinned key ------------------------------------------------------------------


def test_a_run_with_no_pinned_key_refuses_before_login_and_hands_over_the_key_offered(server, make_config):
    offered = []
    t = SftpTransport(make_config())
    t.require_pinned_host_key = True  # as every warehouse run sets it
    t.on_host_key_checked = lambda key, trusted: offered.append((key, trusted))
    with pytest.raises(HostKeyUnknown) as info:
        t.connect()
    err = info.value
    assert err.kind is ErrorKind.FATAL
    assert fingerprint(server.host_key_line) in err.message and "accepts it on the connection page" in err.message
    assert offered == [(server.host_key_line, False)]
    assert server.logins == 0  # the password never left Dockline


def test_a_changed_key_is_handed_over_for_a_person_to_compare(server, make_config):
    pinned = server.host_key_line
    server.rotate_host_key()
    offered = []
    t = SftpTransport(make_config(host_key=pinned))
    t.require_pinned_host_key = True
    t.on_host_key_checked = lambda key, trusted: offered.append((key, trusted))
    with pytest.raises(HostKeyChanged) as info:
        t.connect()
    assert fingerprint(pinned) in info.value.message and fingerprint(server.host_key_line) in info.value.message
    assert offered == [(server.host_key_line, False)] and server.logins == 0
