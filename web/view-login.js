// SPDX-License-Identifier: Apache-2.0
// Login: POST /api/v1/login, the token kept for this tab (see app.js).
'use strict';
BH.view({
	name: 'login', title: 'Log in', nav: false, auth: false,
	render(root, params) {
		const { h } = BH;
		const form = h('form', { class: 'login', id: 'login-form' },
			h('h1', null, 'bulkhead controller'),
			h('label', null, 'User', h('input', { name: 'user', autocomplete: 'username', required: true, maxlength: 64 })),
			h('label', null, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 })),
			h('button', { type: 'submit' }, 'Log in'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const { user, password } = BH.values(form);
			BH.run(async () => {
				const r = await BH.api('POST', '/api/v1/login', { user, password });
				BH.setSession(r.token, r.user, r.role);
				const next = params.get('next');
				location.hash = next && !next.startsWith('/login') ? '#' + next : '#/users';
			});
		});
		root.append(form);
		form.elements.user.focus();
	},
});
