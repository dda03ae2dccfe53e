#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Loopback receivers for tests/e2e/monitor.test:
#   monitor-servers.py syslog SOCKET OUT    unix datagrams, one per line in OUT
#   monitor-servers.py webhook PORTFILE OUT [slow]  HTTP POSTs (JSON arrays):
#       each item one line in OUT; "slow" answers nothing for 30 s (a dead peer)
import http.server, json, os, socket, sys, threading, time

mode = sys.argv[1]
if mode == "syslog":
    path, out = sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a", buffering=1) as f:
        while True:
            d = s.recv(1 << 20)
            f.write(d.decode("utf-8", "replace").replace("\n", " ") + "\n")
else:
    portfile, out = sys.argv[2], sys.argv[3]
    slow = len(sys.argv) > 4 and sys.argv[4] == "slow"
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            if slow:
                time.sleep(30)
                return
            n = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(n))
            with lock, open(out, "a") as f:
                for item in body:
                    f.write(json.dumps(item) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()
