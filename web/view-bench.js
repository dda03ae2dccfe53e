// SPDX-License-Identifier: Apache-2.0
// The nodes' host benchmark (GET /api/v1/bench; bench17): each node's last
// `bulkhead bench host` run as its agent reported it (bulkhead agent
// --bench), its counts by status, and its checks (failing ones first). With
// node= in the hash, that node only.
'use strict';
BH.view({
	name: 'bench', title: 'Bench',
	async render(root, params) {
		const { h } = BH;
		const node = params.get('node') || '';
		const r = await BH.api('GET', '/api/v1/bench' + BH.query({ node }));
		root.append(h('h1', null, 'Host benchmark' + (node ? ' of ' + node : '')));
		if (!r.nodes.length) {
			root.append(h('p', { class: 'note' }, 'No bench run reported (bulkhead agent --bench).'));
			return;
		}
		const rank = { FAIL: 0, WARN: 1, PASS: 2, INFO: 3 };
		root.append(BH.table(['Node', 'Run', 'Pass', 'Fail', 'Warn', 'Info'],
			r.nodes.map((n) => [h('td', null, h('a', { href: '#/bench' + BH.query({ node: n.node }) }, n.node)),
				String(n.time || ''), String(n.pass), String(n.fail), String(n.warn), String(n.info)])));
		for (const n of r.nodes) {
			const rows = n.results.slice().sort((a, b) => (rank[a.status] ?? 4) - (rank[b.status] ?? 4));
			root.append(h('h2', null, n.node),
				BH.table(['Check', 'Status', 'What', 'SP 800-190', 'CIS', 'Found', 'Expected'],
					rows.map((c) => [c.id, h('td', { class: 'bench-' + String(c.status).toLowerCase() }, c.status),
						String(c.title || ''), String(c.nist || ''), String(c.cis || ''),
						String(c.actual || ''), String(c.expected || '')])));
		}
	},
});
