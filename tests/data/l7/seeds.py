#!/usr/bin/env python3
# Write the seed corpora of fuzz/fuzz_l7_*.c (fuzz/corpus/l7_<proto>/) from
# the recorded sessions here (*.conv) and a few built ones, in the fuzz
# targets' format (fuzz/l7_fuzz.h): [ctl: bit 0 to-client, bit 1 gap]
# [length, 2 bytes LE][bytes]. Run from the repository root.
import os
import struct


def rec(d, b):
    out = b""
    for i in range(0, len(b), 0xffff):
        out += bytes([d]) + struct.pack("<H", len(b[i:i + 0xffff])) + b[i:i + 0xffff]
    return out


def conv(name, flow=0):
    out, f = b"", 0
    for line in open(f"tests/data/l7/{name}.conv"):
        if line.startswith("--"):
            f += 1
            continue
        if f == flow:
            d, h = line.split()
            out += rec(0 if d == "C" else 1, bytes.fromhex(h))
    return out


def mysql_pkt(seq, p):
    return struct.pack("<I", len(p))[:3] + bytes([seq]) + p


def kafka(key, ver, client, body=b""):
    h = struct.pack(">hhi", key, ver, 7) + struct.pack(">h", len(client)) + client + body
    return struct.pack(">I", len(h)) + h


def bson(*kv):
    body = b""
    for k, v in kv:
        if isinstance(v, bytes):
            body += b"\x02" + k + b"\0" + struct.pack("<I", len(v) + 1) + v + b"\0"
        else:
            body += b"\x10" + k + b"\0" + struct.pack("<i", v)
    return struct.pack("<I", len(body) + 5) + body + b"\0"


def mongo(op, body):
    return struct.pack("<iiii", 16 + len(body), 1, 0, op) + body


seeds = {
    "mysql": [conv("mysql"),
              conv("mysql")[:200] + rec(0, mysql_pkt(0, b"\x16SELECT ?") + mysql_pkt(0, b"\x02db"))],
    "postgresql": [conv("postgresql"), conv("postgresql-extended", 1),
                   rec(0, b"\0\0\0\x08\x04\xd2\x16\x2f") + rec(1, b"S")],
    "redis": [conv("redis"), conv("redis-resp3"),
              rec(0, b"config set dir /tmp\r\nSLAVEOF 1.2.3.4 6379\r\n*3\r\n$6\r\nMODULE\r\n$4\r\nLOAD\r\n$3\r\n/x\r\n")],
    "ssh": [conv("ssh"), rec(1, b"hi\r\nSSH-1.5-x\r\n") + rec(0, b"SSH-1.99-y\r\n")],
    "kafka": [rec(0, kafka(18, 3, b"rdkafka", b"\0\x0blibrdkafka\x062.0.2\0") +
                  kafka(3, 1, b"console-producer", b"\0\0\0\x01\0\x06orders"))],
    "mongodb": [rec(0, mongo(2013, b"\0\0\0\0\0" + bson((b"find", b"users"), (b"$db", b"app")))),
                rec(0, mongo(2004, b"\0\0\0\0admin.$cmd\0\0\0\0\0\xff\xff\xff\xff" + bson((b"isMaster", 1)))),
                rec(0, mongo(2012, struct.pack("<iiB", 2013, 100, 1) + b"\xff\xfe"))],
    "smtp": [rec(1, b"220 mx ESMTP\r\n") + rec(0, b"EHLO x\r\nAUTH LOGIN\r\n") + rec(1, b"334 VXNlcm5hbWU6\r\n") +
             rec(0, b"dXNlcg==\r\n") + rec(1, b"235 ok\r\n") + rec(0, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n") +
             rec(1, b"250 ok\r\n250 ok\r\n354 go\r\n") + rec(0, b"Subject: x\r\n\r\n..dot\r\n.\r\nBDAT 3 LAST\r\nabcVRFY x\r\nSTARTTLS\r\n") +
             rec(1, b"220 go\r\n")],
    "ftp": [rec(1, b"220 (vsFTPd 3.0.3)\r\n") + rec(0, b"USER a\r\nPASS b\r\nPASV\r\n") +
            rec(1, b"331 x\r\n230 x\r\n227 Entering Passive Mode (10,0,0,2,195,80).\r\n") +
            rec(0, b"EPSV\r\nPORT 1,2,3,4,5,6\r\nEPRT |2|::1|5282|\r\n") +
            rec(1, b"229 Entering Extended Passive Mode (|||40001|)\r\n") + rec(2, b"") + rec(0, b"AUTH TLS\r\n") +
            rec(1, b"234 go\r\n")],
}
for proto, items in seeds.items():
    d = f"fuzz/corpus/l7_{proto}"
    os.makedirs(d, exist_ok=True)
    for i, s in enumerate(items):
        with open(f"{d}/seed{i}", "wb") as fp:
            fp.write(s)
