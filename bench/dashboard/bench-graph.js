// SPDX-License-Identifier: Apache-2.0
// bench/dashboard.sh's page: ?mode=graph draws graph-data.json with
// BH.graph (web/graph.js); ?mode=anchor draws the same number of nodes and
// edges as plain SVG at random places (no layout, no interaction: what the
// browser itself takes for that many elements). Each sets window.result once
// painted: times in ms since the navigation began.
'use strict';
(async () => {
	const mode = new URLSearchParams(location.search).get('mode');
	const t0 = performance.now();
	const data = await (await fetch('/graph-data.json', { cache: 'no-store' })).json();
	const t1 = performance.now();
	const el = document.getElementById('graph');
	let info = {}, firstIterations = null;
	if (mode === 'graph') {
		info = BH.graph(el, data, {});
		firstIterations = info.iterations;
	} else {
		const n = data.groups.length, m = data.flows.length;
		const svg = BH.s('svg', { class: 'graph', viewBox: '0 0 3000 3000' });
		const x = new Float64Array(n), y = new Float64Array(n), idx = new Map();
		data.groups.forEach((g, i) => { idx.set(g.id, i); x[i] = Math.random() * 3000; y[i] = Math.random() * 3000; });
		const segs = [];
		for (const f of data.flows) {
			const a = idx.get(f.from), b = idx.get(f.to);
			segs.push('M' + x[a].toFixed(1) + ' ' + y[a].toFixed(1) + 'L' + x[b].toFixed(1) + ' ' + y[b].toFixed(1));
		}
		svg.append(BH.s('path', { class: 'edges-allow', d: segs.join('') }));
		const frag = document.createDocumentFragment();
		for (let i = 0; i < n; i++) frag.append(BH.s('circle', { class: 'node', cx: x[i].toFixed(1), cy: y[i].toFixed(1), r: 4 }));
		svg.append(frag);
		el.replaceChildren(svg);
	}
	const t2 = performance.now();
	await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
	const t3 = performance.now();
	// interaction: one zoom step, to its next painted frame
	let zoomMs = null;
	const svg = el.querySelector('svg');
	if (mode === 'graph') {
		const r = svg.getBoundingClientRect();
		const z0 = performance.now();
		svg.dispatchEvent(new WheelEvent('wheel', { deltaY: -100, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2, cancelable: true }));
		await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
		zoomMs = performance.now() - z0;
	}
	// the background layout, to its end
	let refineMs = null, refinedIterations = null;
	if (mode === 'graph') {
		const r0 = performance.now();
		await info.refined;
		refineMs = performance.now() - r0;
		refinedIterations = info.iterations;
	}
	window.result = { mode, firstDraw: t3, refineMs, refinedIterations, fetchParse: t1 - t0, build: t2 - t1, paint: t3 - t2,
		layoutMs: info.layoutMs, drawMs: info.drawMs, iterations: firstIterations,
		nodes: info.nodes ?? data.groups.length, edges: info.edges ?? data.flows.length,
		threats: info.threats, zoomMs, elements: svg.querySelectorAll('*').length };
})().catch((e) => { window.result = { error: String(e) }; });
