#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Record one TCP connection through a loopback proxy, for the l7 seeds:
python3 fuzz/l7_record.py LISTEN UPSTREAM PREFIX writes PREFIX.c2s, .s2c and
.seq (who read how much, in order); fuzz/l7_conv.py makes the seed."""
import socket, sys, select
lp, up, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', lp)); ls.listen(1)
c, _ = ls.accept(); s = socket.create_connection(('127.0.0.1', up))
f = {c: open(out + '.c2s', 'wb'), s: open(out + '.s2c', 'wb')}
seq = open(out + '.seq', 'w')
peer = {c: s, s: c}
openn = 2
while openn:
    r, _, _ = select.select([c, s], [], [], 5)
    if not r: break
    for x in r:
        d = x.recv(65536)
        if not d:
            openn = 0; break
        f[x].write(d); seq.write('%s %d\n' % ('c' if x is c else 's', len(d)))
        peer[x].sendall(d)
