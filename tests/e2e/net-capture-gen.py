#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hand-made attack captures for tests/e2e/net-capture.test.

net-capture-gen.py attacks OUT.pcap [SYNS]
  Ethernet pcap: a benign HTTP flow (10.1.0.1:40001 -> 10.9.0.9:80); an HTTP
  flow (10.1.0.2:40002) of 8 benign requests, one whose query is an SQL
  injection, then 6 segments after it; and a SYN flood of SYNS (default 2500)
  SYNs in half a second from 10.2.x.y to 10.9.0.9:443.
Prints, one per line: the packets of the SQLi flow before the injection
(handshake included), its packets after it.
"""
import struct
import sys

ETH = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1700000000.0

    def pkt(self, src, dst, proto, l4, dt=0.001):
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0,
                         bytes(src), bytes(dst))
        p = ETH + ip + l4
        self.t += dt
        s = int(self.t)
        us = int(round((self.t - s) * 1e6))
        self.f.write(struct.pack("<IIII", s, us, len(p), len(p)) + p)


def tcp(sp, dp, seq, ack, fl, data=b""):
    return struct.pack(">HHIIBBHHH", sp, dp, seq, ack, 5 << 4, fl, 65535, 0, 0) + data


BENIGN = b"GET /items?page=2 HTTP/1.1\r\nHost: shop\r\n\r\n"
SQLI = b"GET /items?id=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\nHost: shop\r\n\r\n"


def http_flow(w, c, n_before, inject, n_after):
    cl, sv, cp = [10, 1, 0, c], [10, 9, 0, 9], 40000 + c
    cs, ss = 1000, 5000
    w.pkt(cl, sv, 6, tcp(cp, 80, cs, 0, 0x02))
    w.pkt(sv, cl, 6, tcp(80, cp, ss, cs + 1, 0x12))
    w.pkt(cl, sv, 6, tcp(cp, 80, cs + 1, ss + 1, 0x10))
    cs += 1
    ss += 1
    before = 3
    for _ in range(n_before):
        w.pkt(cl, sv, 6, tcp(cp, 80, cs, ss, 0x18, BENIGN))
        cs += len(BENIGN)
        before += 1
    if inject:
        w.pkt(cl, sv, 6, tcp(cp, 80, cs, ss, 0x18, SQLI))
        cs += len(SQLI)
    for _ in range(n_after):
        w.pkt(sv, cl, 6, tcp(80, cp, ss, cs, 0x10))
    return before


def main():
    out = sys.argv[2]
    syns = int(sys.argv[3]) if len(sys.argv) > 3 else 2500
    w = Pcap(out)
    http_flow(w, 1, 3, False, 2)
    before = http_flow(w, 2, 8, True, 6)
    for i in range(syns):
        src = [10, 2, (i >> 8) & 255, i & 255]
        w.pkt(src, [10, 9, 0, 9], 6, tcp(30000 + i % 30000, 443, i * 7919, 0, 0x02), dt=0.5 / syns)
    w.f.close()
    print(before)
    print(6)


if __name__ == "__main__":
    main()
