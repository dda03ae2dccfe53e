// SPDX-License-Identifier: Apache-2.0
// NIST SP 800-190 section 4 (GET /api/v1/countermeasures): for each
// countermeasure, its state, what enforces it here (with the evidence the
// store holds) and what violates it now, each count a link to its view.
'use strict';
BH.view({
	name: 'countermeasures', title: 'SP 800-190',
	async render(root) {
		const { h } = BH;
		const r = await BH.api('GET', '/api/v1/countermeasures');
		const counts = (list) => h('td', null, h('ul', { class: 'counts' }, list.map((c) =>
			h('li', null, c.link ? h('a', { href: '#/' + c.link }, String(c.count)) : String(c.count), ' ' + c.what))));
		root.append(h('h1', null, 'SP 800-190 countermeasures'),
			h('p', { class: 'note', id: 'cm-summary' },
				r.summary.violated + ' violated, ' + r.summary.enforced + ' enforced, ' +
				r.summary['no-data'] + ' with no data in the controller (counted ' + r.generated + ')'),
			BH.table(['Section', 'Countermeasure', 'State', 'Enforced by', 'Evidence', 'Violating now'],
				r.countermeasures.map((c) => [c.id, c.title,
					h('td', { class: 'cm-' + c.state, 'data-id': c.id }, c.state),
					c.enforced_by, counts(c.evidence), counts(c.violations)])));
	},
});
