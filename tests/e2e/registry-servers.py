#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Servers the registry tests start on loopback, each stopping by itself
after at most ten minutes:

  token PORTFILE LOG CERT KEY SIGNKEY SIGNCERT OTHERKEY ISSUER SERVICE USER PASS
      A token service for docker-registry's `auth: token`: checks basic
      credentials, signs RS256 JWTs with SIGNKEY (its certificate in the x5c
      header, which the registry trusts through rootcertbundle) granting the
      scopes asked for. The user "expired" (password PASS) gets tokens that
      expired ten minutes ago; the user "otherkey" gets tokens signed by
      OTHERKEY, which the registry does not trust. Anonymous requests get a
      token granting nothing. Every request is logged (never a secret).

  fake PORTFILE LOG CERT KEY LAYOUT
      A misbehaving registry over HTTPS serving the one image of the OCI
      layout LAYOUT under every repository name; the name chooses the fault:
        lie/...        the manifest is sent as an index (Content-Type lies)
        redirect/...   blobs redirect to plain http://
        truncate/...   blobs announce their size, send half, and hang up
        wrongblob/...  layers are sent with one byte changed near their end
        once/...       bearer tokens (from /token here) work for one request
        offsite/...    wants basic credentials, and sends blobs to its "storage"
                       on another host name (https://localhost:PORT/storage/...)
      anything else is served faithfully (anonymously), with five tags
      (t1..t5) listed a page of ?n= at a time, and, for names starting with
      "refs", the referrers API (three referrers, two a page; artifact types
      a, b, a).

  stall PORTFILE
      Accepts connections and never answers.
"""
import base64
import datetime
import hashlib
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse

LIFETIME = 600


def write_port(portfile, port):
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)


def stop_later():
    t = threading.Timer(LIFETIME, lambda: os._exit(0))
    t.daemon = True
    t.start()


def log(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def serve(handler, portfile, cert, key):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    write_port(portfile, srv.server_address[1])
    stop_later()
    srv.serve_forever()


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


# ---- token service -----------------------------------------------------------


def cmd_token(portfile, logf, cert, key, signkey, signcert, otherkey, issuer, service, user,
              password):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def load_key(p):
        with open(p, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)

    good = load_key(signkey)
    other = load_key(otherkey)
    with open(signcert, "rb") as f:
        der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
    x5c = base64.b64encode(der).decode()

    def jwt(claims, k):
        head = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = (b64url(json.dumps(head).encode()) + "." +
                   b64url(json.dumps(claims).encode())).encode()
        sig = k.sign(signing, padding.PKCS1v15(), hashes.SHA256())
        return signing.decode() + "." + b64url(sig)

    class H(Quiet):
        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            scopes = q.get("scope", [])
            who, ok = None, False
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                who = u
                ok = p == password and u in (user, "expired", "otherkey")
            log(logf, "token service=%s scope=%s user=%s ok=%s" %
                (",".join(q.get("service", [])), " ".join(scopes), who or "-", ok))
            if who is not None and not ok:
                self.send(401, b'{"details":"wrong user name or password"}',
                          headers=[("WWW-Authenticate", 'Basic realm="token"')])
                return
            access = []
            if ok:
                for s in scopes:
                    kind, _, rest = s.partition(":")
                    name, _, actions = rest.rpartition(":")
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            exp = now - 600 if who == "expired" else now + 300
            claims = {"iss": issuer, "sub": who or "", "aud": service, "exp": exp,
                      "nbf": now - 700 if who == "expired" else now - 10,
                      "iat": now - 700 if who == "expired" else now,
                      "jti": b64url(os.urandom(12)), "access": access}
            tok = jwt(claims, other if who == "otherkey" else good)
            body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300,
                               "issued_at": datetime.datetime.utcnow().isoformat() + "Z"})
            self.send(200, body.encode())

    serve(H, portfile, cert, key)


# ---- a misbehaving registry ----------------------------------------------------


def cmd_fake(portfile, logf, cert, key, layout):
    def blob(d):
        algo, hexd = d.split(":", 1)
        p = os.path.join(layout, "blobs", algo, hexd)
        with open(p, "rb") as f:
            return f.read()

    index = json.load(open(os.path.join(layout, "index.json")))
    top = index["manifests"][0]
    once = {"issued": set()}
    lock = threading.Lock()
    port = {}

    class H(Quiet):
        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            log(logf, "%s %s auth=%s" % (self.command, u.path,
                                          "yes" if self.headers.get("Authorization") else "no"))
            if u.path == "/token":
                tok = b64url(os.urandom(16))
                with lock:
                    once["issued"].add(tok)
                self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode())
                return
            if u.path == "/v2/":
                self.send(200, b"{}")
                return
            if u.path.startswith("/storage/"):
                try:
                    body = blob(u.path.split("/")[-1])
                except (OSError, ValueError):
                    self.send(404, b"{}")
                    return
                self.send(200, body, "application/octet-stream")
                return
            parts = u.path.split("/")
            # /v2/<name...>/manifests/<ref> or /v2/<name...>/blobs/<digest>
            if len(parts) < 5 or parts[1] != "v2":
                self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}')
                return
            kind, ref = parts[-2], parts[-1]
            fault = parts[2]
            name = "/".join(parts[2:-2])
            if kind == "tags" and ref == "list":
                q = urllib.parse.parse_qs(u.query)
                tags = ["t1", "t2", "t3", "t4", "t5"]
                last = q.get("last", [""])[0]
                if last:
                    tags = [t for t in tags if t > last]
                hdrs = []
                if "n" in q and len(tags) > int(q["n"][0]):
                    tags = tags[:int(q["n"][0])]
                    hdrs.append(("Link", '</v2/%s/tags/list?n=%s&last=%s>; rel="next"' %
                                 (name, q["n"][0], tags[-1])))
                self.send(200, json.dumps({"name": name, "tags": tags}).encode(), headers=hdrs)
                return
            if parts[-3] == "referrers" or kind == "referrers":
                if not fault.startswith("refs"):
                    self.send(404, b'{"errors":[{"code":"NOT_FOUND","message":"no"}]}')
                    return
                page = int(urllib.parse.parse_qs(u.query).get("page", ["0"])[0])
                refs = [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "digest": "sha256:" + ("%d" % i) * 64, "size": 100 + i,
                         "artifactType": "application/" + ("a" if i != 1 else "b")}
                        for i in range(3)]
                refs = refs[page * 2:page * 2 + 2]
                hdrs = [] if page else [("Link", '<%s?page=1>; rel="next"' % u.path)]
                self.send(200, json.dumps({"schemaVersion": 2, "mediaType":
                                           "application/vnd.oci.image.index.v1+json",
                                           "manifests": refs}).encode(),
                          "application/vnd.oci.image.index.v1+json", hdrs)
                return
            if fault == "once":
                auth = self.headers.get("Authorization", "")
                tok = auth[7:] if auth.startswith("Bearer ") else None
                with lock:
                    good = tok in once["issued"]
                    once["issued"].discard(tok)
                if not good:
                    chal = ('Bearer realm="https://127.0.0.1:%d/token",service="fake"' %
                            port["p"])
                    if tok:
                        chal += ',error="invalid_token"'
                    self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}',
                              headers=[("WWW-Authenticate", chal)])
                    return
            if fault == "offsite" and not self.headers.get("Authorization", "").startswith("Basic "):
                self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"who"}]}',
                          headers=[("WWW-Authenticate", 'Basic realm="fake"')])
                return
            if fault == "offsite" and kind == "blobs" and self.command == "GET":
                self.send(307, b"", headers=[("Location", "https://localhost:%d/storage/%s" %
                                              (port["p"], ref))])
                return
            if kind == "manifests":
                if ref in ("latest", top["digest"]) or ref == top.get("annotations", {}).get(
                        "org.opencontainers.image.ref.name"):
                    body = blob(top["digest"])
                    ctype = top["mediaType"]
                    if fault == "lie":
                        ctype = "application/vnd.oci.image.index.v1+json"
                    self.send(200, body, ctype, [("Docker-Content-Digest", top["digest"])])
                    return
                try:
                    body = blob(ref)
                except (OSError, ValueError):
                    self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}')
                    return
                self.send(200, body, json.loads(body).get("mediaType", "application/json"))
                return
            if kind == "blobs":
                try:
                    body = blob(ref)
                except (OSError, ValueError):
                    self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"no"}]}')
                    return
                if fault == "redirect":
                    self.send(307, b"", headers=[("Location", "http://127.0.0.1:%d%s" %
                                                  (port["p"], self.path))])
                    return
                if fault == "truncate" and self.command == "GET":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if fault == "wrongblob" and len(body) > 4096:  # the layers
                    body = body[:len(body) - 100] + bytes([body[-100] ^ 1]) + body[len(body) - 99:]
                self.send(200, body, "application/octet-stream")
                return
            self.send(404, b"{}")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    port["p"] = srv.server_address[1]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    write_port(portfile, port["p"])
    stop_later()
    srv.serve_forever()


# ---- a server that never answers ----------------------------------------------


def cmd_stall(portfile):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    write_port(portfile, s.getsockname()[1])
    stop_later()
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)  # never read, never answered, never closed


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"token": cmd_token, "fake": cmd_fake, "stall": cmd_stall}[cmd](*args)
