"""Images: load, images, inspect, tag, rmi, save/load round trip."""
import json
import re
import tarfile

import images
from conftest import IMAGE


def test_engine_answers_ping_and_version(daemon, docker):
    assert daemon.ping() == "OK"
    version = json.loads(docker.out("version", "--format", "{{json .Server}}"))
    assert version["ApiVersion"], version
    assert version["Os"] == "linux" and version["Arch"] == "amd64"
    info = json.loads(docker.out("info", "--format", "{{json .}}"))
    assert "Containers" in info and "Images" in info


def test_load_prints_loaded_image(docker, session_root):
    archive = session_root / "load-test.tar"
    image_id = images.busybox_image(archive, "corral-test/loadme:v1")
    result = docker("load", "-i", archive, timeout=120)
    assert "Loaded image: corral-test/loadme:v1" in result.stdout
    listed = docker.out("images", "--no-trunc", "--format", "{{.ID}}", "corral-test/loadme")
    assert listed == image_id
    docker("rmi", "corral-test/loadme:v1")


def test_images_lists_repo_tag_id_size(docker, image, image_archive):
    rows = docker.out("images", "--format", "{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Size}}")
    row = [line for line in rows.splitlines() if line.startswith("corral-test/busybox|")]
    assert len(row) == 1, rows
    repository, tag, short_id, size = row[0].split("|")
    assert tag == "1"
    image_id = docker.inspect(image, "image")["Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", short_id) and image_id == "sha256:" + short_id + image_id[19:]
    # The layer holds the static busybox (about 1-2 MB): the size must be in that range.
    assert re.fullmatch(r"[0-9.]+(kB|MB)", size), size
    table = docker.out("images")
    assert table.splitlines()[0].split()[:3] == ["REPOSITORY", "TAG", "IMAGE"], table


def test_image_inspect_has_config_from_archive(docker, image):
    data = docker.inspect(image, "image")
    assert data["Id"].startswith("sha256:")
    assert IMAGE in data["RepoTags"]
    assert data["Config"]["Cmd"] == ["sh"]
    assert images.PATH_ENV in data["Config"]["Env"]
    assert data["Config"]["Labels"] == {images.TEST_LABEL[0]: images.TEST_LABEL[1]}
    assert data["Os"] == "linux" and data["Architecture"] == "amd64"
    assert len(data["RootFS"]["Layers"]) == 1
    assert data["Size"] > 500_000


def test_tag_then_rmi_prints_untagged(docker, image):
    image_id = docker.inspect(image, "image")["Id"]
    docker("tag", image, "corral-test/other:two")
    assert docker.inspect("corral-test/other:two", "image")["Id"] == image_id
    tags = docker.out("images", "--format", "{{.Repository}}:{{.Tag}}")
    assert "corral-test/other:two" in tags.splitlines()
    result = docker("rmi", "corral-test/other:two")
    assert "Untagged: corral-test/other:two" in result.stdout
    assert "Deleted" not in result.stdout  # the image keeps its first tag
    assert docker("image", "inspect", "corral-test/other:two", check=False).returncode != 0
    assert docker.inspect(image, "image")["Id"] == image_id


def test_rmi_unknown_image_is_an_error(docker):
    result = docker("rmi", "corral-test/nothing:here", check=False)
    assert result.returncode != 0
    assert "No such image" in result.stderr


def test_save_rmi_load_round_trip(docker, image, session_root):
    docker("tag", image, "corral-test/roundtrip:1")
    image_id = docker.inspect("corral-test/roundtrip:1", "image")["Id"]
    archive = session_root / "saved.tar"
    docker("save", "-o", archive, "corral-test/roundtrip:1", timeout=120)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["corral-test/roundtrip:1"]
    assert manifest[0]["Config"] in names or "blobs/sha256/" + image_id[7:] in names
    for layer in manifest[0]["Layers"]:
        assert layer in names
    removed = docker("rmi", "corral-test/roundtrip:1").stdout
    assert "Untagged: corral-test/roundtrip:1" in removed
    assert docker("image", "inspect", "corral-test/roundtrip:1", check=False).returncode != 0
    loaded = docker("load", "-i", archive, timeout=120).stdout
    assert "Loaded image: corral-test/roundtrip:1" in loaded
    assert docker.inspect("corral-test/roundtrip:1", "image")["Id"] == image_id
    assert docker.out("run", "--rm", "corral-test/roundtrip:1", "echo", "again") == "again"
    docker("rmi", "corral-test/roundtrip:1")


def test_save_to_stdout_and_load_from_stdin(docker, image):
    saved = docker("save", image, input=b"", timeout=120).stdout
    assert len(saved) > 500_000
    result = docker("load", input=saved, timeout=120)
    assert f"Loaded image: {IMAGE}".encode() in result.stdout
