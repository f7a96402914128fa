#!/usr/bin/env bats
# chat-import of simonw/llm's logs.db as llm 0.31 and 0.32 leave it, and a
# 0.31 store 0.32 went on with: conversations and threads, fragments,
# attachments, options, a system prompt that changes; what a store with no
# conversations and an empty input say.  The stores are written by
# fixtures/import/llm-store from the tables llm's migrations make.

load helper

STORE="$BATS_TEST_DIRNAME/fixtures/import/llm-store"

# confab's UUIDv5 of a name (chat-import(1), "Ids")
uuid5() {
	local h v
	h=$({
		printf '\xf4\x56\xd8\xba\xea\x18\x4e\xf4\x91\x91\x13\x4d\x65\xfe\x8d\x08'
		printf '%s' "$1"
	} | sha1sum | cut -c1-32)
	v=$(((16#${h:16:1} & 3) | 8))
	printf '%s-%s-5%s-%x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "$v" "${h:17:3}" "${h:20:12}"
}

A=01kr3a0c0nv0000000000000aa     # 0.31: four responses, fragments, attachments
B=01kr3b0c0nv0000000000000bb     # 0.31: ping
T1=01kt1000000000000000000t01    # 0.32: a fragment, an image, a new system prompt
T2=01kt2000000000000000000t02    # 0.32: a tool call
T3=01kt3000000000000000000t03    # 0.32: forked from T1
T9=01kt9000000000000000000t09    # mixed: a thread 0.32 began

session() {
	chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id)'
}

# [role, content] of each message of a session, one line each
said() {
	chat-show --json "$1" | jq -c '[.role, .content]'
}

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"
}

sql() {
	store_sql "$1"
}

@test "llm 0.31: fragments in the prompt and in context.files, attachments, options, a system prompt that changes" {
	"$STORE" 0.31 logs.db
	sum=$(sha256sum logs.db)
	run -0 --separate-stderr chat-import logs.db
	[ -z "$stderr" ]
	[ "$(sha256sum logs.db)" = "$sum" ]
	S=$(uuid5 "llm:$A")
	[ "$(session "$S" | jq -c '[.name, .model, .settings.systemPrompt, .metadata.messageCount]')" = \
		'["What does this do?","gpt-4o-mini","Answer in English.\n\nYou are a terse reviewer.",9]' ]
	run -0 said "$S"
	[ "${lines[0]}" = '["user","def add(a, b):\n    return a + b\nWhat does this do?"]' ]
	# the third prompt's new system prompt is a message before it; the
	# fourth's, the same again, is not
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc 'map(.[0])')" = \
		'["user","assistant","user","assistant","system","user","assistant","user","assistant"]' ]
	[ "${lines[4]}" = '["system","You are a pirate reviewer."]' ]
	run -0 chat-show --json "$S"
	[ "$(jq -c .context.files <<< "${lines[0]}")" = \
		'[{"type":"llm-fragment","kind":"system","source":"style.txt","hash":"a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8"},{"type":"llm-fragment","kind":"prompt","source":"add.py","hash":"c0a1d3f2e9b84c5aa7e6d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6978812345678"}]' ]
	[ "$(jq -c .context.files <<< "${lines[2]}")" = '[]' ]
	# options on the reply they were given for; none where llm kept '{}'
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc 'map(.metadata.options)')" = \
		'[null,{"temperature":0.2},null,null,null,null,{"temperature":1.5,"max_tokens":200},null,null]' ]
	[ "$(jq -c '[.metadata.model, .metadata.tokens, .metadata.inputTokens, .metadata.outputTokens, .metadata.processing_time, .timestamp]' <<< "${lines[1]}")" = \
		'["gpt-4o-mini-2024-07-18",46,40,6,700,"2026-05-02T09:00:00.800Z"]' ]
	# the image with its bytes; a URL and a path, as llm kept them, without
	[ "$(jq -c '.metadata.attachments | map([.type, .name, .size, .mimeType])' <<< "${lines[2]}")" = \
		'[["image","attachment-1",29,"image/png"]]' ]
	[ "$(jq -c '.metadata.attachments | map([.type, .name, .size, .mimeType])' <<< "${lines[5]}")" = \
		'[["image","https://example.com/diagram.jpg",0,"image/jpeg"],["text","/home/ana/notes.txt",0,"text/plain"]]' ]
	[ "$(sql "SELECT $(sql_hex content) FROM attachments WHERE name = 'attachment-1'")" = \
		"$(sqlite3 logs.db "SELECT hex(content) FROM attachments WHERE type = 'image/png'")" ]
	[ "$(sql "SELECT count(*) FROM attachments WHERE content IS NULL")" = 2 ]
	[ "$(said "$(uuid5 "llm:$B")" | jq -sc .)" = '[["user","ping"],["assistant","pong"]]' ]
}

@test "llm 0.32: threads, text that borrows a fragment, an image part, a system message mid-chain, tools and reasoning left out, a fork as a branch" {
	"$STORE" 0.32 logs.db
	[ "$(sqlite3 logs.db 'SELECT count(*) FROM responses')" = 0 ]
	sum=$(sha256sum logs.db)
	run -0 --separate-stderr chat-import logs.db
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(sha256sum logs.db)" = "$sum" ]
	S1=$(uuid5 "llm:$T1") S2=$(uuid5 "llm:$T2") S3=$(uuid5 "llm:$T3")
	[ "$(session "$S1" | jq -c '[.name, .model, .created, .lastUpdated, .settings.systemPrompt, .metadata.messageCount]')" = \
		'["Summarise this.","claude-sonnet-4.5","2026-08-05T08:00:00.000Z","2026-08-05T08:05:01.200Z","You summarise meeting notes.",5]' ]
	run -0 said "$S1"
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc .)" = \
		'[["user","Notes: ship on Friday; freeze on Wednesday; retro on Monday.\nSummarise this."],["assistant","Ship Friday, freeze Wednesday, retro Monday."],["system","Answer in French from now on."],["user","Again, please."],["assistant","Livraison vendredi, gel mercredi, rétro lundi."]]' ]
	run -0 chat-show --json "$S1"
	[ "$(jq -c '[.id, .timestamp, .context.files]' <<< "${lines[0]}")" = \
		'["'"$(uuid5 "$S1:b2:00000000000000000000000000000t12")"'","2026-08-05T08:00:00.250Z",[{"type":"llm-fragment","kind":"prompt","source":"notes.md","hash":"4b2d9e1f0a3c5e7d9b1f3a5c7e9d1b3f5a7c9e1d3b5f7a9c1e3d5b7f9a1c3e5d"}]]' ]
	[ "$(jq -c '.metadata.attachments | map([.type, .size, .mimeType])' <<< "${lines[0]}")" = '[["image",29,"image/png"]]' ]
	[ "$(jq -c '[.timestamp, .metadata.model, .metadata.tokens, .metadata.inputTokens, .metadata.outputTokens, .metadata.processing_time, .metadata.options]' <<< "${lines[1]}")" = \
		'["2026-08-05T08:00:01.750Z","claude-sonnet-4-5-20250929",134,120,14,1500,{"temperature":0.3}]' ]
	[ "$(jq -c .metadata.options <<< "${lines[4]}")" = '{"temperature":0.9,"max_tokens":100}' ]
	# the tool call, the tool's result and the reasoning are not messages
	[ "$(said "$S2" | jq -sc .)" = '[["user","What time is it in Lisbon?"],["assistant","It is noon in Lisbon."]]' ]
	[ "$(sql "SELECT count(*) FROM messages WHERE content LIKE '%Three dates%' OR content LIKE '%12:00%'")" = 0 ]
	# the fork: the path it shares, then its own; a branch of T1 at the reply
	[ "$(said "$S3" | jq -sc 'map(.[1])')" = \
		'["Notes: ship on Friday; freeze on Wednesday; retro on Monday.\nSummarise this.","Ship Friday, freeze Wednesday, retro Monday.","Shorter?","Ship Fri."]' ]
	[ "$(session "$S3" | jq -c '[.parentSessionId, .branchPoint]')" = \
		"[\"$S1\",\"$(chat-show --json "$S1" | jq -rs '.[1].id')\"]" ]
	# the same from stdin
	run -0 --separate-stderr chat-import --db other.db - < logs.db
	[ "${#lines[@]}" -eq 3 ]
	[ "$(chat-show --db other.db --json "$S1" | jq -sc 'map(.content)')" = "$(chat-show --json "$S1" | jq -sc 'map(.content)')" ]
}

@test "a 0.31 store 0.32 went on with: the continued conversation once, whole, no message twice; the new thread too" {
	"$STORE" mixed logs.db
	run -0 --separate-stderr chat-import logs.db
	[ -z "$stderr" ]
	[ "$(jq -sc 'map(.name) | sort' <<< "$output")" = '["Is 0.32 out?","What does this do?","ping"]' ]
	S=$(uuid5 "llm:$A")
	[ "$(session "$S" | jq -c '[.settings.systemPrompt, .metadata.messageCount, .lastUpdated]')" = \
		'["Answer in English.\n\nYou are a terse reviewer.",11,"2026-08-06T12:00:01.150Z"]' ]
	run -0 said "$S"
	[ "$(printf '%s\n' "${lines[@]:7}" | jq -sc .)" = \
		'[["user","Thanks"],["assistant","Arr."],["user","One more: add type hints?"],["assistant","def add(a: int, b: int) -> int"]]' ]
	[ "$(sql "SELECT count(*) FROM messages WHERE content = 'It adds two numbers.'")" = 1 ]
	[ "$(sql "SELECT count(*) FROM messages WHERE role = 'system'")" = 1 ]
	run -0 chat-show --json -n 1 "$S"
	[ "$(jq -c '[.metadata.model, .metadata.options, .metadata.tokens]' <<<"$output")" = '["gpt-4o-mini-2024-07-18",{"temperature":0},212]' ]
	[ "$(said "$(uuid5 "llm:$T9")" | jq -sc .)" = '[["user","Is 0.32 out?"],["assistant","Yes."]]' ]
	run -0 --separate-stderr chat-import logs.db
	[ -z "$output" ]
	[ "$stderr" = "chat-import: 3 sessions already in the store, skipped" ]
}

@test "an llm store with no conversations says so, exits 0 and stores nothing" {
	"$STORE" empty-0.32 logs.db
	run -0 --separate-stderr chat-import logs.db
	[ -z "$output" ]
	[ "$stderr" = "chat-import: logs.db: an llm logs.db with no conversations, nothing to import" ]
	[ ! -e "$CHAT_DB" ]
	# a 0.31 one emptied, beside one that has some
	"$STORE" 0.31 old.db
	sqlite3 old.db 'DELETE FROM prompt_fragments; DELETE FROM system_fragments;
		DELETE FROM prompt_attachments; DELETE FROM responses; DELETE FROM conversations'
	"$STORE" 0.32 new.db
	run -0 --separate-stderr chat-import old.db new.db
	[ "${#lines[@]}" -eq 3 ]
	[ "$stderr" = "chat-import: old.db: an llm logs.db with no conversations, nothing to import" ]
	# one that is not llm's is still refused
	sqlite3 other.db 'CREATE TABLE t (x)'
	run -5 --separate-stderr chat-import other.db
	[ "$stderr" = "chat-import: other.db: not an llm logs.db: it has no responses table" ]
}

@test "an empty import: 0 bytes or blanks in a file or on stdin says nothing to import and exits 0" {
	: > empty.json
	run -0 --separate-stderr chat-import empty.json
	[ -z "$output" ]
	[ "$stderr" = "chat-import: empty.json: empty, nothing to import" ]
	run -0 --separate-stderr chat-import < /dev/null
	[ "$stderr" = "chat-import: stdin: empty, nothing to import" ]
	printf ' \n\t\n' | { run -0 --separate-stderr chat-import -f llm -; [ "$stderr" = "chat-import: stdin: empty, nothing to import" ]; }
	[ ! -e "$CHAT_DB" ]
	# beside a file that has sessions: those are imported
	"$STORE" 0.31 logs.db
	run -0 --separate-stderr chat-import empty.json logs.db
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "chat-import: empty.json: empty, nothing to import" ]
}

@test "a truncated or damaged logs.db is refused as such, not as another tool's file; nothing stored" {
	chat-new -n kept > /dev/null
	before=$(store_dump)
	"$STORE" 0.32 logs.db
	head -c $(( $(stat -c %s logs.db) - 4096 )) logs.db > cut.db
	run -5 --separate-stderr chat-import cut.db
	[ "$stderr" = "chat-import: cut.db: cannot read the database: database disk image is malformed" ]
	# and on stdin
	run -5 --separate-stderr bash -c 'chat-import -f llm - < cut.db'
	[ "$stderr" = "chat-import: stdin: cannot read the database: database disk image is malformed" ]
	[ "$(store_dump)" = "$before" ]
}

@test "malformed llm 0.32 rows are refused with their place, and nothing is stored" {
	"$STORE" 0.32 logs.db
	cp logs.db l.db
	sqlite3 l.db "UPDATE turns SET datetime_utc = 'noon' WHERE id = '01kt2000000000000000000v01'"
	run -5 --separate-stderr chat-import l.db
	[ "$stderr" = "chat-import: l.db: turn 01kt2000000000000000000v01: invalid time 'noon' in datetime_utc" ]
	cp logs.db l.db
	sqlite3 l.db "UPDATE turns SET options_json = '[1' WHERE id = '01kt2000000000000000000v02'"
	run -5 --separate-stderr chat-import l.db
	[ "$stderr" = "chat-import: l.db: turn 01kt2000000000000000000v02: options_json is not a JSON object" ]
	cp logs.db l.db
	sqlite3 l.db "UPDATE messages SET parent_hash = 'b2:00000000000000000000000000000t24' WHERE hash = 'b2:00000000000000000000000000000t21'"
	run -5 --separate-stderr chat-import l.db
	[[ "$stderr" == "chat-import: l.db: thread 01kt2000000000000000000t02: message b2:"*": its chain of parents loops" ]]
	cp logs.db l.db
	sqlite3 l.db "UPDATE turns SET input_tokens = -1 WHERE id = '01kt3000000000000000000w01'"
	run -5 --separate-stderr chat-import l.db
	[ "$stderr" = "chat-import: l.db: turn 01kt3000000000000000000w01: input_tokens -1 out of range (0 to 9007199254740992)" ]
	[ ! -e "$CHAT_DB" ]
}

@test "a store that refuses a row: the error comes back as a value, names where, and nothing is stored" {
	chat-new -n kept > /dev/null
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		store_sql "CREATE FUNCTION no() RETURNS trigger LANGUAGE plpgsql AS
			\$\$BEGIN RAISE EXCEPTION 'no attachments here'; END\$\$;
			CREATE TRIGGER no BEFORE INSERT ON attachments FOR EACH ROW EXECUTE FUNCTION no()"
	else
		store_sql "CREATE TRIGGER no BEFORE INSERT ON attachments BEGIN SELECT RAISE(ABORT, 'no attachments here'); END;"
	fi
	"$STORE" 0.31 logs.db
	run -6 --separate-stderr chat-import logs.db
	[ -z "$output" ]
	[ "$stderr" = "chat-import: logs.db: conversation $A: $CHAT_DB: storing an attachment: no attachments here" ]
	[ "$(sql 'SELECT count(*) FROM sessions') $(sql 'SELECT count(*) FROM messages')" = '1 0' ]
}
