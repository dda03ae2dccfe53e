#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Derive an image from an OCI image layout: the same layers plus one more.

The new image shares every layer of the old one (blobs hard-linked, or
copied across file systems), as an image built FROM it would: same diff_ids,
a new config, manifest and index.json. For the layer cache's tests and
benchmark: an image sharing its base layers with one already scanned.

Usage:
  addlayer.py SRC DEST [--file PATH=TEXT]... [--delete PATH]... [--ref NAME]

  SRC, DEST  OCI layout directories (DEST must not exist)
  --file     a regular file in the new layer (parents made as directories)
  --delete   a whiteout for PATH in the new layer
  --ref      the new image's org.opencontainers.image.ref.name (default: SRC's)

Prints the new manifest digest. Output is reproducible (fixed mtimes, gzip
without name or timestamp).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

REF = "org.opencontainers.image.ref.name"


def blob_path(root, digest):
    algo, hexd = digest.split(":", 1)
    return os.path.join(root, "blobs", algo, hexd)


def read_json(root, digest):
    with open(blob_path(root, digest), "rb") as f:
        return json.load(f)


def put_blob(root, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(root, digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return digest, len(data)


def layer_tar(files, deletes):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for path in sorted(set(list(files) + deletes)):
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    ti = tarfile.TarInfo(d)
                    ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1700000000
                    t.addfile(ti)
        for path in sorted(files):
            data = files[path].encode()
            ti = tarfile.TarInfo(path.strip("/"))
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 1700000000
            t.addfile(ti, io.BytesIO(data))
        for path in sorted(deletes):
            head, _, base = path.strip("/").rpartition("/")
            ti = tarfile.TarInfo((head + "/" if head else "") + ".wh." + base)
            ti.size, ti.mode, ti.mtime = 0, 0o644, 1700000000
            t.addfile(ti, io.BytesIO(b""))
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("dest")
    ap.add_argument("--file", action="append", default=[])
    ap.add_argument("--delete", action="append", default=[])
    ap.add_argument("--ref")
    a = ap.parse_args()
    if os.path.exists(a.dest):
        sys.exit("addlayer: %s exists" % a.dest)
    files = {}
    for spec in a.file:
        path, sep, text = spec.partition("=")
        if not sep:
            sys.exit("addlayer: --file PATH=TEXT")
        files[path] = text

    with open(os.path.join(a.src, "index.json")) as f:
        index = json.load(f)
    desc = index["manifests"][0]
    manifest = read_json(a.src, desc["digest"])
    config = read_json(a.src, manifest["config"]["digest"])

    os.makedirs(os.path.join(a.dest, "blobs", "sha256"))
    shutil.copy(os.path.join(a.src, "oci-layout"), os.path.join(a.dest, "oci-layout"))
    for layer in manifest["layers"]:
        src, dst = blob_path(a.src, layer["digest"]), blob_path(a.dest, layer["digest"])
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)

    tar = layer_tar(files, a.delete)
    gz = gzip.compress(tar, compresslevel=6, mtime=0)
    ldigest, lsize = put_blob(a.dest, gz)
    config.setdefault("rootfs", {"type": "layers", "diff_ids": []})
    config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar).hexdigest())
    config.setdefault("history", []).append(
        {"created": "2023-11-14T22:13:20Z", "created_by": "addlayer.py"})
    cdigest, csize = put_blob(a.dest, json.dumps(config, sort_keys=True).encode())
    manifest["config"] = dict(manifest["config"], digest=cdigest, size=csize)
    manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": ldigest, "size": lsize})
    mdigest, msize = put_blob(a.dest, json.dumps(manifest, sort_keys=True).encode())
    new = dict(desc, digest=mdigest, size=msize)
    if a.ref:
        new.setdefault("annotations", {})[REF] = a.ref
    with open(os.path.join(a.dest, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [new]}, f)
    print(mdigest)


if __name__ == "__main__":
    main()
