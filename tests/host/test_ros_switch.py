"""`ros console switch` / `ros engine switch` against the engine under test as the system
engine: the running `console` / `docker` container is replaced by the chosen one, host
directories bound into it are kept, and a choice whose image is not in the engine changes
nothing."""
from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from test_ros_service import Ros, ros_binary


def service(image: str, command: str, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        image: {image}
        command: ["sh", "-c", "{command}"]
        labels:
          io.rancher.os.scope: system
        volumes_from: [user-volumes]
        """) + extra


@pytest.fixture
def switch_setup(tmp_path, daemon, docker, image, registry_http):
    root = tmp_path / "root"
    (root / "proc").mkdir(parents=True)
    (root / "proc" / "cmdline").write_text("quiet\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "marker").write_text("kept\n")
    repo = tmp_path / "repo"
    for letter in ("a", "m", "p"):
        (repo / letter).mkdir(parents=True)
    (repo / "index.yml").write_text(
        "services: []\nconsoles: [alt, missing, pulled]\nengines: [podlike, broken]\n")
    (repo / "a" / "alt.yml").write_text(
        "console:\n" + textwrap.indent(service(image, "echo alt-console; exec sleep 1000"), "  "))
    # Port 1 of the loopback: refused at once, nothing leaves the machine.
    (repo / "m" / "missing.yml").write_text(
        "console:\n" + textwrap.indent(service("127.0.0.1:1/corral-test/absent:1", "sleep 1000"),
                                       "  "))
    # From the test registry, named through ${REGISTRY_DOMAIN} as the core repository does.
    (repo / "p" / "pulled.yml").write_text(
        "console:\n" + textwrap.indent(service("${REGISTRY_DOMAIN}/test/busybox:1",
                                               "echo pulled-console; exec sleep 1000"), "  "))
    (repo / "p" / "podlike.yml").write_text(
        "docker:\n" + textwrap.indent(service(image, "echo podlike-engine; exec sleep 1000"),
                                      "  "))
    # Its container cannot be created: a bind source that does not exist.
    (repo / "b").mkdir()
    (repo / "b" / "broken.yml").write_text(
        "docker:\n" + textwrap.indent(service(image, "sleep 1000",
                                              f"volumes:\n  - {tmp_path}/absent:/absent\n"),
                                      "  "))
    conf = root / "var" / "lib" / "rancher" / "conf"
    conf.mkdir(parents=True)
    builtin = textwrap.indent(
        "user-volumes:\n" + textwrap.indent(textwrap.dedent(f"""\
            image: {image}
            command: "true"
            labels:
              io.rancher.os.scope: system
              io.rancher.os.createonly: "true"
            volumes:
              - {home}:/home
            """), "  ") +
        "console:\n" + textwrap.indent(service(image, "echo default-console; exec sleep 1000"),
                                       "  ") +
        "docker:\n" + textwrap.indent(service(image, "echo default-engine; exec sleep 1000"),
                                      "  "), "    ")
    (conf / "cloud-config.yml").write_text(
        "#cloud-config\nrancher:\n"
        f"  system_docker:\n    host: [\"unix://{daemon.socket}\"]\n"
        f"  repositories:\n    local:\n      url: {repo}\n"
        f"  environment:\n    REGISTRY_DOMAIN: {registry_http.address}\n"
        "  console: default\n"
        "  services:\n" + builtin)
    ros = Ros(root)
    ros("service", "up", "console", "docker")
    return ros


def logs(docker, name: str) -> str:
    return docker("logs", name).stdout


def test_console_switch_replaces_the_container_and_keeps_home(switch_setup, docker):
    ros = switch_setup
    before = docker.inspect("console")["Id"]
    assert "enabled  default" in ros("console", "list").stdout
    result = ros("console", "switch", "-f", "alt")
    assert result.stdout == "console: switched to alt\n"
    assert ros("config", "get", "rancher.console").stdout == "alt\n"
    assert "enabled  alt" in ros("console", "list").stdout
    after = docker.inspect("console")
    assert after["Id"] != before and after["State"]["Running"] is True
    from harness import wait_until
    wait_until(lambda: "alt-console" in logs(docker, "console"), 10, what="alt console output")
    assert docker.out("exec", "console", "cat", "/home/marker") == "kept"
    # And back to the built-in one.
    ros("console", "switch", "-f", "default")
    wait_until(lambda: "default-console" in logs(docker, "console"), 10, what="default console")


def test_console_switch_without_the_image_changes_nothing(switch_setup, docker):
    ros = switch_setup
    before = docker.inspect("console")["Id"]
    result = ros("console", "switch", "-f", "missing", check=False)
    assert result.returncode == 1
    assert ("its image 127.0.0.1:1/corral-test/absent:1 is not in the system engine and the "
            "pull failed" in result.stderr)
    assert "nothing changed" in result.stderr
    assert ros("config", "get", "rancher.console").stdout == "default\n"
    assert docker.inspect("console")["Id"] == before
    unknown = ros("console", "switch", "-f", "nope", check=False)
    assert unknown.returncode == 1 and "no repository lists it" in unknown.stderr


def test_switch_asks_first(switch_setup, docker):
    ros = switch_setup
    before = docker.inspect("console")["Id"]
    declined = subprocess.run([ros_binary(), "--root", str(ros.root), "console", "switch", "alt"],
                              input="n\n", capture_output=True, text=True, timeout=60)
    assert declined.returncode == 1 and "not confirmed" in declined.stderr
    assert "Continue [y/N]?" in declined.stderr
    assert docker.inspect("console")["Id"] == before
    assert ros("config", "get", "rancher.console").stdout == "default\n"


def test_engine_switch(switch_setup, docker):
    ros = switch_setup
    before = docker.inspect("docker")["Id"]
    assert ros("engine", "switch", "-f", "podlike").stdout == "docker: switched to podlike\n"
    assert ros("config", "get", "rancher.docker.engine").stdout == "podlike\n"
    assert docker.inspect("docker")["Id"] != before
    from harness import wait_until
    wait_until(lambda: "podlike-engine" in logs(docker, "docker"), 10, what="engine output")
    # The console was not touched.
    assert "default-console" in logs(docker, "console")


def test_console_switch_pulls_its_image(switch_setup, docker, registry_http):
    ros = switch_setup
    pulled = f"{registry_http.address}/test/busybox:1"
    docker("rmi", "-f", pulled, check=False)
    result = ros("console", "switch", "-f", "pulled")
    assert result.stdout == f"console: pulling {pulled}\nconsole: switched to pulled\n"
    assert docker.inspect("console")["Config"]["Image"] == pulled
    from harness import wait_until
    wait_until(lambda: "pulled-console" in logs(docker, "console"), 10, what="pulled console")
    assert docker.out("exec", "console", "cat", "/home/marker") == "kept"


def test_failed_engine_switch_brings_the_previous_engine_back(switch_setup, docker):
    ros = switch_setup
    result = ros("engine", "switch", "-f", "broken", check=False)
    assert result.returncode == 1
    assert "bind source path does not exist" in result.stderr
    assert "the engine is docker again" in result.stderr
    assert ros("config", "get", "rancher.docker.engine").stdout == "docker\n"
    assert docker.inspect("docker")["State"]["Running"] is True
    from harness import wait_until
    wait_until(lambda: "default-engine" in logs(docker, "docker"), 10, what="engine output")
