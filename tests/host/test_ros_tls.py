"""`ros tls generate`: a CA kept in the configuration signs server and client certificates;
Debian's dockerd started with them and --tlsverify on 127.0.0.1 answers a docker CLI that
holds the client certificate, and refuses one whose certificates come from another CA."""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import corral_bin
from harness import DOCKER_CLI, Daemon, free_port
from test_ros_service import Ros

DOCKERD = "/usr/sbin/dockerd"


class TlsDockerd(Daemon):
    """Debian's dockerd with its unix socket (for readiness) and a TLS TCP socket."""

    def __init__(self, root: Path, tls_dir: Path, port: int):
        super().__init__("dockerd", DOCKERD, root)
        self.tls_dir = tls_dir
        self.port = port

    def argv(self) -> list[str]:
        return super().argv() + [
            "-H", f"tcp://127.0.0.1:{self.port}", "--tlsverify",
            f"--tlscacert={self.tls_dir}/ca.pem", f"--tlscert={self.tls_dir}/server-cert.pem",
            f"--tlskey={self.tls_dir}/server-key.pem"]


def docker_tls(port: int, cert_path: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, DOCKER_CERT_PATH=str(cert_path),
                       DOCKER_CONFIG=tempfile.mkdtemp(prefix="corral-docker-config-"))
    environment.pop("DOCKER_HOST", None)
    return subprocess.run([DOCKER_CLI, "--tlsverify", "-H", f"tcp://127.0.0.1:{port}", "version",
                           "--format", "{{.Server.Version}}"], capture_output=True, text=True,
                          timeout=60, env=environment)


def make_root(path: Path) -> Ros:
    (path / "proc").mkdir(parents=True)
    (path / "proc" / "cmdline").write_text("quiet\n")
    return Ros(path)


def openssl(*args) -> str:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_generated_certificates(tmp_path):
    ros = make_root(tmp_path / "root")
    home = tmp_path / "home"
    ros("tls", "generate", "-s", "-H", "engine.example", "-H", "10.0.0.7")
    tls = tmp_path / "root" / "etc" / "docker" / "tls"
    assert sorted(p.name for p in tls.iterdir()) == ["ca.pem", "server-cert.pem",
                                                     "server-key.pem"]
    assert (tls / "server-key.pem").stat().st_mode & 0o777 == 0o600
    text = openssl("x509", "-in", tls / "server-cert.pem", "-noout", "-text")
    for name in ("DNS:engine.example", "IP Address:10.0.0.7", "DNS:localhost",
                 "IP Address:127.0.0.1", "TLS Web Server Authentication"):
        assert name in text, text
    assert openssl("verify", "-CAfile", tls / "ca.pem", tls / "server-cert.pem").strip().endswith("OK")
    # The CA lives in the configuration and is reused: a client certificate verifies against
    # the same ca.pem.
    ca_cert = ros("config", "get", "rancher.docker.ca_cert").stdout
    assert ca_cert.startswith("-----BEGIN CERTIFICATE-----")
    assert ros("config", "get", "rancher.docker.server_cert").stdout.startswith("-----BEGIN")
    ros("tls", "gen", env={"HOME": str(home)})
    client = home / ".docker"
    assert sorted(p.name for p in client.iterdir()) == ["ca.pem", "cert.pem", "key.pem"]
    assert (client / "ca.pem").read_text() == (tls / "ca.pem").read_text()
    assert "TLS Web Client Authentication" in openssl("x509", "-in", client / "cert.pem",
                                                      "-noout", "-text")
    openssl("verify", "-CAfile", tls / "ca.pem", client / "cert.pem")
    # Secrets stay out of a plain export.
    assert "BEGIN" not in ros("config", "export").stdout
    bad = ros("tls", "generate", "-s", "-H", "bad,name", check=False)
    assert bad.returncode == 1 and "-H bad,name: not a host name or IP address" in bad.stderr


@pytest.mark.skipif(not os.path.exists(DOCKERD), reason="no Debian dockerd")
def test_dockerd_tlsverify_with_generated_certificates(tmp_path, session_root):
    ros = make_root(tmp_path / "root")
    ros("tls", "generate", "-s", "-H", "127.0.0.1")
    ros("tls", "generate", "-d", tmp_path / "client")
    other = make_root(tmp_path / "other")
    other("tls", "generate", "-d", tmp_path / "stranger")

    daemon_root = Path(tempfile.mkdtemp(prefix="tls-", dir=session_root))
    daemon = TlsDockerd(daemon_root, tmp_path / "root" / "etc" / "docker" / "tls", free_port())
    try:
        daemon.start(timeout=60)
        good = docker_tls(daemon.port, tmp_path / "client")
        assert good.returncode == 0, good.stderr + daemon.log_tail()
        assert good.stdout.strip(), good
        wrong = docker_tls(daemon.port, tmp_path / "stranger")
        assert wrong.returncode != 0, wrong.stdout
        assert "certificate" in wrong.stderr.lower() or "tls" in wrong.stderr.lower(), wrong.stderr
    finally:
        daemon.teardown()


def test_corral_opens_libcrypto_only_for_tls():
    """The corral binary (init, ros, the engine) does not link libcrypto, libssl or libcurl:
    `ros tls` opens libcrypto and a fetch libcurl when they run (tested above and by the pulls),
    so no other run maps them."""
    binary = corral_bin() / "corral"
    dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    needed = [line.split("[", 1)[1].rstrip("]") for line in dynamic.splitlines()
              if "(NEEDED)" in line]
    assert needed, dynamic
    assert not [name for name in needed
                if name.startswith(("libcrypto", "libssl", "libcurl"))], needed
