"""docker events: the past window (--since/--until) and the live stream."""
import json
import os
import select
import subprocess
import time
import uuid

EVENTS = ["create", "start", "die", "destroy"]


def event_filters():
    arguments = []
    for event in EVENTS:
        arguments += ["--filter", f"event={event}"]
    return arguments


def test_events_since_until_in_order_with_attributes(docker, image):
    name = f"events-{uuid.uuid4().hex[:8]}"
    since = int(time.time()) - 1
    container_id = docker.out("create", "--name", name, "--label", "corral.events=yes", image,
                              "sh", "-c", "exit 3")
    docker("start", "-a", name, check=False)
    docker("rm", name)
    until = int(time.time()) + 1
    time.sleep(1.1)  # --until in the past: the command prints the window and returns
    output = docker.out("events", "--since", str(since), "--until", str(until), "--filter",
                        f"container={name}", *event_filters(), "--format", "{{json .}}",
                        timeout=30)
    records = [json.loads(line) for line in output.splitlines()]
    actions = [record["Action"] for record in records]
    assert actions == EVENTS, output
    for record in records:
        assert record["Type"] == "container"
        assert record["Actor"]["ID"] == container_id
        attributes = record["Actor"]["Attributes"]
        assert attributes["name"] == name
        assert attributes["image"] == image
        assert attributes["corral.events"] == "yes"
        assert since <= record["time"] <= until
        assert record["timeNano"] // 10**9 == record["time"]
    die = records[2]["Actor"]["Attributes"]
    assert die["exitCode"] == "3"
    times = [record["timeNano"] for record in records]
    assert times == sorted(times)


def test_events_stream_live(docker, image):
    name = f"live-{uuid.uuid4().hex[:8]}"
    stream = docker.popen("events", "--filter", f"container={name}", *event_filters(),
                          "--format", "{{.Action}} {{.Actor.Attributes.name}}",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    try:
        time.sleep(0.5)  # the stream is subscribed before anything happens
        docker("run", "--name", name, image, "true")
        docker("rm", name)
        received = b""
        deadline = time.monotonic() + 15
        while received.count(b"\n") < len(EVENTS) and time.monotonic() < deadline:
            ready, _, _ = select.select([stream.stdout], [], [], 1)
            if ready:
                chunk = os.read(stream.stdout.fileno(), 4096)
                if not chunk:
                    break
                received += chunk
        seen = received.decode().splitlines()
        assert seen == [f"{event} {name}" for event in EVENTS]
        assert stream.poll() is None  # the stream stays open
    finally:
        stream.kill()
        stream.wait()


def test_events_image_actions(docker, image):
    since = int(time.time()) - 1
    target = f"corral-test/evt:{uuid.uuid4().hex[:6]}"
    docker("tag", image, target)
    docker("rmi", target)
    until = int(time.time()) + 1
    time.sleep(1.1)
    output = docker.out("events", "--since", str(since), "--until", str(until), "--filter",
                        "type=image", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.ID}}",
                        timeout=30)
    image_id = docker.inspect(image, "image")["Id"]
    assert output.splitlines() == [f"tag {target} {image_id}", f"untag {image_id} {image_id}"], output
