#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drives the workloads view's actions in headless chromium (tests/cdp.py) for
tests/e2e/dashboard-actions.test, against a real `bulkhead serve` and a real
`bulkhead agent` running a real container.

    dashboard-actions.py CHROMIUM URL ADMIN PASSWORD READER PASSWORD OUTDIR CONTAINER ON-NODE

ON-NODE is a command printing what the node says of CONTAINER now: its
freezer state and how many records `bulkhead quarantine list` has
("FROZEN 1"). One line per check: "PASS name" or "FAIL name: why"; also
"MODE_VERSION N" (the policy version the mode change made), for the test to
check on the node. Screenshots in OUTDIR. A step that fails stops the walk.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cdp import Browser, CDPError  # noqa: E402

chromium, url, admin, password, reader, rpassword, out, cid, on_node = sys.argv[1:10]
url = url.rstrip("/")


def check(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    return ok


def js(v):
    return json.dumps(v)


CELL = "document.querySelector('td.wl-quar[data-container=%s]')" % js(cid)
ROW = CELL + ".closest('tr')"


def node_says(want, timeout=10.0):
    """ON-NODE's answer, polled until it is want (the agent acts on its own time)."""
    end = time.time() + timeout
    while True:
        got = subprocess.run(on_node, shell=True, capture_output=True, text=True).stdout.strip()
        if got == want or time.time() > end:
            return got
        time.sleep(0.2)


def login(p, user, pw):
    p.goto(url + "/#/login")
    p.wait("!!document.querySelector('#login-form')", what="the login form")
    p.eval("""(() => { const f = document.querySelector('#login-form');
        f.elements.user.value = %s; f.elements.password.value = %s; f.requestSubmit(); return true; })()"""
           % (js(user), js(pw)))
    p.wait("location.hash === '#/users' && sessionStorage.getItem('bulkhead.token')", what="logged in")


def workloads(p):
    p.eval("document.querySelectorAll('#view section').forEach(s => s.dataset.stale = '1'); true")
    p.goto(url + "/#/workloads?at=%d" % int(time.time() * 1000))
    p.wait("!document.querySelector('#view section[data-stale]') && !!" + CELL,
           timeout=20, what="the container's row in the workloads view")


def state(p):
    return p.eval("({state: %s.querySelector('.wl-quar-state').textContent,"
                  " last: %s.querySelector('.wl-quar-last').textContent,"
                  " marked: %s.classList.contains('quarantined')})" % (CELL, CELL, ROW))


def steps(p):
    # ---- a reader: the buttons disabled; the API's refusal shown as text --------------
    login(p, reader, rpassword)
    check("a reader's login says the role", p.eval("sessionStorage.getItem('bulkhead.role')") == "reader",
          str(p.eval("sessionStorage.getItem('bulkhead.role')")))
    workloads(p)
    dis = p.eval("[%s.querySelector('button.quarantine').disabled, document.querySelector("
                 "'td.wl-mode-form button.set-mode').disabled]" % CELL)
    check("a reader sees Quarantine and Set mode disabled", dis == [True, True], repr(dis))
    # forced on, as a hand-edited page would: the API refuses and the row says why
    p.eval("""(() => { const b = %s.querySelector('button.quarantine'); b.disabled = false;
        b.click(); b.click(); return true; })()""" % CELL)
    why = p.wait("(t => t.startsWith('refused') && t)(%s.querySelector('.wl-quar-last').textContent)" % CELL,
                 what="the refusal in the row")
    check("... forced, the API's 403 is shown as text in the row",
          "needs the role operator" in why and not state(p)["marked"], why)
    p.screenshot(os.path.join(out, "1-reader.png"))
    p.eval("document.getElementById('logout').click(); true")
    p.wait("location.hash.startsWith('#/login') && !sessionStorage.getItem('bulkhead.token')", what="logged out")

    # ---- the admin quarantines the container with the button --------------------------
    login(p, admin, password)
    workloads(p)
    s = state(p)
    check("the admin sees the container not quarantined, its buttons enabled",
          s["state"] == "not quarantined" and not s["marked"] and
          p.eval("!%s.querySelector('button.quarantine').disabled" % CELL), repr(s))
    check("the node agrees: thawed, no record", node_says("THAWED 0") == "THAWED 0", node_says("THAWED 0", 0))
    p.eval("%s.querySelector('button.quarantine').click(); true" % CELL)
    asked = p.eval("({reason: !%s.querySelector('input.wl-reason').hidden, text: %s.querySelector("
                   "'button.quarantine').textContent})" % (CELL, CELL))
    check("the first click asks for a reason and a confirmation (nothing queued)",
          asked["reason"] and asked["text"] == "Really quarantine?" and state(p)["last"] == "no action",
          repr((asked, state(p))))
    p.eval("%s.querySelector('input.wl-reason').value = 'dashboard test'; "
           "%s.querySelector('button.quarantine').click(); true" % (CELL, CELL))
    t0 = time.time()
    p.wait("%s.dataset.quarantined === '1'" % CELL, timeout=20, what="the row quarantined")
    s = state(p)
    check("the second click queues it; the agent's result shows: the row quarantined",
          s["state"] == "quarantined" and s["marked"] and "quarantine #" in s["last"] and
          "done" in s["last"] and p.eval("%s.querySelector('button.release').hidden === false" % CELL),
          repr(s))
    print("# quarantine clicked to shown in %.2f s" % (time.time() - t0), flush=True)
    got = node_says("FROZEN 1")
    check("on the node: the container's freezer is FROZEN and `quarantine list` has it", got == "FROZEN 1", got)
    acts = p.eval("""fetch('/api/v1/actions', {headers: {Authorization: 'Bearer ' +
        sessionStorage.getItem('bulkhead.token')}}).then(r => r.json())""")["actions"]
    q = [a for a in acts if a["kind"] == "quarantine" and a["container"] == cid]
    check("the action has the reason typed and the admin as actor",
          len(q) == 1 and q[0]["reason"] == "dashboard test" and q[0]["actor"] == admin, repr(q))
    p.screenshot(os.path.join(out, "2-quarantined.png"))
    # a fresh load of the view still shows it (the state is the API's, not the page's)
    workloads(p)
    check("reloaded, the view still shows it quarantined", state(p)["marked"], repr(state(p)))

    # ---- release -----------------------------------------------------------------------
    p.eval("%s.querySelector('button.release').click(); true" % CELL)
    p.wait("%s.dataset.quarantined === '0' && %s.querySelector('.wl-quar-last').textContent.includes('done')"
           % (CELL, CELL), timeout=20, what="the row released")
    s = state(p)
    check("Release: the agent's result shows, the row no longer quarantined",
          s["state"] == "not quarantined" and not s["marked"] and s["last"].startswith("release #"), repr(s))
    got = node_says("THAWED 0")
    check("on the node: thawed, no record left", got == "THAWED 0", got)
    p.screenshot(os.path.join(out, "3-released.png"))

    # ---- a group's mode through the selector -------------------------------------------
    form = "document.querySelector('td.wl-mode-form')"
    group = p.eval(form + ".dataset.group")
    p.eval("""(() => { const f = %s; f.querySelector('select.wl-control').value = 'syscall';
        f.querySelector('select.wl-mode-set').value = 'protect';
        f.querySelector('button.set-mode').click(); return true; })()""" % form)
    p.wait(form + ".dataset.running === '1'", timeout=20, what="the node running the new version")
    status = p.eval(form + ".querySelector('.wl-mode-status').textContent")
    api = p.eval("""Promise.all(['/api/v1/nodes', '/api/v1/policy'].map(u => fetch(u, {headers:
        {Authorization: 'Bearer ' + sessionStorage.getItem('bulkhead.token')}}).then(r => r.json())))""")
    ver = api[1]["version"]
    running = [n["policy_version"] for n in api[0]["nodes"]]
    m = [x for x in api[1]["policy"].get("modes", []) if x["group"] == group]
    check("Set mode: a new policy version with the group's syscall mode protect",
          any(x["control"] == "syscall" and x["mode"] == "protect" for x in m), repr(api[1]))
    check("... the view says the node runs it, as GET /api/v1/nodes does",
          ("runs version %d" % ver) in status and [str(v) for v in running] == [str(ver)], repr((status, running, ver)))
    cell = p.eval("document.querySelector('td.wl-mode[data-group=%s]').textContent" % js(group))
    check("... and the mode column shows it", "syscall: protect" in cell, cell)
    print("MODE_VERSION %d" % ver, flush=True)
    p.screenshot(os.path.join(out, "4-mode.png"))
    errs = p.console_errors()
    check("no uncaught script error on the way", not errs, json.dumps(errs[:2])[:400])


with Browser(chromium, os.path.join(out, "profile"), extra=("--ignore-certificate-errors",)) as b:
    page = b.page()
    try:
        steps(page)
    except CDPError as e:
        check("the walk through the workloads' actions", False, str(e))
        try:
            page.screenshot(os.path.join(out, "failed.png"))
        except Exception:
            pass
