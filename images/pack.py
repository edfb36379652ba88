#!/usr/bin/python3
"""Packs a root file system directory into a docker-archive tar (as `docker save` writes it):
one layer, an image config, manifest.json and the legacy repositories file."""
import argparse
import hashlib
import io
import json
import os
import subprocess
import tarfile
import tempfile

EPOCH = "2024-01-01T00:00:00Z"


def add_tree(layer: tarfile.TarFile, rootfs: str) -> None:
    """Adds every entry under rootfs, sorted, owned as on disk, with stable metadata."""
    for directory, subdirs, files in os.walk(rootfs):
        subdirs.sort()
        for name in sorted(subdirs) + sorted(files):
            path = os.path.join(directory, name)
            arcname = os.path.relpath(path, rootfs)
            info = layer.gettarinfo(path, arcname)
            info.uname = info.gname = ""
            if info.isreg():
                with open(path, "rb") as content:
                    layer.addfile(info, content)
            else:
                layer.addfile(info)
        # os.walk does not descend into symlinked directories: they are entries above.


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rootfs", required=True)
    parser.add_argument("--tag", action="append", required=True)
    parser.add_argument("--config", required=True, help="JSON object: the image's container config")
    parser.add_argument("--output", required=True)
    parser.add_argument("--zstd-level", type=int, default=0,
                        help="compress the layer with zstd at this level (0: uncompressed)")
    args = parser.parse_args()
    container_config = json.loads(args.config)

    with tempfile.TemporaryFile() as layer_file:
        with tarfile.open(fileobj=layer_file, mode="w", format=tarfile.PAX_FORMAT) as layer:
            add_tree(layer, args.rootfs)
        layer_file.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: layer_file.read(1 << 20), b""):
            digest.update(chunk)
        layer_id = digest.hexdigest()
        layer_name = f"{layer_id}/layer.tar"
        if args.zstd_level:
            # The diff id stays the digest of the uncompressed tar; loaders decompress.
            compressed = tempfile.TemporaryFile()
            layer_file.seek(0)
            subprocess.run(["zstd", "-q", "-T0", f"-{args.zstd_level}", "-c"],
                           stdin=layer_file, stdout=compressed, check=True)
            layer_file.close()
            layer_file = compressed
            layer_name = f"{layer_id}/layer.tar.zst"
        layer_file.seek(0, os.SEEK_END)
        layer_size = layer_file.tell()

        config = {
            "architecture": "amd64",
            "os": "linux",
            "created": EPOCH,
            "config": container_config,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
            "history": [{"created": EPOCH, "created_by": "CorralOS images/ recipe"}],
        }
        config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
        config_id = hashlib.sha256(config_bytes).hexdigest()
        manifest = [{"Config": f"{config_id}.json", "RepoTags": args.tag,
                     "Layers": [layer_name]}]
        repositories: dict = {}
        for tag in args.tag:
            name, _, version = tag.rpartition(":")
            repositories.setdefault(name, {})[version] = layer_id

        def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))

        with tarfile.open(args.output, "w", format=tarfile.PAX_FORMAT) as archive:
            directory = tarfile.TarInfo(layer_id)
            directory.type = tarfile.DIRTYPE
            directory.mode = 0o755
            archive.addfile(directory)
            info = tarfile.TarInfo(layer_name)
            info.size = layer_size
            info.mode = 0o644
            layer_file.seek(0)
            archive.addfile(info, layer_file)
            add_bytes(archive, f"{config_id}.json", config_bytes)
            add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
            add_bytes(archive, "repositories", json.dumps(repositories).encode())


if __name__ == "__main__":
    main()
