# SPDX-License-Identifier: Apache-2.0
"""Servers and hand-made clients for tests/e2e/net-attack.test.

  app ADDR PORT            a small shop over sqlite whose /item?id= and /search?q=
                           paste the parameter into the SQL (for sqlmap to find)
  raw PORT HOST DPORT HEX  send the bytes (hex) from local port PORT, read the answer
  slow PORT HOST DPORT S   a request's header lines sent one at a time, the last at
                           S seconds (the empty line ending the headers only when S < 10)
  heartbeat PORT HOST DPORT LEN   a TLS 1.2 ClientHello, the server's flight, then
                           a heartbeat request with payload_length LEN and 16 bytes
  peak PCAP KIND ADDR      the most packets of KIND (syn: SYNs to ADDR, udp: datagrams
                           to ADDR, icmp: ICMP to ADDR, from: new flows from ADDR)
                           in one of the engine's one-second windows (each opened by
                           the first packet after the last one ended)
"""
import http.server
import socket
import sqlite3
import struct
import sys
import time
import urllib.parse


def app(addr, port):
    db = sqlite3.connect(":memory:", check_same_thread=False)
    db.executescript("""
    create table items(id integer primary key, name text, price real);
    insert into items values (1, 'apple', 1.5), (2, 'pear', 2.0), (3, 'plum', 0.5);
    create table users(id integer, login text, password text);
    insert into users values (1, 'admin', 's3cret');
    """)
    pages = {
        "/": "<a href='/item?id=1'>apple</a> <a href='/item?id=2'>pear</a> "
             "<a href='/search?q=pear&sort=price'>search</a> <a href='/about?ref=home'>about</a>",
        "/about": "<p>a shop</p> <a href='/item?id=3'>plum</a> "
                  "<a href='/search?q=plum+jam&page=2'>jam</a> <a href='/'>home</a>",
    }

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def reply(self, code, body):
            b = body.encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)
            except OSError:
                pass

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            if u.path in pages:
                return self.reply(200, pages[u.path])
            try:
                if u.path == "/item":
                    sql = "SELECT name, price FROM items WHERE id = " + q.get("id", ["0"])[0]
                elif u.path == "/search":
                    sql = "SELECT name, price FROM items WHERE name LIKE '%" + q.get("q", [""])[0] + "%'"
                else:
                    return self.reply(404, "no such page")
                rows = db.execute(sql).fetchall()
                self.reply(200, "".join("<p>%s %s</p>" % r for r in rows) or "<p>nothing</p>")
            except Exception as e:
                self.reply(500, "error: %s" % e)

    http.server.ThreadingHTTPServer((addr, int(port)), H).serve_forever()


def connect(lport, host, dport):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", int(lport)))
    s.settimeout(3)
    s.connect((host, int(dport)))
    return s


def drain(s, wait=1.0):
    s.settimeout(wait)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError:
        pass
    return got


def raw(lport, host, dport, hexdata):
    s = connect(lport, host, dport)
    s.sendall(bytes.fromhex(hexdata))
    print(drain(s).split(b"\r\n")[0].decode("latin-1"))
    s.close()


def slow(lport, host, dport, secs):
    lines = [b"GET / HTTP/1.1\r\n", b"Host: shop.test\r\n", b"User-Agent: slow\r\n",
             b"X-a: 1\r\n", b"X-b: 2\r\n"]
    secs = float(secs)
    s = connect(lport, host, dport)
    for i, l in enumerate(lines):  # the last line at `secs`
        if i:
            time.sleep(secs / (len(lines) - 1))
        s.sendall(l)
    if secs < 10:
        s.sendall(b"\r\n")
        print(drain(s).split(b"\r\n")[0].decode("latin-1"))
    s.close()


def client_hello():
    ciphers = [0xc02b, 0xc02f, 0xc009, 0xc013, 0x009c, 0x002f]
    sni = b"shop.test"
    ext = b""
    ext += struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    ext += struct.pack(">HHH", 10, 6, 4) + struct.pack(">HH", 23, 24)  # groups
    ext += struct.pack(">HHB", 11, 2, 1) + b"\x00"  # point formats
    sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0201]
    ext += struct.pack(">HHH", 13, 2 + 2 * len(sigs), 2 * len(sigs)) + b"".join(struct.pack(">H", x) for x in sigs)
    ext += struct.pack(">HHB", 15, 1, 1)  # heartbeat: peer allowed to send
    body = b"\x03\x03" + bytes(range(32)) + b"\x00"
    body += struct.pack(">H", 2 * len(ciphers)) + b"".join(struct.pack(">H", c) for c in ciphers)
    body += b"\x01\x00" + struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def heartbeat(lport, host, dport, plen):
    s = connect(lport, host, dport)
    s.sendall(client_hello())
    flight = drain(s, 1.0)
    hb = b"\x01" + struct.pack(">H", int(plen)) + bytes(16)
    s.sendall(b"\x18\x03\x03" + struct.pack(">H", len(hb)) + hb)
    drain(s, 0.5)
    s.close()
    print("server flight %d bytes" % len(flight))


def peak(path, kind, addr):
    want = socket.inet_aton(addr)
    data = open(path, "rb").read()
    end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    off, start, count, best, seen = 24, None, 0, 0, set()
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(end + "IIII", data[off:off + 16])
        p = data[off + 16:off + 16 + cap]
        off += 16 + cap
        ts = sec + frac / (1e9 if nano else 1e6)
        if len(p) < 34 or p[12:14] != b"\x08\x00":
            continue
        ip = p[14:]
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        l4 = ip[(ip[0] & 15) * 4:]
        if kind == "syn":
            hit = proto == 6 and dst == want and len(l4) >= 14 and l4[13] & 0x12 == 0x02
        elif kind == "udp":
            hit = proto == 17 and dst == want
        elif kind == "icmp":
            hit = proto == 1 and dst == want
        else:  # a new flow: its 5-tuple (the echo id for ICMP) not seen before
            key = (proto, ip[12:20], l4[4:6] if proto == 1 else l4[:4])
            hit = src == want and key not in seen
            seen.add(key)
        if not hit:
            continue
        if start is None or ts - start >= 1.0:
            start, count = ts, 0
        count += 1
        best = max(best, count)
    print(best)


if __name__ == "__main__":
    {"app": app, "raw": raw, "slow": slow, "heartbeat": heartbeat, "peak": peak}[sys.argv[1]](*sys.argv[2:])
