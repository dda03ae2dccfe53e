# SPDX-License-Identifier: Apache-2.0
"""A small Chrome DevTools Protocol client on the standard library alone (a
raw RFC 6455 WebSocket: no package to install), for the tests and benchmarks
that drive Debian's chromium headless (tests/e2e/dashboard.test,
bench/dashboard.sh).

    with Browser(chromium, profile_dir) as b:
        p = b.page()
        p.goto(url); p.wait("document.querySelector('#x')")
        p.eval("1 + 1"); p.screenshot(path)
"""
import base64
import json
import os
import socket
import struct
import subprocess
import time
import urllib.request


class CDPError(Exception):
    pass


class WebSocket:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, _, path = url[5:].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CDPError("websocket: closed during the handshake")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise CDPError("websocket: " + head.split(b"\r\n")[0].decode())

    def send(self, text):
        data = text.encode()
        hdr = bytearray([0x81])
        n = len(data)
        if n < 126:
            hdr.append(0x80 | n)
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        hdr += mask
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
        self.sock.sendall(bytes(hdr) + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise CDPError("websocket: closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            if b1 & 0x80:
                mask = self._read(4)
                payload = bytes(b ^ mask[i & 3] for i, b in enumerate(self._read(n)))
            else:
                payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise CDPError("websocket: closed by the browser")
            if op in (9, 10):  # ping, pong: the browser sends none in practice
                continue
            msg += payload
            if b0 & 0x80:
                return msg.decode()


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0
        self.events = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == mid:
                if "error" in m:
                    raise CDPError(f"{method}: {m['error'].get('message')}")
                return m.get("result", {})
            self.events.append(m)

    def eval(self, expr, await_promise=True):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=await_promise)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CDPError("evaluate: " + str(d.get("exception", {}).get("description")
                                              or d.get("text")))
        return r.get("result", {}).get("value")

    def goto(self, url):
        self.call("Page.navigate", url=url)

    def wait(self, expr, timeout=10.0, what=None):
        """Poll expr until it is truthy; its value, or CDPError at the timeout."""
        end = time.time() + timeout
        while True:
            try:
                v = self.eval(expr)
            except CDPError:
                v = None
            if v:
                return v
            if time.time() > end:
                raise CDPError(f"timed out waiting for {what or expr}")
            time.sleep(0.05)

    def screenshot(self, path):
        r = self.call("Page.captureScreenshot", format="png")
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def console_errors(self):
        return [e for e in self.events if e.get("method") == "Runtime.exceptionThrown"]


class Browser:
    def __init__(self, chromium, profile, width=1280, height=900, extra=()):
        self.profile = profile
        os.makedirs(profile, exist_ok=True)
        port_file = os.path.join(profile, "DevToolsActivePort")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(profile, "chromium.log"), "wb")
        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--metrics-recording-only", "--mute-audio",
                f"--user-data-dir={profile}", "--remote-debugging-port=0",
                "--remote-allow-origins=*", f"--window-size={width},{height}",
                *extra, "about:blank"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        end = time.time() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None or time.time() > end:
                raise CDPError("chromium did not start (see chromium.log in " + profile + ")")
            time.sleep(0.05)
        time.sleep(0.05)
        self.port = int(open(port_file).read().split()[0])

    def page(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            targets = json.load(r)
        for t in targets:
            if t.get("type") == "page":
                return Page(t["webSocketDebuggerUrl"])
        raise CDPError("no page target")

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
                self.proc.wait(timeout=5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, 9)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
