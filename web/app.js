// SPDX-License-Identifier: Apache-2.0
// The dashboard's framework: a router by hash, a fetch wrapper, DOM helpers.
// A view is one file that calls BH.view({...}); nothing here knows the views.
//
// Safety: data from the API is only ever put in the page as text
// (textContent, text nodes, attributes set one by one): no innerHTML, no
// string-built markup. The Content-Security-Policy of the server refuses any
// inline script or style besides.
//
// The token: kept in sessionStorage (this tab only, gone when it closes; not
// a cookie, so no CSRF: the API takes only an Authorization: Bearer header,
// which a forged cross-site request cannot carry). It survives a reload of
// the tab, which memory alone would not; a script injected into the page could
// read it either way, which is what the CSP and the text-only rendering stop.
'use strict';

const BH = (() => {
	const KEY_TOKEN = 'bulkhead.token';
	const KEY_USER = 'bulkhead.user';
	const KEY_ROLE = 'bulkhead.role';
	const views = new Map();
	let current = null;

	// h('tag', {class, text, onclick, ...attrs}, child...): an element; strings
	// among the children become text nodes.
	function h(tag, attrs, ...children) {
		const e = document.createElement(tag);
		setAttrs(e, attrs);
		for (const c of children.flat()) {
			if (c === null || c === undefined || c === false) continue;
			e.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
		}
		return e;
	}
	function setAttrs(e, attrs) {
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false) continue;
			if (k === 'text') e.textContent = String(v);
			else if (k === 'class') e.setAttribute('class', v);
			else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
			else e.setAttribute(k, v === true ? '' : String(v));
		}
	}
	const SVGNS = 'http://www.w3.org/2000/svg';
	function s(tag, attrs) {
		const e = document.createElementNS(SVGNS, tag);
		setAttrs(e, attrs);
		return e;
	}

	// ---- the session ------------------------------------------------------------
	function token() { return sessionStorage.getItem(KEY_TOKEN); }
	function user() { return sessionStorage.getItem(KEY_USER); }
	// The login's role (admin, operator, reader; '' if the API did not say):
	// what the views offer, never what is allowed (the API decides).
	function role() { return sessionStorage.getItem(KEY_ROLE) || ''; }
	// may(r): the session's role is r or above (unknown: yes, the API answers).
	function may(r) {
		const rank = { reader: 1, operator: 2, admin: 3 };
		return !role() || (rank[role()] || 0) >= rank[r];
	}
	function setSession(tok, name, r) {
		sessionStorage.setItem(KEY_TOKEN, tok);
		sessionStorage.setItem(KEY_USER, name);
		if (r) sessionStorage.setItem(KEY_ROLE, r); else sessionStorage.removeItem(KEY_ROLE);
		header();
	}
	function clearSession() {
		sessionStorage.removeItem(KEY_TOKEN);
		sessionStorage.removeItem(KEY_USER);
		sessionStorage.removeItem(KEY_ROLE);
		header();
	}

	// ---- the API --------------------------------------------------------------------
	class ApiError extends Error {
		constructor(status, msg) { super(msg); this.status = status; }
	}
	// api(method, path, body?): the JSON answer; throws ApiError. A 401 ends
	// the session and shows the login, keeping where the user was going.
	async function api(method, path, body) {
		const init = { method, headers: {}, cache: 'no-store', credentials: 'omit' };
		const tok = token();
		if (tok) init.headers.Authorization = 'Bearer ' + tok;
		if (body !== undefined) {
			init.headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		let r;
		try {
			r = await fetch(path, init);
		} catch (e) {
			throw new ApiError(0, 'the controller did not answer: ' + e.message);
		}
		let v = null;
		try { v = await r.json(); } catch (e) { v = null; }
		if (r.status === 401 && path !== '/api/v1/login') {
			clearSession();
			if (current && current.name !== 'login')
				go('login', { next: location.hash.slice(1) });
			const e = new ApiError(401, (v && v.error) || 'authentication required');
			e.loggedOut = true;
			throw e;
		}
		if (!r.ok)
			throw new ApiError(r.status, (v && v.error) || r.status + ' ' + r.statusText);
		return v;
	}
	// A query string from an object (empty values left out).
	function query(o) {
		const p = new URLSearchParams();
		for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
		const q = p.toString();
		return q ? '?' + q : '';
	}

	// ---- errors and notes -------------------------------------------------------
	function showError(e) {
		const box = document.getElementById('error');
		box.textContent = e ? (e.message || String(e)) : '';
		box.hidden = !e;
	}
	// run(fn): await fn, showing what it throws (but a 401 that went to the login).
	async function run(fn) {
		try {
			showError(null);
			return await fn();
		} catch (e) {
			if (!e.loggedOut) showError(e);
			return undefined;
		}
	}

	// ---- views and the router ---------------------------------------------------
	// BH.view({name, title, nav, auth, render(root, params)}): render fills root
	// (a fresh <section>) and may be async; params are the hash's query.
	function view(v) {
		if (views.has(v.name)) throw new Error('view ' + v.name + ' twice');
		views.set(v.name, Object.assign({ nav: true, auth: true }, v));
	}
	function parseHash() {
		const raw = location.hash.replace(/^#\/?/, '');
		const i = raw.indexOf('?');
		const name = (i < 0 ? raw : raw.slice(0, i)) || 'users';
		return { name, params: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
	}
	function go(name, params) {
		location.hash = '#/' + name + query(params || {});
	}
	function header() {
		const nav = document.getElementById('nav');
		const who = document.getElementById('who');
		const out = document.getElementById('logout');
		if (!nav) return;
		const items = [];
		if (token())
			for (const v of views.values())
				if (v.nav) items.push(h('a', { href: '#/' + v.name, 'data-view': v.name,
					class: current && current.name === v.name ? 'active' : null }, v.title));
		nav.replaceChildren(...items);
		who.textContent = token() ? user() : '';
		out.hidden = !token();
	}
	async function route() {
		let { name, params } = parseHash();
		let v = views.get(name);
		if (!v) {
			showError(new Error('no view "' + name + '"'));
			v = views.get('users');
			params = new URLSearchParams();
		} else {
			showError(null);
		}
		if (v.auth && !token()) {
			go('login', { next: location.hash.slice(1) });
			return;
		}
		current = v;
		header();
		const root = h('section', { class: 'view view-' + v.name });
		document.getElementById('view').replaceChildren(root);
		document.title = 'bulkhead: ' + v.title;
		await run(() => v.render(root, params));
	}
	async function logout() {
		await run(() => api('DELETE', '/api/v1/tokens'));
		clearSession();
		go('login');
	}
	document.addEventListener('DOMContentLoaded', () => {
		if (!document.getElementById('view')) return; // a page that only uses the components
		document.getElementById('logout').addEventListener('click', logout);
		window.addEventListener('hashchange', route);
		route();
	});

	// ---- small pieces views share ----------------------------------------------
	// table([headers], rows of cells): cells are strings or nodes.
	function table(heads, rows) {
		return h('table', null,
			h('thead', null, h('tr', null, heads.map((t) => h('th', null, t)))),
			h('tbody', null, rows.map((r) => h('tr', null, r.map((c) =>
				c instanceof Node ? (c.tagName === 'TD' ? c : h('td', null, c)) : h('td', null, c === null || c === undefined ? '' : String(c)))))));
	}
	// A form's values as an object (by input name).
	function values(form) {
		const o = {};
		for (const [k, v] of new FormData(form)) o[k] = typeof v === 'string' ? v.trim() : v;
		return o;
	}

	return { h, s, api, ApiError, query, run, showError, view, go, token, user, role, may,
		setSession, clearSession, table, values };
})();
