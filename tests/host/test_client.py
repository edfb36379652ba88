"""Our C++ client, `system-docker` (CORRAL_BIN), against the same engine: the main commands
with docker's output."""
import json
import os
import re
import subprocess
import uuid

import pytest

from conftest import corral_bin

CLIENT = os.environ.get("CORRAL_CLIENT", str(corral_bin() / "system-docker"))


@pytest.fixture(scope="module")
def client(daemon):
    if not os.path.exists(CLIENT):
        pytest.fail(f"{CLIENT} is not built")

    def call(*args, check=True, timeout=60, input=None):
        argv = [CLIENT, "-H", daemon.host, *map(str, args)]
        environment = dict(os.environ)
        environment.pop("DOCKER_HOST", None)
        try:
            result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                    input=input, env=environment)
        except subprocess.TimeoutExpired as expired:
            raise AssertionError(f"system-docker {' '.join(map(str, args))} timed out: "
                                 f"{expired.stdout!r} {expired.stderr!r}")
        if check and result.returncode != 0:
            raise AssertionError(f"system-docker {' '.join(map(str, args))} exited "
                                 f"{result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    return call


def test_client_version(client):
    result = client("version")
    assert "Server" in result.stdout or "API version" in result.stdout, result.stdout


def test_client_run_rm(client, docker, image):
    result = client("run", "--rm", image, "echo", "hello")
    assert result.stdout == "hello\n"
    assert docker.out("ps", "-aq") == ""
    failing = client("run", "--rm", image, "sh", "-c", "echo err >&2; exit 6", check=False)
    assert failing.returncode == 6
    assert "err" in failing.stderr


def test_client_run_detached_ps_logs_inspect(client, docker, image):
    name = f"client-{uuid.uuid4().hex[:8]}"
    container_id = client("run", "-d", "--name", name, "-e", "X=1", "--label", "who=client",
                          image, "sh", "-c", "echo from-client; sleep 1000").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", container_id), container_id
    assert docker.inspect(name)["Id"] == container_id
    table = client("ps").stdout.splitlines()
    assert table[0].split()[:2] == ["CONTAINER", "ID"], table
    row = [line for line in table if container_id[:12] in line]
    assert len(row) == 1 and name in row[0] and "Up" in row[0], table
    assert client("inspect", "-f", "{{.State.Status}} {{.Name}}", name).stdout.strip() == \
        f"running /{name}"
    data = json.loads(client("inspect", name).stdout)
    assert data[0]["Id"] == container_id and "X=1" in data[0]["Config"]["Env"]
    assert client("logs", name).stdout == "from-client\n"
    client("rm", "-f", name)
    assert docker("inspect", name, check=False).returncode != 0


def test_client_ps_all_and_images(client, docker, image):
    name = f"client-exited-{uuid.uuid4().hex[:8]}"
    docker("run", "--name", name, image, "sh", "-c", "exit 2", check=False)
    listing = client("ps", "-a").stdout
    assert name in listing and "Exited (2)" in listing, listing
    quiet = client("ps", "-aq").stdout.split()
    assert docker.inspect(name)["Id"][:12] in quiet
    images = client("images").stdout.splitlines()
    assert images[0].split()[:3] == ["REPOSITORY", "TAG", "IMAGE"], images
    image_id = docker.inspect(image, "image")["Id"]
    repository, tag = image.rsplit(":", 1)
    assert any(line.split()[:3] == [repository, tag, image_id[7:19]] for line in images), images


def test_client_unknown_container(client):
    result = client("inspect", "no-such-x", check=False)
    assert result.returncode != 0
    assert "No such" in result.stderr and "no-such-x" in result.stderr


def test_client_run_rm_makes_the_docker_clis_calls(session_root):
    """`run --rm` of system-docker and of the stock docker CLI against an API that answers at
    once (bench/run's floor of a client): both exit 0 after the same calls (ping, create,
    attach, wait for the removal, start), the start last."""
    from harness import Docker
    from instant_api import InstantApi

    server = InstantApi(str(session_root / f"instant-{uuid.uuid4().hex[:8]}.sock"))
    try:
        calls = {}
        for name, argv, environment in (
                ("system-docker", [CLIENT, "-H", server.host, "run", "--rm", "some/image", "true"],
                 None),
                ("docker", Docker(server.host).argv(["run", "--rm", "some/image", "true"]),
                 Docker(server.host).environment())):
            first = len(server.requests)
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                    env=environment)
            assert result.returncode == 0, (name, result.stdout, result.stderr)
            calls[name] = [re.sub(r"^(\w+) (/v[\d.]+)?", r"\1 ", call).split("?")[0]
                           for call in server.requests[first:]]
            calls[name] = [re.sub(r"/containers/[0-9a-f]{64}/", "/containers/ID/", call)
                           for call in calls[name] if not call.endswith("/_ping")]
        expected = ["POST /containers/create", "POST /containers/ID/attach",
                    "POST /containers/ID/wait", "POST /containers/ID/start"]
        assert calls["docker"] == expected, calls
        # system-docker sends the attach and the wait together, on two connections (they may
        # arrive in either order), and the start only once both were answered.
        ours = calls["system-docker"]
        assert len(ours) == 4 and ours[0] == expected[0] and ours[3] == expected[3], calls
        assert sorted(ours[1:3]) == expected[1:3], calls
    finally:
        server.close()
