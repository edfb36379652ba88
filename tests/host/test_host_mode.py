"""Host mode: the engine's own command line alone runs it on this machine without disturbing
the host; its socket is root's; Debian's older docker client (20.10) works too."""
import json
import os
import stat
import subprocess
import time
import uuid

import pytest

from harness import Docker, wait_until

DEBIAN_CLIENT = "/usr/bin/docker"


def host_mounts() -> str:
    with open("/proc/self/mountinfo") as mountinfo:
        return mountinfo.read()


def test_socket_is_root_only(daemon):
    info = os.stat(daemon.socket)
    assert stat.S_ISSOCK(info.st_mode)
    assert info.st_uid == 0
    assert stat.S_IMODE(info.st_mode) == 0o660, oct(info.st_mode)


def test_pidfile_names_the_engine(daemon):
    assert int(daemon.pidfile.read_text().strip()) == daemon.process.pid


def test_command_line_alone_leaves_the_host_untouched(daemon_factory, image_archive, engine):
    if engine == "dockerd":
        pytest.skip("dockerd mounts in the caller's namespace; only our engine isolates itself")
    before = host_mounts()
    daemon = daemon_factory("bare", isolate=False)
    try:
        docker = Docker(daemon.host)
        own = os.stat(f"/proc/{daemon.process.pid}/ns/mnt").st_ino
        assert own != os.stat("/proc/self/ns/mnt").st_ino, \
            "the engine stayed in the host's mount namespace"
        docker("load", "-i", image_archive, timeout=120)
        name = f"bare-{uuid.uuid4().hex[:6]}"
        docker("run", "-d", "--name", name, "corral-test/busybox:1", "sleep", "1000")
        assert docker.out("exec", name, "echo", "ok") == "ok"
        during = host_mounts()
        assert str(daemon.data_root) not in during, "container mounts leaked to the host"
        assert str(daemon.exec_root) not in during, "container mounts leaked to the host"
        assert during.count("cgroup2") == before.count("cgroup2")
        docker("rm", "-f", name)
    finally:
        daemon.teardown()
    assert str(daemon.data_root) not in host_mounts()
    assert str(daemon.exec_root) not in host_mounts()


def test_a_bind_of_the_exec_root_holds_no_container_rootfs(daemon, docker, image, engine):
    """The bundles live in the exec root (tmpfs /run in the OS) but the rootfs mounts do not:
    system services bind /run recursively, and such a bind would copy the rootfs mounts of
    the containers running at the time (copies that keep them mounted after they end). The
    one overlay there is the engine's read-only copy of crun (runtime/bin), made once."""
    if engine == "dockerd":
        pytest.skip("checks our engine's own directory layout")
    running = docker.out("run", "-d", image, "sleep", "1000")
    try:
        mounts = docker.out("run", "--rm", "-v", f"{daemon.exec_root}:/exec-root", image, "sh",
                            "-c", "grep ' /exec-root/' /proc/self/mountinfo || true")
        overlays = [line for line in mounts.splitlines() if " - overlay " in line]
        assert all(line.split()[4] == "/exec-root/runtime/bin" for line in overlays), \
            f"a rootfs is mounted in the exec root: {mounts}"
        assert len(overlays) == 1, mounts
        assert running not in mounts, mounts
    finally:
        docker("rm", "-f", running)


def test_removed_containers_leave_nothing_behind(daemon, docker, image, engine, tmp_path):
    """`run --rm`, `rm -f` of a running one and `rm` of an exited one: the engine answers
    before the shim's clean-up is over, and the clean-up still ends with no mount, no
    directory and nothing in the trash left of any of them."""
    if engine == "dockerd":
        pytest.skip("checks our engine's own directory layout")
    ids = []
    for index in range(3):
        cidfile = tmp_path / f"rm-{index}.cid"
        docker("run", "--rm", "--cidfile", str(cidfile), image, "true")
        ids.append(cidfile.read_text().strip())
    running = docker.out("run", "-d", image, "sleep", "1000")
    exited = docker.out("run", "-d", image, "true")
    docker("wait", exited)
    docker("rm", "-f", running)
    docker("rm", exited)
    ids += [running, exited]

    def engine_mounts() -> str:
        with open(f"/proc/{daemon.process.pid}/mountinfo") as mountinfo:
            return mountinfo.read()

    def left(container: str) -> list[str]:
        # os.walk skips what vanishes while it walks (the clean-up runs meanwhile).
        found = [os.path.join(directory, name)
                 for root in (daemon.exec_root, daemon.data_root)
                 for directory, subdirectories, files in os.walk(root)
                 for name in subdirectories + files if container in name]
        if container in engine_mounts():
            found.append("a mount")
        return found

    def clean() -> bool:
        return not any(left(container) for container in ids)

    try:
        wait_until(clean, timeout=20, what="the removed containers' clean-up")
    except TimeoutError:
        pytest.fail(f"left behind: {[left(container) for container in ids]}")


def test_init_layer_leaves_the_upper_dir_empty(daemon, docker, image, engine):
    """The test image has no /etc/hosts, /etc/hostname or /etc/resolv.conf: the mount points
    come from the engine's init layer, so starting the container writes nothing in its upper
    dir on the data disk, and the files still show the engine's content (also with a
    read-only root, where nothing could be made)."""
    if engine == "dockerd":
        pytest.skip("checks our engine's own directory layout")
    container = docker.out("run", "-d", "--hostname", "layered", image, "sleep", "1000")
    try:
        upper = daemon.data_root / "containers" / container / "upper"
        assert upper.is_dir()
        assert sorted(os.listdir(upper)) == []
        assert docker.out("exec", container, "cat", "/etc/hostname") == "layered"
        assert "localhost" in docker.out("exec", container, "cat", "/etc/hosts")
        listed = docker.out("exec", container, "ls", "-d", "/proc", "/sys", "/dev").split()
        assert sorted(listed) == ["/dev", "/proc", "/sys"]
    finally:
        docker("rm", "-f", container)
    assert docker.out("run", "--rm", "--read-only", "--hostname", "ro-layered", image,
                      "cat", "/etc/hostname") == "ro-layered"
    layer = daemon.data_root / "init-layer"
    assert sorted(os.listdir(layer)) == ["dev", "etc", "proc", "sys"]
    assert sorted(os.listdir(layer / "etc")) == ["hostname", "hosts", "resolv.conf"]


def bundle_config(daemon, container: str) -> dict:
    path = daemon.exec_root / "containers" / container / "bundle" / "config.json"
    return json.loads(path.read_text())


def test_crun_at_fixed_addresses_leaves_containers_randomized(daemon_factory, daemon, docker,
                                                              image, image_archive, engine,
                                                              monkeypatch):
    """Under an emulator that translates code (QEMU's TCG) the engine starts crun without
    address space randomization; CORRAL_CRUN_FIXED_ADDRESSES=1 asks for it here. The bundle
    then gives the container the plain Linux personality back, so its processes (and theirs)
    are randomized as ever. This host is no such emulator: the session's engine leaves both
    alone."""
    if engine == "dockerd":
        pytest.skip("our engine's own runtime option")
    plain = docker.out("run", "-d", image, "sleep", "1000")
    try:
        assert "personality" not in bundle_config(daemon, plain)["linux"]
    finally:
        docker("rm", "-f", plain)
    assert "without address space randomization" not in daemon.log_text()

    monkeypatch.setenv("CORRAL_CRUN_FIXED_ADDRESSES", "1")
    fixed_daemon = daemon_factory("fixed-addresses")
    monkeypatch.delenv("CORRAL_CRUN_FIXED_ADDRESSES")
    try:
        assert ("crun runs without address space randomization "
                "(CORRAL_CRUN_FIXED_ADDRESSES=1)") in fixed_daemon.log_text()
        fixed = Docker(fixed_daemon.host)
        fixed("load", "-i", image_archive, timeout=120)
        container = fixed.out("run", "-d", image, "sleep", "1000")
        assert bundle_config(fixed_daemon, container)["linux"]["personality"] == \
            {"domain": "LINUX"}
        assert fixed.out("exec", container, "cat", "/proc/1/personality") == "00000000"
        fixed("rm", "-f", container)
        assert fixed.out("run", "--rm", image, "sh", "-c", "cat /proc/self/personality") == \
            "00000000"
    finally:
        fixed_daemon.teardown()


def test_debian_docker_client_20_10(daemon, image):
    if not os.path.exists(DEBIAN_CLIENT):
        pytest.skip("no Debian docker client")
    old = Docker(daemon.host, cli=DEBIAN_CLIENT)
    version = old.out("version", "--format", "{{.Client.Version}} {{.Server.APIVersion}}")
    assert version.startswith("20.10"), version
    assert old("run", "--rm", image, "echo", "old-client").stdout == "old-client\n"
    name = f"old-{uuid.uuid4().hex[:6]}"
    old("run", "-d", "--name", name, image, "sleep", "1000")
    assert name in old.out("ps", "--format", "{{.Names}}").split()
    assert old.out("exec", name, "echo", "exec-old") == "exec-old"
    assert old.out("inspect", "-f", "{{.State.Running}}", name) == "true"
    assert name in old.out("rm", "-f", name)


def test_stale_pidfile_does_not_stop_a_restart(daemon_factory):
    """kill -9 leaves the pidfile behind; the next start sees its pid is gone and takes over.
    A pidfile naming a process that has exited but was not reaped yet (a zombie) is stale too."""
    daemon = daemon_factory("stale-pid")
    old_pid = daemon.process.pid
    daemon.kill9()
    assert int(daemon.pidfile.read_text().strip()) == old_pid
    time.sleep(2)  # dockerd's own containerd needs a moment before a new dockerd can start it
    daemon.start(timeout=60)
    assert int(daemon.pidfile.read_text().strip()) == daemon.process.pid != old_pid
    assert daemon.ping() == "OK"
    daemon.stop()


def test_pidfile_of_a_zombie_is_stale(daemon_factory, engine):
    if engine == "dockerd":
        pytest.skip("dockerd takes any pid that answers kill(pid, 0), a zombie too, for a "
                    "running daemon")
    daemon = daemon_factory("zombie-pid", start=False)
    zombie = subprocess.Popen(["true"])
    try:
        wait_until(lambda: open(f"/proc/{zombie.pid}/stat").read().rsplit(")", 1)[1].split()[0]
                   == "Z", 10, what="the child to become a zombie")
        daemon.pidfile.write_text(f"{zombie.pid}\n")
        daemon.start(timeout=60)
        assert int(daemon.pidfile.read_text().strip()) == daemon.process.pid
    finally:
        zombie.wait()
        daemon.stop()


def test_pidfile_of_a_running_daemon_is_respected(daemon_factory):
    daemon = daemon_factory("live-pid")
    second = daemon_factory("live-pid-second", start=False)
    second.pidfile = daemon.pidfile
    with pytest.raises(RuntimeError):
        second.start(timeout=30)
    assert int(daemon.pidfile.read_text().strip()) == daemon.process.pid
    assert daemon.ping() == "OK"
    daemon.stop()
