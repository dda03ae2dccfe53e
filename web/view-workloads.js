// SPDX-License-Identifier: Apache-2.0
// The workloads (GET /api/v1/workloads): node, container, image and digest,
// the mode of each control when the controller knows it, and the image's
// vulnerabilities (GET /api/v1/images, joined by digest). Filters in the hash:
// node, all=1 (the gone ones too), vulnerable=1 (an image with a HIGH or
// CRITICAL finding), unscanned=1 (an image never scanned here); paged by the
// cursor the API gives as next (lease17; limit=N in the hash: N a page).
// The behaviour profile the node's agent learned for the workload (GET
// /api/v1/profiles, joined by node and key: the digest, else "image:" + the
// image): its size, when updated, the mode it is accepted in; an admin
// accepts it in monitor or protect (POST /api/v1/profiles/accept).
// Actions (dashq19; BH.wlActions in web/wl-actions.js): quarantine (a reason
// asked, a second click confirms) and release of a container (POST
// /api/v1/quarantine, /api/v1/release: queued for the node's agent), a
// group's mode per control (POST /api/v1/workloads/mode: a new policy
// version; the group is the profile's key, else the digest, else "image:" +
// the image); each row shows its last action and the agent's result (GET
// /api/v1/actions, again at each live "action" event or every 3 s when the
// stream is down), quarantined rows marked. Operator role and above; a
// reader sees the buttons disabled (the API refuses anyway).
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
		const [w, imgs, pr, acts] = await Promise.all([
			BH.api('GET', '/api/v1/workloads' + BH.query({ node, all: all ? 1 : '', cursor, limit })),
			BH.images(),
			BH.api('GET', '/api/v1/profiles' + BH.query({ node })).catch(() => ({ profiles: [] })),
			BH.wlActions(root, node)]);
		const learned = new Map();
		for (const p of pr.profiles) learned.set(p.node + ' ' + p.key, p);
		const profileOf = (x) => learned.get(x.node + ' ' + x.digest) || learned.get(x.node + ' image:' + x.image);
		const accept = (x, p) => {
			const sel = h('select', { 'aria-label': 'Mode' },
				h('option', { value: 'monitor' }, 'monitor'), h('option', { value: 'protect' }, 'protect'));
			const b = h('button', { type: 'button', class: 'accept-profile' }, 'Accept');
			b.addEventListener('click', () => BH.run(async () => {
				await BH.api('POST', '/api/v1/profiles/accept', { key: p.key, node: x.node, digest: p.digest, mode: sel.value });
				BH.go('workloads', { node, all: all ? 1 : '', at: Date.now() });
			}));
			return h('td', null, sel, ' ', b);
		};
		let list = w.workloads;
		if (vulnerable) list = list.filter((x) => { const i = imgs.get(x.digest); return i && (i.counts.HIGH || i.counts.CRITICAL); });
		if (unscanned) list = list.filter((x) => { const i = imgs.get(x.digest); return !i || !i.scanned_at; });
		const groupOf = (x) => { const p = profileOf(x); return p ? p.key : x.digest || 'image:' + x.image; };
		root.append(BH.table(['Node', 'Container', 'Name', 'Image', 'Digest', 'Mode per control', 'Vulnerabilities',
			'Quarantine (operator)', 'Set mode (operator)',
			'Learned profile', 'Accept (admin)', 'Verified launch', 'Started', 'Gone'],
			list.map((x) => {
				const i = imgs.get(x.digest);
				const p = profileOf(x);
				return [x.node, x.id, x.name, x.image,
					x.digest ? h('td', null, h('a', { href: '#/image' + BH.query({ digest: x.digest }) }, x.digest)) : '',
					acts.modeCell(groupOf(x)),
					i ? BH.sevCounts(i.counts) : (x.digest ? 'not scanned' : 'no digest'),
					acts.quarCell(x), acts.modeForm(x, groupOf(x)),
					p ? 'yes, ' + p.items + ' items, updated ' + p.updated + ' (' + p.mode + ')' +
						(p.accepted ? ', accepted in ' + p.accepted : '') : 'no',
					p ? accept(x, p) : '',
					x.launch ? 'verified #' + String(x.launch.recnum) + ' ' + String(x.launch.time || '') : 'not verified',
					x.started, x.gone];
			})));
		acts.refresh();
		root.append(h('p', { class: 'note', id: 'workloads-count' }, list.length + ' workloads'),
			h('div', { class: 'pager' },
				cursor ? h('a', { href: '#/workloads' + BH.query(f) }, 'First page') : null,
				w.next !== null ? h('a', { id: 'workloads-next', href: '#/workloads' + BH.query(Object.assign({}, f, { cursor: w.next })) }, 'Next page') : null));
	},
});
