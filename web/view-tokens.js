// SPDX-License-Identifier: Apache-2.0
// API tokens: the list (GET /api/v1/tokens: one's own, an admin's all; never
// a secret); create (for oneself; an admin for any user or a node), shown
// once; revoke by id.
'use strict';
BH.view({
	name: 'tokens', title: 'Tokens',
	async render(root) {
		const { h } = BH;
		const made = h('div', { id: 'tokens-made' });
		const rows = [];
		const show = () => made.replaceChildren(rows.length ? BH.table(['Id', 'For', 'Token (shown once)', ''], rows) : '');
		const revoke = (id, btn) => BH.run(async () => {
			await BH.api('DELETE', '/api/v1/tokens' + BH.query({ id }));
			btn.replaceWith(h('span', null, 'revoked'));
		});
		const create = h('form', { class: 'inline', id: 'token-create' },
			h('label', null, 'For user (empty: me)', h('input', { name: 'user', maxlength: 64 })),
			h('label', null, 'or for node', h('input', { name: 'node', maxlength: 64 })),
			h('label', null, 'Valid (days)', h('input', { name: 'days', type: 'number', min: 1, max: 366, value: 30 })),
			h('button', { type: 'submit' }, 'Create token'));
		create.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const v = BH.values(create);
			const body = { ttl: Math.round(Number(v.days || 30) * 86400) };
			if (v.node) body.node = v.node; else if (v.user) body.user = v.user;
			BH.run(async () => {
				const r = await BH.api('POST', '/api/v1/tokens', body);
				const btn = h('button', { type: 'button', class: 'danger', onclick: () => revoke(r.id, btn) }, 'Revoke');
				rows.push([r.id, r.node ? 'node ' + r.node : r.user, h('code', { class: 'secret' }, r.token), btn]);
				show();
			});
		});
		const byId = h('form', { class: 'inline', id: 'token-revoke' },
			h('label', null, 'Token id', h('input', { name: 'id', required: true, maxlength: 64 })),
			h('button', { type: 'submit', class: 'danger' }, 'Revoke'));
		byId.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const { id } = BH.values(byId);
			BH.run(async () => {
				await BH.api('DELETE', '/api/v1/tokens' + BH.query({ id }));
				byId.reset();
				byId.append(h('span', { class: 'note' }, 'revoked ' + id));
			});
		});
		root.append(h('h1', null, 'API tokens'), create,
			h('p', { class: 'note' }, 'A token is shown once, when it is made: copy it now.'),
			made, h('h2', null, 'Revoke a token by its id'), byId);
		const list = await BH.api('GET', '/api/v1/tokens');
		root.append(h('h2', null, 'Tokens'), h('div', { id: 'tokens-list' },
			BH.table(['Id', 'User', 'Node', 'Created', 'Expires', 'State'],
				list.tokens.map((t) => [t.id, t.user, t.node, t.created, t.expires, t.state]))));
	},
});
