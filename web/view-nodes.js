// SPDX-License-Identifier: Apache-2.0
// The nodes and their agents (GET /api/v1/nodes): when each registered and
// last reported, the agent's and the policy's versions, its events stored and
// acknowledged, its running workloads (GET /api/v1/workloads, joined by node).
'use strict';
BH.view({
	name: 'nodes', title: 'Nodes',
	async render(root) {
		const { h } = BH;
		root.append(h('h1', null, 'Nodes'));
		const [n, w] = await Promise.all([BH.api('GET', '/api/v1/nodes'), BH.api('GET', '/api/v1/workloads')]);
		const running = new Map();
		for (const x of w.workloads) running.set(x.node, (running.get(x.node) || 0) + 1);
		const now = Date.now();
		root.append(BH.table(['Node', 'Agent', 'Registered', 'Last seen', 'Agent version', 'Policy version', 'Workloads', 'Events', 'Acked'],
			n.nodes.map((x) => [
				x.name,
				h('td', { class: 'state' }, now - Date.parse(x.last_seen) <= 120000 ? 'connected' : 'stale'),
				x.registered, x.last_seen, x.agent_version, x.policy_version,
				h('td', null, h('a', { href: '#/workloads' + BH.query({ node: x.name }) }, String(running.get(x.name) || 0))),
				h('td', null, h('a', { href: '#/events' + BH.query({ node: x.name }) }, String(x.events))),
				x.acked === null ? '' : String(x.acked)])));
		root.append(h('p', { class: 'note' }, n.nodes.length + ' nodes; an agent is connected when it reported in the last 120 s.'));
	},
});
