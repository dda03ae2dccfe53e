#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The host side of the quarantine tests and bench.

  serve ADDR PORT DIR   HTTP server: every GET adds one to DIR/count (written
                        atomically); a GET of /violate writes the time it was
                        seen (CLOCK_MONOTONIC, ns) to DIR/violate.
  ping ADDR N TIMEOUT   N ICMP echoes (raw socket), one at a time; prints the
                        number answered; exit 0 if any was, 1 if none.
"""
import http.server
import os
import socket
import struct
import sys
import time


def serve(addr, port, d):
    count = [0]

    def put(name, text):
        tmp = os.path.join(d, "." + name)
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(d, name))

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/violate":
                put("violate", str(time.clock_gettime_ns(time.CLOCK_MONOTONIC)))
            count[0] += 1
            put("count", str(count[0]))
            body = b"ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    put("count", "0")
    s = http.server.ThreadingHTTPServer((addr, port), H)
    s.daemon_threads = True
    put("ready", "1")
    s.serve_forever()


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(addr, n, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    ok = 0
    for seq in range(n):
        payload = b"bulkhead-quarantine"
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload
        s.sendto(pkt, (addr, 0))
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, src = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0x0F) * 4
            t, _, _, i, q = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if src[0] == addr and t == 0 and i == ident and q == seq:
                ok += 1
                break
    print(ok)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "ping":
        sys.exit(ping(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit("usage: quarantine-peer.py serve ADDR PORT DIR | ping ADDR N TIMEOUT")
