"""100 containers started concurrently: every one runs and exits 0 with its own output, and the
API keeps answering /_ping within a bound during the storm."""
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

COUNT = 100
WORKERS = 16
PING_BOUND = 5.0  # seconds, per round trip


def test_hundred_concurrent_containers(daemon, docker, image):
    latencies: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def pinger():
        while not stop.is_set():
            started = time.monotonic()
            answer = daemon.ping(timeout=PING_BOUND * 2)
            elapsed = time.monotonic() - started
            latencies.append(elapsed)
            if answer != "OK":
                failures.append(f"ping answered {answer!r} after {elapsed:.2f}s")
            stop.wait(0.1)

    def start(index: int) -> str:
        return docker.out("run", "-d", "--name", f"scale-{index}", "--label", "corral.scale=1",
                          image, "sh", "-c", f"echo ok-{index}", timeout=120)

    thread = threading.Thread(target=pinger, daemon=True)
    thread.start()
    storm_started = time.monotonic()
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            ids = list(pool.map(start, range(COUNT)))
            codes = list(pool.map(lambda index: docker.out("wait", f"scale-{index}", timeout=120),
                                  range(COUNT)))
    finally:
        stop.set()
        thread.join(timeout=30)
    storm = time.monotonic() - storm_started
    assert len(set(ids)) == COUNT
    assert codes == ["0"] * COUNT, codes
    listed = docker.out("ps", "-a", "--filter", "label=corral.scale=1", "--format",
                        "{{.Names}} {{.Status}}").splitlines()
    assert len(listed) == COUNT
    assert all(" Exited (0)" in line for line in listed), listed
    with ThreadPoolExecutor(WORKERS) as pool:
        outputs = list(pool.map(lambda index: docker.out("logs", f"scale-{index}"), range(COUNT)))
    assert outputs == [f"ok-{index}" for index in range(COUNT)]
    assert failures == []
    assert len(latencies) >= 5, latencies
    assert max(latencies) < PING_BOUND, sorted(latencies)[-5:]
    print(f"\n{COUNT} containers in {storm:.1f}s; /_ping during the storm: "
          f"{len(latencies)} calls, median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms")
    removed = docker.out("rm", *ids, timeout=300).split()
    assert len(removed) == COUNT
    assert docker.out("ps", "-a", "--filter", "label=corral.scale=1", "-q") == ""
