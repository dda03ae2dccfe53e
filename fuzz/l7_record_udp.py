#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Record UDP datagrams through a loopback proxy straight into an l7 seed
(fuzz/l7_fuzz.h's format, UDP flag set): python3 fuzz/l7_record_udp.py
LISTEN UPSTREAM OUT; ends after 8 s without traffic."""
import socket, sys, select, struct
lp, up, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', lp))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(('127.0.0.1', up))
blob = bytearray([0, 1]); client = None
while True:
    r, _, _ = select.select([s, u], [], [], 8)
    if not r: break
    for x in r:
        if x is s:
            d, client = s.recvfrom(65536); u.send(d); blob += bytes([0]) + struct.pack('>H', len(d)) + d
        else:
            d = u.recv(65536); s.sendto(d, client); blob += bytes([1]) + struct.pack('>H', len(d)) + d
open(out, 'wb').write(blob)
