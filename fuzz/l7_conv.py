#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write a recorded TCP conversation as a seed of the l7 fuzz targets.

Recording: python3 fuzz/l7_record.py LISTEN UPSTREAM PREFIX proxies one
connection on loopback and writes PREFIX.c2s, PREFIX.s2c and PREFIX.seq (the
order and size of each read). Then: python3 fuzz/l7_conv.py PREFIX OUT.

Format (fuzz/l7.h): byte 0 the split seed, byte 1 flags (1: UDP), then
chunks: direction (0 to server, 1 to client), 2-byte big-endian length, bytes.
"""
import struct
import sys

prefix, out = sys.argv[1], sys.argv[2]
flags = int(sys.argv[3]) if len(sys.argv) > 3 else 0
data = {'c': open(prefix + '.c2s', 'rb').read(), 's': open(prefix + '.s2c', 'rb').read()}
off = {'c': 0, 's': 0}
blob = bytearray([0, flags])
for line in open(prefix + '.seq'):
    who, n = line.split()
    n = int(n)
    while n:
        k = min(n, 65535)
        blob += bytes([0 if who == 'c' else 1]) + struct.pack('>H', k) + data[who][off[who]:off[who] + k]
        off[who] += k
        n -= k
open(out, 'wb').write(blob)
