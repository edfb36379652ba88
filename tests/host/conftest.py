"""Fixtures of the host tier: the engine under test in a private mount namespace, the stock
docker CLI bound to its socket, the busybox test image, local registries.

Environment:
  CORRAL_TEST_ENGINE   corral (default) or dockerd (Debian's, the reference the tests are
                       validated against)
  CORRAL_DAEMON_BUILD  asan (default: $CORRAL_ASAN_BIN/system-dockerd) or release
                       ($CORRAL_BIN/system-dockerd)
  CORRAL_BIN, CORRAL_ASAN_BIN   set by scripts/test; default <repo>/build/bin, build-asan/bin
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import images  # noqa: E402
import registries  # noqa: E402
from harness import Daemon, Docker, Registry, remove_tree  # noqa: E402

SOURCE = Path(__file__).resolve().parents[2]
IMAGE = "corral-test/busybox:1"


def engine_kind() -> str:
    kind = os.environ.get("CORRAL_TEST_ENGINE", "corral")
    if kind not in ("corral", "dockerd"):
        raise pytest.UsageError(f"CORRAL_TEST_ENGINE={kind}: expected corral or dockerd")
    return kind


def corral_bin() -> Path:
    build = os.environ.get("CORRAL_DAEMON_BUILD", "asan")
    if build == "release":
        return Path(os.environ.get("CORRAL_BIN", SOURCE / "build" / "bin"))
    return Path(os.environ.get("CORRAL_ASAN_BIN", SOURCE / "build-asan" / "bin"))


def engine_binary(kind: str) -> str:
    if kind == "dockerd":
        return shutil.which("dockerd") or "/usr/sbin/dockerd"
    return str(corral_bin() / "system-dockerd")


@pytest.fixture(scope="session")
def engine() -> str:
    return engine_kind()


@pytest.fixture(scope="session")
def session_root():
    # Short paths: unix socket paths are limited to 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="corral-host-", dir="/tmp"))
    yield root
    remove_tree(root)


class DaemonFactory:
    def __init__(self, root: Path, kind: str):
        self.root = root
        self.kind = kind
        self.daemons: list[Daemon] = []

    def __call__(self, name: str, start: bool = True, isolate: bool = True) -> Daemon:
        directory = Path(tempfile.mkdtemp(prefix=name + "-", dir=self.root))
        daemon = Daemon(self.kind, engine_binary(self.kind), directory, isolate=isolate)
        self.daemons.append(daemon)
        if start:
            daemon.start()
        return daemon

    def close(self):
        for daemon in self.daemons:
            daemon.teardown()


@pytest.fixture(scope="session")
def daemon_factory(session_root, engine):
    factory = DaemonFactory(session_root, engine)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def daemon(daemon_factory) -> Daemon:
    return daemon_factory("main")


@pytest.fixture(scope="session")
def docker(daemon) -> Docker:
    return Docker(daemon.host)


@pytest.fixture(scope="session")
def image_archive(session_root) -> Path:
    path = session_root / "busybox.tar"
    images.busybox_image(path, IMAGE)
    return path


@pytest.fixture(scope="session")
def image(docker, image_archive) -> str:
    """The busybox test image, loaded into the session's engine."""
    docker("load", "-i", image_archive, timeout=120)
    return IMAGE


@pytest.fixture(autouse=True)
def _daemon_log_mark(request):
    """Marks the engine log at the start of each test (dumped when it fails) and removes the
    test's containers afterwards."""
    daemon = request.getfixturevalue("daemon") if "daemon" in request.fixturenames else None
    if daemon:
        daemon.mark_log()
        request.node.corral_daemon = daemon
    yield
    if daemon and "docker" in request.fixturenames and daemon.running():
        docker = request.getfixturevalue("docker")
        ids = docker("ps", "-aq", check=False, timeout=30).stdout.split()
        if ids:
            docker("rm", "-f", *ids, check=False, timeout=120)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        daemon = getattr(item, "corral_daemon", None)
        if isinstance(daemon, Daemon):
            report.sections.append((f"{daemon.kind} log during the test",
                                    daemon.log_since_mark()))
        values = list(item.funcargs.values())
        values += [inner for value in values if isinstance(value, dict)
                   for inner in value.values()]
        for value in values:
            if isinstance(value, Daemon) and value is not daemon:
                report.sections.append((f"{value.kind} log ({value.root.name})",
                                        value.log_tail(120)))


# Registries -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def registry_http(session_root, image_archive):
    registry = Registry(session_root / "registry-http")
    registry.push_archive(str(image_archive), "test/busybox:1")
    registry.push_archive(str(image_archive), "test/busybox:zstd", compress="zstd")
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def tls_ca(session_root):
    directory = session_root / "tls"
    ca = registries.make_ca(directory, "corral-test-ca")
    server = registries.make_server_cert(directory, ca, ["corral-registry.test", "localhost"],
                                         ["127.0.0.1"])
    return {"ca": ca[0], "cert": server[0], "key": server[1], "dir": directory}


@pytest.fixture(scope="session")
def registry_https(session_root, image_archive, tls_ca, daemon):
    """HTTPS registry reached as corral-registry.test:PORT (an /etc/hosts entry inside the
    engine's mount namespace), so the engine must speak TLS and trust our CA: ca.crt is in
    docker's certs.d layout, where each engine reads it: /etc/docker/certs.d (dockerd) and
    <data-root>/image/certs.d (ours)."""
    registry = Registry(session_root / "registry-https", tls=(str(tls_ca["cert"]),
                                                               str(tls_ca["key"])))
    registry.push_archive(str(image_archive), "test/busybox:1")
    name = f"corral-registry.test:{registry.port}"
    for certs in (daemon.namespace.certs_dir, daemon.data_root / "image" / "certs.d"):
        (certs / name).mkdir(parents=True, exist_ok=True)
        shutil.copy(tls_ca["ca"], certs / name / "ca.crt")
    registry.name = name
    yield registry
    registry.close()


@pytest.fixture(scope="session")
def registry_token(session_root, image_archive):
    directory = session_root / "registry-token"
    directory.mkdir()
    service, issuer = "corral-test-registry", "corral-test-token-issuer"
    server = registries.TokenServer(directory / "token", service, issuer)
    registry = Registry(directory, token={"realm": server.realm, "service": service,
                                          "issuer": issuer, "rootcertbundle": str(server.cert)})
    registry.push_archive(str(image_archive), "test/busybox:1",
                          creds=f"{registries.TOKEN_USER}:{registries.TOKEN_PASSWORD}")
    registry.token_server = server
    yield registry
    registry.close()
    server.close()


def pytest_collection_modifyitems(session, config, items):
    """The shutdown check stops the session's engine: it always runs last."""
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith("test_zz_shutdown.py"))
    _mark_known_corral_bugs(items)


# Known bugs of our engine, each found by the test named here and open in the issue tracker's
# notes. The tests still run (and pass against dockerd); against our engine a failure is
# reported as xfail, and an unexpected pass as xpass, so a fix shows at once.
KNOWN_CORRAL_BUGS = {
}


def _mark_known_corral_bugs(items):
    if os.environ.get("CORRAL_TEST_ENGINE", "corral") != "corral":
        return
    for item in items:
        key = item.nodeid.split("tests/host/")[-1].split("[")[0]
        reason = KNOWN_CORRAL_BUGS.get(key)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=f"known bug: {reason}", strict=False))
