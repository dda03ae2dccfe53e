// SPDX-License-Identifier: Apache-2.0
// The events and alerts the agents reported (GET /api/v1/events), in the order
// stored, filtered by node, kind, severity, rule, workload and time (since, until:
// RFC 3339), paged by the id the API gives as next. On the first page, new
// alerts from the live stream (live.js) show above the table as they come
// (text only), with a link that reloads the page.
'use strict';
BH.view({
	name: 'events', title: 'Events',
	async render(root, params) {
		const { h } = BH;
		const keys = ['node', 'kind', 'severity', 'rule', 'workload', 'since', 'until'];
		const f = {};
		for (const k of keys) f[k] = params.get(k) || '';
		const after = params.get('after') || '';
		const limit = Math.min(Math.max(Number(params.get('limit')) || 100, 1), 1000);
		const input = (k, label, max) => h('label', null, label, h('input', { name: k, value: f[k], maxlength: max }));
		const form = h('form', { class: 'inline', id: 'events-filter' },
			input('node', 'Node', 64), input('kind', 'Kind', 32), input('severity', 'Severity', 16),
			input('rule', 'Rule', 256),
			input('workload', 'Workload (container id)', 512),
			input('since', 'Since (RFC 3339)', 40), input('until', 'Until (RFC 3339)', 40),
			h('button', { type: 'submit' }, 'Filter'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			BH.go('events', BH.values(form));
		});
		root.append(h('h1', null, 'Events and alerts'), form);
		const r = await BH.api('GET', '/api/v1/events' + BH.query(Object.assign({}, f, { after, limit })));
		const link = (k, v) => v ? h('td', null, h('a', { href: '#/events' + BH.query(Object.assign({}, f, { [k]: v })) }, v)) : '';
		// the alert's output, else an admission's message (webhook19)
		const output = (e) => {
			const d = (e.event && e.event.data) || {};
			return typeof d.output === 'string' ? d.output : typeof d.message === 'string' ? d.message : '';
		};
		root.append(BH.table(['#', 'Time', 'Node', 'Kind', 'Severity', 'Rule', 'Workload', 'Output'],
			r.items.map((e) => [String(e.id), e.time, e.node, link('kind', e.kind), link('severity', e.severity),
				link('rule', e.rule), link('workload', e.workload), output(e)])));
		if (!after) {
			const fresh = h('ul', { id: 'events-live' });
			const note = h('p', { class: 'note', id: 'events-live-note' });
			root.insertBefore(note, root.children[2] || null);
			root.insertBefore(fresh, note.nextSibling);
			let n = 0;
			const match = (e) => keys.every((k) => !f[k] || k === 'since' || k === 'until' || String(e[k] ?? '') === f[k]);
			BH.live(root, ['alert'], (name, e) => {
				if (name === 'dropped') {
					note.textContent = 'Too many new events to show: ';
					note.append(h('a', { href: '#/events' + BH.query(f) }, 'reload'));
					return;
				}
				if (!e || !match(e)) return;
				n++;
				fresh.prepend(h('li', null, [e.node, e.kind, e.severity || '', e.rule || '', e.workload || '']
					.map((x) => String(x)).filter((x) => x).join(' · ')));
				while (fresh.children.length > 50) fresh.lastChild.remove();
				note.textContent = n + ' new since loaded: ';
				note.append(h('a', { href: '#/events' + BH.query(f) }, 'reload'));
			}, async () => {
				// polling: only when this page shows them all (no next page)
				const top = r.items.reduce((m, e) => Math.max(m, Number(e.id) || 0), 0);
				if (r.next !== null) return;
				const r2 = await BH.api('GET', '/api/v1/events' + BH.query(Object.assign({}, f, { after: top || '', limit: 1 })));
				if (r2 && r2.items.length) note.textContent = 'New events since loaded: reload to see them.';
			});
		}
		root.append(h('div', { class: 'pager' },
			after ? h('a', { href: '#/events' + BH.query(Object.assign({}, f, { limit: params.get('limit') })) }, 'First page') : null,
			r.next !== null ? h('a', { id: 'events-next', href: '#/events' + BH.query(Object.assign({}, f, { after: r.next, limit: params.get('limit') })) }, 'Next page') : null,
			h('span', { id: 'events-count' }, r.items.length + ' events' + (after ? ' after #' + after : ''))));
	},
});
