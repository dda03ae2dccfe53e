# SPDX-License-Identifier: Apache-2.0
"""Hand-made capture files for the net benches (net-inspect.sh, net-policy.sh):
Ethernet + IPv4 packets, 10 us apart, in a little-endian microsecond pcap."""
import struct

ETH = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"
DNS_QUESTION = b"\x03www\x07example\x03com\0\0\1\0\1"


class Pcap:
    def __init__(self, path, t0=1700000000.0):
        self.f = open(path, "wb")
        self.t = t0
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))

    def pkt(self, src, dst, proto, l4):
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src, dst)
        p = ETH + ip + l4
        self.t += 0.00001
        s = int(self.t)
        us = int((self.t - s) * 1e6)
        self.f.write(struct.pack("<IIII", s, us, len(p), len(p)) + p)

    def close(self):
        self.f.close()


def tcp(sp, dp, seq, ack, fl, data=b""):
    return struct.pack(">HHIIBBHHH", sp, dp, seq, ack, 5 << 4, fl, 65535, 0, 0) + data


def udp(sp, dp, data):
    return struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data
