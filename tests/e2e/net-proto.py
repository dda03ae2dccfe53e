#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# The peers and hand-made packets of tests/e2e/net-proto.test:
#   grpc-server ADDR PORT        a gRPC server (generic handler, raw bytes: no
#                                generated stubs) answering /bh.Echo/Say
#   grpc-client ADDR PORT N      N unary calls; prints the last answer
#   frag DST KIND...             IP fragments sent by scapy (KIND: overlap,
#                                overlap-same, pod, big, tiny, tiny-near)
#   ftp-server ADDR PORT DIR     pyftpdlib, anonymous, read-only on DIR
#   ftp-client ADDR PORT MODE    ftplib: MODE bounce (PORT to 10.79.0.9),
#                                active (PORT to itself) or passive; LIST
#   smtp-client ADDR PORT VRFY   VRFY that many users, then send one mail
#   banner ADDR PORT LINE        send LINE (CR LF added) and read the answer
#   h2 ADDR PORT KIND N          hand-made HTTP/2 (prior knowledge): KIND reset
#                                (N streams opened and reset at once) or bomb
#                                (one 4000-byte header, then N references)
import socket
import struct
import sys
import time


def grpc_server(addr, port):
    import grpc
    from concurrent import futures

    def say(req, ctx):
        return b"hello, " + req

    handler = grpc.method_handlers_generic_handler(
        "bh.Echo", {"Say": grpc.unary_unary_rpc_method_handler(say)})
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    srv.add_generic_rpc_handlers((handler,))
    srv.add_insecure_port("%s:%s" % (addr, port))
    srv.start()
    srv.wait_for_termination(60)


def grpc_client(addr, port, n):
    import grpc

    with grpc.insecure_channel("%s:%s" % (addr, port)) as ch:
        say = ch.unary_unary("/bh.Echo/Say")
        for i in range(int(n)):
            out = say(b"bulkhead %d" % i, timeout=5)
        print(out.decode())


def frag(dst, *kinds):
    from scapy.all import conf

    conf.verb = 0
    for k in kinds:
        frag1(k, dst)


def frag1(kind, dst):
    from scapy.all import ICMP, IP, UDP, TCP, Raw, fragment, send

    pid = {"overlap": 0x4242, "overlap-same": 0x4243, "pod": 0x4244, "big": 0x4245,
           "tiny": 0x4246, "tiny-near": 0x4247}[kind]
    if kind in ("overlap", "overlap-same"):
        # a UDP datagram of 8 + 32 bytes in two fragments; the second starts at
        # 24, over the last 16 bytes of the first: other bytes, or the same
        data = b"A" * 32
        sport = 4000 if kind == "overlap" else 4010
        udp = bytes(UDP(sport=sport, dport=4001, len=40) / Raw(data))
        udp = udp[:6] + b"\0\0" + udp[8:]  # no checksum
        second = udp[24:] if kind == "overlap-same" else b"B" * 16
        send(IP(dst=dst, id=pid, proto=17, flags="MF", frag=0) / Raw(udp[:40]))
        send(IP(dst=dst, id=pid, proto=17, frag=3) / Raw(second))
    elif kind in ("pod", "big"):
        # ping of death: an echo request whose fragments end past 65535; its
        # near-miss the largest honest one (65507 bytes of data)
        size = 65507 if kind == "big" else 65600
        pkt = IP(dst=dst, id=pid) / ICMP(id=pid, seq=1) / Raw(b"x" * size)
        send(fragment(pkt, fragsize=1480))
    else:
        # a TCP SYN whose first fragment holds 8 bytes of its 20-byte header
        # (tiny), and the same split at 24 bytes (the whole header first)
        tcp = bytes(TCP(sport=4002 if kind == "tiny" else 4012, dport=4003, flags="S", seq=1) / Raw(b"y" * 16))
        cut = 8 if kind == "tiny" else 24
        send(IP(dst=dst, id=pid, proto=6, flags="MF", frag=0) / Raw(tcp[:cut]))
        send(IP(dst=dst, id=pid, proto=6, frag=cut // 8) / Raw(tcp[cut:]))


def ftp_server(addr, port, root):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

    auth = DummyAuthorizer()
    auth.add_anonymous(root)
    FTPHandler.authorizer = auth
    FTPHandler.permit_foreign_addresses = False  # the bounce is refused, and still sent
    srv = FTPServer((addr, int(port)), FTPHandler)
    srv.serve_forever(timeout=1)


def ftp_client(addr, port, mode):
    import ftplib

    ftp = ftplib.FTP()
    ftp.connect(addr, int(port), timeout=5)
    ftp.login()
    if mode == "bounce":
        try:
            print(ftp.sendcmd("PORT 10,79,0,9,0,25"))
        except ftplib.error_perm as e:
            print(e)
    else:
        ftp.set_pasv(mode == "passive")
        print("\n".join(ftp.nlst()))
    ftp.quit()


def smtp_client(addr, port, vrfy):
    import smtplib

    s = smtplib.SMTP(addr, int(port), timeout=5)
    s.ehlo("client.test")
    for i in range(int(vrfy)):
        s.verify("user%d" % i)
    s.sendmail("ann@client.test", ["bob@server.test"],
               "Subject: hello\r\n\r\nsee you at noon\r\n")
    s.quit()
    print("sent")


def banner(addr, port, line):
    s = socket.create_connection((addr, int(port)), timeout=5)
    s.sendall(line.encode() + b"\r\n")
    got = b""
    try:
        while len(got) < 4096:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    print(got.split(b"\n")[0].decode(errors="replace").strip())


def h2frame(typ, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([typ, flags]) + \
        struct.pack(">I", sid) + payload


def hstr(s):
    assert len(s) < 127
    return bytes([len(s)]) + s


def hdrs(extra=b""):
    # :method GET (2), :scheme http (6), :path / (4), :authority (1, literal)
    return b"\x82\x86\x84" + b"\x41" + hstr(b"h2.test") + extra


def h2(addr, port, kind, n):
    n = int(n)
    s = socket.create_connection((addr, int(port)), timeout=5)
    sport = s.getsockname()[1]
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2frame(4, 0, 0, b"")
    if kind == "reset":
        for i in range(n):
            sid = 1 + 2 * i
            out += h2frame(1, 0x5, sid, hdrs())  # END_STREAM|END_HEADERS
            out += h2frame(3, 0, sid, struct.pack(">I", 8))  # RST_STREAM CANCEL
    else:
        # x-pad: 4000 bytes, added to the dynamic table (literal with incremental
        # indexing, new name), then referred to by index 62 n times
        big = b"\x40" + hstr(b"x-pad") + b"\x7f" + bytes([0x80 | ((4000 - 127) & 0x7f)]) + \
            bytes([(4000 - 127) >> 7]) + b"p" * 4000
        out += h2frame(1, 0x5, 1, hdrs(big + b"\xbe" * n))
    out += h2frame(7, 0, 0, struct.pack(">II", 0, 0))  # GOAWAY
    s.sendall(out)
    s.shutdown(socket.SHUT_WR)  # nginx answers, then closes: no wait for a timeout
    s.settimeout(2)
    got, end = 0, "closed"
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
    except socket.timeout:
        end = "timeout"
    except ConnectionResetError:
        end = "reset"
    s.close()
    # what the test prints when the flow is not what it expected
    print("%s %d: port %d, sent %d bytes, got %d, %s" %
          (kind, n, sport, len(out), got, end))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"grpc-server": grpc_server, "grpc-client": grpc_client, "frag": frag,
     "ftp-server": ftp_server, "ftp-client": ftp_client, "smtp-client": smtp_client,
     "banner": banner, "h2": h2}[cmd](*args)
