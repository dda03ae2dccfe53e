#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A slow reader of GET /api/v1/stream for serve-stream.test: a small receive
# buffer, the response headers read, then nothing read until the file GO
# exists; then everything that comes within 3 s, to OUT.
# usage: serve-stream-reader.py PORT CA TOKEN GO OUT
import os, socket, ssl, sys, time

port, ca, token, go, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.connect(("127.0.0.1", int(port)))
s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
s.sendall(("GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
           % token).encode())
head = b""
while b"\r\n\r\n" not in head:
    b = s.recv(1)
    if not b:
        break
    head += b
with open(out + ".head", "wb") as f:
    f.write(head)
while not os.path.exists(go):
    time.sleep(0.05)
s.settimeout(0.5)
data = b""
end = time.time() + 3
while time.time() < end:
    try:
        b = s.recv(65536)
    except (socket.timeout, ssl.SSLWantReadError):
        continue
    if not b:
        break
    data += b
with open(out, "wb") as f:
    f.write(data)
