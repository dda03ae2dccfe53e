#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A fake Docker Engine API on a unix socket, for engine-hostile.test:

  engine-fake.py SOCKET DIR DOCKER_ARCHIVE

Builds images from the one-layer DOCKER_ARCHIVE (alpine) and, for each, the
docker-archive file that holds the same image (DIR/<name>.tar), then serves
GET /images/{name}/json, /images/{id}/history and /images/{id}/get (the
archive, chunked) until killed (or after ten minutes). Each image is a case,
named fake/<case>:1:

  oci        the archive as docker 25+ writes it: an OCI layout, blobs by digest
  legacy     docker < 25: <v1 id>/json and <v1 id>/layer.tar, two layers
  unnamed    layers under names that say nothing; manifest.json at the end
  gzip       a compressed layer named by its blob digest (containerd's store)
  big        a 40 MiB layer 2 before layer 1 (layer order needs a second pass)
  cut        the archive stops in the middle of the layer (connection closed)
  baddiff    a layer with one byte changed, under its diff_id's name
  badconfig  the engine's image ID is not the digest of the config it sends
  missing    the layer is not in the archive
  err500     the archive request fails with the engine's message

Every request is logged to DIR/requests.log.
"""
import gzip
import hashlib
import io
import json
import os
import socketserver
import sys
import tarfile
import threading

LIFETIME = 600


def sha(b):
    return hashlib.sha256(b).hexdigest()


def tar_of(members):
    """members: (name, bytes) or (name, None, linkname) for a symlink."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for m in members:
            ti = tarfile.TarInfo(m[0])
            ti.mtime = 0
            if m[1] is None:
                ti.type = tarfile.SYMTYPE
                ti.linkname = m[2]
                t.addfile(ti)
            else:
                ti.size = len(m[1])
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(m[1]))
    return bio.getvalue()


def layer_with(files):
    return tar_of([(n, b) for n, b in files])


def docker_archive(config, layers, tag):
    """The docker-archive file of an image: <diff_id>.tar layers, <config>.json."""
    c = sha(config)
    names = [sha(l) + ".tar" for l in layers]
    members = [(c + ".json", config)]
    seen = set()
    for n, l in zip(names, layers):
        if n not in seen:
            members.append((n, l))
            seen.add(n)
    members.append(("manifest.json", json.dumps(
        [{"Config": c + ".json", "RepoTags": [tag], "Layers": names}]).encode()))
    return tar_of(members)


def chain_ids(diffs):
    out = []
    for d in diffs:
        out.append(d if not out else "sha256:" + sha((out[-1] + " " + d).encode()))
    return out


def legacy_archive(config, layers, tag):
    """docker < 25 (image/tarexport/save.go): v1 IDs as v1.CreateID makes them."""
    diffs = ["sha256:" + sha(l) for l in layers]
    chains = chain_ids(diffs)
    members, parent, ids = [], None, []
    for i, l in enumerate(layers):
        body = {"created": "1970-01-01T00:00:00Z", "layer_id": chains[i]}
        if parent:
            body["parent"] = "sha256:" + parent
        v1 = sha(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
        j = {"id": v1}
        if parent:
            j["parent"] = parent
        j["created"] = "1970-01-01T00:00:00Z"
        j["os"] = "linux"
        members += [(v1 + "/VERSION", b"1.0"),
                    (v1 + "/json", json.dumps(j, separators=(",", ":")).encode()),
                    (v1 + "/layer.tar", l)]
        ids.append(v1)
        parent = v1
    c = sha(config)
    members.append((c + ".json", config))
    members.append(("manifest.json", json.dumps(
        [{"Config": c + ".json", "RepoTags": [tag],
          "Layers": [i + "/layer.tar" for i in ids]}]).encode()))
    members.append(("repositories", b"{}"))
    members.sort(key=lambda m: m[0])
    return tar_of(members)


def oci_archive(config, blobs, layer_descs, tag, order=None):
    """docker 25+: an OCI layout with manifest.json beside index.json."""
    man = json.dumps({"schemaVersion": 2,
                      "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": "sha256:" + sha(config), "size": len(config)},
                      "layers": layer_descs}).encode()
    allb = {sha(config): config, sha(man): man}
    for b in blobs:
        allb[sha(b)] = b
    members = [("blobs/sha256/" + h, b) for h, b in sorted(allb.items())]
    if order:
        members = [("blobs/sha256/" + sha(b), b) for b in order] + \
            [m for m in members if m[1] not in order]
    members += [("index.json", json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "sha256:" + sha(man), "size": len(man)}]}).encode()),
        ("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(config),
                                       "RepoTags": [tag],
                                       "Layers": ["blobs/sha256/" + sha(b) for b in blobs]}]).encode()),
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')]
    return tar_of(members)


def build(outdir, alpine):
    with tarfile.open(alpine) as t:
        mj = json.load(t.extractfile("manifest.json"))[0]
        base_config = json.load(t.extractfile(mj["Config"]))
        base = t.extractfile(mj["Layers"][0]).read()
    second = layer_with([("etc/fake-layer", b"the second layer\n")])
    big = layer_with([("big/blob", os.urandom(40 << 20))])
    cases = {}

    def image(case, layers):
        cfg = json.loads(json.dumps(base_config))
        cfg.setdefault("config", {})["Labels"] = {"case": case}
        cfg["rootfs"] = {"type": "layers", "diff_ids": ["sha256:" + sha(l) for l in layers]}
        cfg["history"] = [{"created": "2024-01-01T00:00:00Z", "created_by": "layer %d" % i}
                          for i in range(len(layers))]
        config = json.dumps(cfg, separators=(",", ":")).encode()
        tag = "fake/%s:1" % case
        with open(os.path.join(outdir, case + ".tar"), "wb") as f:
            f.write(docker_archive(config, layers, tag))
        return config, tag

    def desc(b, mt="application/vnd.oci.image.layer.v1.tar"):
        return {"mediaType": mt, "digest": "sha256:" + sha(b), "size": len(b)}

    c, tag = image("oci", [base])
    cases["oci"] = (c, tag, [base], oci_archive(c, [base], [desc(base)], tag))
    c, tag = image("legacy", [base, second])
    cases["legacy"] = (c, tag, [base, second], legacy_archive(c, [base, second], tag))
    c, tag = image("unnamed", [base, second])
    cases["unnamed"] = (c, tag, [base, second], tar_of(
        [("l2/layer.tar", second), ("l1/layer.tar", base), (sha(c) + ".json", c),
         ("manifest.json", json.dumps([{"Config": sha(c) + ".json", "RepoTags": [tag],
                                        "Layers": ["l1/layer.tar", "l2/layer.tar"]}]).encode())]))
    gz = gzip.compress(base, mtime=0)
    c, tag = image("gzip", [base])
    cases["gzip"] = (c, tag, [base], oci_archive(
        c, [gz], [desc(gz, "application/vnd.oci.image.layer.v1.tar+gzip")], tag))
    c, tag = image("big", [base, big])
    cases["big"] = (c, tag, [base, big], oci_archive(c, [base, big], [desc(base), desc(big)], tag,
                                                     order=[big, base]))
    c, tag = image("cut", [base])
    cases["cut"] = (c, tag, [base], oci_archive(c, [base], [desc(base)], tag))
    bad = bytearray(base)
    bad[len(bad) // 2] ^= 0xff
    c, tag = image("baddiff", [base])
    arch = oci_archive(c, [base], [desc(base)], tag)
    cases["baddiff"] = (c, tag, [base], arch.replace(base, bytes(bad)))
    c, tag = image("badconfig", [base])
    other = c.replace(b'"case":"badconfig"', b'"case":"other"')
    # the engine says the image is `other`; the blob named for it is not
    cases["badconfig"] = (other, tag, [base], tar_of(
        [("blobs/sha256/" + sha(base), base), ("blobs/sha256/" + sha(other), c),
         ("manifest.json", b"[]")]))
    c, tag = image("missing", [base, second])
    cases["missing"] = (c, tag, [base, second], tar_of(
        [("blobs/sha256/" + sha(base), base), ("blobs/sha256/" + sha(c), c),
         ("manifest.json", json.dumps([{"Config": "blobs/sha256/" + sha(c), "RepoTags": [tag],
                                        "Layers": ["blobs/sha256/" + sha(base),
                                                   "blobs/sha256/" + sha(second)]}]).encode())]))
    c, tag = image("err500", [base])
    cases["err500"] = (c, tag, [base], None)
    return base_config, cases


class Handler(socketserver.StreamRequestHandler):
    def reply(self, status, body, ctype="application/json"):
        self.wfile.write(("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                          "Connection: close\r\n\r\n" % (status, ctype, len(body))).encode() + body)

    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        with open(os.path.join(OUT, "requests.log"), "a") as f:
            f.write(line + "\n")
        parts = line.split(" ")
        path = parts[1] if len(parts) > 1 else ""
        if not path.startswith("/images/"):
            return self.reply(404, b'{"message":"page not found"}')
        name, _, what = path[len("/images/"):].rpartition("/")
        case = None
        for k, v in CASES.items():
            if name in (v[1], sha(v[0]), "sha256:" + sha(v[0])):
                case = k
        if case is None:
            return self.reply(404, json.dumps(
                {"message": "No such image: " + name}).encode())
        config, tag, layers, archive = CASES[case]
        if what == "json":
            return self.reply(200, json.dumps({
                "Id": "sha256:" + sha(config), "RepoTags": [tag], "RepoDigests": [],
                "Created": BASE.get("created", ""), "Os": "linux", "Architecture": "amd64",
                "Config": BASE.get("config", {}),
                "RootFS": {"Type": "layers", "Layers": ["sha256:" + sha(l) for l in layers]}
            }).encode())
        if what == "history":
            return self.reply(200, b"[]")
        if what != "get":
            return self.reply(404, b'{"message":"page not found"}')
        if archive is None:
            return self.reply(500, b'{"message":"something broke in the engine"}')
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        end = len(archive) // 2 if case == "cut" else len(archive)
        try:
            for off in range(0, end, 65536):
                chunk = archive[off:min(off + 65536, end)]
                self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            if case != "cut":
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up: it had what it wanted


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    SOCK, OUT, ALPINE = sys.argv[1:4]
    BASE, CASES = build(OUT, ALPINE)
    t = threading.Timer(LIFETIME, lambda: os._exit(0))
    t.daemon = True
    t.start()
    if os.path.exists(SOCK):
        os.unlink(SOCK)
    srv = Server(SOCK, Handler)
    with open(os.path.join(OUT, "ready"), "w") as f:
        f.write("ready\n")
    srv.serve_forever()
