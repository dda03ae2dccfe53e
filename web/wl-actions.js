// SPDX-License-Identifier: Apache-2.0
// The workloads view's actions (dashq19): BH.wlActions(root, node) reads the
// actions queued for the agents (GET /api/v1/actions), the node policy's
// modes (GET /api/v1/policy) and the nodes' running policy versions (GET
// /api/v1/nodes), and gives the view its cells:
//   modeCell(group): the group's mode per control in the node policy;
//   modeForm(x, group): control and mode selectors and Set (POST
//     /api/v1/workloads/mode), then "version N set", and once x's node runs
//     it, "node runs version N";
//   quarCell(x): the container's state (quarantined or not: the newest done
//     quarantine or release of it on its node), its last action and the
//     agent's result, Quarantine (a reason asked, a second click confirms;
//     POST /api/v1/quarantine) or Release (POST /api/v1/release);
//   refresh(): everything read again and the cells updated in place (a
//     reason being typed is kept). Called at each live "action" event
//     (BH.live), every 3 s when the stream is down, after each action, and
//     every 2 s while a node has not yet taken a mode set here.
// A role under operator gets the buttons disabled; a refusal from the API
// (403, 400...) is shown as text in the row and in the error box.
'use strict';
(() => {
	const CONTROLS = ['behaviour', 'syscall'];
	const MODES = ['discover', 'monitor', 'protect'];
	const PENDING = { queued: 'queued', sent: 'sent to the agent' };

	async function wlActions(root, node) {
		const { h } = BH;
		const can = BH.may('operator');
		const denied = can ? null : 'needs the operator role';
		let actions = [], modes = new Map(), nodes = new Map();
		const rows = [];    // {x, cell, state, last, btn, release, reason}
		const forms = [];   // {x, group, cell, status, version}
		const cells = [];   // {group, cell}

		const load = async () => {
			const [a, pol, n] = await Promise.all([
				BH.api('GET', '/api/v1/actions' + BH.query({ node })),
				BH.api('GET', '/api/v1/policy').catch((e) => { if (e.status === 404) return null; throw e; }),
				BH.api('GET', '/api/v1/nodes')]);
			actions = a.actions;
			modes = new Map();
			const list = pol && pol.policy && Array.isArray(pol.policy.modes) ? pol.policy.modes : [];
			for (const m of list) {
				if (!modes.has(m.group)) modes.set(m.group, {});
				modes.get(m.group)[m.control] = m.mode;
			}
			nodes = new Map(n.nodes.map((x) => [x.name, x]));
		};
		// the actions of x (newest first): by its node and its ID or name
		const mine = (x) => actions.filter((a) => a.node === x.node &&
			(a.container === x.id || (x.name && a.container === x.name)));
		const describe = (a) => {
			if (!a) return 'no action';
			const what = a.kind + ' #' + a.id + ' by ' + a.actor + (a.reason ? ' (' + a.reason + ')' : '');
			if (PENDING[a.state]) return what + ': ' + PENDING[a.state];
			if (a.state === 'done') return what + ': done ' + String(a.updated || '');
			return what + ': ' + a.state + (a.error ? ': ' + a.error : '');
		};
		const modeText = (g) => {
			const m = modes.get(g);
			const parts = m ? CONTROLS.filter((c) => m[c]).map((c) => c + ': ' + m[c]) : [];
			return g + ' ' + (parts.length ? parts.join(', ') : '(not set)');
		};

		const update = () => {
			for (const r of rows) {
				const mineA = mine(r.x);
				const done = mineA.find((a) => a.state === 'done');
				const q = !!done && done.kind === 'quarantine';
				const pending = mineA.find((a) => PENDING[a.state]);
				r.state.textContent = q ? 'quarantined' : 'not quarantined';
				r.cell.dataset.quarantined = q ? '1' : '0';
				r.cell.dataset.pending = pending ? pending.kind : '';
				r.last.textContent = describe(mineA[0]);
				const tr = r.cell.closest('tr');
				if (tr) tr.classList.toggle('quarantined', q);
				r.btn.hidden = q;
				r.release.hidden = !q;
			}
			for (const c of cells) c.cell.textContent = modeText(c.group);
			for (const f of forms) {
				if (!f.version) continue;
				const n = nodes.get(f.x.node);
				const runs = n ? Number(n.policy_version) : 0;
				f.status.textContent = 'version ' + f.version + ' set; ' + (runs >= f.version
					? 'node ' + f.x.node + ' runs version ' + runs : 'node ' + f.x.node + ' runs ' + (runs || 'none') + ' yet');
				f.cell.dataset.running = runs >= f.version ? '1' : '0';
			}
		};
		// (an error box an action filled is left as it is)
		const refresh = async () => {
			try { await load(); update(); } catch (e) { if (!e.loggedOut) BH.showError(e); }
		};

		// run fn; its refusal shown in the row (status) too
		const act = async (status, fn) => {
			try {
				BH.showError(null);
				await fn();
			} catch (e) {
				if (e.loggedOut) return;
				status.textContent = 'refused: ' + (e.message || String(e));
				BH.showError(e);
				return;
			}
			await refresh();
		};

		const modeCell = (group) => {
			const cell = h('td', { class: 'wl-mode', 'data-group': group }, modeText(group));
			cells.push({ group, cell });
			return cell;
		};
		const modeForm = (x, group) => {
			const control = h('select', { class: 'wl-control', 'aria-label': 'Control', disabled: !can, title: denied },
				CONTROLS.map((c) => h('option', { value: c }, c)));
			const mode = h('select', { class: 'wl-mode-set', 'aria-label': 'Mode', disabled: !can, title: denied },
				MODES.map((m) => h('option', { value: m }, m)));
			const status = h('span', { class: 'wl-mode-status' });
			const f = { x, group, status, version: 0 };
			const b = h('button', { type: 'button', class: 'set-mode', disabled: !can, title: denied }, 'Set');
			b.addEventListener('click', () => act(status, async () => {
				const r = await BH.api('POST', '/api/v1/workloads/mode', { group, control: control.value, mode: mode.value });
				f.version = r.version;
				status.textContent = 'version ' + r.version + ' set';
			}));
			f.cell = h('td', { class: 'wl-mode-form', 'data-group': group }, control, ' ', mode, ' ', b, ' ', status);
			forms.push(f);
			return f.cell;
		};
		const quarCell = (x) => {
			const state = h('span', { class: 'wl-quar-state' });
			const last = h('span', { class: 'wl-quar-last' });
			const reason = h('input', { class: 'wl-reason', 'aria-label': 'Reason', placeholder: 'reason', maxlength: 256, hidden: true });
			const btn = h('button', { type: 'button', class: 'danger quarantine', disabled: !can, title: denied }, 'Quarantine');
			const release = h('button', { type: 'button', class: 'release', disabled: !can, title: denied, hidden: true }, 'Release');
			const body = () => ({ node: x.node, container: x.id });
			// two clicks: the first asks for the reason, the second sends it
			btn.addEventListener('click', () => {
				if (btn.dataset.armed !== '1') {
					btn.dataset.armed = '1';
					reason.hidden = false;
					reason.focus();
					btn.textContent = 'Really quarantine?';
					return;
				}
				btn.dataset.armed = '';
				btn.textContent = 'Quarantine';
				reason.hidden = true;
				act(last, async () => {
					const b = body();
					if (reason.value.trim()) b.reason = reason.value.trim();
					const r = await BH.api('POST', '/api/v1/quarantine', b);
					last.textContent = describe(Object.assign({ actor: BH.user() }, r));
				});
			});
			release.addEventListener('click', () => act(last, async () => {
				const r = await BH.api('POST', '/api/v1/release', body());
				last.textContent = describe(Object.assign({ actor: BH.user() }, r));
			}));
			const cell = h('td', { class: 'wl-quar', 'data-node': x.node, 'data-container': x.id },
				state, ' ', btn, release, ' ', reason, h('br'), last);
			rows.push({ x, cell, state, last, btn, release, reason });
			return cell;
		};

		await load();
		BH.live(root, ['action'], () => { refresh(); }, () => load().then(update));
		// a mode set: the agent's poll of the policy makes no event, so the
		// node's running version is read every 2 s until it runs it
		const waiting = () => forms.some((f) => f.version && f.cell.dataset.running !== '1');
		const tick = () => {
			if (!root.isConnected) return;
			if (waiting()) refresh();
			setTimeout(tick, 2000);
		};
		setTimeout(tick, 2000);
		return { modeCell, modeForm, quarCell, refresh: update };
	}
	BH.wlActions = wlActions;
})();
