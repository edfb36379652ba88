"""Hostile image archives through `docker load`: layers whose entries try to write outside the
rootfs. Our engine must refuse each with a clear error (the issue's contract); every engine must
write nothing outside its data root and stay healthy.

Debian's dockerd 20.10 (the reference, measured here) unpacks layers in a chroot: `../` entries,
absolute paths and symlink escapes all end up inside the layer, a hardlink to a file outside the
layer is refused, device nodes are allowed (its device cgroup keeps containers from opening
them)."""
import os
import tarfile
import uuid
from pathlib import Path

import pytest

import images

BASE_LAYER = None


def base_layer():
    global BASE_LAYER
    if BASE_LAYER is None:
        BASE_LAYER = images.builder.build_layer()
    return BASE_LAYER


def escapes(marker: str, daemon, session_root: Path) -> list[str]:
    """Every file named with `marker` outside the daemon's data and exec roots."""
    found = []
    inside = (str(daemon.data_root), str(daemon.exec_root))
    for directory, subdirectories, files in os.walk(session_root):
        if directory.startswith(inside):
            subdirectories[:] = []
            continue
        found += [os.path.join(directory, name) for name in files + subdirectories
                  if marker in name]
    for directory in ["/", "/tmp", "/etc", "/root", "/var/tmp", os.getcwd(),
                      str(daemon.root), str(daemon.data_root.parent),
                      str(daemon.data_root.parent.parent)]:
        try:
            found += [os.path.join(directory, name) for name in os.listdir(directory)
                      if marker in name]
        except OSError:
            pass
    return sorted(set(found))


def load_hostile(docker, session_root, layer: bytes, tag: str, with_base: bool = True):
    archive = session_root / f"hostile-{uuid.uuid4().hex[:8]}.tar"
    images.hostile_image(archive, layer, tag, base_layer() if with_base else None)
    return docker("load", "-i", archive, check=False, timeout=120)


def check_refused(result, docker, tag, engine, reference_outcome=None):
    """Our engine: a non-zero exit with an error and no image. dockerd: what it is known to
    do (`reference_outcome`: "refused" or "loaded")."""
    loaded = docker("image", "inspect", tag, check=False).returncode == 0
    if engine == "dockerd" and reference_outcome == "loaded":
        return loaded
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert result.stderr.strip(), "refused without an error message"
    assert not loaded, f"{tag} was registered although its layer was refused"
    return False


def healthy(daemon, docker, image):
    assert daemon.ping() == "OK"
    assert docker.out("run", "--rm", image, "echo", "alive") == "alive"


def test_dotdot_entries(daemon, docker, image, session_root, engine):
    marker = f"escape-{uuid.uuid4().hex[:8]}"
    layer = (images.HostileLayer().directory("a")
             .file(f"../{marker}-one")
             .file(f"a/../../{marker}-two")
             .file("../" * 20 + f"tmp/{marker}-deep").bytes())
    result = load_hostile(docker, session_root, layer, "corral-test/dotdot:1")
    assert escapes(marker, daemon, session_root) == []
    loaded = check_refused(result, docker, "corral-test/dotdot:1", engine, "loaded")
    if loaded:
        # dockerd clamps `../` at the layer root: the files land inside the image.
        inside = docker.out("run", "--rm", "corral-test/dotdot:1", "sh", "-c",
                            f"ls / /tmp | grep {marker} | sort")
        assert inside.split() == sorted([f"{marker}-one", f"{marker}-two", f"{marker}-deep"])
        docker("rmi", "corral-test/dotdot:1")
    healthy(daemon, docker, image)


def test_absolute_path_entry(daemon, docker, image, session_root, engine):
    marker = f"abs-{uuid.uuid4().hex[:8]}"
    layer = images.HostileLayer().file(f"/tmp/{marker}").file(f"/{marker}-root").bytes()
    result = load_hostile(docker, session_root, layer, "corral-test/absolute:1")
    assert escapes(marker, daemon, session_root) == []
    loaded = check_refused(result, docker, "corral-test/absolute:1", engine, "loaded")
    if loaded:
        # dockerd keeps the entry inside the image: /tmp/<marker> of the container.
        assert docker.out("run", "--rm", "corral-test/absolute:1", "cat", f"/tmp/{marker}") == "pwned"
        docker("rmi", "corral-test/absolute:1")
    healthy(daemon, docker, image)


def test_symlink_escape(daemon, docker, image, session_root, engine):
    marker = f"symlink-{uuid.uuid4().hex[:8]}"
    layer = (images.HostileLayer()
             .symlink("link", "/")
             .file(f"link/tmp/{marker}")
             .symlink("up", "../../../../../../../../../../..")
             .file(f"up/tmp/{marker}-up").bytes())
    result = load_hostile(docker, session_root, layer, "corral-test/symlink:1")
    assert escapes(marker, daemon, session_root) == []
    loaded = check_refused(result, docker, "corral-test/symlink:1", engine, "loaded")
    if loaded:
        docker("rmi", "corral-test/symlink:1")
    healthy(daemon, docker, image)


def test_hardlink_to_host_file(daemon, docker, image, session_root, engine):
    before = os.stat("/etc/passwd")
    content = Path("/etc/passwd").read_bytes()
    layer = (images.HostileLayer()
             .hardlink("passwd-link", "/etc/passwd")
             .hardlink("passwd-up", "../../../../../../../../etc/passwd").bytes())
    result = load_hostile(docker, session_root, layer, "corral-test/hardlink:1")
    loaded = check_refused(result, docker, "corral-test/hardlink:1", engine, "refused")
    after = os.stat("/etc/passwd")
    assert after.st_nlink == before.st_nlink and after.st_ino == before.st_ino
    assert Path("/etc/passwd").read_bytes() == content
    assert not loaded
    healthy(daemon, docker, image)


@pytest.mark.parametrize("kind", ["char", "block"])
def test_device_node(daemon, docker, image, session_root, engine, kind):
    node = f"evil-{kind}"
    layer = images.HostileLayer()
    if kind == "char":
        layer.device(node, 1, 1, tarfile.CHRTYPE)  # /dev/mem
    else:
        layer.device(node, 7, 0, tarfile.BLKTYPE)  # /dev/loop0
    tag = f"corral-test/device-{kind}:1"
    result = load_hostile(docker, session_root, layer.bytes(), tag)
    loaded = check_refused(result, docker, tag, engine, "loaded")
    if loaded:
        # dockerd: the node exists in the image, but the container cannot open it.
        opened = docker("run", "--rm", tag, "sh", "-c", f"head -c 1 /{node} >/dev/null; echo rc=$?",
                        check=False)
        assert "rc=1" in opened.stdout, (opened.stdout, opened.stderr)
        docker("rmi", tag)
    healthy(daemon, docker, image)


def test_whiteouts_and_opaque_dirs_apply(daemon, docker, image, session_root):
    """Not hostile, the other side of the unpacker: a second layer deleting a file (.wh.) and
    emptying a directory (.wh..wh..opq) as docker does."""
    upper = (images.HostileLayer()
             .file("etc/.wh.group", b"")
             .directory("usr")
             .file("usr/.wh..wh..opq", b"")
             .file("usr/new-file", b"kept\n").bytes())
    lower_extra = (images.HostileLayer().directory("usr/share").file("usr/share/old", b"old\n"))
    archive = session_root / "whiteout.tar"
    images.write_archive(archive, [base_layer(), lower_extra.bytes(), upper],
                         images.image_config(), "corral-test/whiteout:1")
    docker("load", "-i", archive, timeout=120)
    out = docker.out("run", "--rm", "corral-test/whiteout:1", "sh", "-c",
                     "ls /usr; test -e /etc/group && echo group-present; test -e /etc/passwd && echo passwd-present")
    assert out.split() == ["new-file", "passwd-present"], out
    docker("rmi", "corral-test/whiteout:1")
