// app.js: chat-serve's page.  The server renders every message (the same
// renderer and highlighter as the HTML export), so this file only places
// its sanitized HTML; everything else is built with DOM calls and
// textContent, never from HTML strings.
import * as api from './api.js';
import { COMMANDS, findCommand } from './commands.js';

const $ = (id) => document.getElementById(id);

// One element: props are className, text, attrs (attributes), on (events).
function h(tag, props = {}, ...kids) {
	const e = document.createElement(tag);
	if (props.className) e.className = props.className;
	if (props.text !== undefined) e.textContent = props.text;
	for (const [k, v] of Object.entries(props.attrs || {}))
		if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
	for (const [k, v] of Object.entries(props.on || {})) e.addEventListener(k, v);
	for (const k of kids) if (k !== null && k !== undefined) e.append(k);
	return e;
}

const ROLE = { user: 'User', assistant: 'Assistant', system: 'System' };
const EMOJI = ['👍', '👎', '❤️', '🎉', '😄', '🤔', '👀', '✅'];

const tabs = [];          // {sid, session, tabEl, btn, panel, list, head, msgs: Map, es, maxSeq, clearNext, streams: Map}
let active = null;
let attachments = [];     // {name, mimeType, size, data} for the next send
let cursor = null;
let suggestIndex = -1;

// ---------- small things ----------

let toastTimer;
function toast(text, bad = false) {
	const t = $('toast');
	t.textContent = text;
	t.classList.toggle('bad', bad);
	t.classList.add('show');
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => t.classList.remove('show'), bad ? 8000 : 3500);
}

function fail(e) {
	if (e && e.status === 401) return;
	console.warn(e);
	toast(e && e.message ? e.message : String(e), true);
}

function when(ts) {
	if (!ts) return '';
	const d = new Date(ts);
	if (isNaN(d)) return ts;
	const today = new Date().toDateString() === d.toDateString();
	return today ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
		: d.toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' });
}

function sessionTitle(s) {
	return (s && (s.name || (s.id && s.id.slice(0, 8)))) || 'session';
}

// ** around matched words (chat-ls --search) become <mark>, by DOM calls.
function snippet(text) {
	const p = h('p', { className: 'snippet' });
	String(text).split('**').forEach((part, i) => p.append(i % 2 ? h('mark', { text: part }) : part));
	return p;
}

function unauthorized() {
	const b = $('banner');
	b.textContent = 'log in again: run chat-serve and open the URL it prints';
	b.hidden = false;
	$('send').disabled = true;
	for (const t of tabs) if (t.es) { t.es.close(); t.es = null; }
}
api.setUnauthorizedHandler(unauthorized);

// A dialog asking for text; resolves to the text, or null when cancelled.
function ask(title, initial = '', choices = null) {
	const dlg = $('ask-dlg'), form = $('ask-form'), text = $('ask-text');
	$('ask-title').textContent = title;
	text.value = initial;
	form.querySelector('.choices')?.remove();
	if (choices) {
		const row = h('div', { className: 'choices' });
		for (const c of choices)
			row.append(h('button', { text: c, attrs: { type: 'button' }, on: { click: () => { text.value = c; dlg.close('ok'); } } }));
		text.before(row);
	}
	return new Promise((resolve) => {
		dlg.returnValue = '';
		dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok' ? text.value : null), { once: true });
		dlg.showModal();
		text.focus();
		text.select();
	});
}

async function copyText(s) {
	try {
		await navigator.clipboard.writeText(s);
	} catch {
		const t = h('textarea', { className: 'sr' });
		t.value = s;
		document.body.append(t);
		t.select();
		document.execCommand('copy');
		t.remove();
	}
	toast('copied');
}

// ---------- the session list ----------

function filterParams() {
	const f = $('filters');
	const tags = f.tag.value.split(/[\s,]+/).filter(Boolean);
	return {
		q: f.q.value.trim(),
		tag: tags.length ? tags : undefined,
		starred: f.starred.checked,
		archived: f.archived.value === '0' ? undefined : f.archived.value,
		limit: 50,
	};
}

async function loadSessions(more = false) {
	try {
		const params = filterParams();
		if (more && cursor) params.cursor = cursor;
		const r = await api.listSessions(params);
		const ul = $('sessions');
		if (!more) ul.replaceChildren();
		for (const s of r.sessions || []) ul.append(sessionItem(s));
		if (!ul.children.length)
			ul.append(h('li', { className: 'none', text: params.q ? 'nothing found' : 'no sessions yet' }));
		cursor = r.next || null;
		$('more-sessions').hidden = !cursor;
	} catch (e) { fail(e); }
}

function sessionItem(s) {
	const m = s.metadata || {};
	const meta = [s.model || s.provider, m.messageCount != null ? `${m.messageCount} msgs` : null, when(s.lastUpdated)]
		.filter(Boolean).join(' · ');
	const b = h('button', {
		className: 'session', attrs: { type: 'button', 'data-id': s.id, title: s.id },
		on: { click: () => { openTab(s.id, s); closeSidebarIfNarrow(); } },
	},
	h('span', { className: 'name', text: (m.starred ? '★ ' : '') + sessionTitle(s) }),
	h('span', { className: 'meta', text: meta }),
	(m.tags && m.tags.length) ? h('span', { className: 'tags', text: m.tags.map((t) => '#' + t).join(' ') }) : null,
	s.match && s.match.snippet ? snippet(s.match.snippet) : null);
	return h('li', { className: m.archived ? 'archived' : '' }, b);
}

// ---------- tabs ----------

function tabOf(sid) { return tabs.find((t) => t.sid === sid); }

async function openTab(sid, session = null) {
	let t = tabOf(sid);
	if (t) { activate(t); return t; }
	try {
		if (!session) session = await api.getSession(sid);
	} catch (e) { fail(e); return null; }
	sid = session.id;
	if ((t = tabOf(sid))) { activate(t); return t; }
	t = { sid, session, msgs: new Map(), streams: new Map(), whole: new Set(), maxSeq: null, clearNext: false, es: null, window: 200 };
	const n = tabs.length;
	t.btn = h('button', {
		className: 'tab', attrs: { type: 'button', role: 'tab', id: `tab-${n}-${sid}`, 'aria-controls': `panel-${sid}`, 'aria-selected': 'false', tabindex: '-1' },
		on: { click: () => activate(t), keydown: tabKeys },
	});
	const close = h('button', {
		className: 'tab-close icon', text: '×',
		attrs: { type: 'button', 'aria-label': 'Close tab', title: 'Close tab (Alt+W)', tabindex: '-1' },
		on: { click: () => closeTab(t) },
	});
	t.tabEl = h('div', { className: 'tab-wrap' }, t.btn, close);
	t.head = h('div', { className: 'panel-head' });
	t.list = h('ol', { className: 'messages', attrs: { 'aria-label': 'Messages' } });
	t.panel = h('section', { className: 'panel', attrs: { role: 'tabpanel', id: `panel-${sid}`, 'aria-labelledby': t.btn.id, hidden: true } }, t.head, t.list);
	$('tabs').append(t.tabEl);
	$('panels').append(t.panel);
	tabs.push(t);
	renderHead(t);
	activate(t);
	await loadMessages(t);
	connect(t);
	return t;
}

function renderHead(t) {
	const s = t.session, m = s.metadata || {}, st = s.settings || {};
	t.btn.textContent = (m.starred ? '★ ' : '') + sessionTitle(s);
	const bits = [s.provider || 'default provider', s.model || 'default model'];
	if (st.temperature != null) bits.push(`temperature ${st.temperature}`);
	if (m.archived) bits.push('archived');
	t.head.replaceChildren(...[
		h('h2', { text: sessionTitle(s) }),
		h('span', { className: 'meta', text: bits.join(' · ') }),
		m.tags && m.tags.length ? h('span', { className: 'tags', text: m.tags.map((x) => '#' + x).join(' ') }) : null,
		t.clearNext ? h('span', { className: 'flag', text: 'next message: new context' }) : null].filter(Boolean));
}

function activate(t) {
	active = t;
	for (const x of tabs) {
		const on = x === t;
		x.btn.setAttribute('aria-selected', on ? 'true' : 'false');
		x.btn.tabIndex = on ? 0 : -1;
		x.tabEl.classList.toggle('active', on);
		x.tabEl.querySelector('.tab-close').tabIndex = on ? 0 : -1;
		x.panel.hidden = !on;
	}
	$('empty').hidden = !!t;
	document.title = t ? `${sessionTitle(t.session)} · confab` : 'confab';
	if (t) t.list.lastElementChild?.scrollIntoView({ block: 'end' });
}

function closeTab(t) {
	const i = tabs.indexOf(t);
	if (i < 0) return;
	t.es?.close();
	t.tabEl.remove();
	t.panel.remove();
	tabs.splice(i, 1);
	if (active === t) activate(tabs[Math.min(i, tabs.length - 1)] || null);
	(active ? active.btn : $('input')).focus();
}

function stepTab(d) {
	if (!tabs.length) return;
	const i = (tabs.indexOf(active) + d + tabs.length) % tabs.length;
	activate(tabs[i]);
	tabs[i].btn.focus();
}

function tabKeys(e) {
	if (e.key === 'ArrowRight') { stepTab(1); e.preventDefault(); }
	else if (e.key === 'ArrowLeft') { stepTab(-1); e.preventDefault(); }
	else if (e.key === 'Delete') { closeTab(active); e.preventDefault(); }
}

// ---------- messages ----------

async function loadMessages(t) {
	try {
		const r = await api.listMessages(t.sid, { last: t.window });
		const keep = [...t.streams.values()];
		const top = t.list.scrollTop, atEnd = !t.msgs.size || t.list.scrollHeight - top - t.list.clientHeight < 80;
		t.list.replaceChildren();
		t.msgs.clear();
		if (r.more)
			t.list.append(h('li', { className: 'earlier' }, h('button', {
				text: 'Earlier messages', attrs: { type: 'button' },
				on: { click: () => { t.window += 200; loadMessages(t).then(() => t.list.firstElementChild?.scrollIntoView()); } },
			})));
		for (const m of r.messages || []) placeMessage(t, m);
		// an empty session's stream replays from its start: a message
		// stored between this list and the stream's opening is not missed
		if (t.maxSeq == null) t.maxSeq = 0;
		for (const s of keep) if (t.streams.has(s.id) && !s.node.isConnected) t.list.append(s.node);
		if (atEnd) t.list.lastElementChild?.scrollIntoView({ block: 'end' });
		else t.list.scrollTop = top;
	} catch (e) { fail(e); }
}

function seqOf(m) { return typeof m.seq === 'number' ? m.seq : null; }

// A message record into its tab: a new one appended, a known one redrawn.
function placeMessage(t, m) {
	const seq = seqOf(m);
	if (seq != null && (t.maxSeq == null || seq > t.maxSeq)) t.maxSeq = seq;
	const live = t.streams.get(m.id);
	// the row as reserved when the request went out: the deltas say more
	if (live && !live.ended && (m.content || '').length < live.len) return;
	const node = messageNode(t, m);
	const old = t.msgs.get(m.id)?.node || t.streams.get(m.id)?.node;
	t.streams.delete(m.id);
	t.msgs.set(m.id, { rec: m, node });
	if (old && old.isConnected) { old.replaceWith(node); return; }
	// in seq order: a replayed or late message goes before later ones
	if (seq != null) {
		for (const li of t.list.children) {
			const s = Number(li.dataset.seq);
			if (li.dataset.seq && s > seq) { li.before(node); return; }
		}
	}
	t.list.append(node);
}

function messageNode(t, m) {
	const md = m.metadata || {};
	const role = m.role || 'assistant';
	const li = h('li', { className: `msg ${role}`, attrs: { 'data-id': m.id, 'data-seq': seqOf(m) ?? undefined, tabindex: '-1' } });
	const edits = Array.isArray(md.edits) ? md.edits.length : 0;
	li.append(h('div', { className: 'meta' },
		h('strong', { text: ROLE[role] || role }),
		h('time', { text: when(m.timestamp), attrs: { datetime: m.timestamp, title: m.timestamp } }),
		md.model && role === 'assistant' ? h('span', { text: md.model }) : null,
		edits ? h('span', { text: `edited ${edits}×` }) : null,
		m.incomplete || md.incomplete ? h('span', { className: 'bad', text: 'incomplete' }) : null));
	const body = h('div', { className: 'body' });
	if (typeof m.html === 'string') body.innerHTML = m.html;   // the server's sanitized rendering
	else body.textContent = m.content || '';
	li.append(body);
	const att = md.attachments || [];
	if (att.length)
		li.append(h('ul', { className: 'att' }, ...att.map((a) =>
			h('li', { text: `📎 ${a.name || a.filename || 'file'}${a.size ? ` (${Math.ceil(a.size / 1024)} KB)` : ''}` }))));
	const reacts = md.reactions || [];
	if (reacts.length) {
		const counts = new Map();
		for (const r of reacts) counts.set(r.emoji, (counts.get(r.emoji) || []).concat(r.user || ''));
		li.append(h('div', { className: 'reactions' }, ...[...counts].map(([e, users]) =>
			h('button', {
				className: 'chip', text: `${e} ${users.length}`,
				attrs: { type: 'button', title: users.join(', ') + ' (click: yours too)', 'aria-label': `${e} ${users.length}: react too` },
				on: { click: () => api.react(m.id, e).then(() => loadMessages(t), fail) },
			}))));
	}
	const notes = md.notes || (m.extra && m.extra.notes) || [];
	if (notes.length)
		li.append(h('aside', { className: 'notes', attrs: { 'aria-label': 'Notes' } }, ...notes.map((n) =>
			h('div', { className: 'note' },
				h('span', { className: 'by', text: `Note · ${n.author || ''} ${when(n.timestamp)}` }),
				n.quote ? h('q', { text: n.quote }) : null,
				h('p', { text: n.text || '' })))));
	li.append(actions(t, m));
	return li;
}

function actions(t, m) {
	const b = (label, fn, title) => h('button', { text: label, attrs: { type: 'button', title: title || label }, on: { click: () => fn().catch(fail) } });
	return h('div', { className: 'actions', attrs: { role: 'group', 'aria-label': 'Message actions' } },
		b('Branch', () => branchFrom(t, m.id), 'Branch from here: a new session up to this message'),
		b('Edit', async () => {
			const s = await ask('Edit the message', m.content || '');
			if (s !== null && s !== m.content) { await api.editMessage(m.id, s); await loadMessages(t); }
		}),
		m.role === 'assistant' ? b('Retry', () => retry(t, m.id), 'Ask again for this reply') : null,
		b('React', async () => {
			const e = await ask('React (an emoji; -emoji takes it off)', '', EMOJI);
			if (e) await reactWith(t, m.id, e.trim());
		}),
		b('Note', async () => {
			const s = await ask('A note on this message (never sent to a model)');
			if (s) { await api.addNote(m.id, s); await loadMessages(t); }
		}),
		b('Copy', () => copyText(m.content || ''), 'Copy the text'));
}

async function reactWith(t, mid, e) {
	if (e.startsWith('-')) await api.unreact(mid, e.slice(1));
	else await api.react(mid, e);
	await loadMessages(t);
}

async function branchFrom(t, mid) {
	const s = await api.branchSession(t.sid, mid);
	toast(`branched: ${sessionTitle(s)}`);
	await openTab(s.id, s);
	loadSessions();
}

// Asked again.  The last reply: the API's retry, the old one kept in its
// edits as confab's /retry keeps it, then the list read again (the reply
// keeps its id and place).  An earlier one: its user message's words
// sent again as a new turn.
async function retry(t, mid) {
	const recs = [...t.msgs.values()].map((x) => x.rec);
	let i = mid ? recs.findIndex((r) => r.id === mid) : recs.length;
	const last = [...recs].reverse().find((r) => r.role === 'assistant');
	if (last && (!mid || mid === last.id)) {
		await api.sendMessage(t.sid, { retry: true, stream: false });
		await loadMessages(t);
		return;
	}
	while (--i >= 0 && recs[i].role !== 'user');
	if (i < 0) throw new Error('retry: no message of yours before that reply');
	await api.sendMessage(t.sid, { content: recs[i].content, stream: false });
}

function lastMessage(t) {
	const ids = [...t.msgs.keys()];
	return ids.length ? t.msgs.get(ids[ids.length - 1]).rec : null;
}

// ---------- the stream ----------

// The reply in progress: its node (a placeholder, or the row the server
// announced empty) showing the deltas as plain text until its record comes.
function streamFor(t, id, model) {
	let s = t.streams.get(id);
	if (s) return s;
	// The stream's record can come before its last events (the store
	// is watched apart from the turn's pipe): once whole, a reply's late
	// events are dropped.  A retry, which streams under the id of the
	// reply it replaces, says so in its start event (streamAgain).
	if (t.whole.has(id)) return { id, node: h('li'), body: h('div'), len: 0, ended: true };
	const body = h('div', { className: 'body plain' });
	const node = h('li', { className: 'msg assistant streaming', attrs: { 'data-id': id, 'aria-busy': 'true' } },
		h('div', { className: 'meta' }, h('strong', { text: 'Assistant' }), model ? h('span', { text: model }) : null, h('span', { className: 'dots', text: 'writing…' })),
		body);
	s = { id, node, body, len: 0, ended: false };
	const old = t.msgs.get(id);
	if (old) { old.node.replaceWith(node); t.msgs.delete(id); }
	else t.list.append(node);
	t.streams.set(id, s);
	node.scrollIntoView({ block: 'end' });
	return s;
}

// A retry's reply, shown streaming in the old one's place; its record,
// folded into the old row at the same seq, comes by the change event.
// The old one may itself be a retry still streaming, its record not yet
// come: the new node takes that node's place.
function streamAgain(t, id, model) {
	t.whole.delete(id);
	const was = t.streams.get(id);
	t.streams.delete(id);
	const s = streamFor(t, id, model);
	if (was && was.node.isConnected) was.node.replaceWith(s.node);
}

function connect(t) {
	if (t.es) t.es.close();
	const es = new EventSource(api.streamUrl(t.sid, t.maxSeq ?? undefined));
	t.es = es;
	const data = (e) => { try { return JSON.parse(e.data); } catch { return null; } };
	es.addEventListener('open', () => status(''));
	// the stream's records are whole: a reply still arriving is held back
	es.addEventListener('message', (e) => { const m = data(e); if (m && m.id) { t.whole.add(m.id); placeMessage(t, m); } });
	es.addEventListener('start', (e) => {
		const d = data(e);
		if (!d || !d.messageId) return;
		if (d.retry) streamAgain(t, d.messageId, d.model);
		else streamFor(t, d.messageId, d.model);
	});
	es.addEventListener('delta', (e) => {
		const d = data(e);
		if (!d || !d.messageId) return;
		const s = streamFor(t, d.messageId);
		const nearEnd = t.list.scrollHeight - t.list.scrollTop - t.list.clientHeight < 80;
		s.body.append(d.text || '');     // a text node: shown as it came, never parsed
		s.len += (d.text || '').length;
		if (nearEnd) s.node.scrollIntoView({ block: 'end' });
	});
	es.addEventListener('end', (e) => {
		const d = data(e);
		const s = d && t.streams.get(d.messageId);
		if (s) {
			s.ended = true;
			s.node.classList.remove('streaming');
			s.node.removeAttribute('aria-busy');
			s.node.querySelector('.dots')?.remove();
			if (d.error || d.incomplete)
				s.node.querySelector('.meta').append(h('span', { className: 'bad', text: d.error || 'incomplete' }));
		}
		if (d && d.error) toast(d.error, true);
	});
	let changeTimer;
	es.addEventListener('change', () => {
		clearTimeout(changeTimer);
		changeTimer = setTimeout(async () => {
			await loadMessages(t);
			try { t.session = await api.getSession(t.sid); renderHead(t); } catch (err) { fail(err); }
		}, 100);
	});
	es.addEventListener('error', async () => {
		if (es.readyState === EventSource.CLOSED) {
			// EventSource gives up on an HTTP error; a 401 means the login is gone
			try { await api.getSession(t.sid); setTimeout(() => t.es === es && connect(t), 3000); } catch (err) { fail(err); }
		}
		status('reconnecting…');
	});
}

function status(s) { $('conn').textContent = s; }

// ---------- sending ----------

async function send() {
	const input = $('input');
	const text = input.value;
	if (!text.trim() && !attachments.length) return;
	if (text.startsWith('/') && !text.startsWith('//')) {
		input.value = '';
		hideSuggest();
		try { await command(text.trim()); } catch (e) { fail(e); }
		return;
	}
	let t = active;
	try {
		if (!t) {
			const s = await api.createSession({});
			t = await openTab(s.id, s);
			loadSessions();
			if (!t) return;
		}
	} catch (e) { fail(e); return; }
	const body = { content: text.startsWith('//') ? text.slice(1) : text, stream: false };
	if (attachments.length) body.attachments = attachments.map(({ name, mimeType, data }) => ({ name, mimeType, data }));
	if (t.clearNext) body.clear = true;
	const sent = attachments;
	input.value = '';
	attachments = [];
	renderAttachments();
	t.clearNext = false;
	renderHead(t);
	try {
		await api.sendMessage(t.sid, body);
		loadSessions();
	} catch (e) {
		if (!input.value) input.value = text;    // what arrived is kept; the text is back to try again
		if (!attachments.length) { attachments = sent; renderAttachments(); }
		fail(e);
	}
}

async function addFiles(files) {
	for (const f of files) {
		try {
			attachments.push({ name: f.name, mimeType: f.type || 'application/octet-stream', size: f.size, data: await api.fileBase64(f) });
		} catch (e) { fail(e); }
	}
	renderAttachments();
}

function renderAttachments() {
	$('attachments').replaceChildren(...attachments.map((a, i) => h('li', {},
		h('span', { text: `📎 ${a.name} (${Math.ceil(a.size / 1024)} KB)` }),
		h('button', {
			className: 'icon', text: '×', attrs: { type: 'button', 'aria-label': `Remove ${a.name}` },
			on: { click: () => { attachments.splice(i, 1); renderAttachments(); $('input').focus(); } },
		}))));
}

// ---------- slash commands ----------

function needTab() {
	if (!active) throw new Error('open a session first');
	return active;
}

async function update(t, fields, said) {
	t.session = await api.updateSession(t.sid, fields);
	renderHead(t);
	loadSessions();
	if (said) toast(said);
}

async function command(line) {
	const sp = line.search(/\s/);
	const word = sp < 0 ? line : line.slice(0, sp);
	const arg = sp < 0 ? '' : line.slice(sp + 1).trim();
	const c = findCommand(word);
	if (!c) throw new Error(`${word}: no such command (/help lists them)`);
	if (!c.web) throw new Error(`${c.name}: not in the browser`);
	switch (c.name) {
	case '/help': showHelp(arg); return;
	case '/new': {
		const s = await api.createSession(arg ? { name: arg } : {});
		await openTab(s.id, s);
		loadSessions();
		return;
	}
	case '/search': {
		$('q').value = arg;
		openSidebar();
		await loadSessions();
		$('q').focus();
		return;
	}
	case '/switch': {
		const t = tabs[Number(arg) - 1];
		if (!t) throw new Error(`/switch: no tab ${arg}`);
		activate(t);
		return;
	}
	case '/attach': $('file').click(); return;
	case '/detach': attachments = []; renderAttachments(); toast('nothing attached'); return;
	}
	const t = needTab();
	switch (c.name) {
	case '/clear':
		t.clearNext = true;
		renderHead(t);
		toast('the next message starts a new context');
		return;
	case '/export': {
		const fmt = arg || 'markdown';
		await exportNow(t, { format: fmt === 'plaintext' || fmt === 'txt' ? 'text' : fmt === 'md' ? 'markdown' : fmt });
		return;
	}
	case '/branch': {
		const m = arg ? [...t.msgs.values()].map((x) => x.rec).find((r) => r.id.startsWith(arg)) : lastMessage(t);
		if (!m) throw new Error(arg ? `/branch: no message ${arg} in this session` : '/branch: no messages yet');
		await branchFrom(t, m.id);
		return;
	}
	case '/model': if (!arg) throw new Error('/model: which model?'); await update(t, { model: arg }, `model ${arg}`); return;
	case '/provider': if (!arg) throw new Error('/provider: which provider?'); await update(t, { provider: arg }, `provider ${arg}`); return;
	case '/system': await update(t, { systemPrompt: arg || null }, arg ? 'system prompt set' : 'no system prompt'); return;
	case '/temperature': await update(t, { temperature: arg === '' ? null : Number(arg) }, arg ? `temperature ${arg}` : "the provider's temperature"); return;
	case '/max-tokens': await update(t, { maxTokens: Number(arg) }, `max tokens ${arg}`); return;
	case '/context-window': await update(t, { contextWindow: Number(arg) }, `context window ${arg}`); return;
	case '/rename': if (!arg) throw new Error('/rename: what name?'); await update(t, { name: arg }, `renamed ${arg}`); return;
	case '/tag': {
		const words = arg.split(/\s+/).filter(Boolean);
		if (!words.length) throw new Error('/tag: which tags?');
		const add = words.filter((w) => !w.startsWith('-')), rm = words.filter((w) => w.startsWith('-')).map((w) => w.slice(1));
		const f = {};
		if (add.length) f.addTags = add;
		if (rm.length) f.removeTags = rm;
		await update(t, f, 'tags changed');
		return;
	}
	case '/star': { const on = !(t.session.metadata || {}).starred; await update(t, { starred: on }, on ? 'starred' : 'unstarred'); return; }
	case '/archive': { const on = !(t.session.metadata || {}).archived; await update(t, { archived: on }, on ? 'archived' : 'back from the archive'); return; }
	case '/retry': {
		const m = [...t.msgs.values()].map((x) => x.rec).filter((r) => r.role === 'assistant').pop();
		await retry(t, m ? m.id : null);
		return;
	}
	case '/react': {
		const m = lastMessage(t);
		if (!m || !arg) throw new Error('/react: an emoji, on the last message');
		await reactWith(t, m.id, arg);
		return;
	}
	case '/note': {
		const m = lastMessage(t);
		if (!m || !arg) throw new Error('/note: a text, on the last message');
		await api.addNote(m.id, arg);
		await loadMessages(t);
		return;
	}
	case '/edit': {
		const m = arg ? [...t.msgs.values()].map((x) => x.rec).find((r) => r.id.startsWith(arg)) : lastMessage(t);
		if (!m) throw new Error('/edit: no such message');
		const s = await ask('Edit the message', m.content || '');
		if (s !== null) { await api.editMessage(m.id, s); await loadMessages(t); }
		return;
	}
	case '/rm': {
		const m = arg ? [...t.msgs.values()].map((x) => x.rec).find((r) => r.id.startsWith(arg)) : lastMessage(t);
		if (!m) throw new Error('/rm: no such message');
		await api.deleteMessage(m.id);
		await loadMessages(t);
		return;
	}
	}
}

function suggestions(text) {
	if (!text.startsWith('/') || /\s/.test(text)) return [];
	return COMMANDS.filter((c) => c.name.startsWith(text));
}

function showSuggest() {
	const input = $('input'), ul = $('suggest');
	const list = suggestions(input.value);
	if (!list.length || (list.length === 1 && list[0].name === input.value)) { hideSuggest(); return; }
	suggestIndex = Math.min(Math.max(suggestIndex, 0), list.length - 1);
	ul.replaceChildren(...list.map((c, i) => h('li', {
		className: (i === suggestIndex ? 'on ' : '') + (c.web ? '' : 'off'),
		attrs: { role: 'option', id: `sg-${i}`, 'aria-selected': i === suggestIndex ? 'true' : 'false' },
		on: { mousedown: (e) => { e.preventDefault(); complete(c); } },
	}, h('code', { text: c.name + (c.args ? ' ' + c.args : '') }), h('span', { text: c.web ? c.help : 'not in the browser' }))));
	ul.hidden = false;
	input.setAttribute('aria-expanded', 'true');
	input.setAttribute('aria-activedescendant', `sg-${suggestIndex}`);
	ul.children[suggestIndex]?.scrollIntoView({ block: 'nearest' });
}

function hideSuggest() {
	$('suggest').hidden = true;
	suggestIndex = -1;
	$('input').setAttribute('aria-expanded', 'false');
	$('input').removeAttribute('aria-activedescendant');
}

function complete(c) {
	const input = $('input');
	input.value = c.name + (c.args ? ' ' : '');
	hideSuggest();
	input.focus();
}

function inputKeys(e) {
	const open = !$('suggest').hidden;
	const list = open ? suggestions(e.target.value) : [];
	if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
		suggestIndex = (suggestIndex + (e.key === 'ArrowDown' ? 1 : -1) + list.length) % list.length;
		showSuggest();
		e.preventDefault();
	} else if (open && e.key === 'Tab' && list.length) {
		complete(list[Math.max(suggestIndex, 0)]);
		e.preventDefault();
	} else if (open && e.key === 'Escape') {
		hideSuggest();
		e.preventDefault();
	} else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
		e.preventDefault();
		if (open && list.length && list[suggestIndex] && list[suggestIndex].name !== e.target.value.trim() && list[suggestIndex].args) {
			complete(list[suggestIndex]);
			return;
		}
		send();
	}
}

// ---------- dialogs ----------

function showHelp(arg = '') {
	const dl = $('help-cmds');
	const want = arg ? arg.replace(/^\/?/, '/') : '';
	dl.replaceChildren();
	for (const c of COMMANDS) {
		if (want && !c.name.startsWith(want)) continue;
		dl.append(h('dt', { text: c.name + (c.args ? ' ' + c.args : '') }), h('dd', { text: c.web ? c.help : `${c.help} (not in the browser)` }));
	}
	$('help-dlg').showModal();
}

function exportOptions(form) {
	const fmt = form.format.value;
	const o = { format: fmt };
	const on = (name) => {
		const l = form.querySelector(`[name="${name}"]`).closest('label');
		return !l.dataset.for || l.dataset.for.split(' ').includes(fmt);
	};
	if (on('metadata') && form.metadata.checked) o.metadata = true;
	if (on('noMetadata') && form.noMetadata.checked) o.noMetadata = true;
	if (on('timestamps') && form.timestamps.checked) o.timestamps = true;
	if (on('headerLevel') && form.headerLevel.value !== '1') o.headerLevel = Number(form.headerLevel.value);
	if (on('codeLang') && form.codeLang.value.trim()) o.codeLang = form.codeLang.value.trim();
	if (on('width') && form.width.value !== '80') o.width = Number(form.width.value);
	if (on('paper') && form.paper.value !== 'a4') o.paper = form.paper.value;
	if (on('history') && form.history.checked) o.history = true;
	return o;
}

function showExportOptions() {
	const form = $('export-form'), fmt = form.format.value;
	for (const l of form.querySelectorAll('label[data-for]')) l.hidden = !l.dataset.for.split(' ').includes(fmt);
}

function filenameOf(res, fmt) {
	const cd = res.headers.get('Content-Disposition') || '';
	let m = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
	if (m) try { return decodeURIComponent(m[1]); } catch { /* fall through */ }
	m = /filename\s*=\s*"([^"]*)"/i.exec(cd) || /filename\s*=\s*([^;]+)/i.exec(cd);
	if (m) return m[1].trim();
	return `session.${{ markdown: 'md', text: 'txt' }[fmt] || fmt}`;
}

async function exportNow(t, opts) {
	const res = await api.exportSession(t.sid, opts);
	const blob = await res.blob();
	const name = filenameOf(res, opts.format);
	const url = URL.createObjectURL(blob);
	const a = h('a', { text: `Download ${name} (${Math.ceil(blob.size / 1024)} KB)`, attrs: { href: url, download: name, id: 'download' } });
	$('export-link').replaceChildren(a);
	a.click();
	setTimeout(() => URL.revokeObjectURL(url), 60000);
	toast(`exported ${name}`);
	return a;
}

function openExport() {
	needTab();
	$('export-link').replaceChildren();
	showExportOptions();
	$('export-dlg').showModal();
}

function openSettings() {
	const t = needTab(), s = t.session, st = s.settings || {}, m = s.metadata || {}, f = $('settings-form');
	f.name.value = s.name || '';
	f.provider.value = s.provider || '';
	f.model.value = s.model || '';
	f.systemPrompt.value = st.systemPrompt || '';
	f.temperature.value = st.temperature ?? '';
	f.tags.value = (m.tags || []).join(', ');
	$('settings-dlg').showModal();
}

async function saveSettings() {
	const t = active, s = t.session, st = s.settings || {}, f = $('settings-form'), fields = {};
	const str = (v) => v.trim() || null;
	if (str(f.name.value) !== (s.name || null) && str(f.name.value)) fields.name = str(f.name.value);
	if (str(f.provider.value) !== (s.provider || null) && str(f.provider.value)) fields.provider = str(f.provider.value);
	if (str(f.model.value) !== (s.model || null) && str(f.model.value)) fields.model = str(f.model.value);
	if (f.systemPrompt.value !== (st.systemPrompt || '')) fields.systemPrompt = f.systemPrompt.value || null;
	const temp = f.temperature.value === '' ? null : Number(f.temperature.value);
	if (temp !== (st.temperature ?? null)) fields.temperature = temp;
	const tags = f.tags.value.split(/[\s,]+/).filter(Boolean);
	if (tags.join(',') !== ((s.metadata || {}).tags || []).join(',')) fields.tags = tags;
	if (Object.keys(fields).length) await update(t, fields, 'settings saved');
}

// ---------- theme, sidebar, keys ----------

function theme() {
	const saved = localStorage.getItem('confab-theme');
	if (saved) document.documentElement.dataset.theme = saved;
	const dark = saved ? saved === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
	$('theme-toggle').textContent = dark ? 'Light' : 'Dark';
	$('theme-toggle').setAttribute('aria-label', dark ? 'Use the light theme' : 'Use the dark theme');
	return dark;
}

function toggleTheme() {
	const dark = theme();
	localStorage.setItem('confab-theme', dark ? 'light' : 'dark');
	theme();
}

const narrow = () => matchMedia('(max-width: 48rem)').matches;
function openSidebar() { document.body.classList.add('side-open'); document.body.classList.remove('side-shut'); $('side-toggle').setAttribute('aria-expanded', 'true'); }
function closeSidebar() { document.body.classList.remove('side-open'); document.body.classList.add('side-shut'); $('side-toggle').setAttribute('aria-expanded', 'false'); }
function closeSidebarIfNarrow() { if (narrow()) closeSidebar(); }
function toggleSidebar() {
	const shown = narrow() ? document.body.classList.contains('side-open') : !document.body.classList.contains('side-shut');
	if (shown) closeSidebar(); else { openSidebar(); $('q').focus(); }
}

function globalKeys(e) {
	if (document.querySelector('dialog[open]')) return;
	const k = e.key;
	if ((e.ctrlKey || e.metaKey) && k.toLowerCase() === 'k') { openSidebar(); $('q').focus(); $('q').select(); }
	else if (k === 'F1') showHelp();
	else if (!e.altKey || e.ctrlKey || e.metaKey) return;
	else if (k.toLowerCase() === 'n') command('/new').catch(fail);
	else if (k.toLowerCase() === 's') toggleSidebar();
	else if (k.toLowerCase() === 'w') { if (active) closeTab(active); }
	else if (k.toLowerCase() === 'e') { try { openExport(); } catch (err) { fail(err); } }
	else if (k === ',') { try { openSettings(); } catch (err) { fail(err); } }
	else if (k === 'PageDown') stepTab(1);
	else if (k === 'PageUp') stepTab(-1);
	else if (/^[1-9]$/.test(k) && tabs[k - 1]) { activate(tabs[k - 1]); tabs[k - 1].btn.focus(); }
	else return;
	e.preventDefault();
}

// ---------- start ----------

function start() {
	theme();
	matchMedia('(prefers-color-scheme: dark)').addEventListener('change', theme);
	$('theme-toggle').addEventListener('click', toggleTheme);
	$('side-toggle').addEventListener('click', toggleSidebar);
	$('help-open').addEventListener('click', () => showHelp());
	$('export-open').addEventListener('click', () => { try { openExport(); } catch (e) { fail(e); } });
	$('settings-open').addEventListener('click', () => { try { openSettings(); } catch (e) { fail(e); } });
	$('new-session').addEventListener('click', () => command('/new').then(closeSidebarIfNarrow, fail));
	$('more-sessions').addEventListener('click', () => loadSessions(true));
	const filters = $('filters');
	filters.addEventListener('submit', (e) => { e.preventDefault(); loadSessions(); });
	let qTimer;
	filters.q.addEventListener('input', () => { clearTimeout(qTimer); qTimer = setTimeout(loadSessions, 250); });
	filters.starred.addEventListener('change', () => loadSessions());
	filters.archived.addEventListener('change', () => loadSessions());

	const input = $('input');
	input.addEventListener('keydown', inputKeys);
	input.addEventListener('input', () => { suggestIndex = 0; showSuggest(); });
	input.addEventListener('blur', () => setTimeout(hideSuggest, 150));
	$('composer').addEventListener('submit', (e) => { e.preventDefault(); send(); });
	$('file').addEventListener('change', (e) => { addFiles([...e.target.files]); e.target.value = ''; });
	const main = document.querySelector('.main');
	main.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); main.classList.add('drop'); } });
	main.addEventListener('dragleave', (e) => { if (e.target === main || !main.contains(e.relatedTarget)) main.classList.remove('drop'); });
	main.addEventListener('drop', (e) => { e.preventDefault(); main.classList.remove('drop'); addFiles([...(e.dataTransfer?.files || [])]); });

	const exportForm = $('export-form');
	exportForm.addEventListener('change', showExportOptions);
	exportForm.addEventListener('submit', (e) => {
		if (e.submitter && e.submitter.value === 'cancel') return;
		e.preventDefault();
		const go = $('export-go');
		go.disabled = true;
		exportNow(active, exportOptions(exportForm)).then((a) => a.focus(), fail).finally(() => { go.disabled = false; });
	});
	$('settings-form').addEventListener('submit', (e) => {
		if (e.submitter && e.submitter.value === 'ok') saveSettings().catch(fail);
	});
	$('ask-text').addEventListener('keydown', (e) => {
		if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('ask-dlg').close('ok'); }
	});
	document.addEventListener('keydown', globalKeys);

	// interactive: the list is in (tests/browser/firstload.mjs reads the mark)
	loadSessions().finally(() => {
		performance.mark('confab-ready');
		document.documentElement.dataset.ready = '1';
	});
	const want = new URLSearchParams(location.hash.slice(1)).get('session');
	if (want) openTab(want);
	input.focus();
}

start();
