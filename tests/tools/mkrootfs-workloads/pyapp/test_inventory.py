# SPDX-License-Identifier: Apache-2.0
"""The inventory service's own test suite (unittest)."""
import csv
import gzip
import hashlib
import io
import json
import os
import tempfile
import threading
import unittest
import urllib.error
import urllib.request

import inventory


class InventoryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.inv = inventory.Inventory(os.path.join(self.dir.name, "inv.db"))
        self.inv.add("A1", "anvil", 10, 99.5)
        self.inv.add("B2", "bolt", 500, 0.25)

    def tearDown(self):
        self.inv.db.close()
        self.dir.cleanup()

    def test_take(self):
        self.assertEqual(self.inv.take("A1", 3), 7)
        self.assertEqual(self.inv.get("A1")["qty"], 7)

    def test_take_too_many(self):
        with self.assertRaises(ValueError):
            self.inv.take("A1", 11)
        self.assertEqual(self.inv.get("A1")["qty"], 10)

    def test_unknown(self):
        with self.assertRaises(KeyError):
            self.inv.take("Z9", 1)

    def test_duplicate(self):
        import sqlite3
        with self.assertRaises(sqlite3.IntegrityError):
            self.inv.add("A1", "again", 1, 1.0)

    def test_value(self):
        self.assertEqual(self.inv.value(), 1120.0)

    def test_csv(self):
        rows = list(csv.reader(io.StringIO(self.inv.report_csv())))
        self.assertEqual(rows[0], ["sku", "name", "qty", "price"])
        self.assertEqual([r[0] for r in rows[1:]], ["A1", "B2"])

    def test_gz(self):
        path = os.path.join(self.dir.name, "r.json.gz")
        digest = self.inv.report_gz(path)
        with gzip.open(path) as f:
            data = f.read()
        self.assertEqual(hashlib.sha256(data).hexdigest(), digest)
        self.assertEqual(json.loads(data)[1]["name"], "bolt")

    def test_threads(self):
        self.inv.add("C3", "cog", 1000, 1.0)
        errors = []

        def worker():
            try:
                for _ in range(50):
                    self.inv.take("C3", 1)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        ts = [threading.Thread(target=worker) for _ in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.inv.get("C3")["qty"], 600)


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.inv = inventory.Inventory(os.path.join(cls.dir.name, "api.db"))
        cls.srv = inventory.serve(cls.inv)
        cls.base = "http://127.0.0.1:%d" % cls.srv.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()
        cls.inv.db.close()
        cls.dir.cleanup()

    def call(self, path, body=None):
        req = urllib.request.Request(self.base + path, method="POST" if body else "GET",
                                     data=json.dumps(body).encode() if body else None)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_api(self):
        self.assertEqual(self.call("/items", {"sku": "D4", "name": "drill", "qty": 5,
                                              "price": 30})[0], 201)
        self.assertEqual(self.call("/items/D4"), (200, {"sku": "D4", "name": "drill",
                                                        "qty": 5, "price": 30.0}))
        self.assertEqual(self.call("/take", {"sku": "D4", "n": 2}), (200, {"left": 3}))
        self.assertEqual(self.call("/take", {"sku": "D4", "n": 9})[0], 400)
        self.assertEqual(self.call("/items/none")[0], 404)

    def test_many_requests(self):
        for i in range(100):
            self.assertEqual(self.call("/items", {"sku": "M%03d" % i, "name": "m",
                                                  "qty": i, "price": 1})[0], 201)
        status, items = self.call("/items")
        self.assertEqual(status, 200)
        self.assertEqual(sum(1 for i in items if i["sku"].startswith("M")), 100)


if __name__ == "__main__":
    unittest.main()
