// SPDX-License-Identifier: Apache-2.0
// The images (GET /api/v1/images): vulnerabilities by severity, scan age, and
// where each runs (GET /api/v1/workloads joined by digest); one image
// (#/image?digest=) with its vulnerabilities, signatures when recorded, its
// workloads (GET /api/v1/image/workloads), its SBOM to download, and its
// findings suppressed (GET, POST /api/v1/suppressions: a reason and expiry).
// Filters in the hash: repository, severity (at least), stale=1 (scan older
// than 7 days).
'use strict';
BH.view({
	name: 'images', title: 'Images',
	async render(root, params) {
		const { h } = BH;
		const repository = params.get('repository') || '';
		const severity = params.get('severity') || '';
		const stale = params.get('stale') === '1';
		const form = h('form', { class: 'inline', id: 'images-filter' },
			h('label', null, 'Repository', h('input', { name: 'repository', value: repository, maxlength: 255 })),
			h('label', null, 'Severity at least', h('select', { name: 'severity' },
				['', ...BH.SEVS].map((s) => h('option', { value: s, selected: s === severity }, s || 'any')))),
			h('label', null, 'Scan older than 7 days', h('input', { name: 'stale', type: 'checkbox', value: '1', checked: stale })),
			h('button', { type: 'submit' }, 'Filter'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			BH.go('images', BH.values(form));
		});
		root.append(h('h1', null, 'Images'), form);
		const [r, w] = await Promise.all([
			BH.api('GET', '/api/v1/images' + BH.query({ repository, severity, limit: 1000 })),
			BH.workloads()]);
		const runs = new Map();
		for (const x of w.workloads) if (x.digest) runs.set(x.digest, (runs.get(x.digest) || 0) + 1);
		let items = r.items;
		if (stale) items = items.filter((i) => !i.scanned_at || Date.now() - Date.parse(i.scanned_at) > 7 * 86400000);
		root.append(BH.table(['Repository', 'Digest', ...BH.SEVS, 'Scanned', 'Scan age', 'Running'],
			items.map((i) => [i.repository,
				h('td', null, h('a', { href: '#/image' + BH.query({ digest: i.digest }) }, i.digest)),
				...BH.SEVS.map((s) => String((i.counts || {})[s] || 0)),
				i.scanned_at, BH.age(i.scanned_at), String(runs.get(i.digest) || 0)])));
		root.append(h('p', { class: 'note', id: 'images-count' }, items.length + ' images' + (r.next !== null ? ' (the first 1000)' : '') +
			(w.cut ? '; running counted among the first ' + w.workloads.length + ' workloads' : '')));
	},
});

BH.view({
	name: 'image', title: 'Image', nav: false,
	async render(root, params) {
		const { h } = BH;
		const digest = params.get('digest') || '';
		root.append(h('h1', null, 'Image ' + digest));
		const [i, w, sup] = await Promise.all([
			BH.api('GET', '/api/v1/image' + BH.query({ digest })),
			BH.api('GET', '/api/v1/image/workloads' + BH.query({ digest, all: 1 })),
			BH.api('GET', '/api/v1/suppressions')]);
		// a finding suppressed now: of this digest or of every image
		const suppressed = (id) => sup.suppressions.find((x) => x.vulnerability === id && (!x.digest || x.digest === digest));
		const form = h('form', { class: 'inline', id: 'suppress-form' },
			h('label', null, 'Vulnerability', h('select', { name: 'vulnerability' },
				[...new Set((i.vulnerabilities || []).map((v) => v.id))].map((id) => h('option', { value: id }, id)))),
			h('label', null, 'Reason', h('input', { name: 'reason', required: true, maxlength: 512 })),
			h('label', null, 'For (days)', h('input', { name: 'days', type: 'number', min: 1, max: 366, value: 30 })),
			h('button', { type: 'submit' }, 'Suppress (operator)'));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const v = BH.values(form);
			BH.run(async () => {
				await BH.api('POST', '/api/v1/suppressions', { vulnerability: v.vulnerability, digest,
					reason: v.reason, ttl: Math.round(Number(v.days || 30) * 86400) });
				BH.go('image', { digest, at: Date.now() });
			});
		});
		const sbom = h('button', { type: 'button', id: 'image-sbom' }, 'Download the SBOM (CycloneDX)');
		sbom.addEventListener('click', () => BH.run(async () => {
			const r = await BH.api('GET', '/api/v1/image' + BH.query({ digest, sbom: 1 }));
			if (!r.sbom) throw new Error('no SBOM recorded for this image');
			const url = URL.createObjectURL(new Blob([JSON.stringify(r.sbom, null, 1)], { type: 'application/json' }));
			const a = h('a', { href: url, download: digest.replace(':', '-') + '.cdx.json' });
			document.body.append(a);
			a.click();
			a.remove();
			setTimeout(() => URL.revokeObjectURL(url), 10000);
		}));
		const sigs = Array.isArray(i.signatures) ? i.signatures : null;
		root.append(
			BH.table(['Repositories', 'Scanned', 'Scan age', 'Advisory database', 'Vulnerabilities'],
				[[(i.repositories || []).join(', '), i.scanned_at, BH.age(i.scanned_at), i.db_version, BH.sevCounts(i.counts)]]),
			h('p', null, sbom),
			h('h2', null, 'Signatures'),
			sigs && sigs.length ? BH.table(['Signer', 'Kind', 'Time'], sigs.map((s) => [s.signer || s.key || '', s.kind || '', s.time || '']))
				: h('p', { class: 'note', id: 'image-signatures' }, 'No signature recorded by the controller for this image.'),
			h('h2', null, 'Where it runs'),
			BH.table(['Node', 'Container', 'Name', 'Image', 'Started', 'Gone'],
				w.workloads.map((x) => [x.node, x.id, x.name, x.image, x.started, x.gone])),
			h('h2', null, 'Vulnerabilities'),
			h('div', { id: 'image-vulns' }, BH.table(['Severity', 'Id', 'Package', 'Version', 'Fixed in', 'Suppressed'],
				(i.vulnerabilities || []).map((v) => {
					const x = suppressed(v.id);
					return [v.severity, v.id, v.package, v.version, v.fixed,
						x ? 'until ' + x.expires + ' by ' + x.actor + ': ' + x.reason : ''];
				}))),
			h('h2', null, 'Suppress a finding'),
			h('p', { class: 'note' }, 'A suppressed finding leaves the counts of the SP 800-190 view and /metrics until its expiry.'),
			form);
	},
});
