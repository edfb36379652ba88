"""`ros service up|create|start|stop|restart|kill|rm|logs|ps|pull` against the engine under
test: the engine's socket is the system engine (rancher.system_docker.host), the services come
from rancher.services and from a local repository laid out like RancherOS's (index.yml,
<letter>/<name>.yml) enabled with `ros service enable`."""
from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

import images
from harness import free_port, wait_until

SOURCE = Path(__file__).resolve().parents[2]


def ros_binary() -> str:
    return str(Path(os.environ.get("CORRAL_ASAN_BIN", SOURCE / "build-asan" / "bin")) / "ros")


class Ros:
    """`ros --root ROOT`, a configuration root of its own."""

    def __init__(self, root: Path):
        self.root = root

    def __call__(self, *args, check: bool = True, timeout: float = 120,
                 env: dict | None = None) -> subprocess.CompletedProcess:
        environment = dict(os.environ)
        environment.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        environment.update(env or {})
        result = subprocess.run([ros_binary(), "--root", str(self.root), *map(str, args)],
                                capture_output=True, text=True, timeout=timeout, env=environment)
        if check and result.returncode != 0:
            raise AssertionError(f"ros {' '.join(map(str, args))} exited {result.returncode}:\n"
                                 f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result


GREETER = """\
greeter-data:
  image: ${TEST_IMAGE}
  command: "true"
  labels:
    io.rancher.os.scope: system
    io.rancher.os.createonly: "true"
  volumes:
    - DATA:/data
greeter-init:
  image: ${TEST_IMAGE}
  command: ["sh", "-c", "echo init-ran >> /data/init.log"]
  labels:
    io.rancher.os.scope: system
    io.rancher.os.detach: "false"
  volumes_from:
    - greeter-data
greeter:
  image: ${TEST_IMAGE}
  command: ["sh", "-c", "echo ${GREETING}-interpolated; echo env=$$GREETING; echo started >> /data/greeter.log; exec sleep 1000"]
  environment:
    - GREETING
  labels:
    io.rancher.os.scope: system
    io.rancher.os.after: greeter-init
  volumes_from:
    - greeter-data
"""


@pytest.fixture
def setup(tmp_path, daemon, docker, image):
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    (root / "proc" / "cmdline").write_text("quiet\n")
    data = tmp_path / "data"
    data.mkdir()
    repo = tmp_path / "repo"
    (repo / "g").mkdir(parents=True)
    (repo / "b").mkdir()
    (repo / "index.yml").write_text("services: [greeter, broken]\nconsoles: []\nengines: []\n")
    (repo / "g" / "greeter.yml").write_text(GREETER.replace("DATA", str(data)))
    (repo / "b" / "broken.yml").write_text(textwrap.dedent("""\
        broken:
          image: ${TEST_IMAGE}
          command: ["sh", "-c", "exit 3"]
          labels:
            io.rancher.os.scope: system
            io.rancher.os.detach: "false"
        """))
    conf = root / "var" / "lib" / "rancher" / "conf"
    conf.mkdir(parents=True)
    (conf / "cloud-config.yml").write_text(textwrap.dedent(f"""\
        #cloud-config
        rancher:
          system_docker:
            host: ["unix://{daemon.socket}"]
          docker:
            host: ["unix://{tmp_path}/no-user-engine.sock"]
          environment:
            TEST_IMAGE: {image}
            GREETING: hello
          repositories:
            local:
              url: {repo}
          services:
            ticker:
              image: {image}
              command: ["sh", "-c", "i=0; while true; do i=$$((i+1)); echo tick-$$i; sleep 0.2; done"]
              labels:
                io.rancher.os.scope: system
            user-side:
              image: {image}
              command: ["sleep", "1000"]
        """))
    return {"ros": Ros(root), "data": data, "root": root, "tmp": tmp_path}


def state(docker, name: str) -> dict:
    return docker.inspect(name)["State"]


def test_enable_up_ps_logs_and_rerun(setup, docker):
    ros, data = setup["ros"], setup["data"]
    listed = ros("service", "list").stdout
    assert "disabled greeter" in listed
    unknown = ros("service", "up", "greeter", check=False)
    assert unknown.returncode == 1
    assert "not enabled" in unknown.stderr and "ros service enable greeter" in unknown.stderr
    ros("service", "enable", "greeter")
    assert "enabled  greeter" in ros("service", "list").stdout

    up = ros("service", "up", "greeter")
    lines = up.stdout.splitlines()
    # Dependencies first, in start order: the volume holder, the one-shot, then the service.
    assert lines == ["greeter-data: created", "greeter-init: created, started, ran",
                     "greeter: created, started"], up.stdout
    assert state(docker, "greeter")["Running"] is True
    init = state(docker, "greeter-init")
    assert (init["Status"], init["ExitCode"]) == ("exited", 0)
    assert state(docker, "greeter-data")["Status"] == "created"
    assert (data / "init.log").read_text() == "init-ran\n"
    # The container carries the service's labels and the definition hash.
    labels = docker.inspect("greeter")["Config"]["Labels"]
    assert labels["com.docker.compose.service"] == "greeter"
    assert labels["io.rancher.os.scope"] == "system"
    assert labels["io.rancher.os.hash"].startswith("sha256:")

    # Up again: nothing is recreated, the one-shot dependency is not run twice.
    again = ros("service", "up", "greeter").stdout.splitlines()
    assert again == ["greeter-data: unchanged", "greeter-init: ran", "greeter: running"], again
    assert (data / "init.log").read_text() == "init-ran\n"

    ps = ros("service", "ps", "greeter", "greeter-init", "greeter-data", "ticker").stdout
    rows = {line.split()[0]: line for line in ps.splitlines()[1:]}
    assert ps.splitlines()[0].split() == ["NAME", "SCOPE", "IMAGE", "STATE"]
    assert rows["greeter"].split()[1:] == ["system", "corral-test/busybox:1", "running"]
    assert rows["greeter-init"].split()[-2:] == ["exited", "(0)"]
    assert "create-only" in rows["greeter-data"]
    assert rows["ticker"].split()[-2:] == ["not", "created"]

    def greeter_logs():
        return ros("service", "logs", "greeter").stdout

    wait_until(lambda: "env=hello" in greeter_logs(), 10, what="greeter output")
    output = greeter_logs()
    # ${GREETING} was substituted from rancher.environment; `environment: [GREETING]` passed it.
    assert "hello-interpolated\n" in output and "env=hello\n" in output


def test_definition_change_recreates(setup, docker):
    ros, data = setup["ros"], setup["data"]
    ros("service", "enable", "greeter")
    ros("service", "up", "greeter")
    first = docker.inspect("greeter")["Id"]
    ros("config", "set", "rancher.environment.GREETING", "changed")
    up = ros("service", "up", "greeter").stdout.splitlines()
    # greeter's command changed with the variable; greeter-init's definition did not.
    assert up[-1] == "greeter: removed, created, started", up
    assert up[1] == "greeter-init: ran", up
    assert docker.inspect("greeter")["Id"] != first
    wait_until(lambda: "changed-interpolated" in ros("service", "logs", "greeter").stdout, 10,
               what="new output")
    # --force-recreate recreates an unchanged service.
    second = docker.inspect("greeter")["Id"]
    forced = ros("service", "up", "--force-recreate", "greeter").stdout.splitlines()
    assert forced[-1] == "greeter: removed, created, started", forced
    assert docker.inspect("greeter")["Id"] != second
    wait_until(lambda: (data / "greeter.log").read_text().count("started") == 3, 10,
               what="three starts of greeter")


def test_new_image_for_the_same_name_recreates(setup, docker, image):
    """An unchanged definition whose image name now names another image (a `docker load` or a
    pull moved the tag) is made again from the new image, as `docker compose up` does."""
    ros, tmp = setup["ros"], setup["tmp"]
    name = "corral-test/moving:1"
    docker("tag", image, name)
    ros("config", "set", "rancher.services.mover",
        json.dumps({"image": name, "command": ["sleep", "1000"],
                    "labels": {"io.rancher.os.scope": "system"}}))
    assert ros("service", "up", "mover").stdout == "mover: created, started\n"
    first = docker.inspect("mover")
    assert first["Image"] == docker.inspect(image, kind="image")["Id"]
    assert ros("service", "up", "mover").stdout == "mover: running\n"

    # The same layer under another config (another label): another image ID for the name.
    archive = tmp / "moved.tar"
    moved = images.write_archive(archive, [images.builder.build_layer()],
                                 images.image_config(labels={"org.corral.test": "moved"}), name)
    docker("load", "-i", archive, timeout=120)
    assert docker.inspect(name, kind="image")["Id"] == moved != first["Image"]
    up = ros("service", "up", "mover").stdout
    assert up == "mover: removed, created, started\n", up
    second = docker.inspect("mover")
    assert second["Id"] != first["Id"] and second["Image"] == moved
    assert second["State"]["Running"] is True
    # The container now runs what its name names: nothing to do.
    assert ros("service", "up", "mover").stdout == "mover: running\n"
    docker("rm", "-f", "mover")
    docker("rmi", name, check=False)


def test_stop_start_restart_kill_rm(setup, docker):
    ros = setup["ros"]
    assert ros("service", "create", "ticker").stdout == "ticker: created\n"
    assert state(docker, "ticker")["Status"] == "created"
    assert ros("service", "start", "ticker").stdout == "ticker: started\n"
    assert state(docker, "ticker")["Running"] is True
    wait_until(lambda: "tick-3" in ros("service", "logs", "ticker").stdout, 10, what="ticks")
    tail = ros("service", "logs", "--lines", "2", "ticker").stdout.splitlines()
    assert len(tail) == 2 and all(line.startswith("tick-") for line in tail), tail

    assert ros("service", "stop", "-t", "1", "ticker").stdout == "ticker: stopped\n"
    assert state(docker, "ticker")["Running"] is False
    ros("service", "start", "ticker")
    started = state(docker, "ticker")["StartedAt"]
    assert ros("service", "restart", "-t", "1", "ticker").stdout == "ticker: restarted\n"
    assert state(docker, "ticker")["Running"] is True
    assert state(docker, "ticker")["StartedAt"] != started

    refused = ros("service", "rm", "ticker", check=False)
    assert refused.returncode == 1 and "is running" in refused.stderr
    assert ros("service", "kill", "ticker").stdout == "ticker: killed (SIGKILL)\n"
    killed = state(docker, "ticker")
    assert (killed["Running"], killed["ExitCode"]) == (False, 137)
    not_running = ros("service", "kill", "ticker", check=False)
    assert not_running.returncode == 1 and "not running" in not_running.stderr
    assert ros("service", "rm", "ticker").stdout == "ticker: removed\n"
    assert docker("inspect", "ticker", check=False).returncode != 0
    missing = ros("service", "start", "ticker", check=False)
    assert missing.returncode == 1
    assert "no container ticker" in missing.stderr and "ros service up ticker" in missing.stderr
    # rm -f removes a running one.
    ros("service", "up", "ticker")
    ros("service", "rm", "-f", "ticker")
    assert docker("inspect", "ticker", check=False).returncode != 0


def test_logs_of_several_services_follow(setup, docker):
    ros = setup["ros"]
    ros("service", "enable", "greeter")
    ros("service", "up", "greeter", "ticker")
    process = subprocess.Popen([ros_binary(), "--root", str(setup["root"]), "service", "logs",
                                "-f", "greeter", "ticker"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    import threading
    timer = threading.Timer(30, process.kill)
    timer.start()
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if any(l.startswith("ticker  | tick-4") for l in seen) and \
                    any(l.startswith("greeter | env=hello") for l in seen):
                break
    finally:
        timer.cancel()
        process.kill()
        process.wait()
    assert any(l.startswith("greeter | hello-interpolated") for l in seen), seen
    assert any(l.startswith("ticker  | tick-") for l in seen), seen


def test_failing_one_shot_is_an_error(setup, docker):
    ros = setup["ros"]
    ros("service", "enable", "broken")
    result = ros("service", "up", "broken", check=False)
    assert result.returncode == 1
    assert "service broken: exited with 3" in result.stderr


def test_service_enabled_by_url_comes_up_from_the_cache(setup, docker):
    """A service file enabled by its URL is cached when enabled: it still comes up when its
    server is gone (at boot the network is not up yet)."""
    ros, tmp = setup["ros"], setup["tmp"]
    served = tmp / "served"
    (served / "w").mkdir(parents=True)
    (served / "w" / "web-hello.yml").write_text(textwrap.dedent("""\
        web-hello:
          image: ${TEST_IMAGE}
          command: ["sh", "-c", "echo hello-from-url"]
          labels:
            io.rancher.os.scope: system
            io.rancher.os.detach: "false"
        """))
    port = free_port()
    server = subprocess.Popen(["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(served)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/w/web-hello.yml"
    try:
        wait_until(lambda: subprocess.run(["curl", "-fsS", "-o", "/dev/null", url]).returncode
                   == 0, timeout=30, what="python's http.server")
        ros("service", "enable", url)
    finally:
        server.terminate()
        server.wait()
    assert subprocess.run(["curl", "-fsS", "-o", "/dev/null", url]).returncode != 0
    result = ros("service", "up", "web-hello")
    assert "hello-from-url" in docker("logs", "web-hello").stdout, result.stderr
    assert state(docker, "web-hello")["ExitCode"] == 0


def test_unknown_service_and_unreachable_engines(setup, tmp_path):
    ros = setup["ros"]
    unknown = ros("service", "up", "no-such-service", check=False)
    assert unknown.returncode == 1
    assert "unknown service `no-such-service`" in unknown.stderr
    # user-side has no io.rancher.os.scope: the user engine, whose socket is not there.
    user = ros("service", "up", "user-side", check=False)
    assert user.returncode == 1
    socket = f"unix://{tmp_path}/no-user-engine.sock"
    assert f"cannot reach the user engine at {socket} (rancher.docker.host)" in user.stderr
    ps = ros("service", "ps", "user-side", check=False)
    assert ps.returncode == 1 and "unknown (engine unreachable)" in ps.stdout
    ros("config", "set", "rancher.system_docker.host", f'["unix://{tmp_path}/gone.sock"]')
    down = ros("service", "stop", "ticker", check=False)
    assert down.returncode == 1
    assert f"cannot reach the system engine at unix://{tmp_path}/gone.sock" in down.stderr


def test_scope_brings_up_one_engines_services(setup, daemon, docker):
    """`--scope user` is what the user engine's service runs once it answers (the docker and
    podman images' scripts): the user-scope services alone."""
    ros = setup["ros"]
    # The engine under test serves as the user engine too.
    ros("config", "set", "rancher.docker.host", f'["unix://{daemon.socket}"]')
    user = ros("service", "up", "--scope", "user")
    assert user.stdout.splitlines() == ["user-side: created, started"], user.stdout
    assert state(docker, "user-side")["Running"] is True
    ps = ros("service", "ps", "--scope", "user").stdout.splitlines()
    assert [row.split()[:2] for row in ps[1:]] == [["user-side", "user"]], ps
    # The system-scope service was left alone.
    assert ros("service", "ps", "ticker").stdout.splitlines()[1].split()[-2:] == ["not", "created"]

    system = ros("service", "up", "--scope", "system")
    assert system.stdout.splitlines() == ["ticker: created, started"], system.stdout
    again = ros("service", "up", "--scope", "user")
    assert again.stdout.splitlines() == ["user-side: running"], again.stdout

    wrong = ros("service", "up", "--scope", "user", "ticker", check=False)
    assert wrong.returncode == 1
    assert "service ticker is of system scope, not user (--scope)" in wrong.stderr
    bad = ros("service", "up", "--scope", "everything", check=False)
    assert bad.returncode != 0 and "--scope" in bad.stderr


def test_pull_and_up_pulls_missing_image(setup, docker, registry_http):
    ros = setup["ros"]
    remote = f"{registry_http.address}/test/busybox:1"
    docker("rmi", remote, check=False)
    ros("config", "set", "rancher.services.remote",
        json.dumps({"image": remote, "command": ["sleep", "1000"],
                    "labels": {"io.rancher.os.scope": "system"}}))
    pulled = ros("service", "pull", "remote")
    assert f"remote: pulled {remote}" in pulled.stdout
    assert docker("image", "inspect", remote, check=False).returncode == 0
    docker("rmi", remote)
    up = ros("service", "up", "remote")
    assert up.stdout == "remote: created, started\n"
    assert state(docker, "remote")["Running"] is True
    ros("config", "set", "rancher.services.nowhere",
        json.dumps({"image": f"{registry_http.address}/test/absent:1",
                    "labels": {"io.rancher.os.scope": "system"}}))
    failed = ros("service", "pull", "nowhere", check=False)
    assert failed.returncode == 1 and "service nowhere:" in failed.stderr
