"""A local registry for the host tier (tests/host) and the VM tier (tests/vm): Debian's
docker-registry on 127.0.0.1 (a free port), its storage in a directory of the test, plain HTTP,
TLS or bearer-token auth, filled with skopeo from docker-archive files; and the openssl
certificates (a CA of the test, a server certificate it signs) a TLS registry needs."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path


class RegistryError(RuntimeError):
    """The registry did not start, or skopeo could not fill it."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def openssl(*args, cwd: Path):
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True,
                   timeout=60)


def make_ca(directory: Path, name: str) -> tuple[Path, Path]:
    """A CA certificate and key (ca.crt, ca.key in `directory`)."""
    directory.mkdir(parents=True, exist_ok=True)
    key, cert = directory / "ca.key", directory / "ca.crt"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
            "-days", "2", "-subj", f"/CN={name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", cwd=directory)
    return cert, key


def make_server_cert(directory: Path, ca: tuple[Path, Path], names: list[str],
                     ips: list[str]) -> tuple[Path, Path]:
    """A server certificate and key (server.crt, server.key) signed by `ca`, for the DNS
    `names` and the IP addresses `ips`; its subject is the first of them."""
    key, request, cert = directory / "server.key", directory / "server.csr", directory / "server.crt"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request,
            "-subj", f"/CN={(names + ips)[0]}", cwd=directory)
    extensions = directory / "server.ext"
    alt = ",".join([f"DNS:{name}" for name in names] + [f"IP:{ip}" for ip in ips])
    extensions.write_text(f"subjectAltName={alt}\nextendedKeyUsage=serverAuth\n"
                          "basicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", request, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", extensions, cwd=directory)
    return cert, key


class LocalRegistry:
    """docker-registry serving `root`/storage on 127.0.0.1:<free port>. `tls` is a (certificate,
    key) pair; `token` the realm, service, issuer and rootcertbundle of bearer-token auth.
    `host` is the name its address is given with (address: host:port)."""

    def __init__(self, root: Path, tls: tuple[str, str] | None = None,
                 token: dict | None = None, host: str = "127.0.0.1", log_level: str = "info"):
        self.root = root
        self.port = free_port()
        self.host = host
        self.address = f"{host}:{self.port}"
        storage = root / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        lines = [
            "version: 0.1",
            "log:",
            f"  level: {log_level}",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {storage}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
        ]
        if tls:
            lines += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
        if token:
            lines += ["auth:", "  token:", f"    realm: {token['realm']}",
                      f"    service: {token['service']}", f"    issuer: {token['issuer']}",
                      f"    rootcertbundle: {token['rootcertbundle']}"]
        self.config = root / "config.yml"
        self.config.write_text("\n".join(lines) + "\n")
        self.log_path = root / "registry.log"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["docker-registry", "serve", str(self.config)],
                                            stdout=log, stderr=subprocess.STDOUT)
        self.url = f"{'https' if tls else 'http'}://{self.address}"
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RegistryError(f"docker-registry exited: {self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise RegistryError(
                        f"docker-registry did not listen within 15 s: {self.log_path.read_text()}")
                time.sleep(0.05)

    def push_archive(self, archive: str, reference: str, creds: str | None = None,
                     cert_dir: str | None = None, compress: str | None = None,
                     timeout: float = 120):
        """Copies the image of a docker-archive to `reference` (repository:tag) here."""
        argv = ["skopeo", "copy", "--quiet"]
        if cert_dir:
            argv += ["--dest-cert-dir", cert_dir]
        else:
            argv += ["--dest-tls-verify=false"]
        if creds:
            argv += ["--dest-creds", creds]
        if compress:
            argv += ["--dest-compress", "--dest-compress-format", compress]
        # Pushed over 127.0.0.1, whatever name the tests reach it by.
        argv += [f"docker-archive:{archive}", f"docker://127.0.0.1:{self.port}/{reference}"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                env=dict(os.environ, REGISTRY_AUTH_FILE=str(self.root / "auth.json")))
        if result.returncode != 0:
            raise RegistryError(f"{' '.join(argv)} failed: {result.stderr}\n"
                                f"registry log:\n{self.log_path.read_text()[-3000:]}")

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
