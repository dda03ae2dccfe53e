// SPDX-License-Identifier: Apache-2.0
// What the views of nodes, workloads, images, events and countermeasures
// share (views17): the images by digest, every workload, severity counts as
// text, ages.
'use strict';
(() => {
	const SEVS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'];
	// The recorded images by digest (GET /api/v1/images, every page up to
	// max rows): {digest, repositories[], scanned_at, db_version, counts}.
	async function images(max = 10000) {
		const m = new Map();
		let after = '';
		for (let n = 0; n < max;) {
			const r = await BH.api('GET', '/api/v1/images' + BH.query({ after, limit: 1000 }));
			for (const i of r.items) {
				const x = m.get(i.digest);
				if (x) {
					x.repositories.push(i.repository);
					if (i.scanned_at && (!x.scanned_at || i.scanned_at > x.scanned_at)) x.scanned_at = i.scanned_at;
				} else {
					m.set(i.digest, { digest: i.digest, repositories: [i.repository], scanned_at: i.scanned_at,
						db_version: i.db_version, counts: i.counts || {} });
				}
			}
			n += r.items.length;
			if (r.next === null || !r.items.length) break;
			after = r.next;
		}
		return m;
	}
	// The running workloads (GET /api/v1/workloads, every page up to max
	// rows): {workloads, cut} (cut: more than max).
	async function workloads(max = 50000) {
		const all = [];
		let cursor = '';
		for (;;) {
			const r = await BH.api('GET', '/api/v1/workloads' + BH.query({ cursor, limit: 5000 }));
			all.push(...r.workloads);
			if (r.next === null || !r.workloads.length) return { workloads: all, cut: false };
			if (all.length >= max) return { workloads: all, cut: true };
			cursor = r.next;
		}
	}
	// "CRITICAL 1, HIGH 2" (those above zero), or "none".
	function sevCounts(c) {
		const parts = SEVS.filter((s) => c && c[s]).map((s) => s + ' ' + c[s]);
		return parts.length ? parts.join(', ') : 'none';
	}
	// An RFC 3339 time's age: "3 h", "2 d", or "never".
	function age(t) {
		if (!t) return 'never';
		const s = Math.max(0, (Date.now() - Date.parse(t)) / 1000);
		if (s < 120) return Math.round(s) + ' s';
		if (s < 7200) return Math.round(s / 60) + ' min';
		if (s < 172800) return Math.round(s / 3600) + ' h';
		return Math.round(s / 86400) + ' d';
	}
	Object.assign(BH, { SEVS, images, workloads, sevCounts, age });
})();
