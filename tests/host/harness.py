"""Processes the host tests drive: the engine under test (ours or Debian's dockerd), the stock
docker CLI bound to its socket, and local registries (tests/common/local_registry.py).

Every daemon runs inside a private mount namespace held by a `sleep` process we start
("holder"): there the test mounts a private /etc/docker (dockerd writes key.json and reads
certs.d there) and a private /etc/hosts (so an HTTPS registry can have a name that is not a
loopback address, which both engines would otherwise speak plain HTTP to). Our engine enters a
further private namespace of its own; dockerd needs cgroup2 on /sys/fs/cgroup, which the holder
mounts for it (the host's v1/v2 hybrid makes runc refuse to start containers).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))

from local_registry import LocalRegistry, free_port  # noqa: E402,F401

DOCKER_CLI = os.environ.get("CORRAL_DOCKER_CLI", "/usr/local/bin/docker")
DEFAULT_TIMEOUT = 60


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def mount_namespace(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None


def pids_in_namespaces(namespaces: set[int]) -> list[int]:
    namespaces = set(namespaces) - {mount_namespace(os.getpid()), mount_namespace(1)}
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            if mount_namespace(int(entry)) in namespaces:
                found.append(int(entry))
    return found


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over the engine's unix socket, for requests the CLI cannot make."""

    def __init__(self, path: str, timeout: float = 30):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class Namespace:
    """A private mount namespace kept alive by a `sleep` we own."""

    def __init__(self, root: Path, cgroup2: bool):
        self.etc_docker = root / "etc-docker"
        self.certs_dir = self.etc_docker / "certs.d"
        self.certs_dir.mkdir(parents=True)
        self.hosts = root / "hosts"
        self.hosts.write_text(Path("/etc/hosts").read_text() + "\n127.0.0.1 corral-registry.test corral-untrusted.test\n")
        script = [
            "set -e",
            "mount --make-rprivate /",
            f"mount --bind {self.etc_docker} /etc/docker",
            f"mount --bind {self.hosts} /etc/hosts",
        ]
        if cgroup2:
            script.append("mount -t cgroup2 cgroup2 /sys/fs/cgroup")
        script.append("echo ready")
        script.append("exec sleep infinity")
        self.process = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", "\n".join(script)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "ready":
            self.process.kill()
            raise RuntimeError(f"mount namespace setup failed: {self.process.stderr.read()}")
        self.inode = mount_namespace(self.process.pid)

    def command(self, argv: list[str]) -> list[str]:
        return ["nsenter", "-t", str(self.process.pid), "-m", "--"] + argv

    def close(self):
        self.process.kill()
        self.process.wait()


class Daemon:
    """One engine instance with its own socket, data root, exec root, pidfile and log."""

    def __init__(self, kind: str, binary: str, root: Path, isolate: bool = True,
                 extra_args: list[str] | None = None):
        """isolate=False starts the engine with its command line alone, in the host's mount
        namespace (our engine must then make its own private namespace). `extra_args` go at
        the end of its command line."""
        self.kind = kind  # "corral" or "dockerd"
        self.extra_args = list(extra_args or [])
        self.binary = binary
        self.root = root
        self.socket = str(root / "engine.sock")
        self.data_root = root / "data"
        self.exec_root = root / "exec"
        self.pidfile = root / "engine.pid"
        self.log_path = root / "engine.log"
        self.namespace = Namespace(root, cgroup2=(kind == "dockerd")) if isolate else None
        self.process: subprocess.Popen | None = None
        self.namespaces: set[int] = {self.namespace.inode} if isolate else set()
        self.log_offset = 0

    @property
    def host(self) -> str:
        return "unix://" + self.socket

    def argv(self) -> list[str]:
        common = ["-H", self.host, "--data-root", str(self.data_root),
                  "--exec-root", str(self.exec_root), "--pidfile", str(self.pidfile)]
        if self.kind == "dockerd":
            # No bridge or iptables: nothing on the host's network changes. cgroupfs driver:
            # there is no systemd. live-restore: containers survive a dockerd restart, which is
            # what our engine does by design and what the survival test checks.
            return [self.binary] + common + [
                "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none",
                "--exec-opt", "native.cgroupdriver=cgroupfs", "--live-restore",
                "--storage-driver", "overlay2", "--log-level", "debug"] + self.extra_args
        return [self.binary] + common + ["--log-level", "debug"] + self.extra_args

    def start(self, timeout: float = 30):
        self.data_root.mkdir(exist_ok=True)
        self.exec_root.mkdir(exist_ok=True)
        try:
            os.unlink(self.socket)
        except FileNotFoundError:
            pass
        log = open(self.log_path, "ab")
        log.write(f"==== start {' '.join(self.argv())}\n".encode())
        log.flush()
        environment = dict(os.environ)
        environment.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        argv = self.namespace.command(self.argv()) if self.namespace else self.argv()
        self.process = subprocess.Popen(argv, stdout=log,
                                        stderr=subprocess.STDOUT, env=environment,
                                        start_new_session=True)
        log.close()

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode} "
                                   f"while starting:\n{self.log_tail()}")
            return os.path.exists(self.socket) and self.ping(timeout=2) == "OK"

        try:
            wait_until(ready, timeout, interval=0.05, what=f"{self.kind} socket {self.socket}")
        except TimeoutError:
            raise TimeoutError(f"{self.kind} did not answer on {self.socket} within {timeout}s:\n"
                               f"{self.log_tail()}")
        own = mount_namespace(self.process.pid)
        # Never the host's namespace: teardown kills every process of these namespaces.
        if own is not None and own != mount_namespace(os.getpid()):
            self.namespaces.add(own)

    def ping(self, timeout: float = 5) -> str | None:
        try:
            status, body = self.request("GET", "/_ping", timeout=timeout)
            return body.decode() if status == 200 else None
        except OSError:
            return None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
        connection = UnixHTTPConnection(self.socket, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def request_json(self, method: str, path: str, payload=None, timeout: float = 30):
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.request(method, path, body,
                                    {"Content-Type": "application/json"}, timeout)
        return status, (json.loads(data) if data.strip() else None)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30):
        if not self.running():
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill9(self):
        self.process.kill()
        self.process.wait()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def mark_log(self):
        self.log_offset = len(self.log_text())

    def log_since_mark(self, limit: int = 200) -> str:
        return "\n".join(self.log_text()[self.log_offset:].splitlines()[-limit:])

    def teardown(self):
        """Stops the daemon, then kills whatever is left in its namespaces (shims,
        containers, dockerd's containerd): every one of them was started by this fixture."""
        self.stop()
        for _ in range(3):
            leftovers = pids_in_namespaces(self.namespaces)
            holder = self.namespace.process.pid if self.namespace else None
            leftovers = [pid for pid in leftovers if pid != holder]
            if not leftovers:
                break
            for pid in leftovers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        if self.namespace:
            self.namespace.close()


class Docker:
    """The stock docker CLI pointed at one engine; `--pull never` on run/create; a timeout on
    every call."""

    def __init__(self, host: str, cli: str = DOCKER_CLI, config_dir: str | None = None):
        self.host = host
        self.cli = cli
        self.config_dir = config_dir or tempfile.mkdtemp(prefix="corral-docker-config-")

    def argv(self, args) -> list[str]:
        args = [str(argument) for argument in args]
        if args and args[0] in ("run", "create") and "--pull" not in args:
            args = [args[0], "--pull", "never"] + args[1:]
        if args[:2] in (["container", "run"], ["container", "create"]):
            args = args[:2] + ["--pull", "never"] + args[2:]
        return [self.cli, "-H", self.host] + args

    def environment(self) -> dict:
        environment = dict(os.environ)
        environment["DOCKER_CONFIG"] = self.config_dir
        environment.pop("DOCKER_HOST", None)
        environment.pop("DOCKER_CONTEXT", None)
        return environment

    def __call__(self, *args, timeout: float = DEFAULT_TIMEOUT, check: bool = True,
                 input: str | bytes | None = None) -> subprocess.CompletedProcess:
        text = not isinstance(input, bytes)
        try:
            result = subprocess.run(self.argv(args), capture_output=True, text=text, input=input,
                                    timeout=timeout, env=self.environment())
        except subprocess.TimeoutExpired as expired:
            raise AssertionError(f"docker {' '.join(map(str, args))} timed out after {timeout}s; "
                                 f"stdout={expired.stdout!r} stderr={expired.stderr!r}")
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(map(str, args))} exited {result.returncode}:\n"
                                 f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def out(self, *args, **options) -> str:
        return self(*args, **options).stdout.strip()

    def popen(self, *args, **options) -> subprocess.Popen:
        return subprocess.Popen(self.argv(args), env=self.environment(), **options)

    def inspect(self, name: str, kind: str = "container") -> dict:
        return json.loads(self.out(kind, "inspect", name))[0]


# The registry of the tests, shared with the VM tier.
Registry = LocalRegistry


def remove_tree(path: Path):
    shutil.rmtree(path, ignore_errors=True)
