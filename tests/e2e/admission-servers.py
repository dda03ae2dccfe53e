#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What tests/e2e/admission.test runs beside the webhook.

  kubeapi CERT KEY TOKEN PORTFILE
      A small Kubernetes API over HTTPS: GET /api/v1/namespaces (a
      NamespaceList) and ?watch=true (a stream of watch events: "late" gets
      its labels 0.5 s after the watch starts, then the stream stays open),
      both only with "Authorization: Bearer TOKEN" (else 401). Writes its
      port to PORTFILE.

  slow HOST PORT CAFILE SECONDS
      A client that completes the TLS handshake, then sends a request one byte
      every 0.3 s. Prints "cut after N s" when the server closes it, or
      "not cut" after SECONDS.
"""
import json
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAMESPACES = {
    "prod": {"pod-security.kubernetes.io/enforce": "restricted",
             "kubernetes.io/metadata.name": "prod"},
    "dev": {"kubernetes.io/metadata.name": "dev"},
}


def ns_object(name, labels, rv):
    return {"kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": name, "uid": "uid-" + name, "resourceVersion": str(rv),
                         "labels": labels},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def kubeapi(cert, key, token, portfile):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.headers.get("Authorization") != "Bearer " + token:
                body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                   "message": "Unauthorized", "reason": "Unauthorized",
                                   "code": 401}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if not self.path.startswith("/api/v1/namespaces"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if "watch=true" in self.path:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

                def chunk(obj):
                    data = (json.dumps(obj) + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    self.wfile.flush()
                time.sleep(0.5)
                chunk({"type": "ADDED", "object": ns_object(
                    "late", {"pod-security.kubernetes.io/enforce": "restricted"}, 12)})
                chunk({"type": "BOOKMARK", "object": {"kind": "Namespace", "apiVersion": "v1",
                                                      "metadata": {"resourceVersion": "13"}}})
                try:
                    while True:
                        time.sleep(1)
                        chunk({"type": "BOOKMARK", "object": {
                            "kind": "Namespace", "apiVersion": "v1",
                            "metadata": {"resourceVersion": "13"}}})
                except OSError:
                    return
            items = [ns_object(n, l, 10) for n, l in NAMESPACES.items()]
            body = json.dumps({"kind": "NamespaceList", "apiVersion": "v1",
                               "metadata": {"resourceVersion": "11"}, "items": items}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def slow(host, port, cafile, seconds):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection((host, int(port)))
    s = ctx.wrap_socket(raw, server_hostname=host)
    req = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"{" * 1000
    t0 = time.monotonic()
    try:
        for b in req:
            s.send(bytes([b]))
            time.sleep(0.3)
            if time.monotonic() - t0 > float(seconds):
                print("not cut")
                return
    except (OSError, ssl.SSLError):
        pass
    print("cut after %d s" % round(time.monotonic() - t0))


if __name__ == "__main__":
    if sys.argv[1] == "kubeapi":
        kubeapi(*sys.argv[2:6])
    elif sys.argv[1] == "slow":
        slow(*sys.argv[2:6])
