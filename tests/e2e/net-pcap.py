#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of tests/e2e/net-inspect.test.

  net-pcap.py pcapng IN.pcap OUT.pcapng   rewrite a pcap as pcapng (SHB, IDB, EPBs)
                                          for when editcap is missing
  net-pcap.py frags OUT.pcap              a raw-IP pcap with hand-made attacks:
                                          overlapping fragments carrying other bytes,
                                          and a benign fragmented datagram
  net-pcap.py compare FLOWS.jsonl CONV.txt L4 LINKHDR
                                          check that each tshark conversation of L4
                                          (tshark -q -z conv,L4) is one flow of ours
                                          with the same frames each way and the same
                                          bytes less LINKHDR per frame; prints what
                                          differs, exits 1 if anything does
  net-pcap.py giveup OUT.pcap             a raw-IP pcap of two Redis connections: one
                                          PING, then bytes Redis cannot parse, then an
                                          HTTP request with an SQL injection; the other
                                          the same injection as a valid SET's value
  net-pcap.py giveup-window OUT.pcap      the same attack inside one segment: PING,
                                          garbage, then the injection just past the
                                          probe window; and garbage then the
                                          injection in one segment after a PING
  net-pcap.py giveup-chunk OUT.pcap       HTTP, then in one segment a valid request,
                                          PostgreSQL's startup and a query: one
                                          injected, the other benign; and a request
                                          then garbage holding a card number
  net-pcap.py evade OUT.pcap              "done" on the client's word: PostgreSQL's
                                          SSLRequest + startup + an injection at once,
                                          refused 'N'; the same accepted 'S', then TLS;
                                          STARTTLS + a ClientHello, 454, then a card
                                          number in clear; a fake TLS handshake to a
                                          cleartext server, a card in "application data"
  net-pcap.py payloads IN.pcap            each TCP segment's payload with one, one
                                          per line as Python bytes (Ethernet, IPv4;
                                          for tests/e2e/net-live.test)
"""
import json
import struct
import sys


def to_pcapng(src, dst):
    d = open(src, "rb").read()
    magic, = struct.unpack("<I", d[:4])
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = struct.unpack(e + "I", d[:4])[0] == 0xA1B23C4D
    snap, link = struct.unpack(e + "II", d[16:24])

    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", t, n) + body + struct.pack("<I", n)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", link & 0xFFFF, 0, snap) +
                 struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0))
    off = 24
    while off + 16 <= len(d):
        s, frac, incl, orig = struct.unpack(e + "IIII", d[off:off + 16])
        off += 16
        ts = s * 10**9 + (frac if nano else frac * 1000)
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, incl, orig) +
                     d[off:off + incl])
        off += incl
    open(dst, "wb").write(out)


def ip4(src, dst, proto, ident, frag, payload):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def frags(dst):
    a, b = [192, 0, 2, 1], [192, 0, 2, 2]
    data = b"overlap test payload...." * 2
    udp = struct.pack(">HHHH", 4000, 4001, 8 + len(data), 0) + data  # 56 bytes
    evil = bytearray(udp[8:24])
    evil[0:4] = b"EVIL"
    pkts = [
        ip4(a, b, 17, 1, 0x2000 | 0, udp[:16]),
        ip4(a, b, 17, 1, 0x2000 | 1, bytes(evil)),  # bytes 8..23 again, other data
        ip4(a, b, 17, 1, 3, udp[24:]),
        # benign: the same datagram fragmented cleanly, from another source
        ip4([192, 0, 2, 3], b, 17, 2, 0x2000 | 0, udp[:24]),
        ip4([192, 0, 2, 3], b, 17, 2, 3, udp[24:]),
    ]
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000, i, len(p), len(p)) + p
    open(dst, "wb").write(out)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def tcp4(src, dst, sport, dport, seq, ack, flags, data=b""):
    hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4,
                      flags, 65535, 0, 0)
    pseudo = bytes(src) + bytes(dst) + struct.pack(">BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    hdr = hdr[:16] + struct.pack(">H", c) + hdr[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(hdr) + len(data), 0, 0x4000, 64, 6, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return ip + hdr + data


def conversation(c, s, cport, sport, steps):
    """steps: (True: client to server | False: back, bytes); a handshake before,
    FINs after."""
    cs, ss = 1000, 5000
    SYN, ACK, PSH, FIN = 2, 16, 8, 1
    pk = [tcp4(c, s, cport, sport, cs, 0, SYN), tcp4(s, c, sport, cport, ss, cs + 1, SYN | ACK),
          tcp4(c, s, cport, sport, cs + 1, ss + 1, ACK)]
    cs += 1
    ss += 1
    for to_server, data in steps:
        if to_server:
            pk.append(tcp4(c, s, cport, sport, cs, ss, PSH | ACK, data))
            cs += len(data)
        else:
            pk.append(tcp4(s, c, sport, cport, ss, cs, PSH | ACK, data))
            ss += len(data)
    pk += [tcp4(c, s, cport, sport, cs, ss, FIN | ACK), tcp4(s, c, sport, cport, ss, cs + 1, FIN | ACK),
           tcp4(c, s, cport, sport, cs + 1, ss + 1, ACK)]
    return pk


SQLI_HTTP = b"GET /search?q=1'%20OR%20'1'='1 HTTP/1.1\r\nHost: shop\r\n\r\n"


def giveup(dst):
    srv = [192, 0, 2, 20]
    ping = b"*1\r\n$4\r\nPING\r\n"
    val = b"1' OR '1'='1"
    pkts = conversation([192, 0, 2, 10], srv, 40000, 6379, [
        (True, ping), (False, b"+PONG\r\n"),
        (True, b"*2\r\n!garbage!\r\n"),  # an array whose element is no bulk string
        (True, SQLI_HTTP)])
    pkts += conversation([192, 0, 2, 11], srv, 40001, 6379, [
        (True, ping), (False, b"+PONG\r\n"),
        (True, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n" % (len(val), val)),
        (False, b"+OK\r\n")])
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)) + p
    open(dst, "wb").write(out)


def giveup_window(dst):
    """The injection where the bytes after a give-up are re-delivered: past the
    2048-byte probe window (BH_NET_PROBE_MAX) of a segment whose window a
    dissector gave up on."""
    srv = [192, 0, 2, 20]
    ping = b"*1\r\n$4\r\nPING\r\n"
    bad = b"*2\r\n!garbage!\r\n"
    win = 2048
    pkts = conversation([192, 0, 2, 12], srv, 40002, 6379, [
        (True, ping + bad + b"x" * (win - len(ping) - len(bad)) + SQLI_HTTP)])
    pkts += conversation([192, 0, 2, 13], srv, 40003, 6379, [
        (True, ping), (False, b"+PONG\r\n"),
        (True, bad + b"x" * (win - len(bad)) + SQLI_HTTP)])
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)) + p
    open(dst, "wb").write(out)


def giveup_chunk(dst):
    """A dissector gives up inside one segment, not at the window's edge: what
    follows is identified from the byte it gave up at."""
    srv = [192, 0, 2, 21]
    req = b"GET /a HTTP/1.1\r\nHost: shop\r\n\r\n"
    startup = struct.pack(">II", 18, 0x30000) + b"user\0bob\0\0"

    def query(q):
        q += b"\0"
        return b"Q" + struct.pack(">I", len(q) + 4) + q
    pkts = []
    for i, q in enumerate([b"SELECT * FROM users WHERE name = '' OR 1=1 -- '",
                           b"SELECT name FROM t WHERE id = 7"]):
        pkts += conversation([192, 0, 2, 30 + i], srv, 40010 + i, 80, [
            (True, req), (False, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            (True, req + startup + query(q))])
    pkts += conversation([192, 0, 2, 32], srv, 40012, 80, [
        (True, req), (True, req + b"\x01\x02junk 4111 1111 1111 1111 end")])
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)) + p
    open(dst, "wb").write(out)


def client_hello(sni):
    ext = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    body = b"\x03\x03" + b"\x5a" * 32 + b"\0" + b"\0\x02\x13\x01" + b"\x01\0"
    body += struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def evade(dst):
    """Encryption announced by the client, then cleartext at once: inspection
    must end on the server's answer only."""
    srv = [192, 0, 2, 22]
    ssl = struct.pack(">II", 8, 80877103)
    startup = struct.pack(">II", 18, 0x30000) + b"user\0bob\0\0"
    q = b"SELECT * FROM users WHERE name = '' OR 1=1 -- '\0"
    query = b"Q" + struct.pack(">I", len(q) + 4) + q
    card = b"card 4111 1111 1111 1111 exp 12/29"
    ch = client_hello(b"mx.example")
    pkts = conversation([192, 0, 2, 40], srv, 40020, 5432, [
        (True, ssl + startup + query), (False, b"N")])
    pkts += conversation([192, 0, 2, 41], srv, 40021, 5432, [
        (True, ssl), (False, b"S"), (True, ch)])
    pkts += conversation([192, 0, 2, 42], srv, 40022, 25, [
        (False, b"220 mx.example ESMTP\r\n"), (True, b"EHLO a\r\n"),
        (False, b"250-mx\r\n250 STARTTLS\r\n"), (True, b"STARTTLS\r\n" + ch),
        (False, b"454 4.7.0 TLS not available\r\n"),
        (True, b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
        (False, b"250 ok\r\n250 ok\r\n354 go\r\n"),
        (True, b"Subject: x\r\n\r\n" + card + b"\r\n.\r\n")])
    pkts += conversation([192, 0, 2, 43], srv, 40023, 443, [
        (True, ch + b"\x17\x03\x03" + struct.pack(">H", len(card)) + card),
        (False, b"HTTP/1.1 400 Bad Request\r\n\r\n")])
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)) + p
    open(dst, "wb").write(out)


def payloads(src):
    d = open(src, "rb").read()
    magic, = struct.unpack("<I", d[:4])
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    link, = struct.unpack(e + "I", d[20:24])
    if link != 1:
        sys.exit("payloads: link type %d, not Ethernet" % link)
    off = 24
    while off + 16 <= len(d):
        incl, = struct.unpack(e + "I", d[off + 8:off + 12])
        pkt = d[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 15) * 4
        tot, = struct.unpack(">H", pkt[16:18])
        tcp = 14 + ihl
        data = pkt[tcp + (pkt[tcp + 12] >> 4) * 4:14 + tot]
        if data:
            print(repr(data))


def split_ep(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), port


def compare(flows, conv, l4, linkhdr):
    ours = {}
    for line in open(flows):
        f = json.loads(line)
        if f["l4"] != l4:
            continue
        k = tuple(sorted([split_ep(f["src"]), split_ep(f["dst"])]))
        ours.setdefault(k, []).append(
            sorted([(f["packets"]["to_server"], f["bytes"]["to_server"]),
                    (f["packets"]["to_client"], f["bytes"]["to_client"])]))
    bad, n, sec = 0, 0, None
    for line in open(conv):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "Conversations":
            sec = parts[0].lower()
        if sec != l4 or len(parts) < 9 or parts[1] != "<->":
            continue
        n += 1
        k = tuple(sorted([split_ep(parts[0]), split_ep(parts[2])]))
        # "<-": frames bytes "bytes"; "->": frames bytes "bytes"  (units may be kB)
        def val(i):
            num, unit = float(parts[i].replace(",", "")), parts[i + 1]
            mult = {"bytes": 1, "kB": 1000, "MB": 10**6}.get(unit, None)
            return None if mult is None else round(num * mult)
        f1, b1, f2, b2 = int(parts[3]), val(4), int(parts[6]), val(7)
        want = sorted([(f1, b1 - linkhdr * f1 if b1 is not None else None),
                       (f2, b2 - linkhdr * f2 if b2 is not None else None)])
        got = ours.get(k)
        if not got:
            print(f"tshark's {l4} conversation {k} is no flow of ours")
            bad += 1
            continue
        g = got.pop(0)
        if [w[0] for w in want] != [x[0] for x in g] or any(
                w[1] is not None and w[1] != x[1] for w, x in zip(want, g)):
            print(f"{k}: tshark {want}, ours {g}")
            bad += 1
    left = sum(len(v) for v in ours.values())
    if left:
        print(f"{left} {l4} flows of ours tshark does not list: {[k for k, v in ours.items() if v]}")
        bad += 1
    print(f"{n} {l4} conversations compared")
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    if sys.argv[1] == "payloads":
        payloads(sys.argv[2])
    elif sys.argv[1] == "pcapng":
        to_pcapng(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "giveup":
        giveup(sys.argv[2])
    elif sys.argv[1] == "giveup-window":
        giveup_window(sys.argv[2])
    elif sys.argv[1] == "giveup-chunk":
        giveup_chunk(sys.argv[2])
    elif sys.argv[1] == "evade":
        evade(sys.argv[2])
    elif sys.argv[1] == "frags":
        frags(sys.argv[2])
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
