#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Receivers for tests/e2e/serve-alerts.test, in one process: an HTTP server
# (webhooks: each POST's body saved as DIR/http-PATH-N.json; /flaky answers
# 503 twice first), an SMTP server (each message as DIR/mail-N.eml, with its
# envelope in DIR/mail-N.env) and a unix datagram socket (DIR/syslog.sock:
# each datagram as DIR/syslog-N.txt). Writes the ports to DIR/ports when up.
import asyncore, http.server, os, socket, sys, threading, warnings

warnings.simplefilter("ignore")
import smtpd  # noqa: E402 (Python 3.11: deprecated, still there)

d = sys.argv[1]
lock = threading.Lock()
count = {}


def save(prefix, ext, data):
    with lock:
        n = count.get(prefix, 0) + 1
        count[prefix] = n
    path = os.path.join(d, "%s-%d.%s" % (prefix, n, ext))
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)
    return n


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        name = self.path.strip("/") or "root"
        if name == "flaky":
            with lock:
                n = count.get("flaky-tries", 0) + 1
                count["flaky-tries"] = n
            if n <= 2:
                self.send_response(503)
                self.end_headers()
                return
        save("http-" + name, "json", body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


class S(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        n = save("mail", "eml", data if isinstance(data, bytes) else data.encode())
        with open(os.path.join(d, "mail-%d.env" % n), "w") as f:
            f.write("%s %s\n" % (mailfrom, " ".join(rcpttos)))


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
smtp = S(("127.0.0.1", 0), None, decode_data=False)
threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True).start()
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(os.path.join(d, "syslog.sock"))
with open(os.path.join(d, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (httpd.server_address[1], smtp.socket.getsockname()[1]))
os.rename(os.path.join(d, "ports.tmp"), os.path.join(d, "ports"))
while True:
    save("syslog", "txt", sock.recv(65536))
