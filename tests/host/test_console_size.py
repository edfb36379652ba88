"""A tty's first size: the client's ConsoleSize ([height, width]) reaches the pty before the
process runs, so a program that reads its size at once (`stty size`) sees the client's terminal
rather than the 0 0 of a pty nobody sized yet.

The stock CLI (28.x) sends HostConfig.ConsoleSize on create when its output is a terminal, and
the exec's ConsoleSize (on exec create and exec start) only at API >= 1.42: against this engine
(1.41) `docker exec -t` sends none, so exec is checked through the API alone. The CLI resizes
again after the start, which races a quick process; the API checks below send no resize at
all, so the size they see can only come from ConsoleSize. Debian's dockerd 20.10 keeps the
field but does not give it to a Linux container's pty (that came with dockerd 23, API 1.42)."""
import fcntl
import json
import os
import pty
import select
import socket
import struct
import subprocess
import termios
import time
import uuid

import pytest

from conftest import corral_bin

ROWS, COLUMNS = 33, 101
# busybox's `stty size` on a pty nobody sized (0 0): no size, only this on stderr (followed by
# whatever errno was left, when one was).
NO_SIZE = "stty: standard input"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sized_pty(rows: int, columns: int) -> tuple[int, int]:
    """A pty whose terminal side is rows x columns (what `stty rows R cols C` sets)."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return controller, terminal


def read_to_end(fd: int, timeout: float) -> bytes:
    """What the controller side reads until the terminal side is closed by all."""
    output = b""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"timed out; got {output!r}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: every writer closed the terminal side
            return output
        if not chunk:
            return output
        output += chunk


def run_under_pty(client, rows: int, columns: int, *args) -> list[str]:
    """The lines the client (the stock CLI's Docker, or a popen-like callable) printed on its
    terminal (each line went through two ttys: the container's and the client's, which end it
    with \\r\\r\\n)."""
    controller, terminal = sized_pty(rows, columns)
    popen = client.popen if hasattr(client, "popen") else client
    process = popen(*args, stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True)
    os.close(terminal)
    try:
        output = read_to_end(controller, 30)
        assert process.wait(timeout=30) == 0, output
        return [line.rstrip("\r") for line in output.decode(errors="replace").split("\n")]
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def log_lines(docker, container: str) -> list[str]:
    return [line.rstrip("\r") for line in docker.out("logs", container).splitlines()]


def create(daemon, payload: dict) -> str:
    status, data = daemon.request_json("POST", "/containers/create", payload)
    assert status == 201, data
    return data["Id"]


def exec_output(daemon, container: str, create_size, start_size) -> bytes:
    """`stty size` as a tty exec, started attached through the raw API; the sizes are sent
    when not None. No resize is ever sent. crun exec sizes the pty from its own process once
    the exec'd one has started (not before, as crun run does for a container): `stty size`
    waits a moment so that it reads what crun set, not a race with crun."""
    payload = {"Cmd": ["sh", "-c", "sleep 0.2; stty size"], "Tty": True, "AttachStdout": True,
               "AttachStderr": True}
    if create_size is not None:
        payload["ConsoleSize"] = create_size
    status, data = daemon.request_json("POST", f"/containers/{container}/exec", payload)
    assert status == 201, data
    start = {"Detach": False, "Tty": True}
    if start_size is not None:
        start["ConsoleSize"] = start_size
    body = json.dumps(start).encode()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(30)
    try:
        connection.connect(daemon.socket)
        connection.sendall(
            f"POST /exec/{data['Id']}/start HTTP/1.1\r\nHost: docker\r\n"
            f"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    finally:
        connection.close()
    head, _, stream = received.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] in (b"101", b"200"), received
    return stream.strip()


def test_run_tty_starts_at_the_terminal_size(docker, image, engine):
    if engine == "dockerd":
        pytest.skip("dockerd 20.10 does not size a Linux container's pty from ConsoleSize")
    # Several runs: the CLI's resize after the start must not be what makes it pass.
    for _ in range(3):
        lines = run_under_pty(docker, ROWS, COLUMNS, "run", "--rm", "-t", image, "stty", "size")
        assert lines[0] == f"{ROWS} {COLUMNS}", lines


def test_create_console_size_is_shown_and_sizes_each_start(daemon, docker, image, engine):
    sized = create(daemon, {"Image": image, "Cmd": ["stty", "size"], "Tty": True,
                            "HostConfig": {"ConsoleSize": [ROWS, COLUMNS]}})
    unsized = create(daemon, {"Image": image, "Cmd": ["stty", "size"], "Tty": True})
    assert docker.inspect(sized)["HostConfig"]["ConsoleSize"] == [ROWS, COLUMNS]
    assert docker.inspect(unsized)["HostConfig"]["ConsoleSize"] == [0, 0]
    if engine == "dockerd":
        return  # shown, but the pty is not sized from it (see the module's docstring)
    # Started with no client attached and no resize: the size comes from create alone, at
    # every start.
    for starts in (1, 2):
        for container in (sized, unsized):
            status, data = daemon.request("POST", f"/containers/{container}/start")
            assert status == 204, data
            assert docker.out("wait", container) == "0"
        assert log_lines(docker, sized) == [f"{ROWS} {COLUMNS}"] * starts
        unsized_lines = log_lines(docker, unsized)
        assert len(unsized_lines) == starts, unsized_lines
        assert all(line.startswith(NO_SIZE) for line in unsized_lines), unsized_lines


def test_create_console_size_of_the_wrong_shape_is_400(daemon, image, engine):
    if engine == "dockerd":
        pytest.skip("dockerd decodes into [2]uint: a short list is padded with 0")
    for size in ([ROWS], [ROWS, COLUMNS, 1], [-1, COLUMNS], "33x101", [ROWS, 70000]):
        status, data = daemon.request_json(
            "POST", "/containers/create",
            {"Image": image, "Tty": True, "HostConfig": {"ConsoleSize": size}})
        assert status == 400, (size, data)
        assert "HostConfig.ConsoleSize" in data["message"], (size, data)


def test_exec_console_size_of_create_and_of_start(daemon, docker, image, engine):
    if engine == "dockerd":
        pytest.skip("dockerd 20.10 does not size an exec's pty from ConsoleSize")
    name = unique("exec-size")
    docker("run", "-d", "--name", name, image, "sleep", "1000")
    assert exec_output(daemon, name, [ROWS, COLUMNS], None) == b"33 101"
    assert exec_output(daemon, name, None, [40, 120]) == b"40 120"
    # The start's size wins, as in dockerd; a start without one leaves the create's.
    assert exec_output(daemon, name, [ROWS, COLUMNS], [40, 120]) == b"40 120"
    assert exec_output(daemon, name, [ROWS, COLUMNS], [0, 0]) == b"33 101"
    assert exec_output(daemon, name, None, None).startswith(NO_SIZE.encode())


def our_client(daemon):
    """system-docker (CORRAL_BIN) against the session's engine, as a popen-like callable."""
    client = os.environ.get("CORRAL_CLIENT", str(corral_bin() / "system-docker"))
    environment = {key: value for key, value in os.environ.items() if key != "DOCKER_HOST"}
    return lambda *args, **options: subprocess.Popen([client, "-H", daemon.host, *args],
                                                     env=environment, **options)


def test_our_client_sends_its_terminal_size(daemon, docker, image, engine):
    """system-docker run -t / exec -t send the terminal's size as the docker CLI does (create's
    HostConfig.ConsoleSize; the exec's create and start ConsoleSize)."""
    if engine == "dockerd":
        pytest.skip("dockerd 20.10 does not size a Linux container's pty from ConsoleSize")
    client = our_client(daemon)
    for _ in range(3):
        lines = run_under_pty(client, ROWS, COLUMNS, "run", "--rm", "-t", image, "stty", "size")
        assert lines[0] == f"{ROWS} {COLUMNS}", lines
    name = unique("sized-by-client")
    controller, terminal = sized_pty(ROWS, COLUMNS)
    created = client("create", "-t", "--name", name, image, "sleep", "60", stdin=terminal,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(terminal)
    try:
        assert created.wait(timeout=30) == 0, created.stderr.read()
    finally:
        os.close(controller)  # a closed controller would hang the terminal side up
    shown = json.loads(docker.out("inspect", name))[0]["HostConfig"]["ConsoleSize"]
    assert shown == [ROWS, COLUMNS], shown
    docker("start", name)
    # crun sizes an exec's pty just after the process started: the sleep lets it.
    lines = run_under_pty(client, ROWS + 1, COLUMNS + 1, "exec", "-t", name, "sh", "-c",
                          "sleep 0.3; stty size")
    assert lines[0] == f"{ROWS + 1} {COLUMNS + 1}", lines
