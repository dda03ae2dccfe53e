#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build container images for tests and benchmarks, correct or broken on purpose.

Writes an OCI image layout (a directory, or a tar of one) or a docker-archive
(`docker save` format) from a description of layers. Each layer is one of

  dir      a directory tree on disk, streamed into the tar in sorted order
  members  a list of raw tar members, written verbatim: any name ("../../etc/x",
           "/etc/x"), symlinks and hard links to anything, devices, whiteouts
  tar      an existing uncompressed tar, used as is
  bomb     one file of N zero bytes (a gzip bomb when compressed)

Everything streams: layers are hashed (diff_id and blob digest) as they are
written, so trees of several hundred MB and a 1 GiB bomb cost no memory.
Output is reproducible (fixed mtimes, gzip without name or timestamp).

Usage:
  mkimage.py [--spec FILE|-] [--format oci|oci-archive|docker-archive]
             [--layer KIND:ARG[,key=value...]]... [--compression gzip|zstd|none]
             [--corrupt KIND[=ARG]]... [--summary] OUT

  --layer dir:PATH[,prefix=usr][,include=bin+sbin][,exclude=a+b][,max_bytes=N]
  --layer members:FILE.json      (a JSON array of member objects, see below)
  --layer tar:FILE.tar
  --layer bomb:SIZE[,name=zeros] (SIZE: bytes, or with K/M/G suffix)
  Any layer takes compression=, level=, media_type=.

Spec (JSON; command-line options add to it):
  {"format": "oci", "ref": "latest", "repo_tags": ["test:latest"],
   "platform": "linux/amd64", "config": {"Cmd": ["/bin/sh"]},
   "layers": [{"dir": "/usr", "include": ["bin"], "prefix": "usr"},
              {"members": [{"name": "../../etc/x", "data": "pwned\\n"}]},
              {"bomb": 1073741824}],
   "corrupt": ["layer-digest=1", "size-lie=2:+1000"]}

Member objects: name (required, written verbatim), type (file, dir, symlink,
hardlink, char, block, fifo, whiteout, opaque; default file), mode (integer or
octal string), uid, gid, uname, gname, mtime, data (text) | data_b64 | size
(zero-filled) | from (a file on disk), link (symlink/hard link target), major,
minor, pax (extra PAX header records). "whiteout" writes DIR/.wh.NAME for
name DIR/NAME; "opaque" writes NAME/.wh..wh..opq for directory NAME.

Corruptions (layer numbers are 1-based; "config" / "manifest" where noted):
  layer-digest=N        the manifest names a digest that is not the blob's
                        sha256 (the blob is stored under that wrong name)
  diff-id=N             the config's rootfs.diff_ids[N] is wrong
  truncate=N[:BYTES]    the layer blob is cut to BYTES (default half); the
                        descriptor's digest and size describe the cut blob
  truncate-raw=N[:BYTES] the blob is cut; the descriptor is left as it was
  missing-blob=N|config|manifest   the descriptor points at a blob that is not
                        there (docker-archive: manifest.json names a missing file)
  size-lie=N|config|manifest[:DELTA]  the descriptor's size is off by DELTA
                        (default +1000)
  huge-config-string=BYTES  the config carries a label of BYTES 'A's (streamed)
  media-type=N:TYPE     layer N's descriptor has media type TYPE
  nondistributable=N    layer N is declared non-distributable (foreign) with urls
  replace=PATH:TEXT     file PATH of the layout/archive (index.json, oci-layout,
                        manifest.json, ...) gets content TEXT ("@FILE" reads FILE)
  drop=PATH             file PATH of the layout/archive is left out

--summary prints what was written as JSON on stdout: format, manifest and
config digests, and each layer's digest, size, diff_id, media type,
uncompressed size and number of tar members (-1 for a tar layer that is not
a tar).
"""

import argparse
import base64
import grp
import hashlib
import io
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zlib

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MT_NONDIST = {
    "none": "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "gzip": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
}
REF_ANNOTATION = "org.opencontainers.image.ref.name"
FIXED_MTIME = 1700000000  # 2023-11-14, for layout files and generated members
CHUNK = 1 << 20


def die(msg):
    print("mkimage: error: " + msg, file=sys.stderr)
    sys.exit(2)


def parse_size(s):
    """Bytes from "123", "0x10", "4K", "100M", "1G" or "1GiB" (binary units)."""
    t = str(s).strip().upper()
    for suffix in ("IB", "B"):
        if t.endswith(suffix) and len(t) > len(suffix) and t[-len(suffix) - 1] in "KMGT":
            t = t[: -len(suffix)]
            break
    mult = 1
    if t and t[-1] in "KMGT":
        mult = 1 << (10 * ("KMGT".index(t[-1]) + 1))
        t = t[:-1]
    try:
        return int(t, 0) * mult
    except ValueError:
        die("bad size %r" % (s,))


# ---- streaming sinks --------------------------------------------------------


class BlobWriter:
    """A file being written under a temporary name, hashed and counted as it goes."""

    def __init__(self, dirpath):
        fd, self.tmp = tempfile.mkstemp(prefix=".tmp-blob-", dir=dirpath)
        os.fchmod(fd, 0o644)
        self.f = os.fdopen(fd, "wb", buffering=CHUNK)
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.f.write(b)
        return len(b)

    def close(self):
        self.f.close()
        return "sha256:" + self.h.hexdigest(), self.n


class LayerStream:
    """The uncompressed tar stream of one layer: hashed (diff_id), counted, and
    compressed into a blob. tarfile writes into it."""

    def __init__(self, blobdir, compression, level):
        self.compression = compression
        self.blob = BlobWriter(blobdir)
        self.h = hashlib.sha256()
        self.n = 0
        self.proc = None
        self.z = None
        if compression == "gzip":
            # wbits 31: a gzip wrapper with mtime 0 and no file name (reproducible).
            self.z = zlib.compressobj(level if level is not None else 6, zlib.DEFLATED, 31, 9)
        elif compression == "zstd":
            if shutil.which("zstd") is None:
                die("zstd compression needs the zstd command")
            self.blob.f.flush()
            self.proc = subprocess.Popen(
                ["zstd", "-q", "-c", "-%d" % (level if level is not None else 3), "-T0"],
                stdin=subprocess.PIPE, stdout=self.blob.f.fileno())
        elif compression != "none":
            die("unknown compression %r" % compression)

    def tell(self):
        return self.n

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        if self.z is not None:
            out = self.z.compress(b)
            if out:
                self.blob.write(out)
        elif self.proc is not None:
            self.proc.stdin.write(b)
        else:
            self.blob.write(b)
        return len(b)

    def write_raw_compressed(self, b):
        """Append already-compressed bytes (gzip bomb fast path)."""
        self.blob.write(b)

    def close(self):
        """Returns (tmp blob path, digest, size, diff_id, uncompressed size)."""
        if self.z is not None:
            self.blob.write(self.z.flush(zlib.Z_FINISH))
        if self.proc is not None:
            self.proc.stdin.close()
            if self.proc.wait() != 0:
                die("zstd failed")
            self.blob.f.close()
            h = hashlib.sha256()
            n = 0
            with open(self.blob.tmp, "rb") as f:
                while True:
                    b = f.read(CHUNK)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
            digest, size = "sha256:" + h.hexdigest(), n
        else:
            digest, size = self.blob.close()
        return self.blob.tmp, digest, size, "sha256:" + self.h.hexdigest(), self.n


# ---- tar members --------------------------------------------------------------

_TYPES = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


class ZeroReader:
    def __init__(self, n, fill=b"\0"):
        self.left = n
        self.block = fill * CHUNK

    def read(self, n=-1):
        if n < 0 or n > self.left:
            n = self.left
        n = min(n, CHUNK)
        self.left -= n
        return self.block[:n]


def _mode(v, default):
    if v is None:
        return default
    if isinstance(v, str):
        return int(v, 8)
    return int(v)


def add_member(tar, m, counter):
    """Write one raw member object (see the module doc) into tar."""
    if "name" not in m:
        die("a member needs a name: %r" % (m,))
    kind = m.get("type", "dir" if m["name"].endswith("/") and m["name"] != "/" else "file")
    name = m["name"]
    if kind == "whiteout":
        d, _, base = name.rstrip("/").rpartition("/")
        name = (d + "/" if d else "") + ".wh." + base
        kind = "file"
    elif kind == "opaque":
        name = name.rstrip("/") + "/.wh..wh..opq"
        kind = "file"
    if kind not in _TYPES:
        die("unknown member type %r" % kind)
    ti = tarfile.TarInfo(name)
    ti.type = _TYPES[kind]
    ti.mode = _mode(m.get("mode"), 0o755 if kind == "dir" else (0o777 if kind == "symlink" else 0o644))
    ti.uid = int(m.get("uid", 0))
    ti.gid = int(m.get("gid", 0))
    ti.uname = m.get("uname", "root" if ti.uid == 0 else "")
    ti.gname = m.get("gname", "root" if ti.gid == 0 else "")
    ti.mtime = int(m.get("mtime", FIXED_MTIME))
    if "pax" in m:
        ti.pax_headers = {str(k): str(v) for k, v in m["pax"].items()}
    fobj = None
    if kind in ("symlink", "hardlink"):
        if "link" not in m:
            die("member %r needs a link" % name)
        ti.linkname = m["link"]
    elif kind in ("char", "block"):
        ti.devmajor = int(m.get("major", 0))
        ti.devminor = int(m.get("minor", 0))
    elif kind == "file":
        if "data" in m:
            data = m["data"].encode()
        elif "data_b64" in m:
            data = base64.b64decode(m["data_b64"])
        else:
            data = None
        if data is not None:
            ti.size = len(data)
            fobj = io.BytesIO(data)
        elif "from" in m:
            ti.size = os.stat(m["from"]).st_size
            fobj = open(m["from"], "rb")
        elif "size" in m:
            ti.size = parse_size(m["size"])
            fobj = ZeroReader(ti.size, m.get("fill", "\0").encode()[:1] or b"\0")
    tar.addfile(ti, fobj)
    if fobj is not None and hasattr(fobj, "close"):
        fobj.close()
    counter[0] += 1


class _Ids:
    def __init__(self):
        self.u = {}
        self.g = {}

    def uname(self, uid):
        if uid not in self.u:
            try:
                self.u[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                self.u[uid] = ""
        return self.u[uid]

    def gname(self, gid):
        if gid not in self.g:
            try:
                self.g[gid] = grp.getgrgid(gid).gr_name
            except KeyError:
                self.g[gid] = ""
        return self.g[gid]


def add_tree(tar, layer, counter):
    """Stream a directory tree into tar, sorted bytewise, hard links kept."""
    root = layer["dir"]
    if not os.path.isdir(root):
        die("not a directory: %s" % root)
    prefix = layer.get("prefix", "").strip("/")
    include = layer.get("include")
    exclude = set(layer.get("exclude", []))
    # max_bytes: files that would pass it are left out; the walk stops at 95%.
    budget = parse_size(layer["max_bytes"]) if "max_bytes" in layer else None
    ids = _Ids()
    inodes = {}
    used = [0]

    def tarinfo(path, arc, st):
        ti = tarfile.TarInfo(arc)
        ti.mode = stat.S_IMODE(st.st_mode)
        ti.uid, ti.gid = st.st_uid, st.st_gid
        ti.uname, ti.gname = ids.uname(st.st_uid), ids.gname(st.st_gid)
        ti.mtime = int(st.st_mtime)
        m = st.st_mode
        if stat.S_ISDIR(m):
            ti.type = tarfile.DIRTYPE
        elif stat.S_ISREG(m):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in inodes:
                ti.type = tarfile.LNKTYPE
                ti.linkname = inodes[key]
            else:
                if st.st_nlink > 1:
                    inodes[key] = arc
                ti.type = tarfile.REGTYPE
                ti.size = st.st_size
        elif stat.S_ISLNK(m):
            ti.type = tarfile.SYMTYPE
            ti.linkname = os.readlink(path)
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            ti.type = tarfile.CHRTYPE if stat.S_ISCHR(m) else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
        elif stat.S_ISFIFO(m):
            ti.type = tarfile.FIFOTYPE
        else:
            return None  # sockets and doors are not archived
        return ti

    def emit(path, arc, st):
        if budget is not None and used[0] >= budget * 0.95:
            return False  # full enough: stop the walk
        if budget is not None and stat.S_ISREG(st.st_mode) and used[0] + st.st_size > budget:
            return True  # does not fit: left out (a later hard link to it becomes the file)
        ti = tarinfo(path, arc, st)
        if ti is None:
            return True
        if ti.type == tarfile.REGTYPE:
            used[0] += ti.size
            try:
                f = open(path, "rb")
            except OSError as e:
                print("mkimage: warning: skipping %s: %s" % (path, e), file=sys.stderr)
                return True
            with f:
                tar.addfile(ti, _Exact(f, ti.size))
        else:
            tar.addfile(ti)
        counter[0] += 1
        return True

    # Parent directories of the prefix, with the root's metadata.
    rst = os.lstat(root)
    if prefix:
        parts = prefix.split("/")
        for i in range(len(parts)):
            emit(root, "/".join(parts[: i + 1]), rst)

    def children(path):
        try:
            names = os.listdir(os.fsencode(path))
        except OSError as e:
            print("mkimage: warning: skipping %s: %s" % (path, e), file=sys.stderr)
            return []
        return [os.fsdecode(n) for n in sorted(names)]

    top = children(root)
    if include is not None:
        inc = set(include)
        top = [n for n in top if n in inc]
    top = [n for n in top if n not in exclude]
    # Iterative depth-first walk; each directory's children in bytewise order.
    stack = [(root, prefix, n) for n in reversed(top)]
    while stack:
        parent, parc, name = stack.pop()
        path = os.path.join(parent, name)
        arc = parc + "/" + name if parc else name
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not emit(path, arc, st):
            return
        if stat.S_ISDIR(st.st_mode):
            for n in reversed(children(path)):
                stack.append((path, arc, n))


class _Exact:
    """Read exactly n bytes from f, zero-padding a file that shrank."""

    def __init__(self, f, n):
        self.f = f
        self.left = n

    def read(self, n=-1):
        if self.left <= 0:
            return b""
        if n < 0 or n > self.left:
            n = self.left
        b = self.f.read(n)
        if len(b) < n:
            b += b"\0" * (n - len(b))
        self.left -= len(b)
        return b


def write_bomb(stream, size, name, level):
    """A tar with one SIZE-byte file of zeros, streamed. For gzip, identical
    full-flush deflate blocks are computed once and repeated, so a 1 GiB bomb
    takes about a second; the trailer CRC covers every byte."""
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = 0o644
    ti.mtime = FIXED_MTIME
    ti.uname = ti.gname = "root"
    header = ti.tobuf(tarfile.GNU_FORMAT)
    pad = (-size) % tarfile.BLOCKSIZE
    total = len(header) + size + pad + 2 * tarfile.BLOCKSIZE
    trailer = b"\0" * (pad + 2 * tarfile.BLOCKSIZE + ((-total) % tarfile.RECORDSIZE))
    if stream.z is None:
        stream.write(header)
        zr = ZeroReader(size)
        while True:
            b = zr.read(CHUNK)
            if not b:
                break
            stream.write(b)
        stream.write(trailer)
        return
    # gzip: raw deflate with our own gzip wrapper so blocks can be repeated.
    block = 4 * CHUNK
    zeros = b"\0" * block
    z = zlib.compressobj(level if level is not None else 9, zlib.DEFLATED, -15, 9)
    crc = 0
    out = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"]
    out.append(z.compress(header) + z.flush(zlib.Z_FULL_FLUSH))
    crc = zlib.crc32(header, crc)
    stream.h.update(header)
    stream.n += len(header)
    for b in out:
        stream.write_raw_compressed(b)
    left = size
    # After a full flush the compressor starts afresh, so equal input gives
    # equal output; checked on the second and third block before repeating.
    seen = []
    while left >= block:
        if len(seen) == 3 and seen[1] == seen[2]:
            c = seen[2]
        else:
            c = z.compress(zeros) + z.flush(zlib.Z_FULL_FLUSH)
            if len(seen) < 3:
                seen.append(c)
        stream.write_raw_compressed(c)
        crc = zlib.crc32(zeros, crc)
        stream.h.update(zeros)
        stream.n += block
        left -= block
    rest = b"\0" * left + trailer
    c = z.compress(rest) + z.flush(zlib.Z_FINISH)
    crc = zlib.crc32(rest, crc)
    stream.h.update(rest)
    stream.n += len(rest)
    stream.write_raw_compressed(c)
    stream.write_raw_compressed((crc & 0xFFFFFFFF).to_bytes(4, "little") +
                                (stream.n & 0xFFFFFFFF).to_bytes(4, "little"))
    stream.z = None  # finished by hand


def build_layer(layer, blobdir, default_comp):
    comp = layer.get("compression", default_comp)
    level = int(layer["level"]) if "level" in layer else None
    stream = LayerStream(blobdir, comp, level)
    counter = [0]
    if "bomb" in layer:
        write_bomb(stream, parse_size(layer["bomb"]), layer.get("name", "zeros"), level)
        counter[0] = 1
    elif "tar" in layer:
        with open(layer["tar"], "rb") as f:
            while True:
                b = f.read(CHUNK)
                if not b:
                    break
                stream.write(b)
        try:
            with tarfile.open(layer["tar"], "r|") as t:
                counter[0] = sum(1 for _ in t)
        except tarfile.TarError:
            counter[0] = -1  # not a tar: used as is all the same
    else:
        fmt = {"gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT,
               "ustar": tarfile.USTAR_FORMAT}[layer.get("tar_format", "pax")]
        tar = tarfile.TarFile(fileobj=stream, mode="w", format=fmt, copybufsize=CHUNK,
                              encoding="utf-8", errors="surrogateescape")
        if "dir" in layer:
            add_tree(tar, layer, counter)
        elif "members" in layer:
            members = layer["members"]
            if isinstance(members, str):
                with open(members) as f:
                    members = json.load(f)
            for m in members:
                add_member(tar, m, counter)
        else:
            die("a layer needs dir, members, tar or bomb: %r" % (layer,))
        tar.close()
    tmp, digest, size, diff_id, usize = stream.close()
    mt = layer.get("media_type") or MT_LAYER[comp]
    return {"tmp": tmp, "digest": digest, "size": size, "diff_id": diff_id, "usize": usize,
            "media_type": mt, "compression": comp, "entries": counter[0]}


# ---- layout -------------------------------------------------------------------


def sha256_file(path):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            h.update(b)
            n += len(b)
    return "sha256:" + h.hexdigest(), n


def hexof(d):
    return d.split(":", 1)[1]


def write_bytes_blob(blobdir, data):
    w = BlobWriter(blobdir)
    w.write(data)
    d, n = w.close()
    dst = os.path.join(blobdir, hexof(d))
    os.replace(w.tmp, dst)
    return d, n


def write_config_blob(blobdir, cfg, huge):
    """The config blob; with huge > 0 a label of that many 'A's is streamed in."""
    if not huge:
        return write_bytes_blob(blobdir, json.dumps(cfg, separators=(",", ":")).encode())
    mark = "@@mkimage-huge-string@@"
    cfg.setdefault("config", {}).setdefault("Labels", {})["huge"] = mark
    text = json.dumps(cfg, separators=(",", ":"), ensure_ascii=False)
    pre, post = text.split(mark, 1)
    w = BlobWriter(blobdir)
    w.write(pre.encode())
    a = b"A" * CHUNK
    left = huge
    while left > 0:
        n = min(left, CHUNK)
        w.write(a[:n])
        left -= n
    w.write(post.encode())
    d, n = w.close()
    os.replace(w.tmp, os.path.join(blobdir, hexof(d)))
    return d, n


def parse_corruptions(items):
    out = []
    for it in items or []:
        kind, _, arg = str(it).partition("=")
        out.append((kind.strip(), arg))
    return out


def layer_no(arg, nlayers, what):
    try:
        n = int(arg)
    except ValueError:
        die("%s: layer number expected, got %r" % (what, arg))
    if not 1 <= n <= nlayers:
        die("%s: layer %d out of range 1..%d" % (what, n, nlayers))
    return n - 1


def build(spec, out, summary):
    fmt = spec.get("format") or ("oci-archive" if out.endswith(".tar") else "oci")
    if fmt not in ("oci", "oci-archive", "docker-archive"):
        die("unknown format %r" % fmt)
    docker = fmt == "docker-archive"
    default_comp = spec.get("compression") or ("none" if docker else "gzip")
    layers_spec = spec.get("layers") or []
    corrupt = parse_corruptions(spec.get("corrupt"))
    replace = {}
    drop = set()

    if os.path.lexists(out):
        die("%s exists" % out)
    parent = os.path.dirname(os.path.abspath(out))
    work = tempfile.mkdtemp(prefix=".mkimage-", dir=parent)
    tmp_out = out + ".tmp-mkimage"
    os.chmod(work, 0o755)
    try:
        blobdir = os.path.join(work, "blobs", "sha256")
        os.makedirs(blobdir)
        layers = [build_layer(ls, blobdir, default_comp) for ls in layers_spec]
        for L in layers:
            L["path"] = os.path.join(blobdir, hexof(L["digest"]))
            os.replace(L["tmp"], L["path"])
        n = len(layers)

        missing = []
        size_lie = {}
        huge = 0
        bad_diff = set()
        for kind, arg in corrupt:
            if kind == "layer-digest":
                if docker:
                    die("layer-digest: a docker-archive has no layer digests (use diff-id)")
                L = layers[layer_no(arg, n, kind)]
                h = hashlib.sha256(bytes.fromhex(hexof(L["digest"])) + b"corrupt")
                fake = "sha256:" + h.hexdigest()
                newpath = os.path.join(blobdir, hexof(fake))
                os.replace(L["path"], newpath)
                L["path"], L["digest"], L["true_digest"] = newpath, fake, L["digest"]
            elif kind == "diff-id":
                bad_diff.add(layer_no(arg, n, kind))
            elif kind in ("truncate", "truncate-raw"):
                num, _, nb = arg.partition(":")
                L = layers[layer_no(num, n, kind)]
                cut = parse_size(nb) if nb else L["size"] // 2
                with open(L["path"], "r+b") as f:
                    f.truncate(cut)
                if kind == "truncate":
                    d, sz = sha256_file(L["path"])
                    newpath = os.path.join(blobdir, hexof(d))
                    os.replace(L["path"], newpath)
                    L["path"], L["digest"], L["size"] = newpath, d, sz
                    if L["compression"] == "none":
                        L["diff_id"] = d
            elif kind == "missing-blob":
                missing.append(arg if arg in ("config", "manifest") else layer_no(arg, n, kind))
            elif kind == "size-lie":
                if docker:
                    die("size-lie: a docker-archive has no descriptors")
                what, _, delta = arg.partition(":")
                key = what if what in ("config", "manifest") else layer_no(what, n, kind)
                size_lie[key] = int(delta) if delta else 1000
            elif kind == "huge-config-string":
                huge = parse_size(arg)
            elif kind == "media-type":
                num, _, mt = arg.partition(":")
                if not mt:
                    die("media-type=N:TYPE")
                layers[layer_no(num, n, kind)]["media_type"] = mt
            elif kind == "nondistributable":
                L = layers[layer_no(arg, n, kind)]
                L["media_type"] = MT_NONDIST[L["compression"]]
                L["urls"] = ["https://example.invalid/blobs/" + L["digest"]]
            elif kind == "replace":
                p, sep, text = arg.partition(":")
                if not sep:
                    die("replace=PATH:TEXT")
                if text.startswith("@"):
                    with open(text[1:], "rb") as f:
                        replace[p] = f.read()
                else:
                    replace[p] = text.encode()
            elif kind == "drop":
                drop.add(arg)
            else:
                die("unknown corruption %r" % kind)

        # Config.
        os_, _, arch = (spec.get("platform") or "linux/amd64").partition("/")
        arch, _, variant = arch.partition("/")
        diff_ids = []
        for i, L in enumerate(layers):
            d = L["diff_id"]
            if i in bad_diff:
                d = "sha256:" + hashlib.sha256(bytes.fromhex(hexof(d)) + b"wrong").hexdigest()
            diff_ids.append(d)
        ccfg = {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": ["/bin/sh"]}
        ccfg.update(spec.get("config") or {})
        cfg = {"created": "2023-11-14T22:13:20Z", "architecture": arch, "os": os_}
        if variant:
            cfg["variant"] = variant
        cfg["config"] = ccfg
        cfg["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
        cfg["history"] = [{"created": "2023-11-14T22:13:20Z",
                           "created_by": "mkimage.py layer %d" % (i + 1)} for i in range(n)]
        cdigest, csize = write_config_blob(blobdir, cfg, huge)
        cpath = os.path.join(blobdir, hexof(cdigest))

        # Manifest.
        def desc(mt, digest, size, key, extra=None):
            d = {"mediaType": mt, "digest": digest, "size": size + size_lie.get(key, 0)}
            if extra:
                d.update(extra)
            return d

        mdoc = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                "config": desc(MT_CONFIG, cdigest, csize, "config"),
                "layers": [desc(L["media_type"], L["digest"], L["size"], i,
                                {"urls": L["urls"]} if "urls" in L else None)
                           for i, L in enumerate(layers)]}
        mdigest, msize = write_bytes_blob(blobdir, json.dumps(mdoc, separators=(",", ":")).encode())
        mpath = os.path.join(blobdir, hexof(mdigest))
        ref = spec.get("ref", "latest")
        idx = {"schemaVersion": 2, "mediaType": MT_INDEX,
               "manifests": [desc(MT_MANIFEST, mdigest, msize, "manifest",
                                  {"annotations": {REF_ANNOTATION: ref}} if ref else None)]}

        for m in missing:
            p = {"config": cpath, "manifest": mpath}.get(m) if isinstance(m, str) else layers[m]["path"]
            if os.path.exists(p):
                os.unlink(p)

        if docker:
            files = write_docker(work, spec, layers, cdigest, cpath)
        else:
            with open(os.path.join(work, "oci-layout"), "w") as f:
                f.write('{"imageLayoutVersion":"1.0.0"}')
            with open(os.path.join(work, "index.json"), "w") as f:
                json.dump(idx, f, separators=(",", ":"))
            files = ["oci-layout", "index.json", "blobs/", "blobs/sha256/"]
            files += ["blobs/sha256/" + x for x in sorted(os.listdir(blobdir))]
        for p, data in replace.items():
            full = os.path.join(work, p)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            if p not in files:
                files.append(p)
        for p in drop:
            full = os.path.join(work, p)
            if os.path.lexists(full) and not os.path.isdir(full):
                os.unlink(full)
        files = [p for p in files if p not in drop and os.path.lexists(os.path.join(work, p.rstrip("/")))]

        if fmt == "oci":
            os.rename(work, out)
            work = None
        else:
            write_archive(work, files, tmp_out, docker)
            os.rename(tmp_out, out)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if os.path.exists(tmp_out):
            os.unlink(tmp_out)

    if summary:
        res = {"format": fmt, "location": os.path.abspath(out),
               "manifestDigest": None if docker else mdigest,
               "manifestSize": None if docker else msize,
               "configDigest": cdigest, "configSize": csize,
               "layers": [{"index": i + 1, "digest": None if docker else L["digest"],
                           "size": L["size"], "diffId": L["diff_id"], "mediaType": None if docker else L["media_type"],
                           "compression": L["compression"], "uncompressedSize": L["usize"],
                           "entries": L["entries"]} for i, L in enumerate(layers)]}
        json.dump(res, sys.stdout, indent=1)
        sys.stdout.write("\n")


def write_docker(work, spec, layers, cdigest, cpath):
    """docker save layout in `work`: <diff_id>.tar layers, <config>.json, manifest.json."""
    files = []
    names = []
    for i, L in enumerate(layers):
        ext = {"none": ".tar", "gzip": ".tar.gz", "zstd": ".tar.zst"}[L["compression"]]
        name = hexof(L["diff_id"] if L["compression"] == "none" else L["digest"]) + ext
        if os.path.exists(L["path"]):
            os.replace(L["path"], os.path.join(work, name))
            files.append(name)
        names.append(name)
    cname = hexof(cdigest) + ".json"
    if os.path.exists(cpath):
        os.replace(cpath, os.path.join(work, cname))
        files.append(cname)
    shutil.rmtree(os.path.join(work, "blobs"))
    tags = spec.get("repo_tags", ["mkimage:latest"])
    man = [{"Config": cname, "RepoTags": tags, "Layers": names}]
    with open(os.path.join(work, "manifest.json"), "w") as f:
        json.dump(man, f, separators=(",", ":"))
    files.append("manifest.json")
    if tags:
        repo, _, tag = tags[0].rpartition(":")
        with open(os.path.join(work, "repositories"), "w") as f:
            json.dump({repo: {tag: hexof(cdigest)}}, f, separators=(",", ":"))
        files.append("repositories")
    return files


def write_archive(work, files, out, docker):
    with open(out, "wb") as f:
        tar = tarfile.TarFile(fileobj=f, mode="w", format=tarfile.PAX_FORMAT, copybufsize=CHUNK)
        for p in files:
            full = os.path.join(work, p.rstrip("/"))
            st = os.lstat(full)
            ti = tarfile.TarInfo(p.rstrip("/"))
            ti.mtime = 0 if docker else FIXED_MTIME
            ti.uname = ti.gname = ""
            if stat.S_ISDIR(st.st_mode):
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tar.addfile(ti)
            else:
                ti.size = st.st_size
                ti.mode = 0o444 if docker else 0o644
                with open(full, "rb") as src:
                    tar.addfile(ti, src)
        tar.close()


# ---- command line -------------------------------------------------------------


def parse_layer_arg(s):
    kind, sep, rest = s.partition(":")
    if not sep:
        die("--layer KIND:ARG[,key=value...]: %r" % s)
    parts = rest.split(",")
    layer = {}
    arg = parts[0]
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        if not eq:
            die("--layer option %r: key=value expected" % p)
        if k in ("include", "exclude"):
            layer[k] = [x for x in v.split("+") if x]
        else:
            layer[k] = v
    if kind == "dir":
        layer["dir"] = arg
    elif kind == "members":
        layer["members"] = arg
    elif kind == "tar":
        layer["tar"] = arg
    elif kind == "bomb":
        layer["bomb"] = arg
    else:
        die("unknown layer kind %r" % kind)
    return layer


def main(argv):
    ap = argparse.ArgumentParser(prog="mkimage.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("out")
    ap.add_argument("--spec")
    ap.add_argument("--format", choices=["oci", "oci-archive", "docker-archive"])
    ap.add_argument("--layer", action="append", default=[])
    ap.add_argument("--compression", choices=["gzip", "zstd", "none"])
    ap.add_argument("--corrupt", action="append", default=[])
    ap.add_argument("--ref")
    ap.add_argument("--repo-tag", action="append")
    ap.add_argument("--platform")
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args(argv)
    spec = {}
    if a.spec:
        if a.spec == "-":
            spec = json.load(sys.stdin)
        else:
            with open(a.spec) as f:
                spec = json.load(f)
    if a.format:
        spec["format"] = a.format
    if a.compression:
        spec["compression"] = a.compression
    if a.ref is not None:
        spec["ref"] = a.ref
    if a.repo_tag:
        spec["repo_tags"] = a.repo_tag
    if a.platform:
        spec["platform"] = a.platform
    spec.setdefault("layers", [])
    spec["layers"] += [parse_layer_arg(s) for s in a.layer]
    spec.setdefault("corrupt", [])
    spec["corrupt"] += a.corrupt
    if not spec["layers"]:
        die("no layers (use --layer or a spec)")
    build(spec, a.out, a.summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
