"""A real S3 server on loopback (moto's), and a proxy in front of it that can misbehave.

The proxy is how faults are planted without mocking boto3: answers of 503
SlowDown or 500, and connections dropped before or after the server did the
work, exactly as a flaky network or an overloaded endpoint would cause them.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from moto.server import ThreadedMotoServer

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def make_bucket(endpoint: str, name: str):
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=name)
    return s3


def bucket_contents(s3, bucket: str, decoded: bool = True) -> dict[str, bytes]:
    """Every object's bytes as a browser gets them: a gzip-encoded one decoded (`decoded=False`: as stored)."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            got = s3.get_object(Bucket=bucket, Key=obj["Key"])
            body = got["Body"].read()
            if decoded and got.get("ContentEncoding") == "gzip":
                body = gzip.decompress(body)
            found[obj["Key"]] = body
    return found


@dataclass
class Faults:
    """What the proxy does to the requests that `matches`: one action from `plan` each, in turn, then pass.

    Actions: "pass"; "503" (SlowDown) or "500" answered by the proxy; "drop" closes the connection without
    passing the request on; "drop-after" passes it on (the server does the work) and then drops the answer.
    """

    plan: list[str] = field(default_factory=list)
    matches: Callable[[str, str], bool] = lambda method, path: True
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, what was done)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, method: str, path: str) -> str:
        with self.lock:
            action = self.plan.pop(0) if self.matches(method, path) and self.plan else "pass"
            self.seen.append((method, path, action))
            return action


_ERRORS = {"503": ("SlowDown", "Please reduce your request rate."), "500": ("InternalError", "We had a problem.")}


@contextlib.contextmanager
def faulty_proxy(upstream: str, faults: Faults) -> Iterator[str]:
    host, port = upstream.split("//")[1].split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _any(self):
            body = self._body()
            action = faults.next(self.command, self.path)
            if action in _ERRORS:
                code, message = _ERRORS[action]
                payload = (
                    f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                    f"<Message>{message}</Message></Error>"
                ).encode()
                self.send_response(int(action))
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if action == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "expect")}
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            conn.close()
            if action == "drop-after":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(answer.status)
            for k, v in answer.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _body(self) -> bytes | None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b""):
                            pass
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else None

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
