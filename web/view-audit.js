// SPDX-License-Identifier: Apache-2.0
// The audit log (admin): oldest first, filtered by actor, paged by the id
// the API gives as next (keyset paging: #/audit?actor=A&after=N&limit=L).
'use strict';
BH.view({
	name: 'audit', title: 'Audit log',
	async render(root, params) {
		const { h } = BH;
		const actor = params.get('actor') || '';
		const after = params.get('after') || '';
		const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 1000);
		const form = h('form', { class: 'inline', id: 'audit-filter' },
			h('label', null, 'Actor', h('input', { name: 'actor', value: actor, maxlength: 64 })),
			h('button', { type: 'submit' }, 'Filter'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			BH.go('audit', { actor: BH.values(form).actor, limit: params.get('limit') });
		});
		root.append(h('h1', null, 'Audit log'), form);
		const r = await BH.api('GET', '/api/v1/audit' + BH.query({ actor, after, limit }));
		const json = (v) => h('td', { class: 'json' }, v === null || v === undefined ? '' : JSON.stringify(v, null, 1));
		root.append(BH.table(['#', 'Time', 'Actor', 'Action', 'Object', 'Before', 'After'],
			r.items.map((e) => [String(e.id), e.time, e.actor, e.action, e.object, json(e.before), json(e.after)])));
		const pager = h('div', { class: 'pager' },
			after ? h('a', { href: '#/audit' + BH.query({ actor, limit: params.get('limit') }) }, 'First page') : null,
			r.next !== null ? h('a', { id: 'audit-next', href: '#/audit' + BH.query({ actor, after: r.next, limit: params.get('limit') }) }, 'Next page') : null,
			h('span', null, r.items.length + ' entries' + (after ? ' after #' + after : '')));
		root.append(pager);
	},
});
