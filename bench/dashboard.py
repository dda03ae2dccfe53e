#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/dashboard.sh's work: the connection graph (web/graph.js) at
NODES groups / EDGES flows in headless chromium, against an anchor drawn in
the same browser in the same run.

    dashboard.py CHROMIUM WORKDIR NODES EDGES RUNS

The data is generated (seeded): groups in namespaces of 20, flows mostly
inside a namespace, some across, 1 in 500 with a threat. It is served with
web/'s files by a loopback HTTP server with the dashboard's CSP, as a test-only
JSON file (graph-data.json; the flows API comes later)."""
import functools
import http.server
import json
import os
import random
import shutil
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from cdp import Browser  # noqa: E402

chromium, work, nodes, edges, runs = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
site = os.path.join(work, "site")
os.makedirs(site, exist_ok=True)
for f in ("app.js", "graph.js", "app.css"):
    shutil.copy(os.path.join(ROOT, "web", f), site)
for f in ("graph.html", "bench-graph.js"):
    shutil.copy(os.path.join(ROOT, "bench", "dashboard", f), site)

rnd = random.Random(17)
groups = [{"id": f"g{i}", "name": f"ns{i // 20}/deploy-{i % 20}", "kind": "deployment"}
          for i in range(nodes)]
flows = []
for k in range(edges):
    a = rnd.randrange(nodes)
    if rnd.random() < 0.8:
        b = (a // 20) * 20 + rnd.randrange(20)
        b = min(b, nodes - 1)
    else:
        b = rnd.randrange(nodes)
    f = {"from": f"g{a}", "to": f"g{b}", "proto": "tcp", "port": rnd.choice([80, 443, 5432, 6379]),
         "app": "http", "bytes": rnd.randrange(1, 1 << 30),
         "verdict": "allow" if rnd.random() < 0.95 else "deny"}
    if k % 500 == 0:
        f["threats"] = ["BH-NET-SQLI"]
        f["verdict"] = "alert"
    flows.append(f)
with open(os.path.join(site, "graph-data.json"), "w") as fh:
    json.dump({"groups": groups, "flows": flows}, fh)
size = os.path.getsize(os.path.join(site, "graph-data.json"))

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                      functools.partial(Handler, directory=site))
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{srv.server_address[1]}/graph.html"

best = {}
with Browser(chromium, os.path.join(work, "profile"), width=1400, height=1000) as b:
    p = b.page()
    for r in range(runs):
        for mode in ("anchor", "graph"):
            p.eval("window.result = undefined; true")
            p.goto(f"{base}?mode={mode}&run={r}")
            res = p.wait("window.result", timeout=120, what=mode)
            if "error" in res:
                sys.exit(f"dashboard bench: {mode}: {res['error']}")
            if mode not in best or res["firstDraw"] < best[mode]["firstDraw"]:
                best[mode] = res
            if mode == "graph":
                p.screenshot(os.path.join(work, "graph.png"))
srv.shutdown()
print(json.dumps({"data_bytes": size, **best}))
