"""Debian's stock vsftpd and OpenSSH sshd, started privately on loopback for the transport tests.

Each server gets its own temporary folder, config, key and free port; the
system's configs and ports 21/22 are never used. Files live under the
dedicated user's folder as real absolute paths (no chroot), owned by a
non-root system user so that folder permissions apply as on a warehouse's
server. `scripts/stock_servers.sh` installs the packages when missing.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

VSFTPD = "/usr/sbin/vsftpd"
SSHD = "/usr/sbin/sshd"
USER = "dockline-wms"
PASSWORD = "Wms-loopback-only-7431"  # known: the servers listen on 127.0.0.1 only and allow only this user
REPO = Path(__file__).resolve().parents[2]


class Unavailable(Exception):
    """The stock servers cannot run here (not root, or the packages cannot be installed)."""


def ensure_installed() -> None:
    if os.geteuid() != 0:
        raise Unavailable("the stock servers need root (to add their user and drop privileges)")
    if all(os.access(p, os.X_OK) for p in (VSFTPD, SSHD)) and shutil.which("openssl"):
        return
    done = subprocess.run(["bash", str(REPO / "scripts" / "stock_servers.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"scripts/stock_servers.sh failed: {done.stderr.strip()[-500:]}")


def ensure_user(password: str = PASSWORD) -> pwd.struct_passwd:
    """The test user (never root) with `password` and its home in the temp folder; created once.

    Password and home are fixed, so that several test sessions on one machine can share the user.
    """
    home = Path(tempfile.gettempdir()) / "dockline-wms-home"
    home.mkdir(mode=0o755, exist_ok=True)
    try:
        user = pwd.getpwnam(USER)
        if user.pw_dir != str(home):
            subprocess.run(["usermod", "--home", str(home), USER], check=True)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(home),
                        "--shell", "/bin/sh", USER], check=True)
    user = pwd.getpwnam(USER)
    os.chown(home, user.pw_uid, user.pw_gid)
    subprocess.run(["chpasswd"], input=f"{USER}:{password}\n", text=True, check=True)
    return user


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}: {log.read_text(errors='replace')[-2000:]}")


@dataclass
class StockServer:
    """One running stock server; `root` is the user's folder holding in/ and out/."""

    kind: str  # "ftp" | "ftps" | "sftp"
    port: int
    root: Path
    username: str
    password: str
    proc: subprocess.Popen
    base: Path
    host: str = "127.0.0.1"
    private_key: str = field(default="", repr=False)
    host_key: str = ""

    def folders(self, **overrides):
        from dockline.warehouses.transports.base import Folders

        r = str(self.root)
        paths = {"inbox": f"{r}/in", "outbox": f"{r}/out", "archive": f"{r}/out/archive", "error": f"{r}/out/error"}
        return Folders(**{**paths, **overrides})

    def config(self, *, password: str | None = None, timeout: float = 5.0, **extra):
        from dockline.warehouses.transports.base import TransportConfig

        if self.kind == "ftps":
            extra.setdefault("verify_tls", False)  # the test certificate is self-signed, CN only
        return TransportConfig(host=self.host, port=self.port, username=self.username,
                               password=self.password if password is None else password,
                               folders=self.folders(), timeout=timeout, extra=extra)

    def reset(self) -> None:
        """Empty the user's folders, as a fresh drop with in/ and out/."""
        uid = pwd.getpwnam(self.username)
        for child in self.root.iterdir():
            os.chmod(child, 0o755)
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        for name in ("in", "out"):
            (self.root / name).mkdir()
            os.chown(self.root / name, uid.pw_uid, uid.pw_gid)

    def freeze(self) -> None:
        """Stop the server and its sessions dead (SIGSTOP): connections stay open, nothing answers."""
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        children = _descendants(self.proc.pid)
        for pid in [self.proc.pid, *children]:
            for sig in (signal.SIGCONT, signal.SIGTERM):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        shutil.rmtree(self.base, ignore_errors=True)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (the servers' per-session children may leave its process group)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _base(kind: str, user: pwd.struct_passwd) -> tuple[Path, Path]:
    base = Path(tempfile.mkdtemp(prefix=f"dockline-stock-{kind}-"))
    os.chmod(base, 0o755)  # the user must reach its folder
    root = base / "home"
    root.mkdir()
    os.chown(root, user.pw_uid, user.pw_gid)
    for name in ("in", "out"):
        (root / name).mkdir()
        os.chown(root / name, user.pw_uid, user.pw_gid)
    return base, root


def _self_signed(base: Path) -> tuple[Path, Path]:
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def start_vsftpd(password: str, *, tls: bool) -> StockServer:
    """vsftpd for local-user login, plain FTP or explicit TLS requiring TLS session reuse."""
    user = pwd.getpwnam(USER)
    base, root = _base("ftps" if tls else "ftp", user)
    empty = base / "empty"
    empty.mkdir(mode=0o555)
    port, pasv = free_port(), free_port()
    log = base / "vsftpd.log"
    lines = [
        "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", f"listen_port={port}", "background=NO",
        "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
        f"local_root={root}", "chroot_local_user=NO", "userlist_enable=NO", "pam_service_name=vsftpd",
        f"secure_chroot_dir={empty}", "seccomp_sandbox=NO", "isolate=NO", "isolate_network=NO",
        "pasv_enable=YES", "pasv_address=127.0.0.1", f"pasv_min_port={pasv}", f"pasv_max_port={pasv + 20}",
        "port_enable=NO", "connect_from_port_20=NO", "dirmessage_enable=NO", "use_localtime=NO",
        "xferlog_enable=YES", "vsftpd_log_file=" + str(log), "dual_log_enable=NO", "log_ftp_protocol=YES",
        "idle_session_timeout=120", "data_connection_timeout=60", "max_clients=20",
    ]
    if tls:
        cert, key = _self_signed(base)
        lines += [
            "ssl_enable=YES", f"rsa_cert_file={cert}", f"rsa_private_key_file={key}",
            "require_ssl_reuse=YES", "force_local_logins_ssl=YES", "force_local_data_ssl=YES",
            "ssl_ciphers=HIGH", "allow_anon_ssl=NO", "ssl_request_cert=NO",
        ]
    cfg = base / "vsftpd.conf"
    cfg.write_text("\n".join(lines) + "\n")
    os.chmod(cfg, 0o600)
    log.touch()
    proc = subprocess.Popen([VSFTPD, str(cfg)], stdout=open(base / "stdout.log", "wb"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    _wait_for_port(port, proc, base / "stdout.log")
    return StockServer("ftps" if tls else "ftp", port, root, USER, password, proc, base)


def start_sshd(password: str) -> StockServer:
    """OpenSSH sshd serving internal-sftp, password and key login for the test user."""
    user = pwd.getpwnam(USER)
    base, root = _base("sftp", user)
    host_key = base / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    client_key = base / "client_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(client_key)], check=True)
    keys = base / "authorized_keys"
    keys.write_text((base / "client_ed25519.pub").read_text())
    os.chown(keys, user.pw_uid, user.pw_gid)
    os.chmod(keys, 0o600)
    port = free_port()
    cfg = base / "sshd_config"
    cfg.write_text("\n".join([
        "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"PidFile {base / 'sshd.pid'}",
        f"AllowUsers {USER}", "PasswordAuthentication yes", "PubkeyAuthentication yes",
        "KbdInteractiveAuthentication no", "UsePAM no", "PermitRootLogin no", f"AuthorizedKeysFile {keys}",
        "StrictModes no", "Subsystem sftp internal-sftp", "ForceCommand internal-sftp",
        "AllowTcpForwarding no", "X11Forwarding no", "PrintMotd no", "MaxStartups 20", "LogLevel INFO",
    ]) + "\n")
    os.chmod(cfg, 0o600)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation folder sshd insists on
    out = base / "sshd.log"
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(cfg), "-p", str(port)], stdout=open(out, "wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _wait_for_port(port, proc, out)
    pub = (base / "host_ed25519.pub").read_text().split()
    return StockServer("sftp", port, root, USER, password, proc, base,
                       private_key=client_key.read_text(), host_key=f"{pub[0]} {pub[1]}")


