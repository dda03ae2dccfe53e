// SPDX-License-Identifier: Apache-2.0
// The nodes and their agents (GET /api/v1/nodes): when each registered and
// last reported, the agent's and the policy's versions, its events stored and
// acknowledged, its running workloads (GET /api/v1/workloads, every page, joined by node),
// its last TPM attestation (GET /api/v1/attestations: verified, or failed and
// why; launch18).
'use strict';
BH.view({
	name: 'nodes', title: 'Nodes',
	async render(root) {
		const { h } = BH;
		root.append(h('h1', null, 'Nodes'));
		const [n, w, at] = await Promise.all([BH.api('GET', '/api/v1/nodes'), BH.workloads(),
			BH.api('GET', '/api/v1/attestations')]);
		const att = new Map(at.nodes.map((x) => [x.node, x]));
		const badge = (a) => !a ? 'not attested'
			: h('td', { class: 'state', title: a.verified ? 'PCR digest ' + (a.pcr_digest || '') : String(a.reason || '') },
				(a.verified ? 'verified' : 'FAILED') + ' ' + String(a.last || ''));
		const running = new Map();
		for (const x of w.workloads) running.set(x.node, (running.get(x.node) || 0) + 1);
		const now = Date.now();
		root.append(BH.table(['Node', 'Agent', 'Registered', 'Last seen', 'Agent version', 'Policy version', 'Workloads', 'Events', 'Acked', 'Attestation'],
			n.nodes.map((x) => [
				x.name,
				h('td', { class: 'state' }, now - Date.parse(x.last_seen) <= 120000 ? 'connected' : 'stale'),
				x.registered, x.last_seen, x.agent_version, x.policy_version,
				h('td', null, h('a', { href: '#/workloads' + BH.query({ node: x.name }) }, String(running.get(x.name) || 0))),
				h('td', null, h('a', { href: '#/events' + BH.query({ node: x.name }) }, String(x.events))),
				x.acked === null ? '' : String(x.acked), badge(att.get(x.name))])));
		root.append(h('p', { class: 'note' }, n.nodes.length + ' nodes; an agent is connected when it reported in the last 120 s.' +
			(w.cut ? ' Workloads counted among the first ' + w.workloads.length + '.' : '')));
	},
});
