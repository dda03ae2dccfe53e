// SPDX-License-Identifier: Apache-2.0
// The connection graph: groups as nodes, flows as edges, in plain SVG (no
// library). BH.graph(container, data, opts) lays the graph out, draws it and
// returns { layoutMs, drawMs, nodes, edges }.
//
// The data (the flows API will give this shape; a file may too):
//   { "groups": [ { "id": "g1", "name": "web", "kind": "deployment" }, ... ],
//     "flows":  [ { "from": "g1", "to": "g2", "proto": "tcp", "port": 443,
//                   "app": "http", "bytes": 12345,
//                   "verdict": "allow" | "deny" | "alert",
//                   "threats": [ "BH-NET-SQLI", ... ] }, ... ] }
// A flow naming an unknown group is counted and left out. Every string is
// shown as text only (textContent): names come from agents, i.e. from anyone.
//
// Scale (10,000 groups, 50,000 flows): the layout is a force simulation
// started from a spiral in breadth-first order (neighbours start near):
// springs on the edges, repulsion through a grid sized to the spread (each
// node pushed by those in its 3x3 cells only); it stops at a time budget.
// Drawing makes one <path> per verdict class for plain edges, one element per
// threat edge (to point at and name), one <path> per node class (a grid finds
// the node under the pointer), labels only for small graphs and threat ends.
// The first drawing comes after a time budget of layout; the layout goes on in
// the background and is drawn again as it settles. Pan and zoom move one
// transform; pointing at a node shows its name and flows and highlights its
// edges (computed then, not before).
'use strict';

(() => {
	const { h, s } = BH;

	function build(data) {
		const groups = Array.isArray(data.groups) ? data.groups : [];
		const flows = Array.isArray(data.flows) ? data.flows : [];
		const index = new Map();
		const nodes = [];
		for (const g of groups) {
			if (!g || typeof g.id !== 'string' || index.has(g.id)) continue;
			index.set(g.id, nodes.length);
			nodes.push({ id: g.id, name: String(g.name ?? g.id), kind: String(g.kind ?? ''), threat: false });
		}
		const n = nodes.length;
		const src = new Int32Array(flows.length), dst = new Int32Array(flows.length);
		const edges = [];
		let dropped = 0;
		for (const f of flows) {
			const a = f ? index.get(f.from) : undefined, b = f ? index.get(f.to) : undefined;
			if (a === undefined || b === undefined) { dropped++; continue; }
			// the flow is kept as given; its fields are read (as text) when shown
			const threat = Array.isArray(f.threats) && f.threats.length > 0;
			src[edges.length] = a;
			dst[edges.length] = b;
			edges.push({ a, b, f, threat, allow: (f.verdict ?? 'allow') === 'allow' });
			if (threat) nodes[a].threat = nodes[b].threat = true;
		}
		// adjacency (CSR): node i's edges are adj[off[i] .. off[i+1])
		const m = edges.length;
		const off = new Int32Array(n + 1), adj = new Int32Array(2 * m);
		for (let e = 0; e < m; e++) { off[src[e] + 1]++; off[dst[e] + 1]++; }
		for (let i = 0; i < n; i++) off[i + 1] += off[i];
		const fill = off.slice(0, n);
		for (let e = 0; e < m; e++) { adj[fill[src[e]]++] = e; adj[fill[dst[e]]++] = e; }
		return { nodes, edges, src: src.subarray(0, m), dst: dst.subarray(0, m), off, adj, dropped };
	}

	// The force simulation, resumable: run(ms) goes on from where it stopped.
	function simulation(g) {
		const n = g.nodes.length, m = g.edges.length;
		const x = new Float64Array(n), y = new Float64Array(n);
		const L = 30; // the ideal edge length
		// breadth-first order from the busiest nodes, placed on a spiral
		const order = new Int32Array(n), seen = new Uint8Array(n);
		const byDegree = Array.from({ length: n }, (_, i) => i)
			.sort((p, q) => (g.off[q + 1] - g.off[q]) - (g.off[p + 1] - g.off[p]));
		let head = 0, tail = 0;
		for (const r of byDegree) {
			if (seen[r]) continue;
			seen[r] = 1;
			order[tail++] = r;
			while (head < tail) {
				const v = order[head++];
				for (let k = g.off[v]; k < g.off[v + 1]; k++) {
					const e = g.adj[k], w = g.src[e] === v ? g.dst[e] : g.src[e];
					if (!seen[w]) { seen[w] = 1; order[tail++] = w; }
				}
			}
		}
		const golden = Math.PI * (3 - Math.sqrt(5));
		for (let k = 0; k < n; k++) {
			const r = L * 0.8 * Math.sqrt(k + 0.5), t = k * golden;
			x[order[k]] = r * Math.cos(t);
			y[order[k]] = r * Math.sin(t);
		}
		const dx = new Float64Array(n), dy = new Float64Array(n);
		const cellOf = new Int32Array(n), sorted = new Int32Array(n);
		let start = new Int32Array(1);
		const maxIter = n > 2000 ? 300 : 400;
		let iter = 0, temp = L * 2;
		function step() {
			dx.fill(0);
			dy.fill(0);
			// repulsion within a radius: a grid over the bounding box whose cells
			// hold a few nodes on average whatever the density (counting sort),
			// each cell against itself and four neighbours (each pair once)
			let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
			for (let i = 0; i < n; i++) {
				if (x[i] < x0) x0 = x[i];
				if (x[i] > x1) x1 = x[i];
				if (y[i] < y0) y0 = y[i];
				if (y[i] > y1) y1 = y[i];
			}
			const cs = Math.max(Math.sqrt(((x1 - x0 + 1) * (y1 - y0 + 1)) / n) * 1.5, L * 0.5);
			const gw = Math.floor((x1 - x0) / cs) + 1, gh = Math.floor((y1 - y0) / cs) + 1;
			if (start.length < gw * gh + 1) start = new Int32Array(gw * gh + 1);
			else start.fill(0, 0, gw * gh + 1);
			for (let i = 0; i < n; i++) {
				const c = Math.floor((x[i] - x0) / cs) + Math.floor((y[i] - y0) / cs) * gw;
				cellOf[i] = c;
				start[c + 1]++;
			}
			for (let c = 0; c < gw * gh; c++) start[c + 1] += start[c];
			const put = start.slice(0, gw * gh);
			for (let i = 0; i < n; i++) sorted[put[cellOf[i]]++] = i;
			const r2 = cs * cs, k2 = L * L;
			const pairs = (ca, cb) => {
				for (let p = start[ca]; p < start[ca + 1]; p++) {
					const i = sorted[p];
					for (let q = ca === cb ? p + 1 : start[cb]; q < start[cb + 1]; q++) {
						const j = sorted[q];
						let ddx = x[i] - x[j], ddy = y[i] - y[j];
						let d2 = ddx * ddx + ddy * ddy;
						if (d2 > r2) continue;
						if (d2 < 0.01) { ddx = Math.random() - 0.5; ddy = Math.random() - 0.5; d2 = 0.5; }
						const f = k2 / d2;
						dx[i] += ddx * f; dy[i] += ddy * f;
						dx[j] -= ddx * f; dy[j] -= ddy * f;
					}
				}
			};
			for (let cy = 0; cy < gh; cy++) {
				for (let cx = 0; cx < gw; cx++) {
					const c = cx + cy * gw;
					if (start[c] === start[c + 1]) continue;
					pairs(c, c);
					if (cx + 1 < gw) pairs(c, c + 1);
					if (cy + 1 < gh) {
						if (cx > 0) pairs(c, c + gw - 1);
						pairs(c, c + gw);
						if (cx + 1 < gw) pairs(c, c + gw + 1);
					}
				}
			}
			// springs
			for (let e = 0; e < m; e++) {
				const a = g.src[e], b = g.dst[e];
				if (a === b) continue;
				const ddx = x[a] - x[b], ddy = y[a] - y[b];
				const d = Math.sqrt(ddx * ddx + ddy * ddy) || 0.01;
				const f = (d - L) / d * 0.5;
				dx[a] -= ddx * f; dy[a] -= ddy * f;
				dx[b] += ddx * f; dy[b] += ddy * f;
			}
			// move, at most temp
			for (let i = 0; i < n; i++) {
				const d = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
				if (d > 0) {
					const k = Math.min(d, temp) / d;
					x[i] += dx[i] * k;
					y[i] += dy[i] * k;
				}
			}
			temp = Math.max(temp * 0.97, 1);
			iter++;
		}
		const sim = {
			x, y, done: n === 0,
			get iterations() { return iter; },
			// iterate for about ms (at least one step), until done
			run(ms) {
				const t0 = performance.now();
				do {
					if (iter >= maxIter) break;
					step();
				} while (performance.now() - t0 < ms);
				sim.done = iter >= maxIter;
			},
		};
		return sim;
	}

	function fmtBytes(b) {
		const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
		let i = 0;
		while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
		return (i ? b.toFixed(1) : String(b)) + ' ' + u[i];
	}
	function edgeText(g, e) {
		const E = g.edges[e], f = E.f, str = (v) => (v === undefined || v === null ? '' : String(v));
		const threats = E.threat ? f.threats.map(str).join(', ') : '';
		return g.nodes[E.a].name + ' → ' + g.nodes[E.b].name + ' ' + str(f.proto) +
			(Number(f.port) ? '/' + Number(f.port) : '') + (f.app ? ' ' + str(f.app) : '') + ' ' +
			fmtBytes(Number(f.bytes) || 0) + ' ' + str(f.verdict ?? 'allow') + (threats ? ' threats: ' + threats : '');
	}

	// BH.graph(container, data, {budgetMs, refineMs, labels}): draws into
	// container after budgetMs of layout, then goes on refining the layout in
	// the background (chunks of 40 ms between frames, refineMs in all) and
	// draws it again every 2 s of that work and at its end.
	BH.graph = function (container, data, opts) {
		opts = opts || {};
		const t0 = performance.now();
		const g = build(data);
		const sim = simulation(g);
		sim.run(opts.budgetMs ?? (g.nodes.length > 5000 ? 400 : 700));
		const t1 = performance.now();
		const n = g.nodes.length, m = g.edges.length;
		// what is drawn: whole units (finer than a pixel at any useful zoom, cheap to write)
		const x = new Float64Array(n), y = new Float64Array(n);
		const snap = () => {
			for (let i = 0; i < n; i++) { x[i] = Math.round(sim.x[i]); y[i] = Math.round(sim.y[i]); }
		};
		const svg = s('svg', { class: 'graph', role: 'img', 'aria-label': 'connection graph' });
		const view = s('g', { class: 'viewport' });
		svg.append(view);
		// plain edges: one path per class; threat edges one line each, to point at
		const allowPath = s('path', { class: 'edges-allow' }), denyPath = s('path', { class: 'edges-deny' });
		const hl = s('path', { class: 'edges-hl', d: '' });
		const threatLines = s('g', { class: 'threats' });
		const lines = [];
		for (let e = 0; e < m; e++) {
			if (!g.edges[e].threat) continue;
			const line = s('line', { class: 'edge-threat', 'data-edge': e });
			const title = s('title');
			title.textContent = edgeText(g, e);
			line.append(title);
			threatLines.append(line);
			lines.push([line, e]);
		}
		// nodes: one path per class (10,000 elements would cost more to make,
		// paint and zoom than the whole drawing); pointing finds a node by a grid
		const r = n > 2000 ? 4 : 6;
		const plainNodes = s('path', { class: 'node' }), threatNodes = s('path', { class: 'node threat' });
		const focus = s('circle', { class: 'node-hl', r: r + 2, cx: 0, cy: 0, visibility: 'hidden' });
		const labels = s('g', { class: 'labels' });
		const labelled = [];
		for (let i = 0; i < n; i++) {
			if (n > (opts.labels ?? 300) && !g.nodes[i].threat) continue;
			const t = s('text', { class: 'label', 'data-node': i });
			t.textContent = g.nodes[i].name;
			labels.append(t);
			labelled.push([t, i]);
		}
		view.append(allowPath, denyPath, hl, threatLines, plainNodes, threatNodes, focus, labels);
		const hcell = 4 * r;
		let hit = new Map();
		const circle = (i) => 'M' + (x[i] - r) + ' ' + y[i] + 'a' + r + ' ' + r +
			' 0 1 0 ' + 2 * r + ' 0a' + r + ' ' + r + ' 0 1 0 ' + -2 * r + ' 0';
		// put everything where the layout says
		const place = () => {
			let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
			for (let i = 0; i < n; i++) {
				if (x[i] < minx) minx = x[i];
				if (x[i] > maxx) maxx = x[i];
				if (y[i] < miny) miny = y[i];
				if (y[i] > maxy) maxy = y[i];
			}
			if (!n) { minx = miny = 0; maxx = maxy = 1; }
			// the extent, at least 900 x 500 units (a small graph stays small)
			const pad = 40, w = Math.max(maxx - minx + 2 * pad, 900), ht = Math.max(maxy - miny + 2 * pad, 500);
			svg.setAttribute('viewBox', [(minx + maxx - w) / 2, (miny + maxy - ht) / 2, w, ht].map((v) => v.toFixed(1)).join(' '));
			const allow = [], deny = [];
			for (let e = 0; e < m; e++) {
				const E = g.edges[e];
				if (E.threat) continue;
				(E.allow ? allow : deny).push('M' + x[E.a] + ' ' + y[E.a] + 'L' + x[E.b] + ' ' + y[E.b]);
			}
			allowPath.setAttribute('d', allow.join(''));
			denyPath.setAttribute('d', deny.join(''));
			for (const [line, e] of lines) {
				const E = g.edges[e];
				line.setAttribute('x1', x[E.a]); line.setAttribute('y1', y[E.a]);
				line.setAttribute('x2', x[E.b]); line.setAttribute('y2', y[E.b]);
			}
			const plain = [], marked = [];
			for (let i = 0; i < n; i++) (g.nodes[i].threat ? marked : plain).push(circle(i));
			plainNodes.setAttribute('d', plain.join(''));
			threatNodes.setAttribute('d', marked.join(''));
			for (const [t, i] of labelled) { t.setAttribute('x', x[i] + r + 2); t.setAttribute('y', y[i] + 3); }
			hit = new Map();
			for (let i = 0; i < n; i++) {
				const key = Math.floor(x[i] / hcell) + ',' + Math.floor(y[i] / hcell);
				const c = hit.get(key);
				if (c) c.push(i); else hit.set(key, [i]);
			}
			hl.setAttribute('d', '');
			focus.setAttribute('visibility', 'hidden');
		};
		const nodeAt = (ux, uy) => {
			let best = -1, bd = (r + 2) * (r + 2);
			const cx = Math.floor(ux / hcell), cy = Math.floor(uy / hcell);
			for (let ox = -1; ox <= 1; ox++) {
				for (let oy = -1; oy <= 1; oy++) {
					for (const i of hit.get((cx + ox) + ',' + (cy + oy)) || []) {
						const d = (x[i] - ux) * (x[i] - ux) + (y[i] - uy) * (y[i] - uy);
						if (d <= bd) { bd = d; best = i; }
					}
				}
			}
			return best;
		};
		snap();
		place();

		const info = h('div', { class: 'graph-info', 'aria-live': 'polite' },
			n + ' groups, ' + m + ' flows' + (g.dropped ? ' (' + g.dropped + ' naming no known group left out)' : ''));
		const describe = (i) => {
			const parts = [];
			let threats = 0;
			for (let k = g.off[i]; k < g.off[i + 1]; k++) {
				const e = g.adj[k];
				const E = g.edges[e];
				if (E.threat) threats++;
				parts.push('M' + x[E.a] + ' ' + y[E.a] + 'L' + x[E.b] + ' ' + y[E.b]);
			}
			hl.setAttribute('d', parts.join(''));
			focus.setAttribute('cx', x[i]);
			focus.setAttribute('cy', y[i]);
			focus.setAttribute('visibility', 'visible');
			const N = g.nodes[i];
			info.textContent = N.name + (N.kind ? ' (' + N.kind + ')' : '') + ': ' +
				(g.off[i + 1] - g.off[i]) + ' flows' + (threats ? ', ' + threats + ' with threats' : '');
		};
		// pan and zoom: one transform
		let k = 1, tx = 0, ty = 0, drag = null;
		const apply = () => view.setAttribute('transform', 'translate(' + tx + ' ' + ty + ') scale(' + k + ')');
		const toUser = (ev) => {
			const p = svg.createSVGPoint();
			p.x = ev.clientX; p.y = ev.clientY;
			return p.matrixTransform(svg.getScreenCTM().inverse());
		};
		svg.addEventListener('wheel', (ev) => {
			ev.preventDefault();
			const p = toUser(ev), f = ev.deltaY < 0 ? 1.25 : 0.8;
			tx = p.x - (p.x - tx) * f; ty = p.y - (p.y - ty) * f; k *= f;
			apply();
		}, { passive: false });
		svg.addEventListener('pointerdown', (ev) => { drag = { p: toUser(ev), tx, ty }; svg.setPointerCapture(ev.pointerId); });
		let shown = -1;
		svg.addEventListener('pointermove', (ev) => {
			const p = toUser(ev);
			if (drag) {
				tx = drag.tx + p.x - drag.p.x; ty = drag.ty + p.y - drag.p.y;
				apply();
				return;
			}
			if (ev.target.dataset && ev.target.dataset.edge !== undefined) {
				info.textContent = edgeText(g, Number(ev.target.dataset.edge));
				return;
			}
			const i = nodeAt((p.x - tx) / k, (p.y - ty) / k);
			if (i >= 0 && i !== shown) describe(i);
			shown = i;
		});
		svg.addEventListener('pointerup', () => { drag = null; });
		container.replaceChildren(info, svg);
		const t2 = performance.now();
		const res = { layoutMs: t1 - t0, drawMs: t2 - t1, iterations: sim.iterations, nodes: n, edges: m,
			nodeAt, x, y, dropped: g.dropped, threats: lines.length, svg, info, refined: null };
		// the rest of the layout in the background, while the page stays live
		let left = opts.refineMs ?? 5000, sinceDraw = 0;
		res.refined = new Promise((done) => {
			const refine = () => {
				if (!svg.isConnected || sim.done || left <= 0) {
					if (sinceDraw > 0 && svg.isConnected) { snap(); place(); }
					res.iterations = sim.iterations;
					done(res);
					return;
				}
				const c0 = performance.now();
				sim.run(40);
				const took = performance.now() - c0;
				left -= took;
				sinceDraw += took;
				if (sinceDraw >= 2000) { snap(); place(); sinceDraw = 0; }
				setTimeout(refine, 10);
			};
			setTimeout(refine, 50);
		});
		return res;
	};
})();
