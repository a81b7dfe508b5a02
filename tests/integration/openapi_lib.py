"""openapi_lib.py - what the API document tests share: a TAP writer, the
document (docs/openapi.yaml) and the route table of src/core/access.h, read
from the header's text (the router routes by that very table, so the header
is the router's truth).

Run by Debian's /usr/bin/python3 with python3-yaml and python3-jsonschema
(scripts/deps.sh), never a pyenv or venv Python: CI has only Debian's.
"""

import os
import re
import sys

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options",
                "trace")
WRITE_METHODS = ("post", "put", "patch", "delete")


class Tap:
    """A TAP producer: ok(), is_(), then done() prints the plan and
    returns the exit status."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, *diag):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for d in diag:
                for line in str(d).splitlines() or [""]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def is_(self, got, want, name):
        return self.ok(got == want, name, "got:  %r" % (got,),
                       "want: %r" % (want,))

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line)

    def bail(self, why):
        print("Bail out! " + why)
        sys.exit(1)

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def source_root():
    root = os.environ.get("HTD_SOURCE_ROOT")
    if not root:
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..")
    return os.path.abspath(root)


def load_document(root=None):
    path = os.path.join(root or source_root(), "docs", "openapi.yaml")
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def operations(doc):
    """Yields (method, path, operation) for every operation of the
    document; method in upper case."""
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def _macros(text):
    """#define NAME BODY, continuation lines joined: {NAME: BODY}."""
    text = _strip_comments(text).replace("\\\n", " ")
    out = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?"
                         r"[ \t]*(.*)$", text, flags=re.M):
        out[m.group(1)] = (m.group(2), m.group(3).strip())
    return out


def _x_calls(body):
    """The argument lists of every X(...) in a macro body, split at
    top-level commas."""
    calls = []
    i = 0
    while True:
        m = re.compile(r"\bX\(").search(body, i)
        if not m:
            return calls
        depth, j, args, start = 1, m.end(), [], m.end()
        while depth:
            c = body[j]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == "," and depth == 1:
                args.append(body[start:j].strip())
                start = j + 1
            elif c == '"':
                j = body.index('"', j + 1)
            j += 1
        args.append(body[start:j - 1].strip())
        calls.append(args)
        i = j


def access_table(root=None):
    """Reads src/core/access.h and access.c. Returns (roles, routes) where
    roles is the list of role names in order and routes a list of dicts
    {name, method, path, roles (a set of names), public (bool or None
    when access.c is not there)}."""
    root = root or source_root()
    with open(os.path.join(root, "src", "core", "access.h"),
              encoding="utf-8") as f:
        header = f.read()
    macros = _macros(header)
    roles = [a[1].strip('"') for a in _x_calls(macros["ACCESS_ROLES"][1])]
    index = {}
    for i, a in enumerate(_x_calls(macros["ACCESS_ROLES"][1])):
        index[a[0]] = i

    def mask(expr, depth=0):
        if depth > 20:
            raise ValueError("access.h: macros nest too deep: " + expr)
        expr = re.sub(r"\bACCESS_R\((\w+)\)",
                      lambda m: "(1 << %d)" % index[m.group(1)], expr)
        expr = expr.replace("ACCESS_ROLE__COUNT", str(len(roles)))
        expr = re.sub(r"\b(\d+)u\b", r"\1", expr)
        expr = re.sub(r"\b(ACCESS_R_\w+)\b",
                      lambda m: "(%d)" % mask(macros[m.group(1)][1],
                                              depth + 1), expr)
        if not re.fullmatch(r"[0-9()|&<>\-~\s]*", expr):
            raise ValueError("access.h: cannot read the role mask " + expr)
        return eval(expr, {"__builtins__": {}})  # digits and operators only

    public = None
    access_c = os.path.join(root, "src", "core", "access.c")
    if os.path.exists(access_c):
        with open(access_c, encoding="utf-8") as f:
            text = _strip_comments(f.read())
        m = re.search(r"access_route_public\s*\([^)]*\)\s*\{(.*?)\n\}",
                      text, flags=re.S)
        if m:
            public = set(re.findall(r"case\s+ACCESS_ROUTE_(\w+)\s*:",
                                    m.group(1)))
    routes = []
    for a in _x_calls(macros["ACCESS_ROUTES"][1]):
        name, method, path, expr = a[0], a[1].strip('"'), a[2].strip('"'), a[3]
        bits = mask(expr)
        routes.append({
            "name": name,
            "method": method,
            "path": path,
            "roles": {r for i, r in enumerate(roles) if bits & (1 << i)},
            "public": None if public is None else name in public,
        })
    return roles, routes


def compiled_table(program):
    """Runs tests/integration/api_table (built from core/access.h: the
    table the server is compiled with) and returns (roles, routes) in the
    form of access_table()."""
    import subprocess
    out = subprocess.run([program], capture_output=True, text=True,
                         check=True).stdout
    roles, routes = [], []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        allowed = [x.rsplit(":", 1) for x in f[4:]]
        if not roles:
            roles = [r for r, _ in allowed]
        routes.append({
            "name": f[0],
            "method": f[1],
            "path": f[2],
            "public": f[3] == "1",
            "roles": {r for r, bit in allowed if bit == "1"},
        })
    return roles, routes
