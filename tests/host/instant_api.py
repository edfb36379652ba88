"""An engine API that answers at once, with no container behind it: the fixed cost of a client.

`run --rm IMAGE true` against it goes through the same calls as against a real engine (ping,
create, attach with its hijacked stream, wait, start), but the "container" ends the moment it
is started: the attach stream closes and the wait answers `{"StatusCode": 0}` as soon as the
start came in. The wall time of a client's `run` against this server is therefore what the
client costs by itself (its own start-up, its requests, its exit), the part no engine can
take away. bench/run uses it to state the floor of the docker CLI path honestly.

Run alone: `python3 instant_api.py SOCKET` serves until killed.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading

API_VERSION = "1.41"
COMMON = (f"Api-Version: {API_VERSION}\r\nDocker-Experimental: false\r\nOstype: linux\r\n"
          "Server: instant-api\r\n")


class InstantApi:
    """Serves the calls of `run` on a unix socket, each connection on its own thread."""

    def __init__(self, path: str):
        self.path = path
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.lock = threading.Lock()
        self.exited: dict[str, threading.Event] = {}
        self.count = 0
        self.requests: list[str] = []  # "METHOD path" of every request, in order
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return "unix://" + self.path

    def close(self):
        self.listener.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def accept_loop(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def exit_event(self, container: str) -> threading.Event:
        with self.lock:
            return self.exited.setdefault(container, threading.Event())

    def serve(self, connection: socket.socket):
        buffered = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffered:
                    data = connection.recv(65536)
                    if not data:
                        return
                    buffered += data
                head, buffered = buffered.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                while len(buffered) < length:
                    data = connection.recv(65536)
                    if not data:
                        return
                    buffered += data
                body, buffered = buffered[:length], buffered[length:]
                with self.lock:
                    self.requests.append(f"{method} {target}")
                if not self.answer(connection, method, target, body):
                    return
        except OSError:
            return
        finally:
            connection.close()

    def answer(self, connection: socket.socket, method: str, target: str, body: bytes) -> bool:
        """Answers one request; False when the connection ends with it."""
        path = target.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if parts and parts[0].startswith("v1."):
            parts = parts[1:]
        if parts == ["_ping"]:
            ping = ("HTTP/1.1 200 OK\r\n" + COMMON +
                    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\n")
            connection.sendall(ping.encode() + (b"" if method == "HEAD" else b"OK"))
            return True
        if method == "POST" and parts == ["containers", "create"]:
            json.loads(body or b"{}")  # a client that sends no valid JSON gets a reset
            with self.lock:
                self.count += 1
                container = f"{self.count:064x}"
            self.exit_event(container)
            self.respond(connection, 201, json.dumps({"Id": container, "Warnings": []}))
            return True
        if method == "POST" and len(parts) == 3 and parts[0] == "containers":
            container, action = parts[1], parts[2]
            if action == "start":
                self.exit_event(container).set()
                connection.sendall(("HTTP/1.1 204 No Content\r\n" + COMMON + "\r\n").encode())
                return True
            if action == "attach":
                connection.sendall(b"HTTP/1.1 101 UPGRADED\r\n"
                                   b"Content-Type: application/vnd.docker.raw-stream\r\n"
                                   b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
                self.exit_event(container).wait(60)
                connection.shutdown(socket.SHUT_RDWR)
                return False
            if action == "wait":
                connection.sendall(("HTTP/1.1 200 OK\r\n" + COMMON + "Content-Type: "
                                    "application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                                   .encode())
                self.exit_event(container).wait(60)
                result = b'{"Error":null,"StatusCode":0}\n'
                connection.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(result), result))
                return True
        self.respond(connection, 404, json.dumps({"message": f"not served here: {method} {path}"}))
        return True

    def respond(self, connection: socket.socket, status: int, body: str):
        reason = {201: "Created", 404: "Not Found"}.get(status, "OK")
        data = body.encode()
        connection.sendall((f"HTTP/1.1 {status} {reason}\r\n" + COMMON +
                            f"Content-Type: application/json\r\nContent-Length: {len(data)}"
                            "\r\n\r\n").encode() + data)


if __name__ == "__main__":
    server = InstantApi(sys.argv[1])
    print(server.host, flush=True)
    threading.Event().wait()
