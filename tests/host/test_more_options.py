"""The rest of the issue's container options: volumes_from, network/ipc/uts sharing, devices,
stop signal, unless-stopped, bind propagation, attach, import, OCI-layout load."""
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from harness import wait_until


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_volumes_from(docker, image, session_root):
    host = Path(tempfile.mkdtemp(prefix="volfrom-", dir=session_root))
    source = unique("volsrc")
    docker("create", "--name", source, "-v", f"{host}:/shared", image, "true")
    docker("run", "--rm", "--volumes-from", source, image, "sh", "-c", "echo shared > /shared/f")
    assert (host / "f").read_text() == "shared\n"
    ro = docker("run", "--rm", "--volumes-from", f"{source}:ro", image, "sh", "-c",
                "echo x > /shared/g", check=False)
    assert ro.returncode != 0 and "Read-only" in ro.stderr


def test_network_container_shares_the_network_namespace(docker, image):
    holder = unique("netholder")
    docker("run", "-d", "--name", holder, "--network", "none", image, "sleep", "1000")
    pid = docker.inspect(holder)["State"]["Pid"]
    holder_net = os.readlink(f"/proc/{pid}/ns/net")
    joined = docker.out("run", "--rm", "--network", f"container:{holder}", image, "readlink",
                        "/proc/self/ns/net")
    assert joined == holder_net
    assert docker.out("run", "--rm", image, "readlink", "/proc/self/ns/net") != holder_net


@pytest.mark.parametrize("namespace", ["ipc", "uts"])
def test_host_ipc_and_uts(docker, image, namespace):
    host = os.readlink(f"/proc/self/ns/{namespace}")
    shared = docker.out("run", "--rm", f"--{namespace}", "host", image, "readlink",
                        f"/proc/self/ns/{namespace}", timeout=30)
    assert shared == host
    private = docker.out("run", "--rm", image, "readlink", f"/proc/self/ns/{namespace}")
    assert private != host


def test_device(docker, image):
    out = docker.out("run", "--rm", "--device", "/dev/null:/dev/corral-null", image, "sh", "-c",
                     "ls -l /dev/corral-null; echo data > /dev/corral-null && echo wrote")
    assert out.startswith("c") and out.endswith("wrote"), out
    assert "1,   3" in out or "1, 3" in out, out


def test_stop_signal(docker, image):
    name = unique("stopsig")
    docker("run", "-d", "--name", name, "--stop-signal", "USR1", image, "sh", "-c",
           "trap 'echo got-usr1; exit 10' USR1; echo ready; while :; do sleep 0.1; done")
    wait_until(lambda: "ready" in docker.out("logs", name), 10, what="ready")
    assert docker.inspect(name)["Config"]["StopSignal"] in ("USR1", "SIGUSR1")
    docker("stop", "-t", "5", name)
    assert docker.inspect(name)["State"]["ExitCode"] == 10
    assert "got-usr1" in docker.out("logs", name)


def test_restart_unless_stopped(docker, image):
    name = unique("unless")
    docker("run", "-d", "--name", name, "--restart", "unless-stopped", image, "sh", "-c",
           "echo run; sleep 0.3; exit 1")
    wait_until(lambda: docker.inspect(name)["RestartCount"] >= 1, 20, interval=0.2,
               what="a restart")
    docker("stop", "-t", "1", name)
    count = docker.inspect(name)["RestartCount"]
    time.sleep(1.5)
    assert docker.inspect(name)["State"]["Status"] == "exited"
    assert docker.inspect(name)["RestartCount"] == count


def test_restart_backoff_grows(docker, image):
    """A container that always fails is restarted with growing delays, not in a tight loop."""
    name = unique("backoff")
    docker("run", "-d", "--name", name, "--restart", "always", image, "sh", "-c", "exit 1")
    time.sleep(3)
    count = docker.inspect(name)["RestartCount"]
    # docker doubles from 100 ms: in 3 s about 4-5 restarts; a tight loop would make hundreds.
    assert 2 <= count <= 10, count
    docker("rm", "-f", name)


def in_engine_namespace(daemon, script: str):
    subprocess.run(["nsenter", "-t", str(daemon.process.pid), "-m", "--", "sh", "-c", script],
                   check=True, capture_output=True, timeout=30)


def engine_mountinfo(daemon) -> str:
    with open(f"/proc/{daemon.process.pid}/mountinfo") as mountinfo:
        return mountinfo.read()


def test_bind_propagation_rslave_and_rshared(daemon, docker, image, session_root):
    """rslave: a mount made under the source later shows in the container; rshared: a mount
    made in the container shows at the source. Checked in the engine's own mount namespace,
    where the source is made a shared mount first (docker requires that)."""
    host = Path(tempfile.mkdtemp(prefix="prop-", dir=session_root))
    (host / "later").mkdir()
    (host / "inner").mkdir()
    in_engine_namespace(daemon, f"mount --bind {host} {host} && mount --make-shared {host}")
    try:
        slave, shared = unique("rslave"), unique("rshared")
        docker("run", "-d", "--name", slave, "-v", f"{host}:/p:rslave", image, "sleep", "1000")
        docker("run", "-d", "--name", shared, "--cap-add", "SYS_ADMIN", "-v",
               f"{host}:/p:rshared", image, "sleep", "1000")
        in_engine_namespace(daemon, f"mount -t tmpfs corral-later {host}/later")
        seen = docker.out("exec", slave, "sh", "-c", "grep ' /p/later ' /proc/self/mountinfo")
        assert "corral-later" in seen, seen
        docker("exec", shared, "mount", "-t", "tmpfs", "corral-inner", "/p/inner")
        assert f" {host}/inner " in engine_mountinfo(daemon), "rshared mount did not propagate"
    finally:
        subprocess.run(["nsenter", "-t", str(daemon.process.pid), "-m", "--", "sh", "-c",
                        f"umount -l {host}/inner {host}/later; umount -l {host}"],
                       capture_output=True, timeout=30)


def test_attach_sees_output_and_exit(docker, image):
    name = unique("attach")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "sleep 1; echo attached-out; echo attached-err >&2; exit 5")
    result = docker("attach", name, check=False, timeout=30)
    assert result.returncode == 5
    assert "attached-out" in result.stdout
    assert "attached-err" in result.stderr


def test_start_attach_interactive(docker, image):
    name = unique("startai")
    docker("create", "-i", "--name", name, image, "sh")
    result = docker("start", "-ai", name, input="echo via-stdin; exit 6\n", check=False)
    assert result.returncode == 6
    assert result.stdout == "via-stdin\n"


def test_import_rootfs_tar(docker, session_root):
    import images
    rootfs = session_root / "rootfs.tar"
    rootfs.write_bytes(images.builder.build_layer())
    result = docker("import", "--change", 'CMD ["echo", "imported"]', "--change", "ENV A=b",
                    str(rootfs), "corral-test/imported:1", timeout=120)
    assert result.stdout.strip().startswith("sha256:")
    data = docker.inspect("corral-test/imported:1", "image")
    assert data["Config"]["Cmd"] == ["echo", "imported"]
    assert "A=b" in data["Config"]["Env"]
    assert docker.out("run", "--rm", "corral-test/imported:1") == "imported"
    docker("rmi", "corral-test/imported:1")


def test_load_oci_layout_archive(docker, image_archive, session_root, engine):
    if engine == "dockerd":
        pytest.skip("dockerd 20.10 loads only docker-archive tars (OCI layout since 25.0)")
    oci = session_root / "oci.tar"
    subprocess.run(["skopeo", "copy", "--quiet", f"docker-archive:{image_archive}",
                    f"oci-archive:{oci}:corral-test/oci:1"], check=True, capture_output=True,
                   timeout=120)
    result = docker("load", "-i", oci, timeout=120)
    assert "Loaded image" in result.stdout, result.stdout
    listed = docker.out("images", "--format", "{{.Repository}}:{{.Tag}}")
    loaded = [line for line in listed.splitlines() if "oci" in line]
    assert loaded, listed
    assert docker.out("run", "--rm", loaded[0], "echo", "from-oci") == "from-oci"
    docker("rmi", loaded[0])


def test_new_volume_starts_with_the_image_content(docker, image):
    """A new named or anonymous volume mounted over a directory of the image starts with that
    directory's content (docker's copy-up); a volume that already has content keeps it."""
    named = f"copyup-{uuid.uuid4().hex[:8]}"
    assert "root:x:0:0" in docker.out("run", "--rm", "-v", f"{named}:/etc", image, "cat",
                                      "/etc/passwd")
    listing = docker.out("run", "--rm", "-v", f"{named}:/data", image, "ls", "/data").split()
    assert {"group", "passwd"} <= set(listing), listing
    # Anonymous volume: the same copy.
    assert docker.out("run", "--rm", "-v", "/etc", image, "cat", "/etc/group").startswith(
        "root:x:0:")
    # Deeper trees and symlinks: /bin is busybox and its applet links.
    assert docker.out("run", "--rm", "-v", "/bin", image, "/bin/echo", "from-volume") == \
        "from-volume"
    # Not empty: nothing copied over what is there.
    own = f"copyup-own-{uuid.uuid4().hex[:8]}"
    docker("run", "--rm", "-v", f"{own}:/data", image, "sh", "-c", "echo mine > /data/own")
    listing = docker.out("run", "--rm", "-v", f"{own}:/etc", image, "ls", "/etc").split()
    assert "own" in listing and "passwd" not in listing, listing
