# SPDX-License-Identifier: Apache-2.0
"""Hand-made servers and clients for bench/l7-ident.sh, for the protocols
whose servers Debian does not give us here (SMTP, FTP, PostgreSQL's server
side, Kafka, MongoDB): each speaks enough of its protocol, in its real wire
format, for the real client (smtplib, ftplib, psql) or a hand-made request
and for tshark to dissect it.

  serve PROTO ADDR PORT     smtp | ftp | pgsql | kafka | mongo, until killed
  kafka HOST PORT           an ApiVersions v0 and a Metadata v1 request
  mongo HOST PORT           an OP_MSG {hello: 1, $db: "admin"}
"""
import socket
import socketserver
import struct
import sys


class Line(socketserver.StreamRequestHandler):
    greet, replies = b"", {}

    def handle(self):
        self.wfile.write(self.greet)
        data = False
        while True:
            l = self.rfile.readline()
            if not l:
                return
            if data:
                if l == b".\r\n":
                    data = False
                    self.wfile.write(b"250 2.0.0 queued\r\n")
                continue
            verb = l.split(b" ")[0].strip().upper()
            r = self.replies.get(verb, b"502 not implemented\r\n")
            self.wfile.write(r)
            if verb == b"DATA":
                data = True
            if verb == b"QUIT":
                return


class Smtp(Line):
    greet = b"220 mail.test ESMTP bench\r\n"
    replies = {b"EHLO": b"250-mail.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", b"HELO": b"250 mail.test\r\n",
               b"MAIL": b"250 2.1.0 ok\r\n", b"RCPT": b"250 2.1.5 ok\r\n", b"DATA": b"354 go ahead\r\n",
               b"QUIT": b"221 2.0.0 bye\r\n", b"NOOP": b"250 ok\r\n", b"RSET": b"250 ok\r\n"}


class Ftp(Line):
    greet = b"220 bench FTP ready\r\n"
    replies = {b"USER": b"331 password please\r\n", b"PASS": b"230 logged in\r\n", b"PWD": b"257 \"/\"\r\n",
               b"SYST": b"215 UNIX Type: L8\r\n", b"TYPE": b"200 ok\r\n", b"CWD": b"250 ok\r\n",
               b"QUIT": b"221 bye\r\n", b"FEAT": b"211 no features\r\n"}


class Pgsql(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        while True:
            n = s.recv(4)
            if len(n) < 4:
                return
            body = s.recv(struct.unpack(">I", n)[0] - 4)
            code = struct.unpack(">I", body[:4])[0]
            if code in (80877103, 80877104):  # SSL / GSS request: no
                s.sendall(b"N")
                continue
            msg = b"SFATAL\0C28000\0Mno pg_hba.conf entry (bench)\0\0"
            s.sendall(b"E" + struct.pack(">I", len(msg) + 4) + msg)
            return


def frames(s):
    while True:
        n = s.recv(4)
        if len(n) < 4:
            return
        want, body = struct.unpack(">i", n)[0], b""
        while len(body) < want:
            d = s.recv(want - len(body))
            if not d:
                return
            body += d
        yield body


class Kafka(socketserver.BaseRequestHandler):
    def handle(self):
        for body in frames(self.request):
            key, ver, corr = struct.unpack(">hhi", body[:8])
            if key == 18:  # ApiVersions v0: error 0, [api_key min max]
                r = struct.pack(">ihi", corr, 0, 2) + struct.pack(">hhh", 3, 0, 1) + struct.pack(">hhh", 18, 0, 0)
            else:  # Metadata v1: no brokers, no controller, no topics
                r = struct.pack(">iiii", corr, 0, -1, 0)
            self.request.sendall(struct.pack(">i", len(r)) + r)


def bson(d):
    out = b""
    for k, v in d.items():
        if isinstance(v, int):
            out += b"\x10" + k.encode() + b"\0" + struct.pack("<i", v)
        elif isinstance(v, float):
            out += b"\x01" + k.encode() + b"\0" + struct.pack("<d", v)
        elif isinstance(v, bool):
            out += b"\x08" + k.encode() + b"\0" + bytes([v])
        else:
            s = v.encode() + b"\0"
            out += b"\x02" + k.encode() + b"\0" + struct.pack("<i", len(s)) + s
    return struct.pack("<i", len(out) + 5) + out + b"\0"


def op_msg(req_id, resp_to, doc):
    body = struct.pack("<I", 0) + b"\0" + bson(doc)
    return struct.pack("<iiii", 16 + len(body), req_id, resp_to, 2013) + body


class Mongo(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        while True:
            h = s.recv(16)
            if len(h) < 16:
                return
            n, rid = struct.unpack("<ii", h[:8])
            s.recv(n - 16)
            s.sendall(op_msg(1, rid, {"isWritablePrimary": 1, "maxWireVersion": 17, "ok": 1.0}))


def serve(proto, addr, port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    h = {"smtp": Smtp, "ftp": Ftp, "pgsql": Pgsql, "kafka": Kafka, "mongo": Mongo}[proto]
    socketserver.ThreadingTCPServer((addr, int(port)), h).serve_forever()


def kafka(host, port):
    s = socket.create_connection((host, int(port)), 3)
    cid = b"bench-client"
    for key, ver, corr, extra in ((18, 0, 1, b""), (3, 1, 2, struct.pack(">i", -1))):
        req = struct.pack(">hhih", key, ver, corr, len(cid)) + cid + extra
        s.sendall(struct.pack(">i", len(req)) + req)
        n = struct.unpack(">i", s.recv(4))[0]
        s.recv(n)
    s.close()


def mongo(host, port):
    s = socket.create_connection((host, int(port)), 3)
    s.sendall(op_msg(7, 0, {"hello": 1, "$db": "admin"}))
    s.recv(4096)
    s.close()


if __name__ == "__main__":
    {"serve": serve, "kafka": kafka, "mongo": mongo}[sys.argv[1]](*sys.argv[2:])
