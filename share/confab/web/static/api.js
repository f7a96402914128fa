// api.js: the page's one way to the server.  Every call goes through
// call(), which adds the CSRF header on changes (the cookie that carries the
// login is HttpOnly; its readable twin confab_csrf proves the request comes
// from this page), turns error bodies into thrown Errors, and reports a 401
// once so the page can say how to log in again.

const BASE = '/api/chat';
let onUnauthorized = () => {};

export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export function csrfToken() {
	for (const part of document.cookie.split(';')) {
		const [k, ...v] = part.trim().split('=');
		if (k === 'confab_csrf') return decodeURIComponent(v.join('='));
	}
	return '';
}

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

export async function call(method, path, { json, body, headers = {}, raw = false, signal } = {}) {
	const h = { ...headers };
	if (method !== 'GET' && method !== 'HEAD') h['X-Confab-CSRF'] = csrfToken();
	if (json !== undefined) {
		h['Content-Type'] = 'application/json';
		body = JSON.stringify(json);
	}
	let res;
	try {
		res = await fetch(BASE + path, { method, headers: h, body, credentials: 'same-origin', signal });
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(0, 'the server does not answer: is chat-serve running?');
	}
	if (res.status === 401) {
		onUnauthorized();
		throw new ApiError(401, 'unauthorized');
	}
	if (!res.ok) {
		let msg = `${res.status} ${res.statusText}`;
		try {
			const e = await res.json();
			if (e && e.message) msg = e.message;
		} catch { /* not JSON: keep the status line */ }
		throw new ApiError(res.status, msg);
	}
	if (raw) return res;
	if (res.status === 204) return null;
	const type = res.headers.get('Content-Type') || '';
	return type.includes('json') ? res.json() : res.text();
}

function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		if (v === undefined || v === null || v === '' || v === false) continue;
		if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
		else q.append(k, v === true ? '1' : String(v));
	}
	const s = q.toString();
	return s ? '?' + s : '';
}

const sid = (id) => encodeURIComponent(id);

export const listSessions = (params) => call('GET', '/sessions' + query(params));
export const createSession = (rec) => call('POST', '/sessions', { json: rec });
export const getSession = (id) => call('GET', `/sessions/${sid(id)}`);
export const updateSession = (id, fields) => call('PUT', `/sessions/${sid(id)}`, { json: fields });
export const deleteSession = (id) => call('DELETE', `/sessions/${sid(id)}`);
export const branchSession = (id, fromMessageId, name) =>
	call('POST', `/sessions/${sid(id)}/branch`, { json: name ? { fromMessageId, name } : { fromMessageId } });
export const listMessages = (id, params) =>
	call('GET', `/sessions/${sid(id)}/messages` + query({ html: 1, ...params }));
export const sendMessage = (id, body) => call('POST', `/sessions/${sid(id)}/messages`, { json: body });
export const editMessage = (mid, content) => call('PUT', `/messages/${sid(mid)}`, { json: { content } });
export const deleteMessage = (mid) => call('DELETE', `/messages/${sid(mid)}`);
export const react = (mid, emoji) => call('POST', `/messages/${sid(mid)}/reactions`, { json: { emoji } });
export const unreact = (mid, emoji) => call('DELETE', `/messages/${sid(mid)}/reactions` + query({ emoji }));
export const addNote = (mid, text) => call('POST', `/messages/${sid(mid)}/notes`, { json: { text } });
export const exportSession = (id, opts) => call('POST', `/sessions/${sid(id)}/export`, { json: opts, raw: true });
export const streamUrl = (id, lastEventId) =>
	`${BASE}/sessions/${sid(id)}/stream` + query({ html: 1, lastEventId });

// A file as base64, for the JSON form of a send's attachments.
export async function fileBase64(file) {
	const bytes = new Uint8Array(await file.arrayBuffer());
	let bin = '';
	for (let i = 0; i < bytes.length; i += 0x8000)
		bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
	return btoa(bin);
}
