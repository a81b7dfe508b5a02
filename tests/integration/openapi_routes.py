#!/usr/bin/python3
"""openapi_routes.py - docs/openapi.yaml and the router agree (TAP).

The router routes by ACCESS_ROUTES in src/core/access.h, the one table of
routes and roles. That table is taken as compiled ($HTD_API_TABLE, the
api_table program) and as written in the header (openapi_lib.access_table;
both must agree), and compared with the document both ways: every route is documented, every
documented operation is a route, `x-roles` equals the roles the table
allows, and security says what the server does (public routes need no
session; other routes take a Bearer token or the session cookie, and
cookie writes the CSRF header). Then the document's own soundness: every
$ref resolves, every schema is valid Draft 2020-12, path parameters match
the path, errors use the one Error shape, and each operation lists the
statuses its kind of route can give.
"""

import os
import re
import sys

import jsonschema

import openapi_lib

tap = openapi_lib.Tap()
doc = openapi_lib.load_document()
roles, routes = openapi_lib.access_table()
# The table as compiled (api_table, built by meson beside this test) is
# the router's own; the header's text must read the same.
program = os.environ.get("HTD_API_TABLE")
if program:
    croles, croutes = openapi_lib.compiled_table(program)
    tap.is_(croles, roles, "api_table and access.h: the same roles")
    tap.is_(sorted((r["name"], r["method"], r["path"], r["public"],
                    sorted(r["roles"])) for r in croutes),
            sorted((r["name"], r["method"], r["path"], r["public"],
                    sorted(r["roles"])) for r in routes),
            "api_table and access.h: the same routes, roles, public")
    roles, routes = croles, croutes
else:
    tap.diag("HTD_API_TABLE not set: the routes are read from access.h")

ops = {(m, p): op for m, p, op in openapi_lib.operations(doc)}
table = {(r["method"], r["path"]): r for r in routes}

tap.ok(doc.get("openapi", "").startswith("3.1"), "the document is OpenAPI 3.1",
       "openapi: %r" % doc.get("openapi"))
tap.ok(len(routes) > 0 and len(roles) == 7,
       "access.h gives %d routes and %d roles" % (len(routes), len(roles)))

# ---- both ways -----------------------------------------------------------
for key in sorted(table):
    tap.ok(key in ops, "router route %s %s is in the document" % key)
for key in sorted(ops):
    tap.ok(key in table, "documented %s %s is a route of the router" % key,
           "routes: " + ", ".join("%s %s" % k for k in sorted(table)))


def resolve(node, seen=None):
    """Follows a local $ref (#/...) to what it names."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("not a local $ref: " + ref)
        target = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target[part]
        node = target
    return node


def security_of(op):
    return op["security"] if "security" in op else doc.get("security", [])


def schemes(alternative):
    return set(alternative.keys())


# ---- per route: roles, security ------------------------------------------
for key in sorted(table):
    if key not in ops:
        continue
    r, op = table[key], ops[key]
    where = "%s %s" % key
    x = op.get("x-roles")
    tap.ok(isinstance(x, list) and len(x) == len(set(x)),
           "%s: x-roles is a list without repeats" % where, "x-roles: %r" % x)
    tap.is_(sorted(set(x or [])), sorted(r["roles"]),
            "%s: x-roles are the roles access.h allows" % where)
    tap.ok(set(x or []) <= set(roles), "%s: x-roles are roles" % where)
    sec = security_of(op)
    if r["public"] is True:
        tap.is_(op.get("security"), [], "%s: public, security: []" % where)
        continue
    if r["public"] is None:
        tap.diag("access.c not found: public routes not checked")
    alts = [schemes(a) for a in sec]
    tap.ok({"bearerAuth"} in alts,
           "%s: takes a Bearer token alone" % where, "security: %r" % sec)
    if r["method"].lower() in openapi_lib.WRITE_METHODS:
        tap.ok({"cookieAuth", "csrfHeader"} in alts and
               {"cookieAuth"} not in alts,
               "%s: a write: the cookie only with the CSRF header" % where,
               "security: %r" % sec)
    else:
        tap.ok({"cookieAuth"} in alts,
               "%s: a read: the cookie alone will do" % where,
               "security: %r" % sec)
    tap.ok(len(alts) == 2, "%s: no other way in" % where,
           "security: %r" % sec)
    resp = op.get("responses", {})
    tap.ok("401" in resp, "%s: lists 401" % where)
    # 403: a role that may not, or a cookie write without the CSRF header.
    can_403 = r["roles"] != set(roles) or \
        r["method"].lower() in openapi_lib.WRITE_METHODS
    tap.is_("403" in resp, can_403, "%s: lists 403 %s" % (
        where, "(it can happen)" if can_403 else "only if it can happen"))

# ---- the document's own soundness ----------------------------------------
refs = []


def walk(node, path):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                refs.append((path, v))
            else:
                walk(v, path + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, path + "/" + str(i))


walk(doc, "")
bad = []
for where, ref in refs:
    try:
        resolve({"$ref": ref})
    except (KeyError, ValueError, TypeError) as e:
        bad.append("%s: %s (%s)" % (where, ref, e))
tap.ok(not bad, "all %d $refs resolve" % len(refs), *bad)

bad = []
for name, schema in sorted(doc["components"]["schemas"].items()):
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        bad.append("%s: %s" % (name, e.message))
tap.ok(not bad, "every component schema is valid JSON Schema 2020-12", *bad)

ids = [op.get("operationId") for op in ops.values()]
tap.ok(all(ids) and len(ids) == len(set(ids)),
       "every operation has a unique operationId",
       "missing or repeated: %r" % sorted(
           i for i in ids if not i or ids.count(i) > 1))

for key in sorted(ops):
    op = ops[key]
    where = "%s %s" % key
    tap.ok(op.get("summary") and op.get("description") and op.get("tags"),
           "%s: summary, description and tags" % where)
    declared = set()
    for p in op.get("parameters", []) + \
            doc["paths"][key[1]].get("parameters", []):
        p = resolve(p)
        if p.get("in") == "path":
            declared.add(p["name"])
            tap.ok(p.get("required") is True and "schema" in p,
                   "%s: path parameter %s is required, with a schema"
                   % (where, p["name"]))
    tap.is_(sorted(declared), sorted(re.findall(r"\{(\w+)\}", key[1])),
            "%s: the path parameters are declared" % where)

    resp = op.get("responses", {})
    tap.ok(resp and all(re.fullmatch(r"[1-5][0-9][0-9]", s) for s in resp),
           "%s: responses by explicit status" % where, sorted(resp))
    tap.ok(any(s.startswith("2") for s in resp),
           "%s: a success status" % where)
    bad = []
    for status, rsp in resp.items():
        rsp = resolve(rsp)
        if not rsp.get("description"):
            bad.append("%s: no description" % status)
        content = rsp.get("content")
        if status == "204":
            if content:
                bad.append("204 with content")
            continue
        if not content:
            bad.append("%s: no content" % status)
            continue
        for media, m in content.items():
            if "schema" not in m:
                bad.append("%s %s: no schema" % (status, media))
        if status[0] in "45":
            schema = content.get("application/json", {}).get("schema", {})
            if schema.get("$ref") != "#/components/schemas/Error" and \
                    not any(s.get("$ref") == "#/components/schemas/Error"
                            for s in schema.get("allOf", [])):
                bad.append("%s: not the Error shape" % status)
    tap.ok(not bad, "%s: every response has a description and a schema; "
           "errors are Error" % where, *bad)

    if "requestBody" in op:
        body = resolve(op["requestBody"])
        tap.ok(list(body.get("content", {})) == ["application/json"],
               "%s: the body is application/json" % where)
        for status in ("400", "413", "415", "422"):
            tap.ok(status in resp, "%s: takes a body: lists %s"
                   % (where, status))
        schema = resolve(body["content"]["application/json"]["schema"])
        tap.ok(schema.get("additionalProperties") is False,
               "%s: the body refuses unknown members" % where)

sys.exit(tap.done())
