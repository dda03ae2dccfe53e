// SPDX-License-Identifier: Apache-2.0
// Live updates (http17): BH.live(root, events, onEvent, poll) opens
// GET /api/v1/stream with EventSource, authenticated by a single-use ticket
// from POST /api/v1/stream/ticket (EventSource cannot send the token, and the
// token never goes in a URL), and calls onEvent(name, data) for each event
// named in events (data parsed from JSON, never inserted as HTML). When the
// stream fails (no ticket, 503 at the bound, the connection lost) it falls
// back to calling poll every 3 s, and tries the stream again after 30 s. All
// of it stops when root leaves the page (looked at every 5 s, and at each
// event or poll). A `dropped` event (the reader was
// too slow) calls onEvent('dropped', ...) so the view reloads everything.
'use strict';
(function () {
	function live(root, events, onEvent, poll) {
		let es = null, timer = null, retry = null, watch = null;
		const state = { mode: 'starting' };
		const gone = () => !root.isConnected;
		const stop = () => {
			if (es) { es.close(); es = null; }
			if (timer) { clearTimeout(timer); timer = null; }
			if (retry) { clearTimeout(retry); retry = null; }
			if (watch) { clearInterval(watch); watch = null; }
		};
		const setMode = (m) => { state.mode = m; root.dataset.live = m; };
		const polling = () => {
			if (gone()) return stop();
			setMode('polling');
			const tick = async () => {
				timer = null;
				if (gone()) return stop();
				try { await poll(); } catch (e) { /* shown by the view */ }
				if (state.mode === 'polling' && !gone()) timer = setTimeout(tick, 3000);
			};
			if (!timer) timer = setTimeout(tick, 3000);
			if (!retry) retry = setTimeout(() => { retry = null; if (!gone()) open(); }, 30000);
		};
		const open = async () => {
			if (gone() || typeof EventSource !== 'function') return polling();
			let t;
			try {
				t = await BH.api('POST', '/api/v1/stream/ticket');
			} catch (e) {
				return polling();
			}
			if (gone()) return;
			es = new EventSource('/api/v1/stream?ticket=' + encodeURIComponent(String(t.ticket)));
			// a quiet stream hears no event to notice the view left: look every 5 s
			if (!watch) watch = setInterval(() => { if (gone()) stop(); }, 5000);
			es.addEventListener('open', () => {
				if (timer) { clearTimeout(timer); timer = null; }
				setMode('stream');
			});
			es.addEventListener('error', () => {
				// a ticket is single use: EventSource's own reconnect would be refused
				if (es) { es.close(); es = null; }
				polling();
			});
			for (const name of events.concat(['dropped', 'end'])) {
				es.addEventListener(name, (ev) => {
					if (gone()) return stop();
					let data = null;
					try { data = JSON.parse(ev.data); } catch (e) { data = null; }
					if (name === 'end') { es.close(); es = null; polling(); return; }
					onEvent(name, data);
				});
			}
		};
		open();
		return state;
	}
	BH.live = live;
})();
