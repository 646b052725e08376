"""`dockline serve` (gunicorn) on a fresh DOCKLINE_HOME and a free port, and Debian's nginx terminating TLS in front."""
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0, **kwargs) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited early:\n{log.read_text()}"
        try:
            httpx.get(url, timeout=2, **kwargs)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered:\n{log.read_text()}")


class Served:
    """A running `dockline serve`: its URL, process, home, and everything it printed."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.home, self.port, self.log = tmp / "home", free_port(), tmp / "serve.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DOCKLINE_HOME": str(self.home), "PYTHONPATH": str(SRC),
                    "DOCKLINE_LOG_LEVEL": "INFO", "COLUMNS": "200", **env}
        for name in ("DOCKLINE_CREDENTIAL_KEYS", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "BROKER_URL"):
            self.env.pop(name, None)
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "dockline.cli", "serve", "--port", str(self.port)],
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for(self.url + "/login/", self.proc, self.log)

    def output(self) -> str:
        return self.log.read_text()

    def dockline(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dockline.cli", *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=120)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


@pytest.fixture
def serve(tmp_path):
    """serve(**env) starts `dockline serve`; stopped after the test."""
    started: list[Served] = []

    def start(**env: str) -> Served:
        started.append(Served(tmp_path, env))
        return started[-1]

    yield start
    for s in started:
        s.stop()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _ensure_nginx() -> None:
    if os.path.exists(NGINX):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("nginx is not installed and apt-get cannot install it here")
    subprocess.run(["apt-get", "install", "-y", "nginx"], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.cert, self.key = _self_signed(folder)
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, upstream: int) -> None:
        conf = self.folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.folder, port=self.port, cert=self.cert, key=self.key,
                                          upstream=upstream))
        log = self.folder / "error.log"
        log.touch()
        self.proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(self.folder), "-e", str(log)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(self.url + "/", self.proc, log, verify=False)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nginx(tmp_path):
    """Debian's nginx with its own config and a self-signed certificate for 127.0.0.1 (start(upstream_port))."""
    _ensure_nginx()
    folder = tmp_path / "nginx"
    folder.mkdir()
    proxy = Nginx(folder)
    yield proxy
    proxy.stop()
