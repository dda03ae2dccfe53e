// SPDX-License-Identifier: Apache-2.0
// The workloads (GET /api/v1/workloads): node, container, image and digest,
// the mode of each control when the controller knows it, and the image's
// vulnerabilities (GET /api/v1/images, joined by digest). Filters in the hash:
// node, all=1 (the gone ones too), vulnerable=1 (an image with a HIGH or
// CRITICAL finding), unscanned=1 (an image never scanned here); paged by the
// cursor the API gives as next (lease17; limit=N in the hash: N a page).
'use strict';
BH.view({
	name: 'workloads', title: 'Workloads',
	async render(root, params) {
		const { h } = BH;
		const node = params.get('node') || '';
		const all = params.get('all') === '1';
		const vulnerable = params.get('vulnerable') === '1';
		const unscanned = params.get('unscanned') === '1';
		const cursor = params.get('cursor') || '';
		const limit = params.get('limit') || '';
		const f = { node, all: all ? 1 : '', vulnerable: vulnerable ? 1 : '', unscanned: unscanned ? 1 : '', limit };
		const form = h('form', { class: 'inline', id: 'workloads-filter' },
			h('label', null, 'Node', h('input', { name: 'node', value: node, maxlength: 64 })),
			h('label', null, 'Gone too', h('input', { name: 'all', type: 'checkbox', value: '1', checked: all })),
			h('label', null, 'Vulnerable image', h('input', { name: 'vulnerable', type: 'checkbox', value: '1', checked: vulnerable })),
			h('label', null, 'Image not scanned', h('input', { name: 'unscanned', type: 'checkbox', value: '1', checked: unscanned })),
			h('button', { type: 'submit' }, 'Filter'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			BH.go('workloads', BH.values(form));
		});
		root.append(h('h1', null, 'Workloads'), form);
		const [w, imgs] = await Promise.all([
			BH.api('GET', '/api/v1/workloads' + BH.query({ node, all: all ? 1 : '', cursor, limit })),
			BH.images()]);
		let list = w.workloads;
		if (vulnerable) list = list.filter((x) => { const i = imgs.get(x.digest); return i && (i.counts.HIGH || i.counts.CRITICAL); });
		if (unscanned) list = list.filter((x) => { const i = imgs.get(x.digest); return !i || !i.scanned_at; });
		const modes = (m) => m && typeof m === 'object' ? Object.entries(m).map(([k, v]) => k + ': ' + v).join(', ') : 'not set';
		root.append(BH.table(['Node', 'Container', 'Name', 'Image', 'Digest', 'Mode per control', 'Vulnerabilities', 'Started', 'Gone'],
			list.map((x) => {
				const i = imgs.get(x.digest);
				return [x.node, x.id, x.name, x.image,
					x.digest ? h('td', null, h('a', { href: '#/image' + BH.query({ digest: x.digest }) }, x.digest)) : '',
					modes(x.modes),
					i ? BH.sevCounts(i.counts) : (x.digest ? 'not scanned' : 'no digest'),
					x.started, x.gone];
			})));
		root.append(h('p', { class: 'note', id: 'workloads-count' }, list.length + ' workloads'),
			h('div', { class: 'pager' },
				cursor ? h('a', { href: '#/workloads' + BH.query(f) }, 'First page') : null,
				w.next !== null ? h('a', { id: 'workloads-next', href: '#/workloads' + BH.query(Object.assign({}, f, { cursor: w.next })) }, 'Next page') : null));
	},
});
