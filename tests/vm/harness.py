"""One harness for every boot test: boots dist/corral.iso under QEMU (TCG) with a fresh or
kept state disk and an optional NoCloud cloud-config disk, then runs the steps of a case file
(tests/vm/cases/*.yml) against the serial console, the QEMU monitor and SSH."""
from __future__ import annotations

import os
import base64
import gzip
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))

from local_registry import (LocalRegistry, RegistryError, free_port,  # noqa: E402
                            make_ca, make_server_cert)

ROOT = Path(os.environ.get("CORRAL_SOURCE_DIR", Path(__file__).resolve().parents[2]))
ISO = Path(os.environ.get("CORRAL_ISO", ROOT / "dist" / "corral.iso"))
VERSION = subprocess.run([str(ROOT / "build" / "bin" / "corral"), "--version"],
                         capture_output=True, text=True).stdout.split()[-1] \
    if (ROOT / "build" / "bin" / "corral").exists() else "0.0.0"


def busybox_image_archive(workdir: Path) -> Path:
    """The test image corral-test/busybox:1 (tests/fixtures/make-busybox-image) as a
    docker-archive in `workdir`."""
    archive = workdir / "busybox-image.tar"
    if not archive.exists():
        subprocess.run([str(ROOT / "tests" / "fixtures" / "make-busybox-image"), str(archive),
                        "corral-test/busybox:1"], check=True, capture_output=True)
    return archive


def busybox_image_gz_b64(workdir: Path) -> str:
    """busybox_image_archive gzipped and base64-encoded for a write_files entry with
    `encoding: gz+b64`: a cloud-config can deliver it to /var/lib/rancher/preload/docker."""
    archive = busybox_image_archive(workdir)
    return base64.b64encode(gzip.compress(archive.read_bytes(), 9, mtime=0)).decode()


def expand_cloud_config(text: str, vm: "Vm") -> str:
    """Placeholders of case files: @SSH_KEY@ (the harness's public key), @BUSYBOX_IMAGE@ (see
    busybox_image_gz_b64); with a registry: @REGISTRY@ and @REGISTRY_ALIAS@ (its addresses as
    the guest sees them) and @REGISTRY_CA_B64@ (its CA certificate, base64, for a write_files
    entry with `encoding: b64`); with an HTTP registry: @HTTP_REGISTRY@ and @HTTP_REGISTRY_ALIAS@ (see
    HttpRegistry)."""
    text = text.replace("@SSH_KEY@", vm.public_key)
    if "@BUSYBOX_IMAGE@" in text:
        text = text.replace("@BUSYBOX_IMAGE@", busybox_image_gz_b64(vm.workdir))
    if vm.registry is not None:
        text = text.replace("@REGISTRY@", GUEST_REGISTRY)
        text = text.replace("@REGISTRY_ALIAS@", GUEST_REGISTRY_ALIAS)
        text = text.replace("@REGISTRY_CA_B64@",
                            base64.b64encode(vm.registry.ca.read_bytes()).decode())
    if vm.http_registry is not None:
        text = text.replace("@HTTP_REGISTRY@", GUEST_HTTP_REGISTRY)
        text = text.replace("@HTTP_REGISTRY_ALIAS@", GUEST_HTTP_REGISTRY_ALIAS)
    return text


def expand_command(text: str) -> str:
    """The registry addresses of a step's command (@REGISTRY@, @REGISTRY_ALIAS@,
    @HTTP_REGISTRY@, @HTTP_REGISTRY_ALIAS@) and @VERSION@ as they are; `expand` gives them as
    regexes."""
    for placeholder, address in ADDRESSES.items():
        text = text.replace(placeholder, address)
    return text.replace("@VERSION@", VERSION)


class StepFailed(AssertionError):
    pass


# Where the guest finds the test registry: a QEMU guestfwd from this address of the user
# network to the registry on the host's 127.0.0.1 (explicit forwards work with restrict=on:
# the guest reached it in 12_switch).
GUEST_REGISTRY_IP = "10.0.2.100"
GUEST_REGISTRY = f"{GUEST_REGISTRY_IP}:5000"
# The same registry at a second address, also in its certificate, but not in the certs.d of a
# case: the guest trusts it there only through the CA bundle of /etc/ssl/certs.
GUEST_REGISTRY_ALIAS_IP = "10.0.2.103"
GUEST_REGISTRY_ALIAS = f"{GUEST_REGISTRY_ALIAS_IP}:5000"
# The plain-HTTP registry (HttpRegistry) at two addresses of the guest's network: a case lists
# one of them as an insecure registry and not the other.
GUEST_HTTP_REGISTRY = "10.0.2.101:5000"
GUEST_HTTP_REGISTRY_ALIAS = "10.0.2.102:5000"
ADDRESSES = {"@REGISTRY@": GUEST_REGISTRY, "@REGISTRY_ALIAS@": GUEST_REGISTRY_ALIAS,
             "@HTTP_REGISTRY@": GUEST_HTTP_REGISTRY,
             "@HTTP_REGISTRY_ALIAS@": GUEST_HTTP_REGISTRY_ALIAS}


class Registry(LocalRegistry):
    """The local registry (tests/common/local_registry.py) over TLS, with a certificate for
    the guest's addresses of it (GUEST_REGISTRY, GUEST_REGISTRY_ALIAS) signed by a CA of its
    own: the guest's system engine trusts that CA for GUEST_REGISTRY from its certs.d
    directory (a write_files entry of the case), as it would a real registry's. Filled with
    skopeo from the image archives of dist/images."""

    def __init__(self, workdir: Path):
        root = workdir / "registry"
        root.mkdir(parents=True, exist_ok=True)
        ca = make_ca(root, "corral-vm-test-ca")
        self.ca = ca[0]
        server = make_server_cert(root, ca, [], [GUEST_REGISTRY_IP, GUEST_REGISTRY_ALIAS_IP,
                                                 "127.0.0.1"])
        try:
            super().__init__(root, tls=(str(server[0]), str(server[1])), log_level="warn")
        except RegistryError as error:
            raise StepFailed(str(error))

    def push(self, archive: Path, reference: str) -> None:
        """Copies the image of a docker-archive to REFERENCE (repository:tag) here."""
        if not archive.exists():
            raise StepFailed(f"{archive} is missing (scripts/build-image builds it)")
        try:
            self.push_archive(str(archive), reference, timeout=600)
        except RegistryError as error:
            raise StepFailed(str(error))


class HttpRegistry(LocalRegistry):
    """The local registry over plain HTTP, holding corral-test/busybox:1 (the test image of
    busybox_image_archive). The guest reaches it at @HTTP_REGISTRY@ and at
    @HTTP_REGISTRY_ALIAS@, neither a loopback address: an engine speaks plain HTTP to it only
    when the address is one of its insecure registries, HTTPS otherwise (which it refuses)."""

    def __init__(self, workdir: Path):
        root = workdir / "http-registry"
        root.mkdir(parents=True, exist_ok=True)
        try:
            super().__init__(root, log_level="warn")
        except RegistryError as error:
            raise StepFailed(str(error))
        try:
            self.push_archive(str(busybox_image_archive(workdir)), "corral-test/busybox:1")
        except BaseException as error:
            self.close()
            raise StepFailed(str(error)) if isinstance(error, RegistryError) else error


class Vm:
    """A QEMU guest. The serial console is a unix socket the harness reads from the start
    (QEMU waits for it): what it reads is the console of the current boot, also appended to
    serial.log. (QEMU's own `logfile=` doubles a character whenever the socket was full for a
    moment: it logs a byte it failed to send, then again when it sends it.) The human monitor
    listens on a unix socket (system_powerdown, quit)."""

    def __init__(self, workdir: Path, memory: int = 2048, cloud_config: str | None = None,
                 registry: Registry | None = None, nics: list[str] | None = None,
                 http_registry: HttpRegistry | None = None):
        self.workdir = workdir
        self.http_registry = http_registry
        self.nics = nics or []
        self.registry = registry
        self.memory = memory
        self.serial_log = workdir / "serial.log"
        self.monitor_path = workdir / "monitor.sock"
        self.serial_path = workdir / "serial.sock"
        self.state_disk = workdir / "state.qcow2"
        self.ssh_port = free_port()
        self.ssh_key = workdir / "id_ed25519"
        self.process: subprocess.Popen | None = None
        self.serial: socket.socket | None = None
        self.console_bytes = bytearray()
        self.console_lock = threading.Lock()
        self.boots = 0
        self.cloud_config = cloud_config
        if not self.ssh_key.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.ssh_key)],
                           check=True)

    @property
    def public_key(self) -> str:
        return (self.workdir / "id_ed25519.pub").read_text().strip()

    def start(self) -> None:
        if not self.state_disk.exists():
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(self.state_disk), "4G"],
                           check=True)
        args = [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "2",
            "-m", str(self.memory), "-display", "none", "-no-reboot",
            # wait=on: the guest starts once the harness is connected, so nothing is missed.
            "-chardev", f"socket,id=serial0,path={self.serial_path},server=on,wait=on",
            "-serial", "chardev:serial0",
            "-monitor", f"unix:{self.monitor_path},server,nowait",
            # Index 2, the place of QEMU's default CD-ROM drive (else a second, empty one).
            "-drive", f"file={ISO},media=cdrom,if=ide,index=2,readonly=on", "-boot", "d",
            "-drive", f"file={self.state_disk},if=virtio,format=qcow2",
            "-netdev", f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22"
            # cmd: one socat per connection of the guest (a tcp: chardev would be a single
            # connection, made at start and shared by all of them).
            + "".join(f",guestfwd=tcp:{address}-cmd:socat - TCP:127.0.0.1:{self.registry.port}"
                      for address in (GUEST_REGISTRY, GUEST_REGISTRY_ALIAS) if self.registry)
            + "".join(f",guestfwd=tcp:{address}-cmd:socat - TCP:127.0.0.1:{self.http_registry.port}"
                      for address in (GUEST_HTTP_REGISTRY, GUEST_HTTP_REGISTRY_ALIAS)
                      if self.http_registry),
            "-device", "virtio-net-pci,netdev=net0", "-device", "virtio-rng-pci",
        ]
        # More network cards (eth1, eth2...), each on a user network of its own that the
        # guest configures statically; `restrict=on` as everywhere.
        for index, mac in enumerate(self.nics, start=1):
            args += ["-netdev", f"user,id=net{index},restrict=on",
                     "-device", f"virtio-net-pci,netdev=net{index},mac={mac}"]
        if self.cloud_config is not None:
            user_data = self.workdir / "user-data.yml"
            user_data.write_text(expand_cloud_config(self.cloud_config, self))
            seed = self.workdir / "cidata.iso"
            subprocess.run([str(ROOT / "scripts" / "make-cidata"), str(user_data), str(seed)],
                           check=True)
            args += ["-drive", f"file={seed},if=virtio,format=raw,readonly=on"]
        with self.console_lock:
            self.console_bytes = bytearray()
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=open(self.workdir / "qemu.log", "ab"),
                                        stderr=subprocess.STDOUT)
        self.boots += 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.serial = socket.socket(socket.AF_UNIX)
                self.serial.connect(str(self.serial_path))
                break
            except OSError:
                self.serial = None
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        if self.serial is None:
            raise StepFailed("cannot connect to the serial console of QEMU")
        threading.Thread(target=self._record, args=(self.serial, self.console_bytes),
                         daemon=True).start()

    def _record(self, connection: socket.socket, console: bytearray) -> None:
        """Reads the serial console as fast as it comes (QEMU holds the guest's writes back
        while the socket is full) into CONSOLE (this boot's) and serial.log."""
        with open(self.serial_log, "ab") as log:
            try:
                while data := connection.recv(65536):
                    with self.console_lock:
                        console += data
                    log.write(data)
                    log.flush()
            except OSError:
                pass

    def console(self) -> str:
        """The serial output of the current boot so far."""
        with self.console_lock:
            return self.console_bytes.decode(errors="replace")

    def wait_console(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        compiled = re.compile(pattern, re.M)
        while time.monotonic() < deadline:
            found = compiled.search(self.console())
            if found:
                return found
            if self.process and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise StepFailed(f"console never showed /{pattern}/ within {timeout}s; last output:\n"
                         + self.console()[-3000:])

    def shell(self, command: str, timeout: float = 60) -> tuple[int, str]:
        """Runs a command in the console shell: output and exit code between unique markers."""
        marker = f"M{time.monotonic_ns()}"
        line = f"echo {marker}B; {command}; echo {marker}E$?\n"
        assert self.serial is not None
        self.serial.sendall(line.encode())
        found = self.wait_console(rf"^{marker}B\r?\n([\s\S]*?){marker}E(\d+)", timeout)
        return int(found.group(2)), found.group(1).replace("\r", "")

    def ssh(self, command: str, timeout: float = 120) -> tuple[int, str]:
        result = subprocess.run(
            ["ssh", "-p", str(self.ssh_port), "-i", str(self.ssh_key),
             "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
             "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
             "rancher@127.0.0.1", command],
            capture_output=True, text=True, timeout=timeout)
        return result.returncode, result.stdout + result.stderr

    def wait_ssh(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                code, last = self.ssh("true", timeout=30)
                if code == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(1)
        raise StepFailed(f"no SSH login within {timeout}s: {last}\nconsole:\n{self.console()[-3000:]}")

    def monitor(self, command: str) -> None:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(self.monitor_path))
            connection.sendall(command.encode() + b"\n")
            time.sleep(0.2)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"QEMU still running after {timeout}s; console:\n"
                             + self.console()[-3000:])

    def stop(self) -> None:
        if self.serial:
            self.serial.close()
            self.serial = None
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def expand(text: str) -> str:
    text = text.replace("@VERSION@", re.escape(VERSION))
    for placeholder, address in ADDRESSES.items():
        text = text.replace(placeholder, re.escape(address))
    return text


def check_output(what: str, output: str, step: dict) -> None:
    """`expect`: a regex or a list of regexes that must all match the output; `reject`: a
    regex that must not."""
    expected = step.get("expect")
    for pattern in expected if isinstance(expected, list) else [expected] if expected else []:
        if not re.search(expand(pattern), output, re.M):
            raise StepFailed(f"{what} printed {output!r}, wanted /{expand(pattern)}/")
    if "reject" in step:
        found = re.search(expand(step["reject"]), output, re.M)
        if found:
            raise StepFailed(f"{what} printed {output!r}, with {found.group(0)!r} "
                             f"(rejected /{step['reject']}/)")


def run_case(case: dict, workdir: Path) -> None:
    """Runs the steps of one case. Steps (one key each):
      console: REGEX            wait until the serial console of this boot matches
      shell: CMD, expect: RE    run CMD in the console shell; exit 0 and output matching RE
      ssh_ready: SECONDS        wait until SSH logins work
      ssh: CMD, expect: RE      run CMD over SSH as rancher
    `expect` may be a list of regexes (all must match); `reject: RE` must not match; `exit`
    is the exit code wanted (0 by default, `any`: not checked); `retry: SECONDS` runs an ssh
    step again until it passes or SECONDS are over.
      powerdown: SECONDS        ACPI power button; QEMU must exit within SECONDS
      reboot: true              power off cleanly, then boot again on the same state disk
      boot: true                boot again on the same state disk (after a powerdown step)
    Every step may set `timeout` (seconds).
    `registry: [NAME, ...]` in a case starts a registry (see Registry) holding the images
    dist/images/NAME.tar as corral/NAME:VERSION, reached by the guest at @REGISTRY@ and
    @REGISTRY_ALIAS@.
    `http_registry: true` starts an HttpRegistry. Commands of steps get the registry
    addresses for their placeholders (expand_command).
    `nics: [MAC, ...]` adds a network card per MAC after eth0."""
    registry = None
    if case.get("registry"):
        registry = Registry(workdir)
        for name in case["registry"]:
            registry.push(ROOT / "dist" / "images" / f"{name}.tar", f"corral/{name}:{VERSION}")
    http_registry = None
    try:
        if case.get("http_registry"):
            http_registry = HttpRegistry(workdir)
    except BaseException:
        if registry is not None:
            registry.close()
        raise
    vm = Vm(workdir, memory=case.get("memory", 2048), cloud_config=case.get("cloud_config"),
            registry=registry, nics=case.get("nics"), http_registry=http_registry)
    try:
        vm.start()
        for step in case["steps"]:
            timeout = float(step.get("timeout", 120))
            if "console" in step:
                vm.wait_console(expand(step["console"]), timeout)
            elif "shell" in step:
                code, output = vm.shell(expand_command(step["shell"]), timeout)
                if code != step.get("exit", 0):
                    raise StepFailed(f"`{step['shell']}` exited {code}: {output}")
                check_output(f"`{step['shell']}`", output, step)
            elif "ssh_ready" in step:
                vm.wait_ssh(float(step["ssh_ready"]))
            elif "ssh" in step:
                # `retry: SECONDS`: run again (a new login each time) until the step passes.
                deadline = time.monotonic() + float(step.get("retry", 0))
                while True:
                    try:
                        code, output = vm.ssh(expand_command(step["ssh"]), timeout)
                        if step.get("exit", 0) != "any" and code != step.get("exit", 0):
                            raise StepFailed(f"ssh `{step['ssh']}` exited {code}: {output}")
                        check_output(f"ssh `{step['ssh']}`", output, step)
                        break
                    except (StepFailed, subprocess.TimeoutExpired):
                        if time.monotonic() >= deadline:
                            raise
                        time.sleep(2)
            elif "powerdown" in step:
                vm.monitor("system_powerdown")
                vm.wait_exit(float(step["powerdown"]))
            elif "reboot" in step:
                vm.monitor("system_powerdown")
                vm.wait_exit(timeout)
                vm.stop()
                vm.start()
            elif "boot" in step:
                # After a `powerdown` (whose console lines can be checked first): boot again
                # from the same state disk.
                vm.stop()
                vm.start()
            else:
                raise StepFailed(f"unknown step {step}")
    finally:
        vm.stop()
        if registry is not None:
            registry.close()
        if http_registry is not None:
            http_registry.close()
