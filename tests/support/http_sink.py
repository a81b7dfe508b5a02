#!/usr/bin/python3
"""http_sink.py - a small HTTP receiver for the webhook tests.

Listens on 127.0.0.1 (port 0: the kernel picks), prints the port on one
line of stdout once it accepts connections, and appends every request it
receives to --log as one JSON line (method, path, headers, body,
signature_valid, timestamp_fresh, received_at, answer), fsynced, so a test
can read what arrived. With --secret-file it verifies the htdispatch
webhook signature the way docs/notify.md tells receivers to: HMAC-SHA256
over "<X-Htdispatch-Timestamp>.<body>", compared in constant time.

How it answers is set by flags and can be changed while it runs by a POST
of a JSON object with the same names (status, fail_first, close, delay_ms,
retry_after, response_bytes, location) to /_control (never logged):

  --status N          answer N (default 200)
  --fail-first N      answer 500 to the first N requests, then --status
  --close             read the request head, then hang up without answering
  --delay-ms N        wait N ms before answering
  --retry-after V     send "Retry-After: V" with the answer
  --response-bytes N  send a body of N bytes (to test the client's cap)
  --location URL      send "Location: URL" (for 3xx)
  --tls-cert/--tls-key  serve HTTPS with this certificate

Debian's /usr/bin/python3 standard library only.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time

BODY_MAX = 8 * 1024 * 1024


class State:
    """What the sink answers, and the log it writes; shared by threads."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.status = args.status
        self.fail_first = args.fail_first
        self.close = args.close
        self.delay_ms = args.delay_ms
        self.retry_after = args.retry_after
        self.response_bytes = args.response_bytes
        self.location = args.location
        self.count = 0
        self.secret = None
        if args.secret_file:
            with open(args.secret_file, "rb") as f:
                secret = f.read()
            # One trailing newline is not part of the secret (as in
            # notify_secret_read).
            if secret.endswith(b"\r\n"):
                secret = secret[:-2]
            elif secret.endswith(b"\n"):
                secret = secret[:-1]
            self.secret = secret
        self.log = open(args.log, "a", encoding="utf-8")

    def control(self, settings):
        with self.lock:
            for name in ("status", "fail_first", "close", "delay_ms",
                         "retry_after", "response_bytes", "location"):
                if name in settings:
                    setattr(self, name, settings[name])

    def next_answer(self):
        """Returns (status, close, delay_ms, retry_after, bytes, location)."""
        with self.lock:
            self.count += 1
            status = self.status
            if self.count <= self.fail_first:
                status = 500
            return (status, self.close, self.delay_ms, self.retry_after,
                    self.response_bytes, self.location)

    def write(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()
            os.fsync(self.log.fileno())


def verify(secret, headers, body):
    """Returns (signature_valid, timestamp_fresh) as a receiver checks."""
    if secret is None:
        return None, None
    stamp = headers.get("X-Htdispatch-Timestamp", "")
    given = headers.get("X-Htdispatch-Signature", "")
    if not stamp.isdigit() or not given.startswith("sha256="):
        return False, False
    want = "sha256=" + hmac.new(secret, stamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
    valid = hmac.compare_digest(want.encode(), given.encode())
    fresh = abs(time.time() - int(stamp)) <= 300
    return valid, fresh


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "http_sink"

    def log_message(self, format, *args):  # noqa: A002 - the base's name
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        if length < 0 or length > BODY_MAX:
            raise ValueError("body too large")
        return self.rfile.read(length) if length else b""

    def do_POST(self):
        self.handle_request()

    def do_GET(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def handle_request(self):
        state = self.server.state
        if self.path == "/_control":
            state.control(json.loads(self.read_body() or b"{}"))
            self.answer(204, b"")
            return
        status, close, delay_ms, retry_after, nbytes, location = \
            state.next_answer()
        entry = {
            "method": self.command,
            "path": self.path,
            "headers": {k: v for k, v in self.headers.items()},
            "received_at": time.time(),
        }
        if close:
            # Hang up in the middle of the request: the head is read, the
            # body is not, and no answer is sent.
            entry.update(body=None, signature_valid=None,
                         timestamp_fresh=None, answer="closed")
            state.write(entry)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = self.read_body()
        valid, fresh = verify(state.secret, self.headers, body)
        entry.update(body=body.decode("utf-8", "replace"),
                     signature_valid=valid, timestamp_fresh=fresh,
                     answer=status)
        state.write(entry)
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        extra = []
        if retry_after is not None:
            extra.append(("Retry-After", str(retry_after)))
        if location:
            extra.append(("Location", location))
        try:
            self.answer(status, b"x" * nbytes if nbytes else b"{}", extra)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def answer(self, status, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


def exit_with_parent():
    """Ends the sink when the test that started it is gone, even if the
    test was killed before it could stop the sink."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--log", required=True)
    p.add_argument("--secret-file")
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--close", action="store_true")
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--retry-after")
    p.add_argument("--response-bytes", type=int, default=0)
    p.add_argument("--location")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port),
                                             Handler)
    server.daemon_threads = True
    server.state = State(args)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    exit_with_parent()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
