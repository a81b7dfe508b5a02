#!/usr/bin/python3
"""openapi_validate.py - the real server's answers match docs/openapi.yaml
(TAP).

Starts `htdispatch serve` on a random loopback port with a temporary
database (under $HTD_WRAPPER, e.g. valgrind, when set), creates one user
per role with `htdispatch user add`, signs them in, and drives every route:
the happy path and every error status the document lists for it. Each
answer is checked against the document: its status must be one the
operation lists, its Content-Type the documented one, and its body must
validate against the schema given for that status (Draft 2020-12, $refs
resolved in the document). Answers to paths or methods that have no
operation (404, 405) are checked against the shared responses. At the end,
every status the document lists for an operation must have been seen at
least once (500 aside: nothing here should make the server fail), so the
document promises nothing the test has not watched happen.

Run by Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema).
"""

import http.client
import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import jsonschema

import openapi_lib

HTD = os.environ.get("HTD")
WRAPPER = os.environ.get("HTD_WRAPPER", "").split()
VALGRIND = bool(WRAPPER)
START_TIMEOUT = 600 if VALGRIND else 60
REQUEST_TIMEOUT = 300 if VALGRIND else 30
PASSWORD = "correct horse battery staple"
ROLES = ["calltaker", "dispatcher", "supervisor", "investigator", "records",
         "auditor", "admin"]

tap = openapi_lib.Tap()
doc = openapi_lib.load_document()
resolver = jsonschema.RefResolver(base_uri="", referrer=doc)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


# ---- the document's operations, matched by path template -----------------

def template_regex(path):
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+",
                                   re.escape(path)) + "$")


OPERATIONS = []  # (method, template, regex, operation)
for m, p, op in openapi_lib.operations(doc):
    OPERATIONS.append((m, p, template_regex(p), op))
# Exact templates first: /api/v1/sessions/current before {username}-like.
OPERATIONS.sort(key=lambda o: o[1].count("{"))


def find_operation(method, path):
    """(template, operation) for method+path; (template, None) when the
    path exists with other methods; (None, None) when no path matches."""
    path = path.split("?", 1)[0]
    template = None
    for m, p, rx, op in OPERATIONS:
        if rx.match(path):
            if m == method:
                return p, op
            template = template or p
    return template, None


seen = {}  # (method, template) -> set of statuses


def validate_body(schema, data):
    v = jsonschema.Draft202012Validator(schema, resolver=resolver)
    errors = sorted(v.iter_errors(data), key=lambda e: list(e.path))
    out = []
    for e in errors[:5]:
        where = "/".join(str(x) for x in e.absolute_path) or "(top)"
        out.append("%s: %s" % (where, e.message[:300]))
        # oneOf/anyOf failures: say which branch came closest.
        for sub in sorted(e.context or [], key=lambda s: -len(s.path))[:3]:
            out.append("   %s: %s" % ("/".join(str(x) for x in
                                                sub.absolute_path),
                                       sub.message[:200]))
    return out


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        ctype = headers.get("content-type", "")
        if ctype.startswith("application/json"):
            try:
                self.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                pass

    def header(self, name):
        return self.headers.get(name.lower())


def check(method, path, r, expect=None, name=None):
    """Checks one answer against the document; records its status."""
    template, op = find_operation(method, path)
    label = "%s %s -> %d%s" % (method, template or path, r.status,
                               " (%s)" % name if name else "")
    problems = []
    if expect is not None and r.status not in (
            expect if isinstance(expect, (tuple, list)) else (expect,)):
        problems.append("status %d, wanted %r" % (r.status, expect))
    if op is None:
        # No operation: 404 for an unknown path, 405 for a known one.
        want = 405 if template else 404
        rsp = doc["components"]["responses"][
            "MethodNotAllowed" if template else "NotFound"]
        if r.status != want:
            problems.append("no operation: wanted %d" % want)
        if want == 405 and not r.header("Allow"):
            problems.append("405 without an Allow header")
    else:
        seen.setdefault((method, template), set()).add(r.status)
        rsp = op.get("responses", {}).get(str(r.status))
        if rsp is None:
            problems.append("status %d is not in the document for %s %s "
                            "(it lists %s)" % (r.status, method, template,
                                               ", ".join(op["responses"])))
        rsp = resolve(rsp) if rsp else None
    # The document promises these on every answer (info.description).
    for h, want in (("Cache-Control", "no-store"),
                    ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "no-referrer")):
        if r.header(h) != want:
            problems.append("%s: %r, documented %r" % (h, r.header(h), want))
    if rsp is not None:
        content = rsp.get("content")
        ctype = (r.header("Content-Type") or "").split(";")[0].strip()
        if not content:
            if r.body:
                problems.append("documented without a body, got %d bytes"
                                % len(r.body))
        elif ctype not in content:
            problems.append("Content-Type %r, documented %s"
                            % (ctype, list(content)))
        elif ctype == "application/json":
            if r.json is None:
                problems.append("the body is not JSON: %r" % r.body[:200])
            else:
                problems += validate_body(content[ctype]["schema"], r.json)
        for h, hdef in (rsp.get("headers") or {}).items():
            if h.lower() == "set-cookie":
                continue  # only on success paths that sign in or out
            if r.header(h) is None and hdef.get("required"):
                problems.append("no %s header" % h)
    body = r.body[:400].decode("utf-8", "replace")
    tap.ok(not problems, label, *(problems + (["body: " + body]
                                               if problems else [])))
    return r


# ---- the server ----------------------------------------------------------

class Server:
    def __init__(self, work):
        self.work = work
        self.db = os.path.join(work, "htd.db")
        self.proc = None
        self.host = "127.0.0.1"
        self.port = None
        self.log = os.path.join(work, "serve.log")

    def cli(self, *args, stdin=None, name=None):
        """Runs htdispatch ARGS (under the wrapper); returns the
        CompletedProcess. Under valgrind a memcheck error fails."""
        p = subprocess.run(WRAPPER + [HTD] + list(args), input=stdin,
                           capture_output=True, text=True,
                           timeout=START_TIMEOUT)
        if VALGRIND:
            tap.ok(p.returncode != 99, "memcheck clean: htdispatch %s"
                   % " ".join(args[:2]), p.stderr[-2000:])
        return p

    def start(self, *extra):
        cmd = WRAPPER + [HTD, "serve", "--listen", "127.0.0.1:0", "--db",
                         self.db] + list(extra)
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.logf, text=True)
        deadline = time.time() + START_TIMEOUT
        out = ""
        while time.time() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                if not line:
                    break
                out += line
                m = re.search(r"https?://([0-9.]+):([0-9]+)", line)
                if m:
                    self.host, self.port = m.group(1), int(m.group(2))
                    return True
            if self.proc.poll() is not None:
                break
        with open(self.log) as f:
            tap.bail("htdispatch serve did not say where it listens:\n"
                     + out + f.read()[-3000:])

    def stop(self):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.logf.close()
        tap.is_(rc, 0, "serve exits 0 on SIGTERM")
        if VALGRIND:
            with open(self.log) as f:
                tap.ok(rc != 99, "memcheck clean: htdispatch serve",
                       f.read()[-3000:])
        self.proc = None


class Client:
    """One keep-alive connection; a fresh one after any error."""

    def __init__(self, server):
        self.server = server
        self.conn = None

    def raw(self, method, path, body=None, headers=None):
        hdrs = dict(headers or {})
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.server.host, self.server.port,
                    timeout=REQUEST_TIMEOUT)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                headers = {k.lower(): v for k, v in resp.getheaders()}
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return Response(resp.status, headers, data)
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method, path, body=None, token=None, cookie=None,
             csrf=None, ctype="application/json", headers=None,
             expect=None, name=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if cookie:
            h["Cookie"] = "htd_session=" + cookie
        if csrf:
            h["X-CSRF-Token"] = csrf
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None and ctype:
            h["Content-Type"] = ctype
        r = self.raw(method, path, body, h)
        return check(method, path, r, expect, name)


# ---- requests that http.client cannot make --------------------------------

def oversized(server, method, path, token=None, length=2 * 1024 * 1024):
    """Sends only the head of a request that declares a body over the
    limit; the server must answer 413 without reading it."""
    import socket
    s = socket.create_connection((server.host, server.port),
                                 timeout=REQUEST_TIMEOUT)
    head = "%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           "Content-Length: %d\r\n" % (method, path, length)
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    s.sendall((head + "\r\n").encode())
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            h, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?i)content-length:\s*(\d+)", h)
                if m and len(rest) >= int(m.group(1)):
                    break
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return check(method, path, Response(status, headers, body), 413,
                 "body over the limit")


def sse_messages(server, path, headers, want, timeout=None):
    """Opens an event stream; returns (Response without body, [messages])
    where each message is a dict of its fields, after `want` messages
    with data (or the timeout)."""
    timeout = timeout or (120 if VALGRIND else 15)
    conn = http.client.HTTPConnection(server.host, server.port,
                                      timeout=timeout)
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    msgs = []
    if resp.status != 200:
        r = Response(resp.status, hdrs, resp.read())
        conn.close()
        return r, msgs
    field = {}
    deadline = time.time() + timeout
    try:
        while len(msgs) < want and time.time() < deadline:
            line = resp.fp.readline()
            if not line:
                break
            line = line.decode("utf-8").rstrip("\n")
            if line == "":
                if "data" in field:
                    msgs.append(field)
                field = {}
            elif not line.startswith(":"):
                k, _, v = line.partition(":")
                field[k] = v[1:] if v.startswith(" ") else v
    except OSError:
        pass
    conn.close()
    return Response(200, hdrs, b""), msgs


# ---- the scenario --------------------------------------------------------

def scenario(c, server, users):
    tok, csrf = {}, {}
    J = "/api/v1"

    # -- health, unknown routes, wrong methods
    c.call("GET", "/healthz", expect=200)
    c.call("GET", "/readyz", expect=200)
    r = c.call("GET", "/metrics", expect=200)
    tap.ok(b"# TYPE" in r.body, "metrics are Prometheus text")
    c.call("GET", J + "/no-such-route", expect=404)
    c.call("GET", "/api/v1/calls/HT-2026-000001/nope", expect=404)
    for m, p in (("DELETE", J + "/calls"), ("PUT", "/healthz"),
                 ("POST", J + "/calls/HT-2026-000001"),
                 ("GET", J + "/assess"), ("PATCH", J + "/users")):
        r = c.call(m, p, expect=405)
        tap.ok(r.header("Allow"), "405 %s %s says Allow: %s"
               % (m, p, r.header("Allow")))

    # -- sign in
    def login(user, expect=201, password=PASSWORD, name=None):
        return c.call("POST", J + "/sessions",
                      {"username": user, "password": password},
                      expect=expect, name=name or user)

    for name in users:
        if name in ("lockme",):
            continue
        r = login(name)
        if r.status == 201:
            tok[name], csrf[name] = r.json["token"], r.json["csrf"]
            cookie = r.header("Set-Cookie") or ""
    tap.ok("HttpOnly" in cookie and "SameSite=Strict" in cookie and
           cookie.startswith("htd_session="),
           "login sets the session cookie HttpOnly, SameSite=Strict",
           cookie)
    if len(tok) < 7:
        tap.bail("could not sign in every role")
    ct, dp, sv, inv, rec, aud, adm = (tok[n] for n in ROLES)

    r = c.call("POST", J + "/sessions", '{"username": "calltaker",',
               expect=400, name="malformed JSON")
    e = (r.json or {}).get("error", {})
    tap.ok(e.get("line") == 1 and e.get("column"),
           "malformed JSON: the error says line and column", e)
    r = c.call("POST", J + "/sessions", b'{"username": "\xff"}',
               expect=400, name="not UTF-8")
    c.call("POST", J + "/sessions", "username=calltaker",
           ctype="application/x-www-form-urlencoded", expect=415)
    oversized(server, "POST", J + "/sessions")
    c.call("POST", J + "/sessions", {"username": "calltaker",
                                      "password": PASSWORD, "otp": "1"},
           expect=422, name="unknown member")
    c.call("POST", J + "/sessions", {"username": "calltaker"}, expect=422,
           name="no password")
    c.call("POST", J + "/sessions", [], expect=422, name="not an object")
    r = login("calltaker", expect=401, password="wrong password here")
    r2 = login("nobody-at-all", expect=401)
    tap.is_(r.json and r.json["error"]["message"],
            r2.json and r2.json["error"]["message"],
            "a wrong name and a wrong password read the same")
    tap.ok("Bearer" in (r.header("WWW-Authenticate") or ""),
           "401 says WWW-Authenticate: Bearer")
    for i in range(4):
        login("lockme", expect=401, password="wrong password %d" % i)
    login("lockme", expect=(401, 423), password="wrong password 5")
    login("lockme", expect=423, name="locked out: the right password")

    # -- the session
    r = c.call("GET", J + "/sessions/current", token=ct, expect=200)
    tap.is_(r.json and r.json.get("auth"), "bearer", "whoami: bearer")
    r = c.call("GET", J + "/sessions/current", cookie=ct, expect=200)
    tap.is_(r.json and r.json.get("auth"), "cookie", "whoami: cookie")
    c.call("GET", J + "/sessions/current", expect=401, name="no token")
    c.call("GET", J + "/sessions/current", token="x" * 43, expect=401,
           name="unknown token")
    c.call("GET", J + "/sessions/current",
           headers={"Authorization": "Basic Y3Q6Y3Q="}, expect=401,
           name="not a Bearer token")
    extra = login("records").json
    c.call("DELETE", J + "/sessions/current", cookie=extra["token"],
           expect=403, name="cookie without CSRF")
    r = c.call("DELETE", J + "/sessions/current", cookie=extra["token"],
               csrf=extra["csrf"], expect=204, name="cookie with CSRF")
    tap.ok("Max-Age=0" in (r.header("Set-Cookie") or ""),
           "logout clears the cookie")
    c.call("GET", J + "/sessions/current", token=extra["token"],
           expect=401, name="after logout")
    extra = login("records").json
    c.call("DELETE", J + "/sessions/current", token=extra["token"],
           expect=204, name="bearer")
    c.call("DELETE", J + "/sessions/current", expect=401)

    # -- calls: open
    def open_call(token, body=None, expect=201, **kw):
        return c.call("POST", J + "/calls", body, token=token,
                      expect=expect, **kw)

    r = open_call(ct, {"channel": "voice", "language": "es",
                       "location": "Farm road 12, past the packing shed",
                       "callback": "555-0100", "caller_name": ""})
    A = r.json["id"] if r.json else "HT-2026-000001"
    tap.is_(r.header("Location"), J + "/calls/" + A, "201 gives Location")
    B = (open_call(dp).json or {}).get("id", A)          # no body at all
    C = (open_call(sv, {}).json or {}).get("id", A)
    open_call(None, cookie=ct, csrf=csrf["calltaker"], body={},
              name="cookie with CSRF")
    open_call(None, cookie=ct, body={}, expect=403,
              name="cookie without CSRF")
    open_call(None, {}, expect=401)
    open_call(inv, {}, expect=403, name="investigator")
    open_call(adm, {}, expect=403, name="admin")
    open_call(ct, {"channel": "pigeon"}, expect=422, name="bad channel")
    open_call(ct, {"channel": 5}, expect=422, name="wrong type")
    open_call(ct, {"language": "not a tag"}, expect=422,
              name="bad language")
    open_call(ct, {"victim": "x"}, expect=422, name="unknown member")
    open_call(ct, '{"channel": "voice"', expect=400, name="malformed")
    open_call(ct, "channel=voice", expect=415, ctype="text/plain")
    oversized(server, "POST", J + "/calls", ct)

    # -- answers
    def answer(call, qid, value, token=ct, expect=200, **kw):
        return c.call("PUT", "%s/calls/%s/answers/%s" % (J, call, qid),
                      {"value": value}, token=token, expect=expect, **kw)

    answer(A, "free_to_leave", "no")
    answer(A, "has_own_documents", "no")
    answer(A, "others_with_you", "yes")
    answer(A, "people_count", 6, name="a JSON integer")
    answer(A, "caller_is_victim", "yes", token=sv)
    answer(A, "no_such_question", "yes", expect=422, name="unknown question")
    answer(A, "free_to_leave", "maybe", expect=422, name="not yes/no")
    answer(A, "people_count", 99999999, expect=422, name="out of range")
    c.call("PUT", "%s/calls/%s/answers/free_to_leave" % (J, A),
           {"value": True}, token=ct, expect=422, name="wrong type")
    c.call("PUT", "%s/calls/%s/answers/free_to_leave" % (J, A),
           {"value": "no", "by": "me"}, token=ct, expect=422,
           name="unknown member")
    answer("HT-2026-999999", "free_to_leave", "no", expect=404)
    answer("not-a-call", "free_to_leave", "no", expect=422, name="bad id")
    answer(A, "free_to_leave", "no", token=inv, expect=403)
    answer(A, "free_to_leave", "no", token=None, expect=401)
    c.call("PUT", "%s/calls/%s/answers/free_to_leave" % (J, A), '{"value":',
           token=ct, expect=400)
    c.call("PUT", "%s/calls/%s/answers/free_to_leave" % (J, A), "no",
           token=ct, ctype="text/plain", expect=415)
    oversized(server, "PUT", "%s/calls/%s/answers/free_to_leave" % (J, A),
              ct)

    # -- notes
    def note(call, body, token=ct, expect=200, **kw):
        return c.call("POST", "%s/calls/%s/notes" % (J, call), body,
                      token=token, expect=expect, **kw)

    note(A, {"text": "RP says the boss keeps her passport and she cannot "
                     "leave the farm. Owes $4,000 for the trip."})
    note(A, {"text": "El patrón le quitó el pasaporte y no la deja salir."},
         token=inv, name="investigator")
    note(A, {"text": ""}, expect=422, name="empty")
    note(A, {}, expect=422, name="no text")
    note(A, {"text": "x" * 20000}, expect=422, name="too long")
    note(A, {"text": "x"}, token=rec, expect=403)
    note(A, {"text": "x"}, token=None, expect=401)
    note("HT-2026-999999", {"text": "x"}, expect=404)
    note(A, '{"text": ', expect=400)
    note(A, "text", ctype="text/plain", expect=415)
    oversized(server, "POST", "%s/calls/%s/notes" % (J, A), ct)

    # -- override and marks
    def override(call, body, token=dp, expect=200, **kw):
        return c.call("POST", "%s/calls/%s/override" % (J, call), body,
                      token=token, expect=expect, **kw)

    override(A, {"category": "credible_tip", "reason": "caller is a "
                 "neighbour; no victim on the line"})
    override(A, {"category": "none", "reason": "back to the protocol"},
             token=sv, name="withdraw")
    override(A, {"category": "credible_tip"}, expect=422, name="no reason")
    override(A, {"category": "urgent", "reason": "x"}, expect=422,
             name="bad category")
    override(A, {"category": "other", "reason": "x"}, token=ct, expect=403)
    override(A, {"category": "other", "reason": "x"}, token=None,
             expect=401)
    override("HT-2026-999999", {"category": "other", "reason": "x"},
             expect=404)
    override(A, "{", expect=400)
    override(A, "x", ctype="text/plain", expect=415)
    oversized(server, "POST", "%s/calls/%s/override" % (J, A), dp)

    def mark(call, action, body, token=dp, expect=200, **kw):
        return c.call("POST", "%s/calls/%s/actions/%s" % (J, call, action),
                      body, token=token, expect=expect, **kw)

    mark(A, "radio_alert", {"state": "not_applicable",
                            "reason": "no vehicle or plate"})
    mark(A, "search_records", {"state": "done"}, token=sv)
    mark(A, "search_records", {"state": "required"}, name="withdraw")
    mark(A, "radio_alert", {"state": "not_applicable"}, expect=422,
         name="no reason")
    mark(A, "launch_rocket", {"state": "done"}, expect=422,
         name="not an action")
    mark(A, "radio_alert", {"state": "maybe"}, expect=422, name="bad state")
    mark(A, "radio_alert", {"state": "done"}, token=ct, expect=403)
    mark(A, "radio_alert", {"state": "done"}, token=None, expect=401)
    mark("HT-2026-999999", "radio_alert", {"state": "done"}, expect=404)
    mark(A, "radio_alert", "[", expect=400)
    mark(A, "radio_alert", "done", ctype="text/plain", expect=415)
    oversized(server, "POST", "%s/calls/%s/actions/radio_alert" % (J, A), dp)

    # -- reads
    for token, who in ((ct, "calltaker"), (inv, "investigator"),
                       (rec, "records"), (aud, "auditor")):
        r = c.call("GET", "%s/calls/%s" % (J, A), token=token, expect=200,
                   name=who)
    if r.json:
        tap.is_(r.json.get("answers", {}).get("free_to_leave"), "no",
                "the call holds the answer recorded")
        tap.ok(r.json.get("indicators"), "the notes' indicators are on "
               "the call")
    r = c.call("GET", "%s/calls/%s" % (J, A.lower()), token=ct, expect=200,
               name="id as typed")
    c.call("GET", "%s/calls/HT-2026-999999" % J, token=ct, expect=404)
    c.call("GET", "%s/calls/nonsense" % J, token=ct, expect=422)
    c.call("GET", "%s/calls/%s" % (J, A), token=adm, expect=403)
    c.call("GET", "%s/calls/%s" % (J, A), expect=401)
    for sub in ("events", "decision"):
        r = c.call("GET", "%s/calls/%s/%s" % (J, A, sub), token=aud,
                   expect=200)
        c.call("GET", "%s/calls/HT-2026-999999/%s" % (J, sub), token=ct,
               expect=404)
        c.call("GET", "%s/calls/nonsense/%s" % (J, sub), token=ct,
               expect=422)
        c.call("GET", "%s/calls/%s/%s" % (J, A, sub), token=adm, expect=403)
        c.call("GET", "%s/calls/%s/%s" % (J, A, sub), expect=401)
    if r.json:
        tap.ok(r.json.get("indicators") and any(
            "text" in i for i in r.json["indicators"]),
            "the decision's indicators carry their words")

    # -- list
    r = c.call("GET", J + "/calls", token=rec, expect=200)
    tap.ok(r.json and len(r.json["calls"]) >= 3, "the list has the calls")
    r = c.call("GET", J + "/calls?status=open&limit=1", token=ct,
               expect=200, name="a page of one")
    nxt = r.json and r.json["next"]
    tap.ok(nxt, "a page of one has a next")
    if nxt:
        c.call("GET", J + "/calls?limit=1&after=" + nxt, token=ct,
               expect=200, name="the next page")
    c.call("GET", J + "/calls?category=undetermined&since=2020-01-01&"
           "until=2100-01-01T00:00Z", token=ct, expect=200, name="filters")
    c.call("GET", J + "/calls?limit=0", token=ct, expect=422)
    c.call("GET", J + "/calls?status=lost", token=ct, expect=422)
    c.call("GET", J + "/calls?since=yesterday", token=ct, expect=422)
    c.call("GET", J + "/calls?colour=red", token=ct, expect=422,
           name="unknown parameter")
    c.call("GET", J + "/calls", token=adm, expect=403)
    c.call("GET", J + "/calls", expect=401)

    # -- close
    def close(call, body, token=ct, expect=200, **kw):
        return c.call("POST", "%s/calls/%s/close" % (J, call), body,
                      token=token, expect=expect, **kw)

    close(B, {"disposition": "information_only",
              "summary": "caller asked about visa rights; hotline number "
                         "given"})
    close(B, {"disposition": "information_only"}, expect=409,
          name="already closed")
    note(B, {"text": "RP called back: the address was wrong"},
         name="a supplement to a closed call")
    answer(B, "free_to_leave", "no", expect=409, name="closed call")
    override(B, {"category": "other", "reason": "x"}, expect=409,
             name="closed call")
    mark(B, "refer_nhth", {"state": "done"}, expect=409, name="closed call")
    close(C, {"disposition": "teleported"}, expect=422,
          name="bad disposition")
    close(C, {}, expect=422, name="no disposition")
    close(C, {"disposition": "unfounded"}, token=inv, expect=403)
    close(C, {"disposition": "unfounded"}, token=None, expect=401)
    close("HT-2026-999999", {"disposition": "unfounded"}, expect=404)
    close(C, "{", expect=400)
    close(C, "unfounded", ctype="text/plain", expect=415)
    oversized(server, "POST", "%s/calls/%s/close" % (J, C), ct)
    close(C, {"disposition": "unfounded"}, token=sv, name="supervisor")

    # -- assess
    def assess(body, token=ct, expect=200, **kw):
        return c.call("POST", J + "/assess", body, token=token,
                      expect=expect, **kw)

    r = assess({"channel": "text", "language": "es",
                "notes": ["El patrón le quitó el pasaporte.",
                          "No la deja salir."],
                "answers": {"caller_is_victim": "yes", "people_count": 3,
                            "favourite_colour": "red"},
                "override": None,
                "actions": [{"action": "radio_alert",
                             "state": "not_applicable",
                             "reason": "no vehicle"}],
                "id": "training-7"})
    if r.json:
        tap.ok(r.json.get("warnings"), "an unknown question is a warning")
        tap.is_(r.json.get("id"), "training-7", "assess echoes the id")
    assess({"notes": "boss has her passport"}, token=aud, name="auditor")
    assess({}, name="nothing known")
    assess({"answers": {"free_to_leave": ["no"]}}, expect=422,
           name="answer of the wrong type")
    assess({"caller": "x"}, expect=422, name="unknown member")
    assess({"notes": 5}, expect=422, name="notes of the wrong type")
    assess({}, token=adm, expect=403)
    assess({}, token=None, expect=401)
    assess('{"notes": "x"', expect=400)
    assess("notes", ctype="text/plain", expect=415)
    oversized(server, "POST", J + "/assess", ct)

    # -- configuration
    for what in ("protocol", "policy", "lexicon"):
        for name in users:
            if name in tok:
                c.call("GET", "%s/%s" % (J, what), token=tok[name],
                       expect=200, name=name)
        c.call("GET", "%s/%s" % (J, what), expect=401)

    # -- users
    def add_user(body, token=adm, expect=201, **kw):
        return c.call("POST", J + "/users", body, token=token,
                      expect=expect, **kw)

    r = c.call("GET", J + "/users", token=adm, expect=200)
    tap.ok(r.json and {u["name"] for u in r.json["users"]} >= set(ROLES),
           "the users are listed")
    c.call("GET", J + "/users", token=ct, expect=403)
    c.call("GET", J + "/users", expect=401)
    new = {"name": "newbie", "display": "Nora Newbie", "role": "records",
           "password": "a long enough passphrase"}
    r = add_user(new)
    tap.is_(r.header("Location"), J + "/users/newbie", "201 gives Location")
    add_user(new, expect=409, name="name taken")
    add_user(dict(new, name="shorty", password="short"), expect=422,
             name="short password")
    add_user(dict(new, name="roleless", role="chief"), expect=422,
             name="bad role")
    add_user(dict(new, name="Bad Name!"), expect=422, name="bad name")
    add_user(dict(new, name="extra", shoe_size=9), expect=422,
             name="unknown member")
    add_user(new, token=ct, expect=403)
    add_user(new, token=None, cookie=adm, expect=403,
             name="cookie without CSRF")
    add_user(new, token=None, expect=401)
    add_user('{"name": ', expect=400)
    add_user("name=x", ctype="application/x-www-form-urlencoded",
             expect=415)
    oversized(server, "POST", J + "/users", adm)

    def patch(user, body, token=adm, expect=200, **kw):
        return c.call("PATCH", "%s/users/%s" % (J, user), body, token=token,
                      expect=expect, **kw)

    patch("newbie", {"display": "N. Newbie", "role": "auditor"})
    nb = login("newbie", password=new["password"]).json
    patch("newbie", {"disabled": True}, name="lock")
    c.call("GET", J + "/sessions/current", token=nb["token"], expect=401,
           name="a locked user's session")
    login("newbie", expect=423, password=new["password"],
          name="locked by an admin")
    patch("newbie", {"disabled": False}, name="unlock")
    patch("newbie", {"password": "another long passphrase"},
          name="new password")
    login("newbie", password="another long passphrase", name="new password")
    patch("lockme", {"disabled": False}, name="clears a lock-out")
    login("lockme", name="after unlock")
    patch("nobody-at-all", {"display": "x"}, expect=404)
    patch("newbie", {"role": "chief"}, expect=422, name="bad role")
    patch("newbie", {"disabled": "yes"}, expect=422, name="wrong type")
    patch("newbie", {"password": "short"}, expect=422, name="short password")
    patch("newbie", {"name": "other"}, expect=422, name="unknown member")
    patch("newbie", {"display": "x"}, token=sv, expect=403)
    patch("newbie", {"display": "x"}, token=None, expect=401)
    patch("newbie", "{", expect=400)
    patch("newbie", "display=x", ctype="text/plain", expect=415)
    oversized(server, "PATCH", J + "/users/newbie", adm)

    # -- units: the board, status, position, recommendation, dispatch
    U = J + "/units"

    def add_unit(body, token=dp, expect=201, **kw):
        return c.call("POST", U, body, token=token, expect=expect, **kw)

    def patch_unit(cs, body, token=dp, expect=200, **kw):
        return c.call("PATCH", "%s/%s" % (U, cs), body, token=token,
                      expect=expect, **kw)

    def position(cs, body, token=dp, expect=200, **kw):
        return c.call("PUT", "%s/%s/position" % (U, cs), body, token=token,
                      expect=expect, **kw)

    r = add_unit({"call_sign": "2a31", "agency": "Austin PD",
                  "languages": ["es"], "ht_trained": True})
    tap.is_(r.header("Location"), U + "/2A31", "201 gives Location")
    add_unit({"call_sign": "2A32"}, token=sv, name="supervisor")
    add_unit({"call_sign": "2A33"}, name="a third")
    add_unit({"call_sign": "2A31"}, expect=409, name="call sign taken")
    add_unit({"call_sign": "no way!"}, expect=422, name="bad call sign")
    add_unit({"call_sign": "2A39", "languages": ["spanish"]}, expect=422,
             name="bad language")
    add_unit({"call_sign": "2A39", "radio": 1}, expect=422,
             name="unknown member")
    add_unit({"call_sign": "2A39"}, token=ct, expect=403)
    add_unit({"call_sign": "2A39"}, token=adm, expect=403, name="admin")
    add_unit({"call_sign": "2A39"}, token=None, expect=401)
    add_unit('{"call_sign": ', expect=400)
    add_unit("call_sign=2A39", ctype="text/plain", expect=415)
    oversized(server, "POST", U, dp)
    r = c.call("GET", U, token=ct, expect=200)
    tap.is_([u["call_sign"] for u in (r.json or {}).get("units", [])],
            ["2A31", "2A32", "2A33"], "units listed by call sign")
    c.call("GET", U, token=rec, expect=403)
    c.call("GET", U, expect=401)
    c.call("GET", U + "/2a31", token=inv, expect=200)
    c.call("GET", U + "/2A99", token=ct, expect=404)
    c.call("GET", U + "/bad!sign", token=ct, expect=422)
    c.call("GET", U + "/2A31", token=adm, expect=403)
    c.call("GET", U + "/2A31", expect=401)
    position("2A31", {"lat": 30.2672, "lon": -97.7431})
    position("2A32", {"lat": 30.2500, "lon": -97.7500,
                      "at": "2026-01-01T00:00:00Z"}, name="with a time")
    position("2A33", {"lat": 30.2680, "lon": -97.7440})
    position("2A31", {"lat": 91, "lon": 0}, expect=422,
             name="latitude out of range")
    position("2A31", {"lat": "north", "lon": 0}, expect=422,
             name="not a number")
    position("2A99", {"lat": 30, "lon": -97}, expect=404)
    position("2A31", {"lat": 30, "lon": -97}, token=ct, expect=403)
    position("2A31", {"lat": 30, "lon": -97}, token=None, expect=401)
    position("2A31", "{", expect=400)
    position("2A31", "30,-97", ctype="text/plain", expect=415)
    oversized(server, "PUT", U + "/2A31/position", dp)
    r = patch_unit("2A33", {"status": "out_of_service",
                            "languages": ["vi"]})
    tap.is_(r.json and r.json["status"], "out_of_service",
            "PATCH sets the status")
    patch_unit("2A33", {"status": "on_scene"}, expect=409,
               name="a transition it cannot make")
    patch_unit("2A33", {"status": "dispatched"}, expect=422,
               name="dispatched only by a dispatch")
    patch_unit("2A33", {"status": "asleep"}, expect=422, name="bad status")
    patch_unit("2A99", {"status": "available"}, expect=404)
    patch_unit("2A33", {"status": "available"}, token=inv, expect=403)
    patch_unit("2A33", {"status": "available"}, token=None, expect=401)
    patch_unit("2A33", "{", expect=400)
    patch_unit("2A33", "x", ctype="text/plain", expect=415)
    oversized(server, "PATCH", U + "/2A33", dp)

    def recommend(call, query, token=ct, expect=200, **kw):
        return c.call("GET", "%s/calls/%s/recommendation?%s" % (J, call,
                      query), token=token, expect=expect, **kw)

    r = recommend(A, "lat=30.2672&lon=-97.7431")
    got = [u["unit"]["call_sign"] for u in (r.json or {}).get("units", [])]
    tap.is_(got, ["2A31", "2A32"], "the nearest available unit first; "
            "out of service not ranked")
    recommend(A, "lat=95&lon=0", expect=422, name="bad latitude")
    recommend(A, "lon=0", expect=422, name="no latitude")
    recommend(A, "lat=1&lon=1&near=1", expect=422, name="unknown parameter")
    recommend("HT-2026-999999", "lat=1&lon=1", expect=404)
    recommend(A, "lat=1&lon=1", token=rec, expect=403)
    recommend(A, "lat=1&lon=1", token=None, expect=401)

    def dispatch(call, body, token=dp, expect=200, **kw):
        return c.call("POST", "%s/calls/%s/dispatch" % (J, call), body,
                      token=token, expect=expect, **kw)

    r = dispatch(A, {"units": ["2A31"]})
    tap.ok(r.json and r.json["units"][0]["status"] == "dispatched" and
           r.json["units"][0]["call"] == A and
           r.json["since_open_ms"] >= 0,
           "dispatch: the unit is dispatched to the call")
    dispatch(A, {"units": ["2A31"]}, expect=409,
             name="unit not available")
    dispatch(B, {"units": ["2A32"]}, expect=409, name="closed call")
    dispatch(A, {"units": ["2A99"]}, expect=404, name="unknown unit")
    dispatch("HT-2026-999999", {"units": ["2A32"]}, expect=404)
    dispatch(A, {"units": []}, expect=422, name="no units")
    dispatch(A, {"units": ["2A32", "2a32"]}, expect=422, name="twice")
    dispatch(A, {"units": ["2A32"]}, token=ct, expect=403)
    dispatch(A, {"units": ["2A32"]}, token=None, expect=401)
    dispatch(A, "{", expect=400)
    dispatch(A, "2A32", ctype="text/plain", expect=415)
    oversized(server, "POST", "%s/calls/%s/dispatch" % (J, A), dp)
    r = c.call("GET", U + "/2A32", token=ct, expect=200,
               name="after refused dispatches")
    tap.is_(r.json and r.json["status"], "available",
            "a refused dispatch changed no unit")

    # -- the notification board and a call-taker task (a credible tip's
    # warm transfer, NENA-STA-020.1)
    r = c.call("POST", J + "/calls", {"location": "4400 Elm St"}, token=ct,
               expect=201, name="a tip")
    T = r.json["id"] if r.json else "HT-2026-999998"
    for q, v in (("caller_is_victim", "no"), ("first_hand", "yes"),
                 ("specific_location", "yes"), ("in_danger_now", "no"),
                 ("free_to_leave", "no")):
        c.call("PUT", "%s/calls/%s/answers/%s" % (J, T, q), {"value": v},
               token=ct, expect=200, name="tip answer " + q)
    r = c.call("GET", "%s/outbox?state=task_open&call=%s" % (J, T),
               token=sv, expect=200, name="open tasks")
    tasks = [n["key"] for n in (r.json or {}).get("notifications", [])
             if n["kind"] == "tip_handoff"]
    tap.ok(len(tasks) == 1, "the tip's hand-off is a call-taker task")
    K = tasks[0] if tasks else "none"
    TC = "%s/calls/%s/tasks/%s/confirm" % (J, T, K)
    c.call("GET", J + "/outbox", token=adm, expect=200, name="admin")
    c.call("GET", J + "/outbox?state=lost", token=sv, expect=422)
    c.call("GET", J + "/outbox?color=red", token=sv, expect=422,
           name="unknown parameter")
    c.call("GET", J + "/outbox", token=ct, expect=403)
    c.call("GET", J + "/outbox", expect=401)
    c.call("POST", TC, {"note": 5}, token=ct, expect=422)
    c.call("POST", TC, {}, token=inv, expect=403)
    c.call("POST", TC, {}, token=None, expect=401)
    c.call("POST", TC, "{", token=ct, expect=400)
    c.call("POST", TC, "x", ctype="text/plain", token=ct, expect=415)
    oversized(server, "POST", TC, ct)
    c.call("POST", "%s/calls/%s/tasks/%s-nothing/confirm" % (J, T, T), {},
           token=ct, expect=404)
    c.call("POST", TC, {"note": "Crime Stoppers took it"}, token=ct,
           expect=200)
    c.call("POST", TC, {}, token=ct, expect=409, name="confirmed already")

    # -- the audit log
    r = c.call("GET", J + "/audit", token=aud, expect=200)
    tap.ok(r.json and r.json["entries"], "the audit log has entries")
    r = c.call("GET", "%s/audit?actor=user:auditor&object=call:%s" % (J, A),
               token=adm, expect=200, name="filters")
    tap.ok(r.json and any(e["action"] == "call.read" and
                          e["object"] == "call:" + A
                          for e in r.json["entries"]),
           "the auditor's read of the call is in the log")
    r = c.call("GET", J + "/audit?limit=2", token=aud, expect=200,
               name="a page of two")
    if r.json and r.json["next"] is not None:
        c.call("GET", "%s/audit?limit=2&after=%d" % (J, r.json["next"]),
               token=aud, expect=200, name="the next page")
    else:
        tap.ok(False, "a full page of the audit log has a next")
    c.call("GET", J + "/audit?since=2020-01-01&until=2100-01-01",
           token=aud, expect=200, name="time filters")
    c.call("GET", J + "/audit?limit=0", token=aud, expect=422)
    c.call("GET", J + "/audit?since=soon", token=aud, expect=422)
    c.call("GET", J + "/audit?who=me", token=aud, expect=422,
           name="unknown parameter")
    c.call("GET", J + "/audit", token=ct, expect=403)
    c.call("GET", J + "/audit", expect=401)

    # -- live events: every event from the start, then a resume
    r, msgs = sse_messages(server, J + "/events",
                           {"Authorization": "Bearer " + ct,
                            "Last-Event-ID": "0"}, 5)
    check("GET", J + "/events", r, 200, "from the start")
    schema = resolve(doc["paths"][J + "/events"]["get"]["responses"]["200"])
    schema = schema["content"]["text/event-stream"]["x-data-schema"]
    bad = []
    ids = []
    for m in msgs:
        try:
            data = json.loads(m["data"])
        except ValueError:
            bad.append("not JSON: %r" % m["data"])
            continue
        bad += validate_body(schema, data)
        if data.get("type") != m.get("event"):
            bad.append("event: %r but data type %r" % (m.get("event"),
                                                        data.get("type")))
        ids.append(int(m.get("id", "0")))
    tap.ok(len(msgs) == 5 and not bad, "5 live events, each data a "
           "LiveEvent, event: its type", "got %d" % len(msgs), *bad)
    tap.ok(ids == sorted(ids) and len(set(ids)) == len(ids),
           "event ids increase", ids)
    if len(ids) >= 3:
        r, again = sse_messages(server, J + "/events?after=%d" % ids[1],
                                {"Authorization": "Bearer " + aud}, 2)
        check("GET", J + "/events", r, 200, "resume with ?after")
        tap.is_([int(m.get("id", 0)) for m in again], ids[2:4],
                "a resumed stream goes on after the id given")
    r, _ = sse_messages(server, J + "/events",
                        {"Authorization": "Bearer " + ct,
                         "Last-Event-ID": "yesterday"}, 1)
    check("GET", J + "/events", r, 422, "bad Last-Event-ID")
    r, _ = sse_messages(server, J + "/events?from=0",
                        {"Authorization": "Bearer " + ct}, 1)
    check("GET", J + "/events", r, 422, "unknown parameter")
    r, _ = sse_messages(server, J + "/events",
                        {"Authorization": "Bearer " + adm}, 1)
    check("GET", J + "/events", r, 403, "admin")
    r, _ = sse_messages(server, J + "/events", {}, 1)
    check("GET", J + "/events", r, 401)

    # -- records: search, a call's related records, its link graph
    people = os.path.join(server.work, "people.csv")
    with open(people, "w") as f:
        f.write("source_id,given_name,family_name,birth_date,phone,sealed\n"
                "P-1,Lupe,Hernandes,1985-03-07,(512) 555-0142,\n"
                "P-2,Lupita,Hernandez,1985-03-07,(512) 555-0142,true\n")
    p = server.cli("import", "--kind", "persons", people, "--db", server.db)
    tap.is_(p.returncode, 0, "import two people")
    S = J + "/search"
    q = {"query": "Guadalupe Hernandez 1985-03-07", "purpose": "HT-1 check"}
    r = c.call("POST", S, q, token=ct, expect=200)
    tap.ok(r.json and r.json["hits"] and
           all(not h["sealed"] for h in r.json["hits"]),
           "a call-taker's search shows no sealed record")
    r = c.call("POST", S, q, token=inv, expect=200, name="investigator")
    tap.ok(r.json and any(h["sealed"] for h in r.json["hits"]),
           "an investigator's shows the sealed one")
    c.call("POST", S, {"query": "Lupe"}, token=ct, expect=422,
           name="no purpose")
    c.call("POST", S, '{"query": ', token=ct, expect=400,
           name="malformed JSON")
    c.call("POST", S, "query=Lupe", token=ct, ctype="text/plain",
           expect=415)
    oversized(server, "POST", S, ct)
    c.call("POST", S, q, token=adm, expect=403)
    c.call("POST", S, q, expect=401)

    r = open_call(ct, {"callback": "512-555-0142"}, name="for related")
    R = r.json["id"] if r.json else "HT-2026-999999"
    related = []
    for _ in range(600 if VALGRIND else 100):
        r = c.call("GET", "%s/calls/%s/related" % (J, R), token=ct,
                   expect=200, name="related, waiting")
        related = (r.json or {}).get("related", [])
        if related:
            break
        time.sleep(0.1)
    tap.ok(related and all(not x["sealed"] for x in related),
           "the worker attached the record with the same phone")
    rid = related[0]["record"] if related else 1
    c.call("GET", "%s/calls/HT-2026-999999/related" % J, token=ct,
           expect=404)
    c.call("GET", "%s/calls/nope/related" % J, token=ct, expect=422)
    c.call("GET", "%s/calls/%s/related" % (J, R), token=adm, expect=403)
    c.call("GET", "%s/calls/%s/related" % (J, R), expect=401)
    L = "%s/calls/%s/related/%d" % (J, R, rid)
    c.call("POST", L, {"confirmed": True, "reason": "same phone"},
           token=inv, expect=200)
    c.call("POST", "%s/calls/%s/related/999999" % (J, R),
           {"confirmed": False}, token=inv, expect=404)
    c.call("POST", L, {"confirmed": "yes"}, token=inv, expect=422)
    c.call("POST", L, '{"confirmed": ', token=inv, expect=400)
    c.call("POST", L, "confirmed=true", token=inv, ctype="text/plain",
           expect=415)
    oversized(server, "POST", L, inv)
    c.call("POST", L, {"confirmed": True}, token=ct, expect=403)
    c.call("POST", L, {"confirmed": True}, expect=401)
    G = "%s/calls/%s/graph" % (J, R)
    r = c.call("GET", G + "?depth=2", token=ct, expect=200)
    tap.ok(r.json and any(e["via"] == "confirmed" for e in r.json["edges"]),
           "the graph shows the confirmed link")
    c.call("GET", G + "?depth=7", token=ct, expect=422)
    c.call("GET", "%s/calls/HT-2026-999999/graph" % J, token=ct, expect=404)
    c.call("GET", G, token=adm, expect=403)
    c.call("GET", G, expect=401)
    RR = "%s/records/%d" % (J, rid)
    r = c.call("GET", RR, token=ct, expect=200)
    tap.ok(r.json and any(x["call"] == R for x in r.json["calls"]),
           "a record shows the call it was confirmed on")
    c.call("GET", RR + "?depth=2", token=ct, expect=422)
    c.call("GET", "%s/records/999999" % J, token=ct, expect=404)
    c.call("GET", "%s/records/nope" % J, token=ct, expect=404,
           name="not an id")
    c.call("GET", RR, token=adm, expect=403)
    c.call("GET", RR, expect=401)

    # -- the database held by another writer: 503, nothing changed
    db = sqlite3.connect(server.db, timeout=30, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    try:
        r = open_call(ct, {}, expect=503, name="database locked")
        tap.ok(r.header("Retry-After"), "503 says Retry-After")
        answer(A, "free_to_leave", "yes", expect=503, name="database locked")
    finally:
        db.execute("ROLLBACK")
        db.close()
    r = c.call("GET", "%s/calls/%s" % (J, A), token=ct, expect=200,
               name="after the lock")
    tap.is_(r.json and r.json["answers"].get("free_to_leave"), "no",
            "the answer refused with 503 was not recorded")


# ---- the run -------------------------------------------------------------

def main():
    if not HTD:
        tap.bail("$HTD is not set (meson sets it)")
    work = tempfile.mkdtemp(prefix="htd-oapi-")
    server = Server(work)
    try:
        run(server)
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", work])
    return tap.done()


def run(server):
    root = openapi_lib.source_root()
    os.environ.setdefault("HTDISPATCH_LOG", "warn")
    os.environ["HTDISPATCH_PROTOCOL"] = os.path.join(
        root, "data", "protocol", "nena-ht.yaml")
    os.environ["HTDISPATCH_POLICY"] = os.path.join(root, "etc", "policy.yaml")
    os.environ["HTDISPATCH_LEXICON"] = os.path.join(root, "data", "lexicon")
    os.environ["HTDISPATCH_CACHE"] = os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "htd-test-cache-%d" % os.getuid())
    os.environ.pop("HTDISPATCH_DB", None)

    p = server.cli("init", "--db", server.db)
    tap.is_(p.returncode, 0, "htdispatch init")
    users = {r: r for r in ROLES}
    users["lockme"] = "calltaker"
    for name, role in users.items():
        p = server.cli("user", "add", name, "--role", role, "--db",
                       server.db, stdin=PASSWORD + "\n")
        tap.is_(p.returncode, 0, "user add %s --role %s" % (name, role))
    # A short busy timeout: the 503 case waits for it.
    server.start("--busy-timeout", "5000" if VALGRIND else "1000")
    scenario(Client(server), server, users)
    coverage()


def coverage():
    """Every status documented for an operation was seen (500 and 503
    aside: the first is a server fault, the second is seen above where
    it can be caused)."""
    for m, p, rx, op in sorted(OPERATIONS, key=lambda o: (o[1], o[0])):
        want = set(int(s) for s in op["responses"]) - {500, 503}
        got = seen.get((m, p), set())
        missing = sorted(want - got)
        tap.ok(not missing, "%s %s: every documented status seen" % (m, p),
               "never seen: %s" % missing, "seen: %s" % sorted(got))


if __name__ == "__main__":
    sys.exit(main())
