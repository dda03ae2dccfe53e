// SPDX-License-Identifier: Apache-2.0
// The API as the controller describes it (/openapi.json): each endpoint,
// the role it needs, its parameters and body.
'use strict';
BH.view({
	name: 'api', title: 'API',
	async render(root) {
		const { h } = BH;
		const doc = await BH.api('GET', '/openapi.json');
		const rows = [];
		for (const path of Object.keys(doc.paths || {}).sort()) {
			for (const [method, op] of Object.entries(doc.paths[path])) {
				const params = (op.parameters || []).map((p) => p.name).join(', ');
				const body = op.requestBody ? String(op.requestBody.content['application/json'].schema.$ref || '').replace('#/components/schemas/', '') : '';
				rows.push([h('td', { class: 'method' }, method.toUpperCase()), path, op.summary || '',
					op['x-bulkhead-role'] || (op.security && op.security.length === 0 ? 'none' : ''), params, body]);
			}
		}
		root.append(h('h1', null, (doc.info && doc.info.title) + ' — OpenAPI ' + doc.openapi),
			BH.table(['Method', 'Path', 'Summary', 'Role', 'Query', 'Body'], rows));
	},
});
