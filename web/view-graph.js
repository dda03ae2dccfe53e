// SPDX-License-Identifier: Apache-2.0
// The connection graph (flows17): GET /api/v1/flows drawn by graph.js, groups
// as nodes, flows as edges (grey allowed, orange denied, red with a threat,
// its IDs in the edge's text and in the table below), filtered by group and
// window (#/graph?group=G&minutes=M); live while shown: a stream (live.js)
// `flows` event carries the new edges (ctlmisc19), added to the graph shown
// without a refetch (counts summed, threats joined, groups added); an event
// without edges, with some left out (truncated), a `dropped` one, or the
// stream failing (polled every 3 s) reloads it all (at most once a second);
// the first event a minute after the last load reloads too, so flows that
// left the window go. Drawn
// again only when the flows changed. Every string from the API is text only.
'use strict';
BH.view({
	name: 'graph', title: 'Connections',
	async render(root, params) {
		const { h } = BH;
		const group = params.get('group') || '';
		const minutes = Math.min(Math.max(Number(params.get('minutes')) || 60, 1), 10080);
		const form = h('form', { class: 'inline', id: 'graph-filter' },
			h('label', null, 'Group', h('input', { name: 'group', value: group, maxlength: 127 })),
			h('label', null, 'Minutes', h('input', { name: 'minutes', value: String(minutes), type: 'number', min: 1, max: 10080 })),
			h('button', { type: 'submit' }, 'Show'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const v = BH.values(form);
			BH.go('graph', { group: v.group, minutes: v.minutes });
		});
		const status = h('p', { id: 'graph-status', class: 'note' });
		const box = h('div', { id: 'graph-box' });
		const list = h('div', { id: 'graph-flows' });
		root.append(h('h1', null, 'Connections'), form, status, box, list);

		const verdict = (f) => (Array.isArray(f.threats) && f.threats.length ? 'threat' : String(f.verdict ?? 'allow'));
		let shown = null;
		const draw = (r) => {
			const sig = JSON.stringify(r.flows);
			const when = new Date().toLocaleTimeString();
			status.textContent = r.groups.length + ' groups, ' + r.flows.length + ' flows' +
				(r.truncated ? ' (the busiest only)' : '') + ', updated ' + when;
			if (sig === shown) return;
			shown = sig;
			const res = BH.graph(box, r);
			box.dataset.edges = String(res.edges);
			box.dataset.threats = String(res.threats);
			box.dataset.updates = String(Number(box.dataset.updates || 0) + 1);
			list.replaceChildren(BH.table(['From', 'To', 'Protocol', 'App', 'Bytes', 'Connections', 'Verdict', 'Threats'],
				r.flows.slice(0, 500).map((f) => {
					const threats = Array.isArray(f.threats) ? f.threats.map(String).join(', ') : '';
					return [f.from, f.to, String(f.proto) + '/' + String(f.port), f.app, String(f.bytes),
						String(f.conns), h('td', { class: 'verdict-' + verdict(f) }, verdict(f)), threats];
				})));
		};
		const load = async () => {
			// RFC 3339, whole seconds
			const since = new Date(Date.now() - minutes * 60000).toISOString().replace(/\.\d+Z$/, 'Z');
			return BH.api('GET', '/api/v1/flows' + BH.query({ since, group }));
		};
		let current = await load();
		let loaded = Date.now();
		draw(current);
		// live: the event's edges added, else a reload (coalesced to one a second), or poll
		let pending = null;
		const reload = async () => {
			if (!root.isConnected) return;
			const r = await BH.run(load);
			if (r && root.isConnected) { current = r; loaded = Date.now(); draw(r); }
		};
		const key = (f) => [f.from, f.to, f.proto, f.port, f.app].map(String).join('\u001f');
		const num = (v) => (Number.isFinite(Number(v)) ? Number(v) : 0);
		// true when the edges could be added; false: reload
		const apply = (data) => {
			if (!data || !Array.isArray(data.edges) || num(data.truncated) > 0) return false;
			if (!current || !Array.isArray(current.flows) || !Array.isArray(current.groups) ||
				current.truncated) return false;
			if (Date.now() - loaded > 60000) return false;
			const byKey = new Map(current.flows.map((f) => [key(f), f]));
			const groups = new Set(current.groups.map((g) => String(g.id)));
			for (const e of data.edges) {
				if (!e || typeof e !== 'object') return false;
				if (group && e.from !== group && e.to !== group) continue;
				let f = byKey.get(key(e));
				if (!f) {
					f = { from: String(e.from), to: String(e.to), proto: String(e.proto), port: num(e.port),
						app: String(e.app), bytes: 0, packets: 0, conns: 0, allowed: 0, denied: 0,
						verdict: 'allow', threats: [], last_seen: 0 };
					current.flows.push(f);
					byKey.set(key(e), f);
				}
				for (const c of ['bytes', 'packets', 'conns', 'allowed', 'denied']) f[c] = num(f[c]) + num(e[c]);
				f.last_seen = Math.max(num(f.last_seen), num(e.last_seen));
				if (!Array.isArray(f.threats)) f.threats = [];
				for (const t of Array.isArray(e.threats) ? e.threats : [])
					if (!f.threats.includes(String(t)) && f.threats.length < 64) f.threats.push(String(t));
				f.verdict = f.denied > 0 ? 'deny' : f.threats.length ? 'alert' : 'allow';
				for (const [id, peer] of [[f.from, e.from_peer], [f.to, e.to_peer]]) {
					if (groups.has(id)) continue;
					groups.add(id);
					current.groups.push({ id, name: id, kind: peer ? 'peer' : 'workload' });
				}
			}
			// the busiest first, as the API orders them
			current.flows.sort((a, b) => (num(b.bytes) + num(b.conns)) - (num(a.bytes) + num(a.conns)));
			box.dataset.applied = String(Number(box.dataset.applied || 0) + 1);
			draw(current);
			return true;
		};
		BH.live(root, ['flows'], (name, data) => {
			if (name === 'flows' && apply(data)) return;
			if (!pending)
				pending = setTimeout(() => { pending = null; reload(); }, 1000);
		}, reload);
	},
});
