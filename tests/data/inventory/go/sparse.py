#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# Make a small fixture from a real Go binary: keep the bytes a build info
# reader looks at (ELF header, program headers and the notes of the first
# page, the section header table, the section name table, .go.buildinfo and
# what its pointers reach) and zero the rest, then gzip it. The result has
# the binary's layout and size, so readers that rely on offsets see what
# they would in the real file, and it compresses to a few KiB.
#
#   sparse.py BINARY OUT.gz
import gzip, struct, sys

src, out = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
keep = bytearray(len(b))
def k(off, n):
    keep[off:off + n] = b[off:off + n]
assert b[:4] == b'\x7fELF' and b[4] == 2 and b[5] == 1, "64-bit little-endian ELF only"
phoff, shoff = struct.unpack_from('<QQ', b, 32)
phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from('<HHHHH', b, 54)
k(0, 4096)  # header, program headers, notes (the Go build ID note ends at 0x1000)
k(phoff, phentsize * phnum)
k(shoff, shentsize * shnum)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
name_off, name_size = secs[shstrndx][4], secs[shstrndx][5]
k(name_off, name_size)
for s in secs:
    name = b[name_off + s[0]:b.index(b'\0', name_off + s[0])]
    if name == b'.go.buildinfo':
        k(s[4], s[5])
open(out, 'wb').write(gzip.compress(bytes(keep), 9, mtime=0))
