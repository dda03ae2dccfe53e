# SPDX-License-Identifier: Apache-2.0
"""A small inventory service: items in SQLite, a JSON HTTP API on a thread,
reports written as CSV or compressed JSON. The workload of
tests/e2e/profile-workloads.test (its own test suite: test_inventory.py)."""
import csv
import gzip
import hashlib
import http.server
import io
import json
import sqlite3
import subprocess
import threading


class Inventory:
    def __init__(self, path):
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.lock = threading.Lock()
        with self.lock, self.db:
            self.db.execute("create table if not exists items ("
                            "sku text primary key, name text not null, "
                            "qty integer not null check (qty >= 0), price real not null)")

    def add(self, sku, name, qty, price):
        with self.lock, self.db:
            self.db.execute("insert into items values (?, ?, ?, ?)", (sku, name, qty, price))

    def take(self, sku, n):
        with self.lock, self.db:
            row = self.db.execute("select qty from items where sku = ?", (sku,)).fetchone()
            if row is None:
                raise KeyError(sku)
            if row[0] < n:
                raise ValueError("only %d of %s left" % (row[0], sku))
            self.db.execute("update items set qty = qty - ? where sku = ?", (n, sku))
            return row[0] - n

    def get(self, sku):
        with self.lock:
            row = self.db.execute("select sku, name, qty, price from items where sku = ?",
                                  (sku,)).fetchone()
        if row is None:
            raise KeyError(sku)
        return dict(zip(("sku", "name", "qty", "price"), row))

    def all(self):
        with self.lock:
            rows = self.db.execute("select sku, name, qty, price from items order by sku")
            return [dict(zip(("sku", "name", "qty", "price"), r)) for r in rows]

    def value(self):
        return round(sum(i["qty"] * i["price"] for i in self.all()), 2)

    def report_csv(self):
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["sku", "name", "qty", "price"])
        for i in self.all():
            w.writerow([i["sku"], i["name"], i["qty"], i["price"]])
        return out.getvalue()

    def report_gz(self, path):
        data = json.dumps(self.all(), sort_keys=True).encode()
        with gzip.open(path, "wb") as f:
            f.write(data)
        return hashlib.sha256(data).hexdigest()

    def run_hook(self, command):
        """Pass the CSV report to a shell command (a plugin hook): a feature the
        test suite never uses, so a learned profile has not seen it."""
        return subprocess.run(["/bin/sh", "-c", command], input=self.report_csv().encode(),
                              capture_output=True, check=True, timeout=30).stdout.decode()


class Handler(http.server.BaseHTTPRequestHandler):
    inv = None

    def log_message(self, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/items":
            return self.reply(200, self.inv.all())
        if self.path.startswith("/items/"):
            try:
                return self.reply(200, self.inv.get(self.path[7:]))
            except KeyError:
                return self.reply(404, {"error": "no such item"})
        return self.reply(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n))
            if self.path == "/items":
                self.inv.add(req["sku"], req["name"], int(req["qty"]), float(req["price"]))
                return self.reply(201, self.inv.get(req["sku"]))
            if self.path == "/take":
                return self.reply(200, {"left": self.inv.take(req["sku"], int(req["n"]))})
        except (KeyError, ValueError, sqlite3.IntegrityError) as e:
            return self.reply(400, {"error": str(e)})
        return self.reply(404, {"error": "not found"})


def serve(inv, host="127.0.0.1", port=0):
    """Start the API on a thread; returns the server (server_address has the port)."""
    handler = type("BoundHandler", (Handler,), {"inv": inv})
    srv = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv
