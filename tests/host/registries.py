"""A bearer-token server for the registry fixtures, and the certificates (openssl) of
tests/common/local_registry.py. Everything listens on 127.0.0.1 only."""
from __future__ import annotations

import base64
import json
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import free_port
from local_registry import make_ca, make_server_cert  # noqa: F401 (the fixtures use them)

TOKEN_USER = "tester"
TOKEN_PASSWORD = "s3cret-pass"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """Issues registry bearer tokens (RS256 JWT, signing cert in x5c) to `tester` only; an
    anonymous request gets a token without access, so the registry answers 401."""

    def __init__(self, directory: Path, service: str, issuer: str):
        self.directory = directory
        self.service = service
        self.issuer = issuer
        self.cert, self.key = make_ca(directory / "signing", "corral-token-signer")
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        server = self
        self.port = free_port()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.realm = f"http://127.0.0.1:{self.port}/token"

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        payload = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)],
                                   input=payload.encode(), check=True, capture_output=True).stdout
        return payload + "." + b64url(signature)

    def handle(self, handler: BaseHTTPRequestHandler):
        url = urllib.parse.urlparse(handler.path)
        query = urllib.parse.parse_qs(url.query)
        user = None
        authorization = handler.headers.get("Authorization", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode(errors="replace")
            name, _, password = decoded.partition(":")
            if name != TOKEN_USER or password != TOKEN_PASSWORD:
                handler.send_response(401)
                handler.end_headers()
                with self.lock:
                    self.requests.append({"user": name, "denied": True, "query": query})
                return
            user = name
        access = []
        for scope in query.get("scope", []):
            for single in scope.split(" "):
                parts = single.split(":")
                if len(parts) == 3 and parts[0] == "repository" and user:
                    access.append({"type": "repository", "name": parts[1],
                                   "actions": parts[2].split(",")})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service,
                  "exp": now + 600, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        token = self.sign(claims)
        with self.lock:
            self.requests.append({"user": user, "query": query, "access": access})
        body = json.dumps({"token": token, "access_token": token, "expires_in": 600,
                           "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body.encode())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def docker_config_with_credentials(config_dir: Path, registry: str):
    """What `docker login` would store: the CLI sends it as X-Registry-Auth on pull."""
    config_dir.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{TOKEN_USER}:{TOKEN_PASSWORD}".encode()).decode()
    (config_dir / "config.json").write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
