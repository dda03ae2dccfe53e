# recording TCP proxy: python3 rec.py LISTEN_PORT UPSTREAM_PORT OUTPREFIX (one connection)
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
