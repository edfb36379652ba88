"""Image archives built during the test session: the busybox test image (from the layer builder
of tests/fixtures/make-busybox-image, with a label and a second applet-free config) and hostile
archives whose single layer tries to write outside the rootfs."""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import io
import json
import tarfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
BUILDER_PATH = SOURCE / "tests" / "fixtures" / "make-busybox-image"

TEST_LABEL = ("org.corral.test", "busybox")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _builder():
    loader = importlib.machinery.SourceFileLoader("make_busybox_image", str(BUILDER_PATH))
    spec = importlib.util.spec_from_loader("make_busybox_image", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


builder = _builder()


def write_archive(output: Path, layers: list[bytes], config: dict, tag: str | None) -> str:
    """A docker-archive (`docker save` layout) of `layers` with `config` (rootfs filled in).
    Returns the image id."""
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = dict(config)
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_hex = hashlib.sha256(config_bytes).hexdigest()
    manifest = [{"Config": config_hex + ".json", "RepoTags": [tag] if tag else None,
                 "Layers": [d.split(":", 1)[1] + "/layer.tar" for d in diff_ids]}]
    with tarfile.open(output, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for diff_id, layer in zip(diff_ids, layers):
            directory = diff_id.split(":", 1)[1]
            builder.add_dir(tar, directory)
            builder.add_file(tar, directory + "/VERSION", b"1.0")
            builder.add_file(tar, directory + "/layer.tar", layer)
        builder.add_file(tar, config_hex + ".json", config_bytes)
        builder.add_file(tar, "manifest.json", json.dumps(manifest).encode())
        if tag:
            repository, version = tag.rsplit(":", 1)
            top = diff_ids[-1].split(":", 1)[1]
            builder.add_file(tar, "repositories", json.dumps({repository: {version: top}}).encode())
    return "sha256:" + config_hex


def image_config(cmd=("sh",), labels=None, entrypoint=None) -> dict:
    inner = {"Env": [PATH_ENV], "Cmd": list(cmd), "Labels": labels or {}}
    if entrypoint:
        inner["Entrypoint"] = list(entrypoint)
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": builder.CREATED,
        "config": inner,
        "history": [{"created": builder.CREATED, "created_by": "tests/host/images.py"}],
    }


def busybox_image(output: Path, tag: str) -> str:
    layer = builder.build_layer()
    return write_archive(output, [layer], image_config(labels=dict([TEST_LABEL])), tag)


class HostileLayer:
    """A layer tar assembled entry by entry (tarfile would refuse nothing on write)."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w", format=tarfile.GNU_FORMAT)

    def directory(self, name):
        builder.add_dir(self.tar, name)
        return self

    def file(self, name, data=b"pwned\n"):
        builder.add_file(self.tar, name, data)
        return self

    def symlink(self, name, target):
        builder.add_symlink(self.tar, name, target)
        return self

    def hardlink(self, name, target):
        info = tarfile.TarInfo(name)
        info.type = tarfile.LNKTYPE
        info.linkname = target
        info.mtime = builder.EPOCH
        self.tar.addfile(info)
        return self

    def device(self, name, major, minor, kind=tarfile.CHRTYPE):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.devmajor = major
        info.devminor = minor
        info.mode = 0o666
        info.mtime = builder.EPOCH
        self.tar.addfile(info)
        return self

    def bytes(self) -> bytes:
        self.tar.close()
        return self.buffer.getvalue()


def hostile_image(output: Path, layer: bytes, tag: str, base_layer: bytes | None = None) -> str:
    layers = [base_layer, layer] if base_layer else [layer]
    return write_archive(output, layers, image_config(cmd=("sh",)), tag)
