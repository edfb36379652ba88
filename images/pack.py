#!/usr/bin/python3
"""Packs system images as docker-archive tars (the format `docker save` writes).

  pack.py layer --rootfs DIR --output FILE [--zstd-level N]
      writes DIR as one layer tar (zstd-compressed when N > 0); prints its diff id (the
      sha256 of the uncompressed tar)
  pack.py archive --spec SPEC.json --output FILE
      writes one archive holding several images that may share layers: each layer blob is
      stored once. SPEC: [{"tags": [...], "config": {...}, "layers": [{"file", "diff_id"}]}]
"""
import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

EPOCH = "2024-01-01T00:00:00Z"


def add_tree(layer: tarfile.TarFile, rootfs: str) -> None:
    """Adds every entry under rootfs, sorted, owned as on disk."""
    for directory, subdirs, files in os.walk(rootfs):
        subdirs.sort()
        for name in sorted(subdirs) + sorted(files):
            path = os.path.join(directory, name)
            info = layer.gettarinfo(path, os.path.relpath(path, rootfs))
            info.uname = info.gname = ""
            if info.isreg():
                with open(path, "rb") as content:
                    layer.addfile(info, content)
            else:
                layer.addfile(info)


def write_layer(rootfs: str, output: str, zstd_level: int) -> str:
    with tempfile.TemporaryFile() as layer_file:
        with tarfile.open(fileobj=layer_file, mode="w", format=tarfile.PAX_FORMAT) as layer:
            add_tree(layer, rootfs)
        layer_file.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: layer_file.read(1 << 20), b""):
            digest.update(chunk)
        layer_file.seek(0)
        with open(output, "wb") as out:
            if zstd_level:
                subprocess.run(["zstd", "-q", "-T0", f"-{zstd_level}", "-c"], stdin=layer_file,
                               stdout=out, check=True)
            else:
                shutil.copyfileobj(layer_file, out)
    return digest.hexdigest()


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def write_archive(spec: list, output: str) -> None:
    manifest = []
    repositories: dict = {}
    written = set()
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as archive:
        for image in spec:
            layer_names = []
            for layer in image["layers"]:
                diff_id = layer["diff_id"]
                suffix = ".zst" if layer["file"].endswith(".zst") else ""
                name = f"{diff_id}/layer.tar{suffix}"
                if name not in written:
                    directory = tarfile.TarInfo(diff_id)
                    directory.type = tarfile.DIRTYPE
                    directory.mode = 0o755
                    archive.addfile(directory)
                    info = archive.gettarinfo(layer["file"], name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    with open(layer["file"], "rb") as content:
                        archive.addfile(info, content)
                    written.add(name)
                layer_names.append(name)
            config = {
                "architecture": "amd64",
                "os": "linux",
                "created": EPOCH,
                "config": image["config"],
                "rootfs": {"type": "layers",
                           "diff_ids": [f"sha256:{layer['diff_id']}" for layer in image["layers"]]},
                "history": [{"created": EPOCH, "created_by": "CorralOS images/ recipe"}
                            for _ in image["layers"]],
            }
            config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
            config_id = hashlib.sha256(config_bytes).hexdigest()
            add_bytes(archive, f"{config_id}.json", config_bytes)
            manifest.append({"Config": f"{config_id}.json", "RepoTags": image["tags"],
                             "Layers": layer_names})
            for tag in image["tags"]:
                name, _, version = tag.rpartition(":")
                repositories.setdefault(name, {})[version] = image["layers"][-1]["diff_id"]
        add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
        add_bytes(archive, "repositories", json.dumps(repositories).encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    layer = commands.add_parser("layer")
    layer.add_argument("--rootfs", required=True)
    layer.add_argument("--output", required=True)
    layer.add_argument("--zstd-level", type=int, default=0)
    archive = commands.add_parser("archive")
    archive.add_argument("--spec", required=True)
    archive.add_argument("--output", required=True)
    args = parser.parse_args()
    if args.command == "layer":
        print(write_layer(args.rootfs, args.output, args.zstd_level))
    else:
        with open(args.spec) as spec:
            write_archive(json.load(spec), args.output)


if __name__ == "__main__":
    main()
