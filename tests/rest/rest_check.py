#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""rest_check.py - drive patchbayd's REST API and check every answer against
docs/openapi.yaml: the status code must be one the document lists for the
operation, the content type one it lists for that status, and a JSON body
must validate against the schema. At the end every operation the document
describes must have been answered with a success at least once, and every
answer must have been documented.

usage: rest_check.py OPENAPI (unix:PATH | http://HOST:PORT TOKEN_FILE) [--short]

--short runs the smaller scenario (version, a port's life, metrics), for the
Unix socket, where there is no token.
"""
import http.client
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import warnings

import jsonschema
import yaml


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.unix_path)
        self.sock = s


class Api:
    def __init__(self, doc, where, token):
        self.doc = doc
        self.where = where
        self.token = token
        # RefResolver is Debian 12's jsonschema (4.10); newer ones warn.
        warnings.simplefilter("ignore", DeprecationWarning)
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        self.covered = set()  # (path template, method) answered 2xx
        self.calls = 0

    def conn(self):
        if self.where.startswith("unix:"):
            return UnixConnection(self.where[5:])
        m = re.match(r"http://([^:/]+):(\d+)$", self.where)
        return http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=10)

    def raw(self, method, path, body=None, headers=None, token=True, chunked=False):
        h = dict(headers or {})
        if token and self.token:
            h["Authorization"] = "Bearer " + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if body is not None and not chunked:
            h.setdefault("Content-Type", "application/json")
        c = self.conn()
        try:
            if chunked:
                h["Transfer-Encoding"] = "chunked"
                c.request(method, path, body=body, headers=h, encode_chunked=True)
            else:
                c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer 413 and close before the body is sent.
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def template(self, path):
        """The document's path template for a concrete path."""
        bare = path.split("?")[0]
        for t in self.doc["paths"]:
            rx = "^" + re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(t)) + "$"
            if re.match(rx, bare):
                return t
        return None

    def ref(self, obj):
        while "$ref" in obj:
            _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def call(self, method, path, body=None, want=None, headers=None, **kw):
        """One documented call: checked against the document; returns
        (status, headers, parsed JSON or text)."""
        self.calls += 1
        status, hdrs, data = self.raw(method, path, body, headers, **kw)
        what = f"{method} {path} -> {status}"
        if want is not None and status != want:
            fail(f"{what}, expected {want}: {data[:300]!r}")
        t = self.template(path)
        ctype = hdrs.get("content-type", "").split(";")[0].strip()
        text = data.decode()
        parsed = json.loads(text) if ctype == "application/json" else text
        if t is None or method.lower() not in self.doc["paths"][t]:
            # Not a documented operation: only the API's own errors.
            if status not in (404, 405):
                fail(f"{what}: an undocumented operation must be 404 or 405")
            self.validate(what, {"$ref": "#/components/schemas/Error"}, parsed)
            return status, hdrs, parsed
        op = self.doc["paths"][t][method.lower()]
        resp = op["responses"].get(str(status))
        if resp is None:
            fail(f"{what}: status {status} is not documented for {method} {t}")
        resp = self.ref(resp)
        content = resp.get("content")
        if not content:
            if data:
                fail(f"{what}: documented without a body, got {data[:200]!r}")
        else:
            if ctype not in content:
                fail(f"{what}: content type '{ctype}' not documented ({list(content)})")
            self.validate(what, content[ctype]["schema"], parsed)
        for name in resp.get("headers", {}):
            if name.lower() not in hdrs:
                fail(f"{what}: documented header {name} missing")
        if 200 <= status < 300:
            self.covered.add((t, method.lower()))
        return status, hdrs, parsed

    def validate(self, what, schema, value):
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        errs = sorted(v.iter_errors(value), key=lambda e: list(e.path))
        if errs:
            e = errs[0]
            fail(f"{what}: body does not match the document at "
                 f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}")

    def error(self, method, path, body, want_status, want_code, **kw):
        _, hdrs, b = self.call(method, path, body, want=want_status, **kw)
        code = b["error"]["code"]
        if code != want_code:
            fail(f"{method} {path}: error code {code}, expected {want_code} ({b})")
        log(f"ok: {method} {path[:60]} -> {want_status} {code}: {b['error']['message']}")
        return hdrs, b


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


def snapshot(api):
    """The panel's configuration, without what peers and time decide."""
    _, _, s = api.call("GET", "/v1/status", want=200)
    for p in s["ports"]:
        for k in ("link", "owner", "worker"):
            p.pop(k, None)
    return json.dumps(s, sort_keys=True)


def wait_stat(api, port, key, want, secs=20):
    got = None
    for _ in range(secs * 10):
        _, _, s = api.call("GET", f"/v1/stats?port={port}", want=200)
        got = s["ports"][0][key]
        if got >= want:
            return got
        time.sleep(0.1)
    fail(f"{port} {key} = {got}, not {want} within {secs} s")


def metric(text, name, labels):
    line = name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} "
    for ln in text.splitlines():
        if ln.startswith(line):
            return float(ln[len(line):])
    fail(f"/metrics has no {line.strip()}")


def port_life(api):
    """Make, read, patch and remove ports; counters move."""
    api.call("GET", "/v1/version", want=200)
    _, _, r = api.call("GET", "/v1/ports", want=200)
    if r["ports"]:
        fail(f"a fresh daemon has ports: {r}")
    src = {"size": "64", "rate": "50000", "count": "2000"}
    # The sink first, and up, so that none of the source's frames finds it
    # down (they would be counted as dest_down drops, not sent).
    api.call("PUT", "/v1/ports/null:sink", None, want=201)
    for _ in range(100):
        if api.call("GET", "/v1/ports/null:sink", want=200)[2]["link"] == "up":
            break
        time.sleep(0.1)
    else:
        fail("null:sink not up within 10 s")
    api.call("PUT", "/v1/ports/null:src", {"opts": src}, want=201)
    # PUT is idempotent: the same again is 200, other options a conflict.
    api.call("PUT", "/v1/ports/null:sink", {}, want=200)
    api.call("PUT", "/v1/ports/null:src", {"opts": src}, want=200)
    api.error("PUT", "/v1/ports/null:src", {"opts": {"size": "128"}}, 409, "port_exists")
    _, _, p = api.call("GET", "/v1/ports/null:src", want=200)
    if p["opts"] != src:
        fail(f"GET /v1/ports/null:src opts {p['opts']}, expected {src}")
    _, _, r = api.call("POST", "/v1/patches", {"from": "null:src", "to": "null:sink"}, want=201)
    if r != {"from": "null:src", "to": "null:sink", "both": False}:
        fail(f"POST /v1/patches answered {r}")
    api.error("POST", "/v1/patches", {"from": "null:src", "to": "null:sink"}, 409,
              "patch_exists")
    _, _, r = api.call("GET", "/v1/patches", want=200)
    if r["patches"] != [{"from": "null:src", "to": "null:sink"}]:
        fail(f"GET /v1/patches: {r}")
    n = wait_stat(api, "null:sink", "tx_frames", 2000)
    if n != 2000:
        fail(f"null:sink sent {n} frames, the source made 2000")
    return n


def full(api):
    n = port_life(api)
    _, _, s = api.call("GET", "/v1/stats", want=200)
    names = sorted(p["name"] for p in s["ports"])
    if names != ["null:sink", "null:src"]:
        fail(f"GET /v1/stats ports {names}")
    _, _, w = api.call("GET", "/v1/workers", want=200)
    if sum(x["frames"] for x in w["workers"]) < n:
        fail(f"workers counted fewer frames than the source sent: {w}")
    _, _, t = api.call("GET", "/v1/topology", want=200)
    if t["edges"] != [{"from": "null:src", "to": "null:sink"}] or len(t["nodes"]) != 2:
        fail(f"GET /v1/topology: {t}")
    _, h, dot = api.call("GET", "/v1/topology?format=dot", want=200)
    if '"null:src" -> "null:sink"' not in dot:
        fail(f"topology as DOT lacks the patch: {dot}")
    _, h, dot2 = api.call("GET", "/v1/topology", headers={"Accept": "text/vnd.graphviz"},
                          want=200)
    if not h["content-type"].startswith("text/vnd.graphviz") or dot2 != dot:
        fail("Accept: text/vnd.graphviz did not give the same DOT")
    api.error("GET", "/v1/topology?format=svg", None, 400, "bad_args")
    _, _, m = api.call("GET", "/metrics", want=200)
    lab = {"port": "null:sink", "type": "null"}
    if metric(m, "patchbay_port_tx_frames_total", lab) != n:
        fail("/metrics tx_frames of null:sink differs from /v1/stats")
    if metric(m, "patchbay_port_rx_bytes_total", {"port": "null:src", "type": "null"}) != n * 64:
        fail("/metrics rx_bytes of null:src is not 64 per frame")
    # Every counter of the stats is a metric: under its documented name, or
    # under its own (patchbay_port_FIELD_total); rx_dropped and tx_dropped
    # are drops by reason there (peer_broken, too_big).
    renamed = {"tx_full": "tx_ring_full_events", "rx_dropped": None, "tx_dropped": None}
    _, _, s = api.call("GET", "/v1/stats?port=null:sink", want=200)
    for key, v in s["ports"][0].items():
        if not isinstance(v, int) or renamed.get(key, key) is None:
            continue
        metric(m, f"patchbay_port_{renamed.get(key, key)}_total", lab)
    # Clearing starts the views again; the Prometheus counters keep counting.
    api.call("DELETE", "/v1/stats?port=null:sink", want=204)
    _, _, s = api.call("GET", "/v1/stats?port=null:sink", want=200)
    if s["ports"][0]["tx_frames"] != 0:
        fail(f"DELETE /v1/stats did not clear: {s}")
    _, _, m = api.call("GET", "/metrics", want=200)
    if metric(m, "patchbay_port_tx_frames_total", lab) != n:
        fail("DELETE /v1/stats reset a Prometheus counter")
    api.call("DELETE", "/v1/stats", want=204)

    captures(api)
    bridges(api)
    bad_input(api)

    # Patches and ports go away; what is gone is 404 after.
    api.error("DELETE", "/v1/ports/null:src", None, 409, "port_in_use")
    api.call("DELETE", "/v1/patches?from=null:src&to=null:sink", want=204)
    api.error("DELETE", "/v1/patches?from=null:src&to=null:sink", None, 404, "no_patch")
    api.call("POST", "/v1/patches", {"from": "null:src", "to": "null:sink", "both": True},
             want=201)
    _, _, r = api.call("GET", "/v1/patches", want=200)
    if len(r["patches"]) != 2:
        fail(f"both=true made {r}")
    api.call("DELETE", "/v1/patches?all=true", want=204)
    _, _, r = api.call("GET", "/v1/patches", want=200)
    if r["patches"]:
        fail(f"?all=true left {r}")
    api.call("POST", "/v1/patches", {"from": "null:src", "to": "null:sink"}, want=201)
    api.call("DELETE", "/v1/ports/null:src?force=true", want=204)
    api.call("DELETE", "/v1/ports/null:sink", want=204)
    api.error("DELETE", "/v1/ports/null:sink", None, 404, "unknown_port")
    api.error("GET", "/v1/ports/null:sink", None, 404, "unknown_port")


def bridges(api):
    """A bridge made, listed, its (empty) table read, refused twice, removed."""
    _, _, r = api.call("GET", "/v1/bridges", want=200)
    if r["bridges"]:
        fail(f"bridges before any was made: {r}")
    _, _, b = api.call("POST", "/v1/bridges", {"name": "rb0", "opts": {"max-macs": "64"}},
                       want=201)
    if b["name"] != "rb0" or b["max_macs"] != 64 or b["members"]:
        fail(f"POST /v1/bridges made {b}")
    api.error("POST", "/v1/bridges", {"name": "rb0"}, 409, "bridge_exists")
    api.error("POST", "/v1/bridges", {"name": "rb1", "opts": {"flood": "maybe"}}, 400,
              "bad_option")
    _, _, one = api.call("GET", "/v1/bridges/rb0", want=200)
    if one["name"] != "rb0":
        fail(f"GET /v1/bridges/rb0: {one}")
    _, _, fdb = api.call("GET", "/v1/bridges/rb0/fdb", want=200)
    if fdb != []:
        fail(f"a new bridge's table: {fdb}")
    _, _, m = api.call("GET", "/metrics", want=200)
    if metric(m, "patchbay_bridge_fdb_max_entries", {"bridge": "rb0"}) != 64:
        fail("/metrics lacks the bridge's bound")
    api.error("GET", "/v1/bridges/nope/fdb", None, 404, "unknown_bridge")
    _, _, mi = api.call("GET", "/v1/mirrors", want=200)
    if mi != {"mirrors": []}:
        fail(f"mirrors before any was made: {mi}")
    api.call("DELETE", "/v1/bridges/rb0", want=204)
    api.error("DELETE", "/v1/bridges/rb0", None, 404, "unknown_bridge")


def captures(api):
    """A capture of null:sink to a file, ended by its count, listed, removed."""
    d = tempfile.mkdtemp(prefix="rest-capture.")
    path = os.path.join(d, "sink.pcapng")
    api.error("POST", "/v1/captures", {"port": "null:sink", "file": "rel.pcapng"}, 400,
              "bad_args")
    api.error("POST", "/v1/captures", {"port": "null:sink", "file": "-"}, 400, "bad_args")
    api.error("POST", "/v1/captures", {"port": "null:sink", "file": path, "snaplen": 0}, 400,
              "bad_option")
    api.error("POST", "/v1/captures", {"port": "null:nope", "file": path}, 404, "unknown_port")
    api.error("POST", "/v1/captures", {"port": "null:sink", "file": d + "/no/x"}, 500, "system")
    api.error("DELETE", "/v1/captures/99", None, 404, "unknown_capture")
    api.error("DELETE", "/v1/captures/x", None, 400, "bad_args")
    _, _, c = api.call("POST", "/v1/captures",
                       {"port": "null:sink", "file": path, "dir": "tx", "count": 100,
                        "snaplen": 32, "ring": {"size": 65536, "files": 2}}, want=201)
    # The source makes frames only while patched: another 2000 of them.
    src = {"size": "64", "rate": "50000", "count": "2000"}
    api.call("DELETE", "/v1/ports/null:src?force=true", want=204)
    api.call("PUT", "/v1/ports/null:src", {"opts": src}, want=201)
    api.call("POST", "/v1/patches", {"from": "null:src", "to": "null:sink"}, want=201)
    for _ in range(100):
        _, _, r = api.call("GET", "/v1/captures", want=200)
        if r["captures"][0]["state"] != "running":
            break
        time.sleep(0.1)
    got = r["captures"][0]
    if got["id"] != c["id"] or got["state"] != "done" or got["frames"] != 100:
        fail(f"the capture did not end at its count: {got}")
    _, _, m = api.call("GET", "/metrics", want=200)
    lab = {"id": str(c["id"]), "port": "null:sink", "dir": "tx"}
    if metric(m, "patchbay_capture_frames_total", lab) != 100 or \
            metric(m, "patchbay_capture_running", lab) != 0 or \
            metric(m, "patchbay_capture_dropped_total", lab) != 0 or \
            metric(m, "patchbay_capture_bytes_total", lab) != got["bytes"]:
        fail(f"/metrics does not show the ended capture as /v1/captures does: {got}")
    _, _, last = api.call("DELETE", f"/v1/captures/{c['id']}", want=200)
    if last["frames"] != 100 or last["dropped"] != 0:
        fail(f"DELETE /v1/captures answered {last}")
    _, _, r = api.call("GET", "/v1/captures", want=200)
    if r["captures"]:
        fail(f"a deleted capture is still listed: {r}")
    if not os.path.getsize(path + ".0"):
        fail("the capture's file is empty")
    wait_stat(api, "null:sink", "tx_frames", 2000)  # the stats were cleared before
    log(f"ok: a capture to {path}.0 over REST, 100 frames")
    shutil.rmtree(d)


def bad_input(api):
    """Each mistake gets its documented error and changes nothing."""
    before = snapshot(api)
    big = b"x" * (10 * 1024 * 1024)
    if api.token:
        for tok in (None, "wrong-" + api.token, api.token + "x", api.token[:-1]):
            h = {"Authorization": "Bearer " + tok} if tok else {}
            for method, path, body in (
                ("GET", "/v1/status", None),
                ("GET", "/metrics", None),
                ("DELETE", "/v1/ports/null:src?force=true", None),
                ("DELETE", "/v1/patches?all=true", None),
                ("PUT", "/v1/ports/null:x", {}),
                ("DELETE", "/v1/stats", None),
                ("POST", "/v1/patches", big),
            ):
                hdrs, _ = api.error(method, path, body, 401, "unauthorized", headers=h,
                                    token=False)
                if not hdrs.get("www-authenticate", "").startswith("Bearer"):
                    fail(f"401 without WWW-Authenticate: Bearer ({hdrs})")
        api.error("GET", "/v1/status", None, 401, "unauthorized",
                  headers={"Authorization": "Basic " + api.token}, token=False)
    api.error("POST", "/v1/patches", big, 413, "too_large")
    api.error("PUT", "/v1/ports/null:x", big, 413, "too_large", chunked=True)
    api.error("GET", "/v1/nope", None, 404, "not_found")
    api.error("GET", "/", None, 404, "not_found")
    api.error("GET", "/v1/ports/null:src/extra", None, 404, "not_found")
    for method, path, allow in (("PATCH", "/v1/ports", "GET"),
                                ("POST", "/v1/version", "GET"),
                                ("POST", "/v1/ports/null:src", "GET, PUT, DELETE"),
                                ("PUT", "/v1/patches", "GET, POST, DELETE"),
                                ("DELETE", "/metrics", "GET")):
        hdrs, _ = api.error(method, path, None, 405, "method_not_allowed")
        if hdrs.get("allow") != allow:
            fail(f"{method} {path}: Allow '{hdrs.get('allow')}', expected '{allow}'")
    api.error("POST", "/v1/patches", {"from": "null:src", "to": "null:sink", "color": "red"},
              400, "bad_args")
    api.error("PUT", "/v1/ports/null:y", {"opts": {}, "bogus": 1}, 400, "bad_args")
    api.error("PUT", "/v1/ports/null:y", {"opts": {"size": 64}}, 400, "bad_option")
    api.error("PUT", "/v1/ports/null:y", {"opts": {"nope": "1"}}, 400, "bad_option")
    api.error("PUT", "/v1/ports/bogus:1", None, 400, "unknown_type")
    api.error("PUT", "/v1/ports/nocolon", None, 400, "bad_name")
    api.error("GET", "/v1/stats?nope=1", None, 400, "bad_args")
    api.error("GET", "/v1/stats?port=null:nope", None, 404, "unknown_port")
    api.error("DELETE", "/v1/ports/null:src?forse=true", None, 400, "bad_args")
    api.error("DELETE", "/v1/ports/null:src?force=maybe", None, 400, "bad_args")
    api.error("DELETE", "/v1/patches", None, 400, "bad_args")
    api.error("DELETE", "/v1/patches?all=true&from=null:src", None, 400, "bad_args")
    _, b = api.error("POST", "/v1/patches", '{"from": "null:src", ', 400, "bad_json")
    if "column" not in b["error"]["message"]:
        fail(f"bad_json does not say where: {b}")
    api.error("POST", "/v1/patches", "[1, 2]", 400, "bad_request")
    api.error("POST", "/v1/patches", '{"from": "a", "from": "b"}', 400, "bad_json")
    api.error("POST", "/v1/patches", {"from": "null:src"}, 400, "bad_args")
    api.error("POST", "/v1/patches", {"from": "null:src", "to": "null:nope"}, 404,
              "unknown_port")
    after = snapshot(api)
    if after != before:
        fail(f"bad input changed the panel:\nbefore {before}\nafter  {after}")
    log("ok: after every mistake the panel is as before")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    short = "--short" in sys.argv
    if len(args) < 2:
        fail(__doc__)
    with open(args[0]) as f:
        doc = yaml.safe_load(f)
    token = None
    if len(args) > 2:
        with open(args[2]) as f:
            token = f.read().strip()
    api = Api(doc, args[1], token)
    if short:
        port_life(api)
        api.call("GET", "/metrics", want=200)
        api.call("DELETE", "/v1/ports/null:src?force=true", want=204)
        api.call("DELETE", "/v1/ports/null:sink", want=204)
        log(f"PASS: {api.calls} calls on {args[1]}, every answer as documented")
        return
    full(api)
    missing = sorted(
        (t, m) for t, ops in doc["paths"].items() for m in ops
        if m in ("get", "put", "post", "delete") and (t, m) not in api.covered)
    if missing:
        fail(f"documented operations never answered with a success: {missing}")
    log(f"PASS: {api.calls} calls on {args[1]}, every documented operation "
        "answered as documented")


if __name__ == "__main__":
    main()
