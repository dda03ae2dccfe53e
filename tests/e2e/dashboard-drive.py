#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drives the dashboard of a running `bulkhead serve` in headless chromium
through the DevTools protocol (tests/cdp.py) for tests/e2e/dashboard.test.

    dashboard-drive.py CHROMIUM URL ADMIN PASSWORD OUTDIR [NODE-TOKEN]

One line per check: "PASS name" or "FAIL name: why"; screenshots in OUTDIR.
A step that fails stops the steps that need it (FAIL names the first).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cdp import Browser, CDPError  # noqa: E402

chromium, url, admin, password, out = sys.argv[1:6]
node_token = sys.argv[6] if len(sys.argv) > 6 else ""
url = url.rstrip("/")
HOSTILE = '<img src=x onerror="window.__xss=1">'


def check(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    return ok


def js(v):
    return json.dumps(v)


def fill_submit(p, form, values):
    """Set the form's inputs by name and submit it as a user would (submit event)."""
    p.eval(f"""(() => {{ const f = document.querySelector({js(form)});
        for (const [k, v] of Object.entries({js(values)})) f.elements[k].value = v;
        f.requestSubmit(); return true; }})()""")


# A view redrawn in place (new parameters, a page link, a filter form) changes the location
# before the hashchange event replaces the view, so a wait on the location and an element
# can pass on the old view. stale() marks the view shown; FRESH holds until it is replaced.
def stale(p):
    p.eval("document.querySelectorAll('#view section').forEach(s => s.dataset.stale = '1'); true")


FRESH = "!document.querySelector('#view section[data-stale]') && "


def text(p, sel):
    return p.eval(f"(document.querySelector({js(sel)}) || {{}}).textContent || ''")


FLOW = {"kind": "flows", "ts": 0, "edges": [{"src": "web", "dst": "cache", "port": 6379,
                                            "l4": "tcp", "app": "redis", "bytes": 10, "conns": 1,
                                            "allowed": 1}]}


def connections(p):
    """The connection graph view (#/graph) over the flows the test posted: the
    edges drawn are the API's, the threat marked; a new flow posted by the
    node appears at the next poll."""
    p.goto(url + "/#/graph")
    p.wait("!!document.querySelector('#graph-box[data-edges]')", what="the connection graph")
    api = p.eval("""fetch('/api/v1/flows', {headers: {Authorization: 'Bearer ' +
        sessionStorage.getItem('bulkhead.token')}}).then(r => r.json())""")
    box = p.eval("({edges: Number(document.querySelector('#graph-box').dataset.edges),"
                 " threats: Number(document.querySelector('#graph-box').dataset.threats),"
                 " title: [...document.querySelectorAll('#graph-box line.edge-threat title')]"
                 ".map(t => t.textContent).join(' '),"
                 " rows: [...document.querySelectorAll('#graph-flows tbody tr')]"
                 ".map(r => [...r.cells].map(c => c.textContent))})")
    pairs = sorted((f["from"], f["to"], f["proto"] + "/" + str(f["port"])) for f in api["flows"])
    rows = sorted((r[0], r[1], r[2]) for r in box["rows"])
    check("the graph view draws the edges the flows API returns (and lists them)",
          len(api["flows"]) >= 2 and box["edges"] == len(api["flows"]) and rows == pairs,
          repr((box, api)))
    check("the graph view marks the threat edge (red, its ID as text)",
          box["threats"] == 1 and "BH-NET-SQLI" in box["title"] and
          any(r[7] == "BH-NET-SQLI" and r[6] == "threat" for r in box["rows"]), repr(box))
    before = box["edges"]
    # live updates (http17): the view holds a stream (EventSource, a ticket)
    p.wait("document.querySelector('[data-live]') && "
           "document.querySelector('[data-live]').dataset.live === 'stream'",
           timeout=10, what="the graph's live stream")
    check("the graph view listens to the live stream (GET /api/v1/stream with a ticket)",
          p.eval("document.querySelector('[data-live]').dataset.live") == "stream")
    flow = dict(FLOW, ts=int(p.eval("Math.floor(Date.now() / 1000)")))
    body = json.dumps({"node": "n1", "first_seq": 2, "records": [flow]})
    st = p.eval("""fetch('/api/v1/agent/flows', {method: 'POST', headers: {Authorization: 'Bearer ' + %s,
        'Content-Type': 'application/json'}, body: %s}).then(r => r.status)""" % (js(node_token), js(body)))
    p.wait("Number(document.querySelector('#graph-box').dataset.edges) === %d" % (before + 1),
           timeout=10, what="the new flow drawn")
    check("a new flow from the node appears in the graph (its live flows event)",
          st == 200 and "cache" in text(p, "#graph-flows"), str(st))
    p.screenshot(os.path.join(out, "3b-connections.png"))


def steps(p):
    # ---- login ------------------------------------------------------------------------
    p.goto(url + "/")
    p.wait("location.hash.startsWith('#/login') && !!document.querySelector('#login-form')",
           what="the login form")
    check("without a token the dashboard shows the login form", True)
    p.screenshot(os.path.join(out, "1-login.png"))
    fill_submit(p, "#login-form", {"user": admin, "password": "wrong-password"})
    err = p.wait("!document.querySelector('#error').hidden && document.querySelector('#error').textContent",
                 what="the error of a bad password")
    check("a wrong password is refused and the error is shown", "password" in err.lower() or
          "invalid" in err.lower(), err)
    fill_submit(p, "#login-form", {"user": admin, "password": password})
    p.wait("location.hash === '#/users' && document.querySelectorAll('#users-list td.user-name').length > 0",
           what="the users list after login")
    names = p.eval("[...document.querySelectorAll('#users-list td.user-name')].map(e => e.textContent)")
    check("after login the users list shows the admin", admin in names, repr(names))
    tok = p.eval("sessionStorage.getItem('bulkhead.token') || ''")
    check("the token is kept in sessionStorage (no cookie)", tok.startswith("bht_") and
          p.eval("document.cookie") == "", "token %r cookie %r" % (tok[:8], p.eval("document.cookie")))
    p.screenshot(os.path.join(out, "2-users.png"))

    # ---- add a user through the form --------------------------------------------------
    fill_submit(p, "#user-add", {"name": "bob", "role": "operator", "password": "bob-password"})
    p.wait("[...document.querySelectorAll('#users-list td.user-name')].some(e => e.textContent === 'bob')",
           what="bob in the list")
    row = p.eval("[...document.querySelectorAll('#users-list tr')].find(r => r.cells[0].textContent === 'bob').cells[1].textContent")
    check("a user added through the form appears in the list with its role", row == "operator", row)

    # ---- hostile input is text, and the CSP blocks inline script ------------------------
    fill_submit(p, "#user-add", {"name": HOSTILE, "role": "reader", "password": "xss-password"})
    err = p.wait("!document.querySelector('#error').hidden && document.querySelector('#error').textContent",
                 what="the refusal of a hostile name")
    check("a user named like markup is refused by the API and the error is shown as text",
          "name" in err and p.eval("document.querySelectorAll('img').length") == 0, err)
    # markup put in the page directly: its inline handler and an inline script must not run
    p.eval("""window.__violations = 0;
        document.addEventListener('securitypolicyviolation', () => window.__violations++);
        document.body.insertAdjacentHTML('beforeend', %s);
        const s = document.createElement('script'); s.textContent = 'window.__xss2 = 1';
        document.body.append(s); true""" % js(HOSTILE))
    p.wait("window.__violations >= 2", timeout=5, what="two CSP violations")
    ran = p.eval("[typeof window.__xss, typeof window.__xss2]")
    check("the CSP header blocks an injected inline handler and inline script",
          ran == ["undefined", "undefined"], repr(ran))
    p.eval("document.querySelectorAll('body > img, body > script:not([src])').forEach(e => e.remove()); true")
    # data from the API path into the DOM: the graph component with a hostile group name
    p.eval("""(() => { const c = document.createElement('div'); c.id = 'graph-test';
        document.getElementById('view').append(c);
        window.__g = BH.graph(c, { groups: [ {id: 'a', name: %s}, {id: 'b', name: 'db'},
                                             {id: 'c', name: 'cache'} ],
            flows: [ {from: 'a', to: 'b', proto: 'tcp', port: 5432, app: 'postgresql', bytes: 2048,
                      verdict: 'alert', threats: ['BH-NET-SQLI']},
                     {from: 'a', to: 'c', proto: 'tcp', port: 6379, bytes: 10, verdict: 'allow'},
                     {from: 'a', to: 'nowhere', proto: 'udp'} ] });
        return true; })()""" % js(HOSTILE))
    labels = p.eval("[...document.querySelectorAll('#graph-test text.label')].map(t => t.textContent)")
    g = p.eval("({threats: window.__g.threats, edges: window.__g.edges, dropped: window.__g.dropped,"
               " imgs: document.querySelectorAll('img').length, xss: typeof window.__xss})")
    check("the graph shows a hostile group name as text, nothing runs",
          HOSTILE in labels and g["imgs"] == 0 and g["xss"] == "undefined", repr((labels, g)))
    check("the graph marks the threat edge and leaves out a flow to an unknown group",
          g["threats"] == 1 and g["edges"] == 2 and g["dropped"] == 1 and
          "BH-NET-SQLI" in text(p, "#graph-test line.edge-threat title"), repr(g))
    # pointing at a node (a real mouse event at its place) names it and its flows
    pt = p.eval("""(() => { const svg = document.querySelector('#graph-test svg');
        svg.scrollIntoView(); const q = svg.createSVGPoint(); q.x = __g.x[1]; q.y = __g.y[1];
        const r = q.matrixTransform(svg.getScreenCTM()); return [r.x, r.y]; })()""")
    p.call("Input.dispatchMouseEvent", type="mouseMoved", x=pt[0], y=pt[1])
    info = p.wait("(t => t.startsWith('db') && t)(document.querySelector('#graph-test .graph-info').textContent)",
                  timeout=3, what="the node's description")
    check("pointing at a node shows its name and flows", "1 flows" in info and "1 with threats" in info, info)
    p.screenshot(os.path.join(out, "3-graph.png"))
    connections(p)

    # ---- the audit log ----------------------------------------------------------------
    p.goto(url + "/#/audit")
    p.wait("!!document.querySelector('.view-audit table')", what="the audit table")
    rows = p.eval("""[...document.querySelectorAll('.view-audit tbody tr')].map(r =>
        [...r.cells].map(c => c.textContent))""")
    added = [r for r in rows if r[2] == admin and r[4] == "bob" and "operator" in r[6]]
    check("the audit view shows the user added through the form (actor, object, after)",
          len(added) == 1, repr(rows[-3:]))
    stale(p)
    fill_submit(p, "#audit-filter", {"actor": "cli"})
    p.wait(FRESH + "location.hash.includes('actor=cli') && !!document.querySelector('.view-audit table')",
           what="the filtered audit view")
    actors = p.eval("[...document.querySelectorAll('.view-audit tbody tr')].map(r => r.cells[2].textContent)")
    check("the audit filter by actor shows only that actor's rows",
          len(actors) >= 1 and set(actors) == {"cli"}, repr(actors))
    p.screenshot(os.path.join(out, "4-audit.png"))
    # paging: two rows a page, the next page follows on
    ids = "[...document.querySelectorAll('.view-audit tbody tr')].map(r => Number(r.cells[0].textContent))"
    stale(p)
    p.goto(url + "/#/audit?limit=2")
    p.wait(FRESH + "location.hash.includes('limit=2') && !!document.querySelector('#audit-next')", what="page 1")
    first = p.eval(ids)
    stale(p)
    p.eval("document.querySelector('#audit-next').click(); true")
    p.wait(FRESH + "location.hash.includes('after=') && !!document.querySelector('.view-audit table')", what="page 2")
    second = p.eval(ids)
    check("the audit view pages: the next page starts after the last row",
          len(first) == 2 and len(second) >= 1 and second[0] == first[-1] + 1, repr((first, second)))

    # ---- the API document -------------------------------------------------------------
    p.goto(url + "/#/api")
    p.wait("!!document.querySelector('.view-api table')", what="the API table")
    rows = p.eval("[...document.querySelectorAll('.view-api tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    want = p.eval("""fetch('/openapi.json', {headers: {Authorization: 'Bearer ' +
        sessionStorage.getItem('bulkhead.token')}}).then(r => r.json()).then(d =>
        Object.entries(d.paths).flatMap(([p, o]) => Object.keys(o).map(m => m.toUpperCase() + ' ' + p)).sort())""")
    got = sorted(r[0] + " " + r[1] for r in rows)
    check("the API view lists every endpoint of /openapi.json", got == want and
          any(r[1] == "/api/v1/users" and r[0] == "POST" and r[3] == "admin" for r in rows),
          repr((got, want)))

    # ---- tokens: create, shown once, revoke -------------------------------------------
    p.goto(url + "/#/tokens")
    p.wait("!!document.querySelector('#token-create')", what="the tokens view")
    fill_submit(p, "#token-create", {"user": "bob", "days": "1"})
    p.wait("!!document.querySelector('#tokens-made code.secret')", what="the new token")
    new = text(p, "#tokens-made code.secret")
    who = p.eval("""fetch('/api/v1/tokens', {method: 'POST', headers: {Authorization: 'Bearer ' + %s,
        'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)""" % js(new))
    check("a token made in the tokens view works", who == 201, str(who))
    p.eval("document.querySelector('#tokens-made button.danger').click(); true")
    p.wait("document.querySelector('#tokens-made').textContent.includes('revoked')", what="revoked")
    st = p.eval("""fetch('/api/v1/tokens', {method: 'POST', headers: {Authorization: 'Bearer ' + %s,
        'Content-Type': 'application/json'}, body: '{}'}).then(r => r.status)""" % js(new))
    check("... and once revoked there it is refused (401)", st == 401, str(st))

    # ---- views17: nodes, workloads, images, events, countermeasures ------------------
    def api(path):
        return p.eval("""fetch(%s, {headers: {Authorization: 'Bearer ' +
            sessionStorage.getItem('bulkhead.token')}}).then(r => r.json())""" % js(path))

    def rows(sel):
        return p.eval(f"[...document.querySelectorAll({js(sel)})].map(r => [...r.cells].map(c => c.textContent))")

    stale(p)
    p.goto(url + "/#/tokens?again=1")
    p.wait(FRESH + "location.hash.includes('again') && !!document.querySelector('#tokens-list')",
           what="the tokens list")
    listed = rows("#tokens-list tbody tr")
    want = api("/api/v1/tokens")["tokens"]
    check("the tokens view lists the tokens the API lists (ids, no secret)",
          sorted(r[0] for r in listed) == sorted(t["id"] for t in want) and len(want) >= 2,
          repr((listed, want)))

    p.goto(url + "/#/nodes")
    p.wait("!!document.querySelector('.view-nodes tbody tr')", what="the nodes table")
    got = rows(".view-nodes tbody tr")
    want = api("/api/v1/nodes")["nodes"]
    check("the nodes view shows each node of the API, connected, with its workloads and events",
          [r[0] for r in got] == [n["name"] for n in want] and got[0][1] == "connected" and
          got[0][6] == "2" and got[0][7] == str(want[0]["events"]), repr((got, want)))

    p.goto(url + "/#/workloads")
    p.wait("!!document.querySelector('#workloads-count')", what="the workloads table")
    got = rows(".view-workloads tbody tr")
    want = api("/api/v1/workloads")["workloads"]
    c1 = [r for r in got if r[1] == "c1"]
    check("the workloads view shows the API's workloads with image, digest and vulnerabilities",
          sorted(r[1] for r in got) == sorted(w["id"] for w in want) and c1 and
          c1[0][3] == "library/app" and c1[0][4] == want[0]["digest"] and
          c1[0][6] == "HIGH 1, LOW 1" and [r[6] for r in got if r[1] == "c2"] == ["not scanned"],
          repr((got, want)))
    stale(p)
    p.goto(url + "/#/workloads?unscanned=1")
    p.wait(FRESH + "location.hash.includes('unscanned') && !!document.querySelector('#workloads-count')",
           what="the unscanned workloads")
    got = rows(".view-workloads tbody tr")
    check("... filtered to those of an image never scanned", [r[1] for r in got] == ["c2"], repr(got))
    # paged (lease17): one a page, the next page by its link
    stale(p)
    p.goto(url + "/#/workloads?limit=1")
    p.wait(FRESH + "location.hash.includes('limit') && !!document.querySelector('#workloads-next')",
           what="the workloads' first page of one")
    first = rows(".view-workloads tbody tr")
    stale(p)
    p.eval("document.querySelector('#workloads-next').click(); true")
    p.wait(FRESH + "location.hash.includes('cursor') && !!document.querySelector('#workloads-count') && "
           "document.querySelector('.view-workloads tbody tr td:nth-child(2)').textContent != %s"
           % json.dumps(first[0][1] if first else ""), what="the workloads' next page")
    second = rows(".view-workloads tbody tr")
    check("the workloads view pages: one row a page, the next page the other one",
          len(first) == 1 and len(second) == 1 and
          sorted([first[0][1], second[0][1]]) == sorted(w["id"] for w in want), repr((first, second)))

    p.goto(url + "/#/images")
    p.wait("!!document.querySelector('#images-count')", what="the images table")
    got = rows(".view-images tbody tr")
    want = api("/api/v1/images")["items"]
    check("the images view shows the API's images: counts by severity, scan age, where they run",
          len(got) == len(want) == 1 and got[0][0] == "library/app" and got[0][3] == "1" and
          got[0][5] == "1" and got[0][9] == "1", repr((got, want)))
    p.eval("document.querySelector('.view-images tbody a').click(); true")
    p.wait("location.hash.startsWith('#/image?') && !!document.querySelector('#image-sbom')",
           what="one image")
    img = api("/api/v1/image?digest=" + want[0]["digest"])
    tables = p.eval("[...document.querySelectorAll('.view-image table')].map(t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)))")
    check("the image view shows its vulnerabilities and where it runs",
          sorted(r[1] for r in tables[-1]) == sorted(v["id"] for v in img["vulnerabilities"]) and
          [r[1] for r in tables[-2]] == ["c1"] and
          "No signature" in text(p, "#image-signatures"), repr((tables, img)))
    # the download as the page makes it: the Blob and the anchor's click, caught
    p.eval("""window.__dl = null; window.__blob = null; window.__make = URL.createObjectURL;
        window.__click = HTMLAnchorElement.prototype.click;
        URL.createObjectURL = (b) => { window.__blob = b; return window.__make.call(URL, b); };
        HTMLAnchorElement.prototype.click = function () { window.__dl = [this.download, this.href]; };
        document.querySelector('#image-sbom').click(); true""")
    dl = p.wait("window.__dl", timeout=5, what="the SBOM download")
    sbom = p.eval("window.__blob.text().then(t => JSON.parse(t))")
    p.eval("URL.createObjectURL = window.__make; HTMLAnchorElement.prototype.click = window.__click; true")
    check("the SBOM button downloads the image's CycloneDX document",
          dl[0].endswith(".cdx.json") and sbom.get("bomFormat") == "CycloneDX", repr((dl, sbom)))
    # suppress the HIGH finding with a reason: marked, and out of the countermeasure's count
    fill_submit(p, "#suppress-form", {"vulnerability": "CVE-2026-0001", "reason": "not reachable", "days": "2"})
    p.wait("location.hash.includes('at=') && [...document.querySelectorAll('#image-vulns tbody tr')]"
           ".some(r => r.cells[1].textContent === 'CVE-2026-0001' && r.cells[5].textContent.includes('not reachable'))",
           what="the suppressed finding")
    cm = api("/api/v1/countermeasures")
    c411 = [c for c in cm["countermeasures"] if c["id"] == "4.1.1"][0]
    check("a finding suppressed in the image view is marked and leaves the counts",
          c411["state"] == "enforced" and [v["count"] for v in c411["violations"]] == [0, 0],
          repr(c411))
    p.screenshot(os.path.join(out, "5-image.png"))

    p.goto(url + "/#/events?severity=CRITICAL")
    p.wait("location.hash.includes('severity') && !!document.querySelector('#events-count')",
           what="the events table")
    got = rows(".view-events tbody tr")
    want = api("/api/v1/events?severity=CRITICAL")["items"]
    check("the events view filtered by severity shows what the API gives, output as text",
          [r[0] for r in got] == [str(e["id"]) for e in want] and len(got) == 2 and
          {r[4] for r in got} == {"CRITICAL"} and "<b>sh</b> ran" in [r[7] for r in got] and
          p.eval("document.querySelectorAll('.view-events b').length") == 0, repr((got, want)))
    stale(p)
    p.eval("[...document.querySelectorAll('.view-events tbody a')].find(a => a.textContent === 'c2').click(); true")
    p.wait(FRESH + "location.hash.includes('workload=c2') && !!document.querySelector('#events-count')",
           what="events of c2")
    got = rows(".view-events tbody tr")
    check("... and by workload (a click on it): severity and workload both applied",
          [(r[4], r[6]) for r in got] == [("CRITICAL", "c2")], repr(got))

    p.goto(url + "/#/countermeasures")
    p.wait("!!document.querySelector('#cm-summary')", what="the countermeasures")
    got = p.eval("Object.fromEntries([...document.querySelectorAll('.view-countermeasures td[data-id]')].map(c => [c.dataset.id, c.textContent]))")
    want = api("/api/v1/countermeasures")
    check("the SP 800-190 view shows each countermeasure's state as the API computes it",
          got == {c["id"]: c["state"] for c in want["countermeasures"]} and got.get("4.1.5") == "violated",
          repr((got, want)))
    p.screenshot(os.path.join(out, "6-countermeasures.png"))
    link = p.eval("""(() => { const r = [...document.querySelectorAll('.view-countermeasures tbody tr')]
        .find(r => r.cells[0].textContent === '4.1.5'); const a = r.cells[5].querySelector('a');
        a.click(); return a.textContent; })()""")
    p.wait("location.hash.includes('unscanned') && !!document.querySelector('#workloads-count')",
           what="the violation's link")
    got = rows(".view-workloads tbody tr")
    check("a violation's count links to the offending workloads", link == "1" and
          [r[1] for r in got] == ["c2"], repr((link, got)))

    # webhook19: 4.3 links to the events of kind admission; the events view filters by kind
    p.goto(url + "/#/countermeasures")
    p.wait("!!document.querySelector('#cm-summary')", what="the countermeasures")
    href = p.eval("""(() => { const r = [...document.querySelectorAll('.view-countermeasures tbody tr')]
        .find(r => r.cells[0].textContent === '4.3'); const a = r.cells[4].querySelector('a');
        return a ? a.getAttribute('href') : ''; })()""")
    check("4.3's evidence links to the events of kind admission", href == "#/events?kind=admission",
          repr(href))
    p.goto(url + "/#/events?kind=alert&severity=WARNING")
    p.wait("location.hash.includes('kind=alert') && !!document.querySelector('#events-count')",
           what="the events of kind alert")
    got = rows(".view-events tbody tr")
    want = api("/api/v1/events?kind=alert&severity=WARNING")["items"]
    check("the events view filtered by kind shows what the API gives, the form keeps the kind",
          [r[0] for r in got] == [str(e["id"]) for e in want] and len(got) == 1 and
          {r[3] for r in got} == {"alert"} and
          p.eval("document.querySelector('#events-filter input[name=kind]').value") == "alert",
          repr((got, want)))

    # ---- delete the user: two clicks --------------------------------------------------
    p.goto(url + "/#/users")
    p.wait("!!document.querySelector('#users-list button[data-user=\"bob\"]')", what="bob's delete button")
    p.eval("document.querySelector('#users-list button[data-user=\"bob\"]').click(); true")
    first = p.eval("[...document.querySelectorAll('#users-list td.user-name')].some(e => e.textContent === 'bob')")
    p.eval("document.querySelector('#users-list button[data-user=\"bob\"]').click(); true")
    p.wait("![...document.querySelectorAll('#users-list td.user-name')].some(e => e.textContent === 'bob')",
           what="bob gone")
    check("deleting a user asks once, then removes it", first, "gone at the first click")

    # ---- a bad token goes back to the login, keeping where the user was ----------------
    p.eval("sessionStorage.setItem('bulkhead.token', 'bht_bogus_bogus'); true")
    p.goto(url + "/#/audit?actor=cli")
    p.wait("location.hash.startsWith('#/login') && !!document.querySelector('#login-form')",
           what="the login after a 401")
    check("a 401 from the API shows the login, keeping the view asked for",
          "audit" in p.eval("location.hash"), p.eval("location.hash"))
    fill_submit(p, "#login-form", {"user": admin, "password": password})
    p.wait("location.hash.startsWith('#/audit') && !!document.querySelector('.view-audit table')",
           what="back to the audit view")
    check("... and after login goes back to it", True)
    # logout revokes the token
    old = p.eval("sessionStorage.getItem('bulkhead.token')")
    p.eval("document.getElementById('logout').click(); true")
    p.wait("location.hash.startsWith('#/login') && !sessionStorage.getItem('bulkhead.token')",
           what="logged out")
    st = p.eval("""fetch('/api/v1/users', {headers: {Authorization: 'Bearer ' + %s}}).then(r => r.status)"""
                % js(old))
    check("logging out revokes the token", st == 401, str(st))
    errs = p.console_errors()
    check("no uncaught script error on the way", not errs,
          json.dumps(errs[:2])[:400])


with Browser(chromium, os.path.join(out, "profile"),
             extra=("--ignore-certificate-errors",)) as b:
    page = b.page()
    try:
        steps(page)
    except CDPError as e:
        check("the walk through the dashboard", False, str(e))
        try:
            page.screenshot(os.path.join(out, "failed.png"))
        except Exception:
            pass
