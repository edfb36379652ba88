"""An engine API that answers at once, with no container behind it: the fixed cost of a client.

`run --rm IMAGE true` against it goes through the same calls as against a real engine (ping,
create, attach with its hijacked stream, wait, start), but the "container" ends the moment it
is started: the attach stream closes and the wait answers `{"StatusCode": 0}` as soon as the
start came in. The wall time of a client's `run` against this server is therefore what the
client costs by itself (its own start-up, its requests, its exit), the part no engine can
take away. bench/run uses it to state the floor of the docker CLI path.

One thread and non-blocking sockets (no thread per connection, no lock hand-over), so that
the server itself adds as little as it can; what it still adds (a few tens of microseconds a
request) counts as the client's.

Run alone: `python3 instant_api.py SOCKET` serves until killed.
"""
from __future__ import annotations

import json
import os
import selectors
import socket
import sys
import threading
import time

API_VERSION = "1.41"
COMMON = (f"Api-Version: {API_VERSION}\r\nDocker-Experimental: false\r\nOstype: linux\r\n"
          "Server: instant-api\r\n").encode()
WAIT_RESULT = b'{"Error":null,"StatusCode":0}\n'


class Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""


class InstantApi:
    """Serves the calls of `run` on a unix socket from one thread."""

    def __init__(self, path: str):
        self.path = path
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.wake_read, self.wake_write = socket.socketpair()
        self.selector.register(self.wake_read, selectors.EVENT_READ, "wake")
        self.count = 0
        self.started: set[str] = set()
        self.attached: dict[str, list[Connection]] = {}  # hijacked streams, until the start
        self.waiting: dict[str, list[Connection]] = {}  # waits with their head sent
        self.requests: list[str] = []  # "METHOD target" of every request, in order
        self.arrivals: list[float] = []  # time.monotonic() when each request was complete
        self.stopping = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return "unix://" + self.path

    def close(self):
        self.stopping = True
        self.wake_write.send(b"x")
        self.thread.join(5)
        self.listener.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def loop(self):
        while not self.stopping:
            for key, _ in self.selector.select():
                if key.data == "wake":
                    return
                if key.data is None:
                    self.accept()
                else:
                    self.readable(key.data)

    def accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(True)  # answers are small: a send never waits on a live client
            self.selector.register(sock, selectors.EVENT_READ, Connection(sock))

    def drop(self, connection: Connection):
        try:
            self.selector.unregister(connection.sock)
        except (KeyError, ValueError):
            pass
        connection.sock.close()

    def readable(self, connection: Connection):
        try:
            data = connection.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self.drop(connection)
            return
        connection.buffer += data
        while b"\r\n\r\n" in connection.buffer:
            head, rest = connection.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip() or 0)
            if len(rest) < length:
                return  # the body is still coming
            body, connection.buffer = rest[:length], rest[length:]
            self.requests.append(f"{method} {target}")
            self.arrivals.append(time.monotonic())
            try:
                if not self.answer(connection, method, target, body):
                    return
            except OSError:
                self.drop(connection)
                return

    def answer(self, connection: Connection, method: str, target: str, body: bytes) -> bool:
        """Answers one request; False when the connection left the request loop."""
        sock = connection.sock
        path = target.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if parts and parts[0].startswith("v1."):
            parts = parts[1:]
        if parts == ["_ping"]:
            sock.sendall(b"HTTP/1.1 200 OK\r\n" + COMMON +
                         b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\n" +
                         (b"" if method == "HEAD" else b"OK"))
            return True
        if method == "POST" and parts == ["containers", "create"]:
            json.loads(body or b"{}")  # not JSON: the client sees its connection reset
            self.count += 1
            self.respond(sock, 201, json.dumps({"Id": f"{self.count:064x}", "Warnings": []}))
            return True
        if method == "POST" and len(parts) == 3 and parts[0] == "containers":
            container, action = parts[1], parts[2]
            if action == "start":
                sock.sendall(b"HTTP/1.1 204 No Content\r\n" + COMMON + b"\r\n")
                self.started.add(container)
                # The container "ended": its streams close, its waits answer.
                for stream in self.attached.pop(container, []):
                    self.end_stream(stream)
                for waiter in self.waiting.pop(container, []):
                    self.answer_wait(waiter)
                return True
            if action == "attach":
                sock.sendall(b"HTTP/1.1 101 UPGRADED\r\n"
                             b"Content-Type: application/vnd.docker.raw-stream\r\n"
                             b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
                # Hijacked: whatever the client sends now is its stdin, ignored.
                self.selector.unregister(sock)
                if container in self.started:
                    self.end_stream(connection)
                else:
                    self.attached.setdefault(container, []).append(connection)
                return False
            if action == "wait":
                sock.sendall(b"HTTP/1.1 200 OK\r\n" + COMMON + b"Content-Type: "
                             b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                if container in self.started:
                    self.answer_wait(connection)
                else:
                    self.waiting.setdefault(container, []).append(connection)
                return True
        self.respond(sock, 404, json.dumps({"message": f"not served here: {method} {path}"}))
        return True

    @staticmethod
    def end_stream(connection: Connection):
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        connection.sock.close()

    @staticmethod
    def answer_wait(connection: Connection):
        try:
            connection.sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(WAIT_RESULT), WAIT_RESULT))
        except OSError:
            pass

    @staticmethod
    def respond(sock: socket.socket, status: int, body: str):
        reason = {201: b"Created", 404: b"Not Found"}.get(status, b"OK")
        data = body.encode()
        sock.sendall(b"HTTP/1.1 %d %s\r\n" % (status, reason) + COMMON +
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data) +
                     data)


if __name__ == "__main__":
    server = InstantApi(sys.argv[1])
    print(server.host, flush=True)
    server.thread.join()
