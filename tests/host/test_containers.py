"""Container lifecycle through the stock docker CLI: run, ps, logs, exec, stop, kill, rm, inspect,
wait, rename, top, restart policies."""
import json
import os
import pty
import re
import select
import subprocess
import time
import uuid

import pytest

import images
from harness import wait_until


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def state(docker, name) -> dict:
    return docker.inspect(name)["State"]


def test_run_rm_prints_hello(docker, image):
    result = docker("run", "--rm", image, "echo", "hello")
    assert result.stdout == "hello\n"
    assert result.returncode == 0
    # --rm: nothing is left behind.
    assert docker.out("ps", "-aq") == ""


def test_run_propagates_exit_code_and_stderr(docker, image):
    result = docker("run", "--rm", image, "sh", "-c", "echo out; echo err >&2; exit 7",
                    check=False)
    assert result.returncode == 7
    assert result.stdout == "out\n"
    assert "err" in result.stderr


def test_run_default_cmd_reads_stdin(docker, image):
    # The image's Cmd is ["sh"]: with -i it reads the script from stdin.
    result = docker("run", "--rm", "-i", image, input="echo from-stdin; exit 4\n", check=False)
    assert result.returncode == 4
    assert result.stdout == "from-stdin\n"


def test_run_detached_then_ps_shows_up(docker, image):
    name = unique("up")
    container_id = docker.out("run", "-d", "--name", name, image, "sleep", "1000")
    assert re.fullmatch(r"[0-9a-f]{64}", container_id), container_id
    rows = docker.out("ps", "--no-trunc", "--format", "{{.ID}}|{{.Names}}|{{.Status}}|{{.Image}}|{{.Command}}")
    row = [line for line in rows.splitlines() if line.startswith(container_id)]
    assert len(row) == 1, rows
    _, names, status, image_name, command = row[0].split("|")
    assert names == name
    assert status.startswith("Up"), status
    assert image_name == image
    assert "sleep 1000" in command
    table = docker.out("ps")
    assert table.splitlines()[0].split()[:2] == ["CONTAINER", "ID"]
    assert container_id[:12] in table and name in table
    assert state(docker, name)["Running"] is True


def test_ps_all_and_filters(docker, image):
    label = unique("lbl")
    exited = unique("exited")
    running = unique("running")
    other = unique("other")
    docker("run", "--name", exited, "--label", f"corral.group={label}", image, "true")
    docker("run", "-d", "--name", running, "--label", f"corral.group={label}", image, "sleep", "1000")
    docker("run", "-d", "--name", other, image, "sleep", "1000")

    def names(*arguments):
        return sorted(docker.out("ps", *arguments, "--format", "{{.Names}}").split())

    assert names() == sorted([running, other])
    assert names("-a") == sorted([exited, running, other])
    assert names("-a", "--filter", f"label=corral.group={label}") == sorted([exited, running])
    assert names("-a", "--filter", "label=corral.group") == sorted([exited, running])
    assert names("-a", "--filter", f"name={other}") == [other]
    assert names("-a", "--filter", "status=exited") == [exited]
    assert names("--filter", "status=running") == sorted([running, other])
    assert names("-a", "--filter", "status=exited", "--filter", f"label=corral.group={label}") == [exited]
    status = docker.out("ps", "-a", "--filter", f"name={exited}", "--format", "{{.Status}}")
    assert status.startswith("Exited (0)"), status
    quiet = docker.out("ps", "-aq").split()
    assert len(quiet) == 3 and all(re.fullmatch(r"[0-9a-f]{12}", value) for value in quiet)


def test_logs_tail_and_timestamps(docker, image):
    name = unique("logs")
    docker("run", "--name", name, image, "sh", "-c",
           "for i in 1 2 3 4 5; do echo line$i; done")
    result = docker("logs", name)
    assert result.stdout == "line1\nline2\nline3\nline4\nline5\n"
    assert result.stderr == ""
    assert docker("logs", "--tail", "2", name).stdout == "line4\nline5\n"
    stamped = docker("logs", "-t", "--tail", "1", name).stdout
    match = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) line5\n", stamped)
    assert match, stamped
    assert match.group(1)[:10] == time.strftime("%Y-%m-%d", time.gmtime())


def test_logs_keep_stdout_and_stderr_apart(docker, image):
    name = unique("streams")
    docker("run", "--name", name, image, "sh", "-c", "echo out1; echo err1 >&2; echo out2")
    result = docker("logs", name)
    assert result.stdout == "out1\nout2\n"
    assert result.stderr == "err1\n"


def test_logs_follow_streams_while_running_and_ends_on_exit(docker, image):
    name = unique("follow")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "echo first; sleep 2; echo second; sleep 1; echo third")
    started = time.monotonic()
    follower = docker.popen("logs", "-f", name, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        first = follower.stdout.readline()
        assert first == "first\n"
        # The first line arrived while the container was still running.
        assert time.monotonic() - started < 2
        assert state(docker, name)["Running"] is True
        assert follower.stdout.readline() == "second\n"
        assert follower.stdout.readline() == "third\n"
        # Follow ends by itself once the container exits.
        assert follower.wait(timeout=15) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
    assert state(docker, name)["ExitCode"] == 0


def test_exec_without_tty(docker, image):
    name = unique("exec")
    docker("run", "-d", "--name", name, "-e", "FROM_RUN=yes", image, "sleep", "1000")
    result = docker("exec", name, "sh", "-c", "echo out $FROM_RUN; echo err >&2; exit 5",
                    check=False)
    assert result.returncode == 5
    assert result.stdout == "out yes\n"
    assert result.stderr == "err\n"
    assert docker.out("exec", "-w", "/etc", "-e", "X=1", name, "sh", "-c", "pwd; echo $X") == "/etc\n1"
    assert docker("exec", "-i", name, "cat", input="piped\n").stdout == "piped\n"
    assert docker("exec", name, "tty", check=False).stdout.strip() == "not a tty"
    assert docker.out("exec", "-u", "65534", name, "id", "-u") == "65534"


def read_until(fd, needle: bytes, timeout: float) -> bytes:
    buffer = b""
    deadline = time.monotonic() + timeout
    while needle not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {needle!r}; got {buffer!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"pty closed before {needle!r}; got {buffer!r}")
            buffer += chunk
    return buffer


def test_exec_interactive_tty_under_a_pty(docker, image):
    name = unique("pty")
    docker("run", "-d", "--name", name, image, "sleep", "1000")
    controller, terminal = pty.openpty()
    process = docker.popen("exec", "-it", name, "sh", stdin=terminal, stdout=terminal,
                           stderr=terminal, close_fds=True)
    os.close(terminal)
    try:
        os.write(controller, b"tty; echo answer=$((6*7))\n")
        # A tty turns \n into \r\n: the output went through a real terminal.
        output = read_until(controller, b"answer=42\r\n", 20)
        assert re.search(rb"/dev/pts/\d+\r\n", output), output
        os.write(controller, b"exit 3\n")
        assert process.wait(timeout=20) == 3
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def test_run_interactive_tty_under_a_pty(docker, image):
    controller, terminal = pty.openpty()
    process = docker.popen("run", "--rm", "-it", image, "sh", "-c",
                           "tty; echo $((6*7)); stty size", stdin=terminal, stdout=terminal,
                           stderr=terminal, close_fds=True)
    os.close(terminal)
    try:
        output = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 20)
            assert ready, output
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=20) == 0
        lines = output.decode(errors="replace").split("\r\n")
        assert re.fullmatch(r"/dev/pts/\d+", lines[0]), output
        assert lines[1] == "42", output
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)


def test_stop_sends_term_and_reports_143(docker, image):
    name = unique("stop")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "trap 'echo got-term; exit 143' TERM; echo ready; while :; do sleep 0.1; done")
    wait_until(lambda: "ready" in docker.out("logs", name), 10, what="container ready")
    started = time.monotonic()
    assert docker.out("stop", name) == name
    assert time.monotonic() - started < 8
    current = state(docker, name)
    assert current["Status"] == "exited" and current["ExitCode"] == 143
    assert "got-term" in docker.out("logs", name)
    assert docker.out("wait", name) == "143"


def test_stop_kills_after_timeout_when_term_is_ignored(docker, image):
    name = unique("stopkill")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "trap '' TERM; echo ready; while :; do sleep 0.1; done")
    wait_until(lambda: "ready" in docker.out("logs", name), 10, what="container ready")
    started = time.monotonic()
    docker("stop", "-t", "1", name)
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 10, elapsed
    current = state(docker, name)
    assert current["Status"] == "exited" and current["ExitCode"] == 137


def test_kill_with_signal(docker, image):
    name = unique("kill")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.1; done")
    wait_until(lambda: "ready" in docker.out("logs", name), 10, what="container ready")
    assert docker.out("kill", "-s", "USR1", name) == name
    wait_until(lambda: "got-usr1" in docker.out("logs", name), 10, what="USR1 handled")
    assert state(docker, name)["Running"] is True
    docker("kill", name)
    wait_until(lambda: state(docker, name)["Status"] == "exited", 10, what="exit after kill")
    assert state(docker, name)["ExitCode"] == 137
    result = docker("kill", name, check=False)
    assert result.returncode != 0 and "is not running" in result.stderr


def test_rm_force_removes_a_running_container(docker, image):
    name = unique("rmf")
    docker("run", "-d", "--name", name, image, "sleep", "1000")
    refused = docker("rm", name, check=False)
    assert refused.returncode != 0
    assert "stop the container before removing or force remove" in refused.stderr.lower() \
        or "cannot remove" in refused.stderr.lower(), refused.stderr
    assert docker.out("rm", "-f", name) == name
    assert docker.out("ps", "-a", "--filter", f"name={name}", "-q") == ""
    missing = docker("inspect", name, check=False)
    assert missing.returncode != 0 and "No such" in missing.stderr


def test_inspect_fields(docker, image):
    name = unique("inspect")
    docker("run", "--name", name, "-e", "FOO=bar", "--label", "corral.role=test",
           "--hostname", "box", image, "sh", "-c", "hostname; exit 7", check=False)
    data = docker.inspect(name)
    assert data["Name"] == "/" + name
    assert re.fullmatch(r"[0-9a-f]{64}", data["Id"])
    assert data["State"]["Status"] == "exited"
    assert data["State"]["Running"] is False
    assert data["State"]["ExitCode"] == 7
    today = time.strftime("%Y-%m-%dT", time.gmtime())
    # Both set (dockerd may stamp StartedAt after a fast exit's FinishedAt: no order check).
    assert data["State"]["StartedAt"].startswith(today), data["State"]
    assert data["State"]["FinishedAt"].startswith(today), data["State"]
    assert "FOO=bar" in data["Config"]["Env"]
    assert images.PATH_ENV in data["Config"]["Env"]
    assert data["Config"]["Cmd"] == ["sh", "-c", "hostname; exit 7"]
    assert data["Config"]["Labels"] == {"corral.role": "test", images.TEST_LABEL[0]: images.TEST_LABEL[1]}
    assert data["Config"]["Hostname"] == "box"
    assert data["Config"]["Image"] == image
    assert data["Image"] == docker.inspect(image, "image")["Id"]
    assert data["HostConfig"]["RestartPolicy"]["Name"] in ("", "no")
    assert docker.out("logs", name) == "box"
    assert docker.out("inspect", "-f", "{{.State.ExitCode}} {{.Name}}", name) == f"7 /{name}"


def test_inspect_restart_policy_of_created_container(docker, image):
    name = unique("created")
    docker("create", "--name", name, "--restart", "on-failure:3", image, "true")
    data = docker.inspect(name)
    assert data["State"]["Status"] == "created"
    assert data["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    docker("start", name)
    assert docker.out("wait", name) == "0"


def test_wait_prints_exit_code(docker, image):
    name = unique("wait")
    docker("run", "-d", "--name", name, image, "sh", "-c", "sleep 1; exit 42")
    started = time.monotonic()
    assert docker.out("wait", name, timeout=30) == "42"
    assert time.monotonic() - started > 0.5


def test_rename(docker, image):
    old, new = unique("old"), unique("new")
    container_id = docker.out("run", "-d", "--name", old, image, "sleep", "1000")
    docker("rename", old, new)
    assert docker.inspect(new)["Id"] == container_id
    assert docker.inspect(new)["Name"] == "/" + new
    missing = docker("inspect", old, check=False)
    assert missing.returncode != 0 and f"No such" in missing.stderr
    assert docker.out("ps", "--filter", f"name={new}", "--format", "{{.Names}}") == new


def test_top_lists_container_processes(docker, image):
    name = unique("top")
    docker("run", "-d", "--name", name, image, "sh", "-c", "sleep 1001 & sleep 1002")
    wait_until(lambda: "sleep 1002" in docker.out("top", name), 10, what="processes in top")
    table = docker.out("top", name)
    header = table.splitlines()[0].split()
    assert "PID" in header and ("CMD" in header or "COMMAND" in header), table
    assert "sleep 1001" in table and "sleep 1002" in table
    pids = [int(line.split()[header.index("PID")]) for line in table.splitlines()[1:]]
    # Host pids: each one is a live process on this machine.
    assert all(os.path.exists(f"/proc/{pid}") for pid in pids), pids


def test_restart_on_failure_counts_retries(docker, image):
    name = unique("onfail")
    docker("run", "-d", "--name", name, "--restart", "on-failure:2", image, "sh", "-c",
           "echo run; exit 1")

    def settled():
        data = docker.inspect(name)
        return data if data["State"]["Status"] == "exited" and data["RestartCount"] == 2 else None

    data = wait_until(settled, 30, interval=0.2, what="two restarts then exited")
    time.sleep(1.5)  # no third retry
    data = docker.inspect(name)
    assert data["RestartCount"] == 2
    assert data["State"]["ExitCode"] == 1 and data["State"]["Status"] == "exited"
    assert docker.out("logs", name).split() == ["run", "run", "run"]


def test_restart_always_restarts_after_clean_exit(docker, image):
    name = unique("always")
    docker("run", "-d", "--name", name, "--restart", "always", image, "sh", "-c",
           "echo run; sleep 0.3")
    wait_until(lambda: docker.inspect(name)["RestartCount"] >= 2, 30, interval=0.2,
               what="restart count 2")
    assert len(docker.out("logs", name).split()) >= 2
    assert docker.inspect(name)["HostConfig"]["RestartPolicy"]["Name"] == "always"
    docker("stop", "-t", "1", name)
    count = docker.inspect(name)["RestartCount"]
    time.sleep(1.5)
    # An explicit stop ends the policy until the next start.
    assert docker.inspect(name)["State"]["Status"] == "exited"
    assert docker.inspect(name)["RestartCount"] == count


def test_restart_command_restarts_a_running_container(docker, image):
    name = unique("restartcmd")
    docker("run", "-d", "--name", name, image, "sh", "-c", "echo boot; sleep 1000")
    first = state(docker, name)["StartedAt"]
    pid = state(docker, name)["Pid"]
    docker("restart", "-t", "1", name)
    current = state(docker, name)
    assert current["Running"] is True
    assert current["StartedAt"] > first and current["Pid"] != pid
    wait_until(lambda: docker.out("logs", name).split() == ["boot", "boot"], 10, what="two boots")


@pytest.mark.parametrize("missing", ["no-such-container-x"])
def test_commands_on_unknown_container(docker, missing):
    for command in (["container", "inspect", missing], ["logs", missing], ["stop", missing],
                    ["rm", missing], ["exec", missing, "true"]):
        result = docker(*command, check=False)
        assert result.returncode != 0, command
        assert f"No such container: {missing}" in result.stderr, (command, result.stderr)


def test_name_conflict(docker, image):
    name = unique("dup")
    docker("create", "--name", name, image, "true")
    result = docker("create", "--name", name, image, "true", check=False)
    assert result.returncode != 0
    assert "Conflict" in result.stderr and name in result.stderr, result.stderr


def test_container_json_list_via_api(daemon, docker, image):
    name = unique("api")
    docker("run", "-d", "--name", name, "--label", "k=v", image, "sleep", "1000")
    status, listed = daemon.request_json("GET", "/containers/json")
    assert status == 200
    mine = [entry for entry in listed if "/" + name in entry["Names"]]
    assert len(mine) == 1
    assert mine[0]["State"] == "running" and mine[0]["Labels"]["k"] == "v"
    status, detail = daemon.request_json("GET", f"/containers/{name}/json")
    assert status == 200 and detail["Name"] == "/" + name
    json.dumps(detail)


def test_failed_start_is_reported_not_hung(docker, image):
    """A container whose process cannot start: `run` returns docker's error promptly (attached
    and detached), the container is left in `created`, and the engine stays usable."""
    result = docker("run", "--rm", image, "/no/such/binary", check=False, timeout=30)
    assert result.returncode in (126, 127), (result.returncode, result.stderr)
    assert "/no/such/binary" in result.stderr and "no such file" in result.stderr.lower(), \
        result.stderr
    name = unique("nostart")
    detached = docker("run", "-d", "--name", name, image, "/no/such/binary", check=False,
                      timeout=30)
    assert detached.returncode in (126, 127), detached.stderr
    assert docker.inspect(name)["State"]["Status"] in ("created", "exited")
    assert docker.out("run", "--rm", image, "echo", "still-fine") == "still-fine"


def test_pause_and_unpause(docker, image):
    """pause freezes every process (the counter stops), ps and inspect say Paused, unpause
    resumes it; each sends its event; pausing twice or unpausing a running one is refused."""
    name = unique("pause")
    since = int(time.time()) - 1
    # The count is renamed into place: a read never meets the file truncated and not yet
    # written again.
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count;"
           " sleep 0.1; done")
    wait_until(lambda: docker("exec", name, "cat", "/tmp/count", check=False).returncode == 0,
               10, what="counter running")
    docker("pause", name)
    data = state(docker, name)
    assert data["Status"] == "paused" and data["Paused"] is True and data["Running"] is True
    status = docker.out("ps", "--filter", f"name={name}", "--format", "{{.Status}}")
    assert status.startswith("Up") and status.endswith("(Paused)"), status
    paused = docker.out("ps", "-q", "--no-trunc", "--filter", "status=paused")
    assert docker.inspect(name)["Id"] in paused.split(), paused
    again = docker("pause", name, check=False)
    assert again.returncode != 0 and "is already paused" in again.stderr, again.stderr
    refused_exec = docker("exec", name, "true", check=False)
    assert refused_exec.returncode != 0 and "is paused" in refused_exec.stderr, \
        refused_exec.stderr
    assert "sleep" in docker.out("top", name)
    docker("unpause", name)
    first = int(docker.out("exec", name, "cat", "/tmp/count"))
    time.sleep(0.5)
    assert int(docker.out("exec", name, "cat", "/tmp/count")) > first
    assert state(docker, name)["Status"] == "running"
    refused = docker("unpause", name, check=False)
    assert refused.returncode != 0 and "is not paused" in refused.stderr, refused.stderr
    # A paused container stops like a running one.
    docker("pause", name)
    docker("stop", "-t", "2", name, timeout=60)
    assert state(docker, name)["Status"] == "exited"
    until = int(time.time()) + 1
    time.sleep(1.1)
    actions = docker.out("events", "--since", str(since), "--until", str(until), "--filter",
                         f"container={name}", "--filter", "event=pause", "--filter",
                         "event=unpause", "--format", "{{.Action}}", timeout=30)
    assert actions.splitlines()[:2] == ["pause", "unpause"], actions


def test_paused_container_does_not_run(docker, image):
    """While paused nothing in the container runs: its clock ticks (every 0.05 s) show a gap as
    long as the pause."""
    name = unique("frozen")
    docker("run", "-d", "--name", name, image, "sh", "-c",
           "while :; do date +%s >> /tmp/ticks; sleep 0.05; done")
    wait_until(lambda: docker("exec", name, "test", "-s", "/tmp/ticks",
                              check=False).returncode == 0, 10, what="ticks written")
    docker("pause", name)
    time.sleep(3)
    docker("unpause", name)
    time.sleep(0.5)
    ticks = [int(line) for line in docker.out("exec", name, "cat", "/tmp/ticks").split()]
    gaps = [later - earlier for earlier, later in zip(ticks, ticks[1:])]
    assert max(gaps) >= 2, gaps
    docker("rm", "-f", name)


def test_ps_command_is_quoted_like_docker(docker, image):
    name = unique("quoted")
    docker("run", "-d", "--name", name, image, "sh", "-c", "sleep 1000; true")
    command = docker.out("ps", "--no-trunc", "--filter", f"name={name}", "--format",
                         "{{.Command}}")
    assert command == "\"sh -c 'sleep 1000; true'\"", command
    # Truncated in the table, still quoted.
    table = docker.out("ps", "--filter", f"name={name}")
    assert "\"sh -c 'sleep 1000" in table and "true'\"" not in table, table
