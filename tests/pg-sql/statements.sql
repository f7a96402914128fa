-- The library's own statements (lib/*.c, as of the sql.h commit) on a fresh
-- schema, as sql_pg.c sends them: ?N as $N, text bound as unknown (type 0),
-- integers as int8.  Each PREPARE names the file it comes from.  Run by
-- statements.sh; stops at the first error.
\set ON_ERROR_STOP 1
\pset null NULL
-- session.c:222 cf_session_insert
PREPARE s_ins(unknown, unknown, int8, int8, unknown, unknown, float8, int8,
 unknown, int8, int8, unknown, int8, int8, unknown, unknown, unknown, int8) AS
 INSERT INTO sessions (id, name, created, last_updated, provider, model,
 temperature, max_tokens, system_prompt, auto_context, context_window, tags,
 starred, archived, parent_session_id, branch_point, extra, send_history)
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18);
EXECUTE s_ins('s1', 'Rust lifetimes', 1000, 1000, 'anthropic', 'claude', 0.7, 4096,
 NULL, 0, NULL, '["work","rust"]', 1, 0, NULL, NULL, '{}', 1);
EXECUTE s_ins('s2', 'a branch', 2000, 2000, 'openai', 'gpt', NULL, NULL,
 'be brief', 0, NULL, '[]', 0, 0, 's1', NULL, '{}', 0);
-- message.c:225 cf_message_insert
PREPARE m_ins(unknown, unknown, unknown, unknown, int8, int8, unknown, int8,
 unknown, unknown, unknown, unknown, unknown, unknown, unknown) AS
 INSERT INTO messages (id, session_id, seq, role, content, timestamp, tokens,
 model, processing_time, reactions, edits, extra, activity_events,
 plugin_commands, files, parts) VALUES ($1, $2, coalesce((SELECT max(seq)
 FROM messages WHERE session_id = $2), 0) + 1, $3, $4, $5, $6, $7, $8, $9,
 $10, $11, $12, $13, $14, $15);
EXECUTE m_ins('m1', 's1', 'user', 'What is a borrow checker?', 1500, 7, NULL, NULL,
 '[]', '[]', '{}', '[]', '[]', '[]', NULL);
EXECUTE m_ins('m2', 's1', 'assistant', 'The borrow checker enforces lifetimes.', 1600, 20,
 'claude', 900, '[{"emoji":"👍","at":"x"}]', '[]',
 '{"inputTokens":7,"outputTokens":13,"cost":0.00123,"notes":[{"id":"n1","text":"keep"}]}',
 '["a1"]', '[]', '[]', '[{"type":"tool_result","content":"x"}]');
EXECUTE m_ins('m3', 's2', 'user', 'hello there', 2100, NULL, NULL, NULL,
 '[]', '[]', '{}', '[]', '[]', '[]', NULL);
SELECT id, message_count, total_tokens, last_updated FROM sessions ORDER BY id;
-- message.c:432 attachments (session_id filled in by the trigger)
PREPARE a_ins(unknown, unknown, unknown, unknown, int8, unknown, bytea) AS
 INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
 VALUES ($1, $2, $3, $4, $5, $6, $7);
EXECUTE a_ins('a1', 'm1', 'file', 'main.rs', 4, 'text/x-rust', '\x666e2000');
-- session.c:91 cf_session_get, with SESSION_REACTIONS
PREPARE s_get(unknown) AS SELECT s.id, s.name, s.created, s.last_updated,
 s.provider, s.model, s.temperature, s.max_tokens, s.system_prompt,
 s.auto_context, s.context_window, s.message_count, s.total_tokens, s.tags,
 s.starred, s.archived, s.parent_session_id, s.branch_point, s.extra,
 (SELECT json_group_array(json_set(r.value, '$.messageId', m.id))
  FROM messages m, json_each(m.reactions) r
  WHERE m.session_id = s.id AND m.reactions <> '[]' AND r.type = 'object'),
 s.send_history FROM sessions s WHERE s.id = $1;
EXECUTE s_get('s1');
-- message.c:81 cf_message_get (MESSAGE_COLS, CF_MESSAGE_CONTENT)
PREPARE m_get(unknown) AS SELECT m.id, m.session_id, m.role,
 CASE WHEN m.pending IS NULL THEN m.content ELSE coalesce((SELECT
 group_concat(p.text, '') FROM (SELECT text FROM reply_parts
 WHERE message_id = m.id ORDER BY n) p), '') END, m.timestamp, m.tokens,
 m.model, m.processing_time, m.reactions, m.edits, m.extra, m.activity_events,
 m.plugin_commands, m.files, (SELECT json_group_array(json_object('id', a.id,
 'type', a.type, 'name', a.name, 'size', a.size, 'mimeType', a.mime_type))
 FROM attachments a WHERE a.message_id = m.id), m.parts
 FROM messages m WHERE m.id = $1;
EXECUTE m_get('m1');
-- session.c:461 list with filters (WHERE 1 written WHERE 1 = 1: see list b)
PREPARE s_ls(unknown, unknown, int8) AS SELECT s.id, s.n FROM sessions s
 WHERE 1 = 1 AND s.archived = 0 AND s.provider = $1
 AND EXISTS (SELECT 1 FROM json_each(s.tags) WHERE value = $2)
 AND s.last_updated >= $3 ORDER BY s.last_updated DESC, s.n DESC;
EXECUTE s_ls('anthropic', 'rust', 0);
-- session.c:266 cf_session_update: max(last_updated, ?)
PREPARE s_upd(unknown, unknown, unknown, float8, int8, unknown, int8, int8,
 unknown, int8, int8, int8, int8, unknown) AS UPDATE sessions SET name = $1,
 provider = $2, model = $3, temperature = $4, max_tokens = $5,
 system_prompt = $6, auto_context = $7, context_window = $8, tags = $9,
 starred = $10, archived = $11, last_updated = max(last_updated, $12),
 send_history = $13 WHERE id = $14;
EXECUTE s_upd('Rust lifetimes!', 'anthropic', 'claude', 0.5, 100, NULL, 0, NULL,
 '["work"]', 1, 0, 5000, 1, 's1');
-- turn.c:110, 150, 346: a reply reserved, streamed, abandoned
PREPARE t_res(unknown, unknown, int8, unknown, unknown, unknown) AS
 INSERT INTO messages (id, session_id, seq, role, content, timestamp, model,
 extra, pending) VALUES ($1, $2, coalesce((SELECT max(seq) FROM messages
 WHERE session_id = $2), 0) + 1, 'assistant', '', $3, $4, $5, $6);
EXECUTE t_res('m4', 's1', 6000, 'claude', '{}', 'writer-1');
PREPARE t_part(unknown, unknown, unknown) AS INSERT INTO reply_parts
 (message_id, text) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM messages
 WHERE id = $1 AND pending = $3);
EXECUTE t_part('m4', 'Lifetimes ', 'writer-1');
EXECUTE t_part('m4', 'are scopes.', 'writer-1');
EXECUTE m_get('m4');
SELECT count(*) AS pending_indexed FROM messages WHERE id = 'm4' AND content_tsv IS NOT NULL;
PREPARE t_aband(unknown, unknown) AS UPDATE messages SET pending = NULL,
 content = coalesce((SELECT group_concat(p.text, '') FROM (SELECT text FROM
 reply_parts WHERE message_id = $1 ORDER BY n) p), ''), extra = json_set(extra,
 '$.incomplete', json('true'), '$.stopReason', 'abandoned', '$.error',
 'the program receiving it ended before the reply was whole')
 WHERE id = $1 AND pending = $2;
EXECUTE t_aband('m4', 'writer-1');
SELECT id, content, extra, content_tsv IS NOT NULL AS indexed FROM messages WHERE id = 'm4';
-- turn.c:243
PREPARE t_lu(unknown, int8) AS UPDATE sessions SET last_updated = max(last_updated, $2) WHERE id = $1;
EXECUTE t_lu('s1', 7000);
-- settings.c:189
-- (the first use of ?1 cast, per list b)
PREPARE st_opt(unknown, unknown) AS UPDATE sessions SET extra = CASE WHEN CAST($1 AS TEXT) IS
 NULL THEN json_remove(coalesce(extra, '{}'), '$.options') ELSE
 json_set(coalesce(extra, '{}'), '$.options', json($1)) END WHERE id = $2;
EXECUTE st_opt('{"temperature":0.2}', 's1');
-- merge.c:305
PREPARE mg_ex(unknown, unknown, int8) AS UPDATE sessions SET extra =
 json_set(extra, '$.merges', json($2)), last_updated = max(last_updated, $3) WHERE id = $1;
EXECUTE mg_ex('s1', '[{"from":"s2"}]', 8000);
SELECT extra FROM sessions WHERE id = 's1';
-- marks.c:384/387 notes by the partial index's expression
SELECT m.id, m.session_id FROM messages m WHERE json_type(m.extra, '$.notes') IS NOT NULL ORDER BY m.session_id, m.seq;
-- edit.c:362
PREPARE e_tool(unknown) AS SELECT 1 FROM messages WHERE id = $1 AND parts IS NOT NULL
 AND EXISTS (SELECT 1 FROM json_each(parts) WHERE json_extract(value, '$.type') = 'tool_result');
EXECUTE e_tool('m2');
-- edit.c:513: the row-value update, json_patch(json_remove(...), ...)
PREPARE e_take(unknown, unknown, unknown) AS UPDATE messages SET (content, tokens,
 model, processing_time, timestamp, extra, edits, parts) = (SELECT n.content,
 n.tokens, n.model, n.processing_time, n.timestamp, json_patch(json_remove(
 messages.extra, '$.usage', '$.cacheReadTokens', '$.cacheWrite5mTokens',
 '$.cacheWrite1hTokens', '$.reasoningTokens', '$.schemaValid', '$.schemaError',
 '$.error'), n.extra), $3, n.parts FROM messages n WHERE n.id = $2) WHERE id = $1;
EXECUTE e_take('m2', 'm4', '[{"kind":"retry"}]');
SELECT id, content, tokens, extra, edits FROM messages WHERE id = 'm2';
SELECT id, message_count, total_tokens FROM sessions ORDER BY id;
-- message.c:486 branch copy, CASE rewritten per list (b): json(m.extra)
PREPARE m_copy(unknown, unknown, unknown) AS INSERT INTO messages (id, session_id,
 seq, role, content, timestamp, tokens, model, processing_time, reactions,
 edits, extra, activity_events, plugin_commands, files, parts)
 SELECT uuid7(), $2, m.seq, m.role, CASE WHEN m.pending IS NULL THEN m.content
 ELSE '' END, m.timestamp, m.tokens, m.model, m.processing_time, m.reactions,
 m.edits, CASE WHEN m.pending IS NULL THEN json(m.extra) ELSE json_set(m.extra,
 '$.incomplete', json('true')) END, m.activity_events, m.plugin_commands,
 m.files, m.parts FROM messages m WHERE m.session_id = $1 AND m.seq <=
 coalesce((SELECT seq FROM messages WHERE id = $3), 9223372036854775807)
 ORDER BY m.seq;
EXECUTE s_ins('s3', 'copy', 9000, 9000, NULL, NULL, NULL, NULL, NULL, 0, NULL,
 '[]', 0, 0, 's1', 'm2', '{}', 0);
EXECUTE m_copy('s1', 's3', 'm2');
-- message.c:509 new note ids, CASE rewritten per list (b)
PREPARE m_notes(unknown) AS UPDATE messages SET extra = json_set(extra, '$.notes',
 (SELECT json_group_array(CASE WHEN n.type = 'object' THEN json_set(n.value,
 '$.id', uuid7()) WHEN n.type = 'text' THEN json_quote(n.value) ELSE json(n.value)
 END) FROM json_each(messages.extra, '$.notes') n)) WHERE session_id = $1
 AND json_type(extra, '$.notes') = 'array';
EXECUTE m_notes('s3');
SELECT seq, json_extract(extra, '$.notes[0].text') AS note, json_extract(extra, '$.notes[0].id') <> 'n1' AS new_id FROM messages WHERE session_id = 's3' ORDER BY seq;
-- message.c:501 copying attachments: typeof, length of a blob
PREPARE m_att(unknown, unknown) AS SELECT a.n, nm.id, a.type, a.name, a.size,
 a.mime_type, typeof(a.content), length(a.content) FROM attachments a
 JOIN messages om ON om.id = a.message_id JOIN messages nm ON nm.session_id = $2
 AND nm.seq = om.seq WHERE om.session_id = $1 ORDER BY a.n;
EXECUTE m_att('s1', 's3');
-- message.c:332 the newest N (alias added per list b)
PREPARE m_last(unknown, unknown, int8) AS SELECT * FROM (SELECT m.id, m.seq AS k
 FROM messages m WHERE m.session_id = $1 AND m.seq <= coalesce((SELECT seq
 FROM messages WHERE id = $2), 9223372036854775807) ORDER BY m.seq DESC
 LIMIT $3) t ORDER BY k;
EXECUTE m_last('s1', NULL, 2);
-- export.c:391 (contextReset per list b)
PREPARE x_msgs(unknown) AS SELECT m.id, m.extra IS NOT NULL AND
 CAST(json_extract(m.extra, '$.contextReset') AS TEXT) = '1',
 nullif(m.edits, '[]'), CASE WHEN m.extra <> '{}' THEN json_extract(m.extra,
 '$.notes') END, CASE WHEN m.activity_events <> '[]' OR m.files <> '[]' OR
 m.plugin_commands <> '[]' THEN json_object('activityEvents',
 json(m.activity_events), 'files', json(m.files), 'pluginCommands',
 json(m.plugin_commands)) END FROM messages m WHERE m.session_id = $1 ORDER BY m.seq;
EXECUTE x_msgs('s1');
-- activity.c:188 (ON CONFLICT per list b), actctx.c:21 (reordered per list b)
PREPARE ac_ins(unknown, int8, unknown, unknown, unknown, unknown) AS INSERT INTO
 activity (id, at, kind, source, text, data) VALUES ($1, $2, $3, $4, $5, $6)
 ON CONFLICT DO NOTHING;
EXECUTE ac_ins('a1', 100, 'error', 'make', 'undefined reference to foo', '{}');
EXECUTE ac_ins('a1', 100, 'error', 'make', 'undefined reference to foo', '{}');
EXECUTE ac_ins('a2', 200, 'note', 'shell', 'deployed', '{}');
PREPARE ac_pick(int8, unknown, int8, unknown) AS SELECT id, at, kind FROM activity
 WHERE at >= $1 AND (kind = $2 OR $2 IS NULL) AND ($3 <> 0 OR id NOT IN
 (SELECT e.value FROM messages m, json_each(m.activity_events) e WHERE
 m.session_id = $4 AND m.activity_events <> '[]') OR $4 IS NULL)
 ORDER BY at DESC, n DESC;
EXECUTE ac_pick(0, NULL, 0, 's1');
-- ref.c:115 prefix, repl_cmd.c:1551 names
PREPARE r_pre(unknown) AS SELECT id, name FROM sessions WHERE id >= $1 AND id < $1 || 'z' ORDER BY id;
EXECUTE r_pre('s');
PREPARE r_names(unknown) AS SELECT name FROM sessions WHERE substr(name, 1, length($1)) = $1
 GROUP BY name ORDER BY max(last_updated) DESC LIMIT 100;
EXECUTE r_names('Rust');
-- serve_stream.c:418
PREPARE ss(unknown) AS SELECT count(*), coalesce(max(seq), 0), count(pending) FROM messages WHERE session_id = $1;
EXECUTE ss('s1');
-- search, PostgreSQL's spelling (list b): sessions whose messages or name match
PREPARE srch(unknown) AS SELECT s.id, h.mn, h.mid FROM (SELECT sid, max(mn) AS mn,
 (array_agg(mid ORDER BY mn DESC NULLS LAST))[1] AS mid FROM (SELECT m.session_id AS sid,
 m.n AS mn, m.id AS mid FROM messages m WHERE m.content_tsv @@ websearch_to_tsquery('simple', $1)
 UNION ALL SELECT s2.id, NULL, NULL FROM sessions s2 WHERE s2.name_tsv @@
 websearch_to_tsquery('simple', $1)) u GROUP BY sid) h JOIN sessions s ON s.id = h.sid
 ORDER BY s.last_updated DESC, s.n DESC;
EXECUTE srch('borrow checker');
EXECUTE srch('lifetimes');
SELECT ts_headline('simple', content, websearch_to_tsquery('simple', 'borrow'),
 'StartSel=**, StopSel=**, MaxFragments=1, MaxWords=12, MinWords=5') FROM messages WHERE id = 'm1';
SELECT id FROM activity WHERE tsv @@ websearch_to_tsquery('simple', 'undefined foo');
-- deletes: the cascade, the counters, a branch's branch_point
DELETE FROM messages WHERE id = 'm3';
SELECT id, message_count, total_tokens FROM sessions WHERE id = 's2';
DELETE FROM sessions WHERE id = 's1';
SELECT id, parent_session_id, branch_point FROM sessions ORDER BY id;
SELECT (SELECT count(*) FROM messages WHERE session_id = 's1') AS msgs,
 (SELECT count(*) FROM attachments) AS atts, (SELECT count(*) FROM reply_parts) AS parts;
-- a parent and its branch in one statement
EXECUTE s_ins('p', 'parent', 1, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL, '[]', 0, 0, NULL, NULL, '{}', 0);
EXECUTE s_ins('c', 'child', 1, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL, '[]', 0, 0, 'p', 'x', '{}', 0);
DELETE FROM sessions WHERE id IN ('p', 'c');
SELECT count(*) AS left_after_both FROM sessions WHERE id IN ('p', 'c');
-- a message of a few MB of distinct words is stored (its start indexed)
EXECUTE s_ins('big', 'big', 1, 1, NULL, NULL, NULL, NULL, NULL, 0, NULL, '[]', 0, 0, NULL, NULL, '{}', 0);
INSERT INTO messages (id, session_id, seq, role, content, timestamp)
 SELECT 'mbig', 'big', 1, 'user', string_agg(md5(i::text), ' '), 1 FROM generate_series(1, 60000) i;
SELECT octet_length(content) > 1000000 AS big, content_tsv @@ to_tsquery('simple', md5('1')) AS start_found FROM messages WHERE id = 'mbig';
