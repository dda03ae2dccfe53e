// SPDX-License-Identifier: Apache-2.0
// The connection graph (flows17): GET /api/v1/flows drawn by graph.js, groups
// as nodes, flows as edges (grey allowed, orange denied, red with a threat,
// its IDs in the edge's text and in the table below), filtered by group and
// window (#/graph?group=G&minutes=M); live while shown: reloaded when the
// stream (live.js) says flows changed (at most once a second), polled every
// 3 s when the stream fails; drawn again only when the flows changed. Every
// string from the API is text only.
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
		draw(await load());
		// live: reload on a flows event (coalesced to one a second), or poll
		let pending = null;
		const reload = async () => {
			if (!root.isConnected) return;
			const r = await BH.run(load);
			if (r && root.isConnected) draw(r);
		};
		BH.live(root, ['flows'], () => {
			if (!pending)
				pending = setTimeout(() => { pending = null; reload(); }, 1000);
		}, reload);
	},
});
