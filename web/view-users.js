// SPDX-License-Identifier: Apache-2.0
// Users (admin): the list, add, delete.
'use strict';
BH.view({
	name: 'users', title: 'Users',
	async render(root) {
		const { h } = BH;
		const list = h('div', { id: 'users-list' });
		const form = h('form', { class: 'inline', id: 'user-add' },
			h('label', null, 'Name', h('input', { name: 'name', required: true, maxlength: 64 })),
			h('label', null, 'Role', h('select', { name: 'role' },
				h('option', { value: 'reader' }, 'reader'),
				h('option', { value: 'operator' }, 'operator'),
				h('option', { value: 'admin' }, 'admin'))),
			h('label', null, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 1024 })),
			h('button', { type: 'submit' }, 'Add user'));
		const load = async () => {
			const r = await BH.api('GET', '/api/v1/users');
			list.replaceChildren(BH.table(['Name', 'Role', 'Created', ''], r.users.map((u) => [
				h('td', { class: 'user-name' }, u.name), u.role, u.created || '',
				u.name === BH.user() ? '' : h('button', { type: 'button', class: 'danger', 'data-user': u.name,
					onclick: (ev) => del(ev.currentTarget, u.name) }, 'Delete'),
			])));
		};
		// two clicks to delete: the first asks
		const del = (btn, name) => BH.run(async () => {
			if (btn.dataset.armed !== '1') {
				btn.dataset.armed = '1';
				btn.textContent = 'Really delete?';
				return;
			}
			await BH.api('DELETE', '/api/v1/users' + BH.query({ name }));
			await load();
		});
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			BH.run(async () => {
				await BH.api('POST', '/api/v1/users', BH.values(form));
				form.reset();
				await load();
			});
		});
		root.append(h('h1', null, 'Users'), list, h('h2', null, 'Add a user'), form);
		await load();
	},
});
