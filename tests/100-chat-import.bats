#!/usr/bin/env bats
# chat-import: every format (confab's own JSON, ChatGPT's and Claude.ai's
# conversations.json, llm's logs.db, archives of them), the ids it keeps or
# derives, a second import that adds nothing, and every way a file can be
# malformed, each of which stores nothing.

load helper

FIX="$BATS_TEST_DIRNAME/fixtures/import"
# Real exports, read where they lie (../shared/fixtures/imports/MANIFEST.tsv).
IMPORTS="$ROOT/../shared/fixtures/imports"
GPT_TREE="$IMPORTS/chatgpt/librechat-chatgpt-tree-branching.json"
CLAUDE_REAL="$IMPORTS/claude/anthropic-data-conversations-2025.json"

UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# The ids chat-import derives (chat-import(1), "Ids"): UUIDv5, SHA-1 of
# confab's namespace f456d8ba-ea18-4ef4-9191-134d65fe8d08 and the name.
uuid5() {
	local h v
	h=$({
		printf '\xf4\x56\xd8\xba\xea\x18\x4e\xf4\x91\x91\x13\x4d\x65\xfe\x8d\x08'
		printf '%s' "$1"
	} | sha1sum | cut -c1-32)
	v=$(((16#${h:16:1} & 3) | 8))
	printf '%s-%s-5%s-%x%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "$v" "${h:17:3}" "${h:20:12}"
}

# Sessions, messages and attachments in the store: "S|M|A".
# No store yet is none: no file, or (PostgreSQL) a database without the schema.
rows() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		[ "$(store_sql "SELECT to_regclass('sessions') IS NOT NULL")" = t ] ||
			{ echo '0|0|0'; return; }
	elif [ ! -e "$CHAT_DB" ]; then
		echo '0|0|0'
		return
	fi
	store_sql "SELECT (SELECT count(*) FROM sessions) || '|' ||
		(SELECT count(*) FROM messages) || '|' || (SELECT count(*) FROM attachments)"
}

# A stored session's record, by id.
session() {
	chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id)'
}

# A stored session's messages, one line each: [id, role, content, timestamp].
msgs() {
	chat-show --json "$1" | jq -c '[.id, .role, .content, .timestamp]'
}

needs_shared() {
	[ -f "$1" ] || skip "the shared fixtures are not there ($1)"
}

# Imports, expecting success and nothing on stderr; records in $output.
import() {
	run -0 --separate-stderr chat-import "$@"
	[ -z "$stderr" ]
}

# A malformed file: exit 5, one line on stderr that is exactly $2, nothing on
# stdout, and the store as it was.  More arguments go before the file.
refused() {
	local file=$1 want=$2 before
	shift 2
	before=$(rows)
	run -5 --separate-stderr chat-import "$@" "$file"
	one_error chat-import
	[ "$stderr" = "$want" ] || { echo "got: $stderr"; echo "want: $want"; return 1; }
	[ "$(rows)" = "$before" ]
}

# A store with sessions of every kind, for the round trip: tags, a star,
# settings, a system prompt, replies with their metadata (echo), a text and
# a binary attachment, a system message, a branch, an archived empty one.
varied_store() {
	local s b
	s=$(chat-new -n 'round "trip"' -p echo -t work -t x --temperature 0.7 \
		-S 'be brief' --max-tokens 100 | jq -r .id)
	printf 'hello\nworld\n' > notes.txt
	printf '\x89PNG\r\n\x1a\n\x00\x01\x02\xff' > pic.png
	chat-send -s "$s" -a notes.txt -a pic.png 'what is this' > /dev/null
	chat-send -s "$s" 'second: ünïcode ✓ "quotes"' > /dev/null
	chat-add -s "$s" -r system --time 2025-01-02T03:04:05.678Z 'sys' > /dev/null
	chat-set --star "$s" > /dev/null
	b=$(chat-branch "$s" | jq -r .id)
	chat-add -s "$b" 'in the branch' > /dev/null
	s=$(chat-new -n empty | jq -r .id)
	chat-set --archive "$s" > /dev/null
}

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"
}

# ---- options ----

@test "--help lists every option; --version" {
	run -0 chat-import --help
	[[ "${lines[0]}" == "usage: chat-import [options] [FILE...]" ]]
	for o in -f --format -n --dry-run --json --db -h --help --version; do
		[[ "$output" == *" $o"* ]] || { echo "no $o"; return 1; }
	done
	run -0 chat-import --version
	[[ "$output" == "chat-import (confab) "* ]]
}

@test "an unknown option or format is a usage error" {
	run -2 --separate-stderr chat-import --bogus "$FIX/claude.json"
	one_error chat-import
	[ "$stderr" = "chat-import: unknown option '--bogus' (see 'chat-import --help')" ]
	for f in bogus ChatGPT ''; do
		run -2 --separate-stderr chat-import --format "$f" "$FIX/claude.json"
		one_error chat-import
		[ "$stderr" = "chat-import: invalid --format '$f': expected confab, chatgpt, claude, llm or auto (see 'chat-import --help')" ]
	done
	run -2 --separate-stderr chat-import -f
	[ "$stderr" = "chat-import: option '-f' needs a value (see 'chat-import --help')" ]
	[ "$(rows)" = '0|0|0' ]
}

@test "no file with stdin a terminal is a usage error" {
	run -2 on_tty chat-import
	[[ "$output" == "chat-import: no file given, and stdin is a terminal (see 'chat-import --help')"* ]]
	[ "$(rows)" = '0|0|0' ]
}

@test "a file that is not there: exit 1, nothing stored" {
	import "$FIX/claude.json"
	before=$(rows)
	run -1 --separate-stderr chat-import "$FIX/chatgpt.json" no-such.json
	one_error chat-import
	[ "$stderr" = "chat-import: cannot open 'no-such.json': No such file or directory" ]
	[ "$(rows)" = "$before" ]
	run -1 --separate-stderr chat-import "$FIX"
	[ "$stderr" = "chat-import: cannot read '$FIX': Is a directory" ]
}

# ---- ChatGPT ----

@test "chatgpt: the path to current_node is the session, with its ids, title and times" {
	import "$FIX/chatgpt.json"
	[ "${#lines[@]}" -eq 5 ]
	M=6a1f0c3e-2b4d-4e8a-9c71-0d5e3f2a1b90
	[ "$(jq -c 'del(.settings)' <<< "${lines[0]}")" = '{"type":"session","id":"'$M'","name":"Lisbon trip","created":"2024-06-10T06:13:20.500Z","lastUpdated":"2024-06-10T06:18:20.250Z","provider":"openai","model":"gpt-4o","metadata":{"messageCount":4,"totalTokens":0,"tags":[],"starred":false,"archived":false,"reactions":[]},"parentSessionId":null,"branchPoint":null}' ]
	[ "$(jq -c .settings <<< "${lines[0]}")" = '{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":false,"contextWindow":50,"sendHistory":false}' ]
	# what was printed is what was stored
	[ "$(session "$M")" = "${lines[0]}" ]
	# the hidden system message, the search and its result are left out;
	# the image of the multimodal message too, its text kept
	run -0 msgs "$M"
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = '["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601","user","Plan three days in Lisbon","2024-06-10T06:13:30.123Z"]' ]
	[ "${lines[1]}" = '["0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e04","assistant","Day 1: Alfama and the castle.\nDay 2: Belém.\nDay 3: Sintra.","2024-06-10T06:13:41.000Z"]' ]
	[ "${lines[2]}" = '["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f602","user","What is this tower?","2024-06-10T06:15:00.000Z"]' ]
	[ "${lines[3]}" = '["0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e05","assistant","That is the Belém Tower.","2024-06-10T06:15:10.250Z"]' ]
	run -0 chat-show --json "$M"
	[ "$(jq -c .metadata <<< "${lines[0]}")" = '{"tokens":null,"model":null,"processing_time":null,"attachments":[],"reactions":[],"edits":[]}' ]
	[ "$(jq -c .metadata <<< "${lines[3]}")" = '{"tokens":null,"model":"gpt-4o","processing_time":null,"attachments":[],"reactions":[],"edits":[],"incomplete":false,"stopReason":"stop"}' ]
}

@test "chatgpt: every other leaf is a branch holding its whole path, made at the last message shared" {
	import "$FIX/chatgpt.json"
	M=6a1f0c3e-2b4d-4e8a-9c71-0d5e3f2a1b90
	B1=$(uuid5 "chatgpt:$M:0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e07")
	B2=$(uuid5 "chatgpt:$M:0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e08")
	# the tool message under current_node adds nothing shown: no branch
	run -0 chat-ls --parent "$M" --json
	[ "$(jq -sc 'sort_by(.name) | map([.id, .name, .created, .lastUpdated, .parentSessionId, .branchPoint, .metadata.messageCount, .provider, .model])' <<< "$output")" = \
		'[["'$B1'","Lisbon trip (branch 1)","2024-06-10T06:16:40.000Z","2024-06-10T06:16:50.000Z","'$M'","0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e04",4,"openai","gpt-4o"],["'$B2'","Lisbon trip (branch 2)","2024-06-10T06:16:40.000Z","2024-06-10T06:17:00.000Z","'$M'","0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e04",4,"openai","gpt-4o"]]' ]
	run -0 msgs "$B1"
	[ "${lines[0]}" = '["'"$(uuid5 "$B1:aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601")"'","user","Plan three days in Lisbon","2024-06-10T06:13:30.123Z"]' ]
	[ "${lines[1]}" = '["'"$(uuid5 "$B1:0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e04")"'","assistant","Day 1: Alfama and the castle.\nDay 2: Belém.\nDay 3: Sintra.","2024-06-10T06:13:41.000Z"]' ]
	[ "${lines[2]}" = '["'"$(uuid5 "$B1:aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f603")"'","user","Make it cheaper","2024-06-10T06:16:40.000Z"]' ]
	[ "${lines[3]}" = '["'"$(uuid5 "$B1:0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e07")"'","assistant","Stay in a hostel in Baixa.","2024-06-10T06:16:50.000Z"]' ]
	[ "${#lines[@]}" -eq 4 ]
	# the regenerated reply that was cut off
	run -0 chat-show --json -n 1 "$B2"
	[ "$(jq -c '[.content, .metadata.model, .metadata.incomplete, .metadata.stopReason]' <<< "$output")" = '["Walk everywhere and","gpt-4o",true,"interrupted"]' ]
	[ "$(msgs "$B2" | jq -sc 'map(.[2])')" = '["Plan three days in Lisbon","Day 1: Alfama and the castle.\nDay 2: Belém.\nDay 3: Sintra.","Make it cheaper","Walk everywhere and"]' ]
}

@test "chatgpt: no current_node, an id that is not a UUID, code, a visible system message, an empty conversation" {
	import "$FIX/chatgpt.json"
	C=$(uuid5 chatgpt:conv-7)
	# no create_time: its first message's time
	[ "$(session "$C" | jq -c '[.name, .created, .lastUpdated, .provider, .model, .metadata.messageCount]')" = \
		'["Code review","2024-06-11T10:00:00.000Z","2024-06-11T10:00:09.000Z","openai","o4-mini",3]' ]
	# custom instructions (hidden) and a reply of empty parts are left out
	run -0 msgs "$C"
	[ "${lines[0]}" = '["b1d2e3f4-0000-4000-8000-00000000c202","system","You are terse.","2024-06-11T10:00:00.000Z"]' ]
	[ "${lines[1]}" = '["b1d2e3f4-0000-4000-8000-00000000c203","user","Reverse a list in Python","2024-06-11T10:00:01.000Z"]' ]
	[ "${lines[2]}" = '["b1d2e3f4-0000-4000-8000-00000000c205","assistant","```python\nxs[::-1]\n```","2024-06-11T10:00:03.000Z"]' ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(chat-show --json -n 1 "$C" | jq -r .metadata.model)" = o4-mini ]
	[ "$(session 6a1f0c3e-2b4d-4e8a-9c71-0d5e3f2a1b93 | jq -c '[.name, .created, .lastUpdated, .model, .metadata.messageCount]')" = \
		'["Empty","2024-06-12T13:46:40.000Z","2024-06-12T13:46:40.000Z",null,0]' ]
	[ "$(rows)" = '5|15|0' ]
}

@test "chatgpt: a conversation without a title is named after its first message, and so are its branches" {
	jq '.[0].title = null' "$FIX/chatgpt.json" > untitled.json
	import untitled.json
	[ "$(jq -sc 'map(.name)' <<< "$output")" = '["Plan three days in Lisbon","Plan three days in Lisbon (branch 1)","Plan three days in Lisbon (branch 2)","Code review","Empty"]' ]
}

@test "chatgpt: the real branching export (shared fixture)" {
	needs_shared "$GPT_TREE"
	import "$GPT_TREE"
	M=d5dc5307-6807-41a0-8b04-4acee626eeb7
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -c '[.id, .name, .created, .lastUpdated, .model, .metadata.messageCount, .parentSessionId]' <<< "${lines[0]}")" = \
		'["'$M'","Assist user with summary","2024-05-01T17:37:11.149Z","2024-05-01T17:37:40.879Z","text-davinci-002-render-sha",6,null]' ]
	run -0 msgs "$M"
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc 'map(.[0])')" = '["aaa297ba-e2da-440e-84f4-e62e7be8b003","bda8a275-886d-4f59-b38c-d7037144f0d5","aaa236a3-cdfc-4eb1-b5c5-790c6641f880","db88eddf-3622-4246-8527-b6eaf0e9e8cd","aaa20127-b9e3-44f6-afbe-a2475838625a","f63b8e17-aa5c-4ca6-a1bf-d4d285e269b8"]' ]
	[ "$(printf '%s\n' "${lines[@]}" | jq -sc 'map(.[1:3])')" = '[["user","hi there"],["assistant","Hello! How can I assist you today?"],["user","hi again"],["assistant","Hey! Welcome back. What'\''s on your mind?"],["user","tell me a joke"],["assistant","Sure, here'\''s one for you:\n\nWhy don'\''t scientists trust atoms?\n\nBecause they make up everything!"]]' ]
	[ "${lines[0]}" = '["aaa297ba-e2da-440e-84f4-e62e7be8b003","user","hi there","2024-05-01T17:37:11.150Z"]' ]
	# two branches: the edited question, and the regenerated joke
	B1=$(uuid5 "chatgpt:$M:ada93f81-f59e-4b31-933d-1357efd68bfc")
	B2=$(uuid5 "chatgpt:$M:d0d2a7df-d2fc-4df9-bf0a-1c5121e227ae")
	run -0 chat-ls --parent "$M" --json
	[ "$(jq -sc 'sort_by(.name) | map([.id, .name, .branchPoint, .metadata.messageCount])' <<< "$output")" = \
		'[["'$B1'","Assist user with summary (branch 1)","bda8a275-886d-4f59-b38c-d7037144f0d5",6],["'$B2'","Assist user with summary (branch 2)","aaa20127-b9e3-44f6-afbe-a2475838625a",6]]' ]
	[ "$(msgs "$B1" | jq -sc 'map(.[2][0:20])')" = '["hi there","Hello! How can I ass","so cool bro","Thanks! What brings ","tell me a story","Sure! Here'\''s a short"]' ]
	run -0 chat-show --json -n 1 "$B1"
	[ "$(jq -c '[.metadata.incomplete, .metadata.stopReason, .timestamp]' <<< "$output")" = '[true,"interrupted","2024-05-01T17:37:25.607Z"]' ]
	[ "$(msgs "$B2" | jq -sc 'map(.[2][0:14])')" = '["hi there","Hello! How can","hi again","Hey! Welcome b","tell me a joke","Sure, here'\''s o"]' ]
	[ "$(rows)" = '3|18|0' ]
}

# ---- Claude.ai ----

@test "claude: text blocks only, offsets, file text as attachments, names for the unnamed" {
	import "$FIX/claude.json"
	[ "${#lines[@]}" -eq 3 ]
	S=2f9c1d7e-8a34-4b6f-9e21-5c0d7b3a4e18
	[ "$(jq -c 'del(.settings)' <<< "${lines[0]}")" = '{"type":"session","id":"'$S'","name":"Sourdough","created":"2025-03-01T09:15:30.123Z","lastUpdated":"2025-03-01T09:20:00.000Z","provider":"anthropic","model":null,"metadata":{"messageCount":2,"totalTokens":0,"tags":[],"starred":false,"archived":false,"reactions":[]},"parentSessionId":null,"branchPoint":null}' ]
	run -0 msgs "$S"
	# the id in capitals comes in lower case
	[ "${lines[0]}" = '["5e0b7c1a-2d3f-4a5b-8c6d-7e8f9a0b1c2d","user","Why is my bread flat?","2025-03-01T09:15:31.500Z"]' ]
	# no thinking, no tool call or result; +01:00 made UTC
	[ "${lines[1]}" = '["6f1c8d2b-3e40-4b6c-9d7e-8f9a0b1c2d3e","assistant","Your starter may be weak.\n\nTry a longer bulk ferment.","2025-03-01T09:16:02.250Z"]' ]
	A=$(uuid5 5e0b7c1a-2d3f-4a5b-8c6d-7e8f9a0b1c2d:attachment:1)
	[ "$(chat-show --json "$S" | jq -sc '.[0].metadata.attachments')" = '[{"id":"'$A'","type":"text","name":"recipe.txt","size":24,"mimeType":"text/plain"}]' ]
	[ "$(store_sql "SELECT $(sql_hex content) FROM attachments WHERE id = '$A'")" = "$(printf '500 g flour\n350 g water\n' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)" ]
	# no name: the first line of the first message
	[ "$(session 3a0d2e8f-9b45-4c70-8f32-6d1e8c4b5f29 | jq -c '[.name, .created, .lastUpdated, .metadata.messageCount]')" = \
		'["Translate '\''good morning'\'' to Portuguese","2024-11-05T18:00:00.000Z","2024-11-05T18:00:05.000Z",2]' ]
	[ "$(msgs 3a0d2e8f-9b45-4c70-8f32-6d1e8c4b5f29 | jq -sc 'map(.[1:])')" = \
		'[["user","Translate '\''good morning'\'' to Portuguese\nand explain","2024-11-05T18:00:01.000Z"],["assistant","Bom dia.","2024-11-05T18:00:04.500Z"]]' ]
	[ "$(session 4b1e3f90-ac56-4d81-9043-7e2f9d5c6a3a | jq -c '[.name, .metadata.messageCount]')" = '["Nothing yet",0]' ]
	[ "$(rows)" = '3|4|1' ]
}

@test "claude: the real export (shared fixture)" {
	needs_shared "$CLAUDE_REAL"
	import "$CLAUDE_REAL"
	S=b49c0fc0-85d8-475c-bd2d-ee89f31f592c
	[ "$(jq -c '[.id, .name, .created, .lastUpdated, .provider, .metadata.messageCount]' <<< "$output")" = \
		'["'$S'","Bleep bloop","2025-07-06T03:10:13.076Z","2025-07-06T03:10:27.139Z","anthropic",2]' ]
	run -0 msgs "$S"
	[ "${lines[0]}" = '["f5885afd-1881-4093-9616-c296a8d71fa6","user","Tell me about the facts behind the belief that dog saliva is anti bacterial etc","2025-07-06T03:10:13.609Z"]' ]
	# the answer is the text block, not the "text" that has the thinking too
	want=$(jq -c '.[0].chat_messages[1].content | map(select(.type == "text") | .text) | join("")' "$CLAUDE_REAL")
	[ "$(jq -c '.[2]' <<< "${lines[1]}")" = "$want" ]
	[[ "$(jq -r '.[2]' <<< "${lines[1]}")" == "Dog saliva does contain"* ]]
	[ "$(jq -c '[.[0], .[1], .[3]]' <<< "${lines[1]}")" = '["0abf9869-20f7-4b45-99e3-4381e9d37317","assistant","2025-07-06T03:10:24.798Z"]' ]
}

# ---- llm ----

@test "llm: a recent logs.db, read-only: conversations, prompts and responses, tokens, system prompt" {
	sqlite3 logs.db < "$FIX/llm-new.sql"
	sum=$(sha256sum logs.db)
	import logs.db
	[ "$(sha256sum logs.db)" = "$sum" ]
	[ "${#lines[@]}" -eq 3 ]
	S=$(uuid5 llm:01jd2k4m6p8r0t2v4x6z8b0c2e)
	H=$(uuid5 llm:01jd2m1q3s5u7w9y1a3c5e7g9j)
	P=$(uuid5 llm:response:01jd2p0a2c4e6g8j0l2n4q6s8u)
	[ "$(jq -sc 'map([.id, .name, .provider, .model, .created, .lastUpdated, .settings.systemPrompt, .metadata.messageCount, .metadata.totalTokens])' <<< "$output")" = \
		'[["'$S'","Capital of France?",null,"gpt-4o-mini","2024-11-20T10:00:00.123Z","2024-11-20T10:01:00.640Z","Answer in one word.",4,58],["'$H'","Write a haiku about rain",null,"claude-3.5-haiku","2024-11-20T11:00:00.000Z","2024-11-20T11:00:01.200Z",null,2,15],["'$P'","ping",null,"gpt-4o-mini","2024-11-21T07:30:00.000Z","2024-11-21T07:30:00.090Z",null,2,0]]' ]
	run -0 msgs "$S"
	[ "${lines[0]}" = '["'"$(uuid5 "$S:01jd2k4m7a9c1e3g5j7l9n1q3s:prompt")"'","user","Capital of France?","2024-11-20T10:00:00.123Z"]' ]
	# the reply at the response's start plus its duration
	[ "${lines[1]}" = '["'"$(uuid5 "$S:01jd2k4m7a9c1e3g5j7l9n1q3s:response")"'","assistant","Paris.","2024-11-20T10:00:00.935Z"]' ]
	[ "$(printf '%s\n' "${lines[@]:2}" | jq -sc 'map(.[1:])')" = '[["user","And of Spain?","2024-11-20T10:01:00.000Z"],["assistant","Madrid.","2024-11-20T10:01:00.640Z"]]' ]
	run -0 chat-show --json "$S"
	[ "$(jq -c .metadata <<< "${lines[1]}")" = '{"tokens":23,"model":"gpt-4o-mini-2024-07-18","processing_time":812,"attachments":[],"reactions":[],"edits":[],"inputTokens":20,"outputTokens":3}' ]
	[ "$(jq -c .metadata <<< "${lines[3]}")" = '{"tokens":35,"model":"gpt-4o-mini","processing_time":640,"attachments":[],"reactions":[],"edits":[],"inputTokens":31,"outputTokens":4}' ]
	[ "$(chat-show --json -n 1 "$H" | jq -c '.metadata | [.tokens, .inputTokens, .outputTokens]')" = '[15,15,null]' ]
	[ "$(msgs "$P" | jq -sc 'map(.[1:3])')" = '[["user","ping"],["assistant","pong"]]' ]
}

@test "llm: an older logs.db without token counts, and one on stdin" {
	sqlite3 old.db < "$FIX/llm-old.sql"
	import --format llm - < old.db
	S=$(uuid5 llm:01hq3v8k2m4n6p8r0t2v4x6z8b)
	[ "$(jq -c '[.id, .name, .model, .created, .lastUpdated, .metadata.messageCount]' <<< "$output")" = \
		'["'$S'","Name three rivers","gpt-3.5-turbo","2024-03-01T10:05:00.250Z","2024-03-01T10:06:10.000Z",4]' ]
	run -0 chat-show --json "$S"
	[ "$(jq -c '[.role, .content, .timestamp]' <<< "${lines[1]}")" = '["assistant","Tagus, Douro, Mondego.","2024-03-01T10:05:01.780Z"]' ]
	[ "$(jq -c .metadata <<< "${lines[1]}")" = '{"tokens":null,"model":"gpt-3.5-turbo","processing_time":1530,"attachments":[],"reactions":[],"edits":[]}' ]
	# no duration: the reply at the response's start
	[ "$(jq -c '[.content, .timestamp, .metadata.processing_time]' <<< "${lines[3]}")" = '["The Tagus.","2024-03-01T10:06:10.000Z",null]' ]
	# the same from the file: already there
	run -0 --separate-stderr chat-import old.db
	[ -z "$output" ]
	[ "$stderr" = "chat-import: 1 session already in the store, skipped" ]
}

@test "llm: a database that is not llm's, and a bad time in one" {
	sqlite3 other.db 'CREATE TABLE t (x)'
	refused other.db "chat-import: other.db: not an llm logs.db: it has no responses table"
	sqlite3 logs.db < "$FIX/llm-old.sql"
	sqlite3 logs.db "UPDATE responses SET datetime_utc = 'noon' WHERE id = '01hq3v9b7d9f1h3k5m7p9r1t3v'"
	refused logs.db "chat-import: logs.db: response 01hq3v9b7d9f1h3k5m7p9r1t3v: invalid time 'noon' in datetime_utc"
	sqlite3 logs.db 'ALTER TABLE responses DROP COLUMN datetime_utc'
	refused logs.db "chat-import: logs.db: not an llm logs.db: responses has no column datetime_utc"
	refused logs.db "chat-import: logs.db: an SQLite database, not JSON (an llm logs.db is --format llm)" --format chatgpt
	refused "$FIX/claude.json" "chat-import: $FIX/claude.json: not an SQLite database, so not an llm logs.db" -f llm
	[ "$(rows)" = '0|0|0' ]
}

# ---- confab's own JSON ----

@test "confab: export, import into an empty store, export again: the same bytes" {
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	varied_store
	mapfile -t ids < <(chat-ls --all --json | jq -r .id)
	[ "${#ids[@]}" -eq 3 ]
	for id in "${ids[@]}"; do
		chat-export -f json "$id" > "$id.json"
	done
	chat-ls --all --json > before.jsonl
	want=$(rows)
	CHAT_DB=$(fresh_store other)
	# the branch comes first: its parent is linked when all are in
	import "${ids[@]/%/.json}"
	[ "${#lines[@]}" -eq 3 ]
	for id in "${ids[@]}"; do
		chat-export -f json "$id" | cmp - "$id.json"
	done
	chat-ls --all --json | cmp - before.jsonl
	[ "$(rows)" = "$want" ]
	[ "$want" = '3|11|4' ]
	# the binary attachment, byte for byte
	[ "$(store_sql "SELECT DISTINCT $(sql_hex content) FROM attachments WHERE name = 'pic.png'")" = 89504E470D0A1A0A000102FF ]
}

@test "confab: an archive of exports, and several sessions in one file" {
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	varied_store
	chat-ls --all | chat-export -f json -o all.zip
	chat-ls --all --json | jq -r .id | while read -r id; do chat-export -f json "$id"; done > all.json
	chat-ls --all --json | jq -sc 'sort_by(.id)' > want
	for how in all.zip all.json array; do
		CHAT_DB=$(fresh_store "store-$how")
		if [ "$how" = array ]; then
			jq -s . all.json > array.json
			import array.json
		else
			import "$how"
		fi
		[ "${#lines[@]}" -eq 3 ]
		chat-ls --all --json | jq -sc 'sort_by(.id)' | cmp - want
	done
}

@test "confab: --no-metadata keeps the session's id; its messages get new ones" {
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	varied_store
	S=$(chat-ls --json --starred | jq -r .id)
	chat-export -f json --no-metadata "$S" > lean.json
	chat-show --json "$S" | jq -c '[.role, .content, .timestamp]' > want
	CHAT_DB=$(fresh_store other)
	import lean.json
	[ "$(jq -c '[.id, .name, .provider, .metadata.messageCount, .metadata.tags]' <<< "$output")" = '["'$S'","round \"trip\"",null,5,[]]' ]
	chat-show --json "$S" | jq -c '[.role, .content, .timestamp]' | cmp - want
	chat-show --json "$S" | jq -r .id | while read -r id; do [[ "$id" =~ $UUID7 ]]; done
	chat-export -f json --no-metadata "$S" | cmp - lean.json
	run -0 --separate-stderr chat-import lean.json
	[ "$stderr" = "chat-import: 1 session already in the store, skipped" ]
}

@test "confab: a parent that is nowhere is null; a message id taken gets one derived from it" {
	cat > one.json <<-'EOF'
	{"type":"session","id":"0d1a2b3c-0000-4000-8000-000000000001","name":"child","created":"2025-01-01T00:00:00.000Z","lastUpdated":"2025-01-02T00:00:00.000Z","provider":null,"model":null,"settings":{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":false,"contextWindow":50,"sendHistory":false},"metadata":{"messageCount":1,"totalTokens":7,"tags":["t"],"starred":false,"archived":false},"parentSessionId":"0d1a2b3c-0000-4000-8000-0000000000ff","branchPoint":"0d1a2b3c-0000-4000-8000-0000000000fe","messages":[
	{"type":"message","id":"0d1a2b3c-0000-4000-8000-0000000000a1","sessionId":"0d1a2b3c-0000-4000-8000-000000000001","role":"user","content":"hi","timestamp":"2025-01-01T00:00:01.000Z","metadata":{"tokens":7,"model":null,"processing_time":null,"attachments":[{"id":"0d1a2b3c-0000-4000-8000-0000000000b1","type":"text","name":"a.txt","size":3,"mimeType":"text/plain","data":"YWJj"}],"reactions":["+1"],"edits":[],"custom":{"k":[1,2]}},"context":{"activityEvents":[],"pluginCommands":[],"files":["a.txt"]}}
	]}
	EOF
	import one.json
	[ "$(jq -c '[.parentSessionId, .branchPoint, .lastUpdated, .metadata]' <<< "$output")" = '[null,null,"2025-01-02T00:00:00.000Z",{"messageCount":1,"totalTokens":7,"tags":["t"],"starred":false,"archived":false,"reactions":[]}]' ]
	run -0 chat-show --json 0d1a2b3c-0000-4000-8000-000000000001
	[ "$output" = '{"type":"message","id":"0d1a2b3c-0000-4000-8000-0000000000a1","sessionId":"0d1a2b3c-0000-4000-8000-000000000001","role":"user","content":"hi","timestamp":"2025-01-01T00:00:01.000Z","metadata":{"tokens":7,"model":null,"processing_time":null,"attachments":[{"id":"0d1a2b3c-0000-4000-8000-0000000000b1","type":"text","name":"a.txt","size":3,"mimeType":"text/plain"}],"reactions":["+1"],"edits":[],"custom":{"k":[1,2]}},"context":{"activityEvents":[],"pluginCommands":[],"files":["a.txt"]}}' ]
	# the same messages under another session id: their ids are taken
	sed 's/0d1a2b3c-0000-4000-8000-000000000001/0d1a2b3c-0000-4000-8000-000000000002/g' one.json > two.json
	import two.json
	N=0d1a2b3c-0000-4000-8000-000000000002
	run -0 chat-show --json "$N"
	[ "$(jq -c '[.id, .content, .metadata.attachments[0].id]' <<< "$output")" = \
		'["'"$(uuid5 "$N:0d1a2b3c-0000-4000-8000-0000000000a1")"'","hi","'"$(uuid5 "$N:0d1a2b3c-0000-4000-8000-0000000000b1")"'"]' ]
	[ "$(rows)" = '2|2|2' ]
}

@test "confab: session records without messages; a record without a type is none" {
	chat-new -n alpha -t a > /dev/null
	chat-ls --json > ls.jsonl
	CHAT_DB=$(fresh_store other)
	import ls.jsonl
	[ "$(jq -c '[.name, .metadata.tags, .metadata.messageCount]' <<< "$output")" = '["alpha",["a"],0]' ]
	echo '{"id":"0d1a2b3c-0000-4000-8000-000000000009","name":"bare","messages":[{"role":"assistant","content":"x","timestamp":"2025-05-05T05:05:05Z"}]}' > bare.json
	refused bare.json 'chat-import: bare.json: not a confab, ChatGPT or Claude export (item 1 has no "type": "session", "mapping" or "chat_messages"); name the format with --format'
	refused bare.json 'chat-import: bare.json: session 1 ("bare"): type is missing' --format confab
	# chat-export --no-metadata: chat-new's settings
	jq -c '.type = "session"' bare.json > lean.json
	import --format confab lean.json
	[ "$(jq -c '[.id, .name, .metadata.messageCount, .settings]' <<< "$output")" = '["0d1a2b3c-0000-4000-8000-000000000009","bare",1,{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":false,"contextWindow":50,"sendHistory":false}]' ]
}

# ---- a second import ----

@test "importing again adds nothing and says how many were skipped" {
	import "$FIX/chatgpt.json" "$FIX/claude.json"
	[ "${#lines[@]}" -eq 8 ]
	before=$(rows)
	dump=$(store_dump)
	run -0 --separate-stderr chat-import "$FIX/chatgpt.json" "$FIX/claude.json"
	[ -z "$output" ]
	[ "$stderr" = "chat-import: 8 sessions already in the store, skipped" ]
	[ "$(rows)" = "$before" ]
	[ "$(store_dump)" = "$dump" ]
	# a session deleted since comes back, the same
	M=6a1f0c3e-2b4d-4e8a-9c71-0d5e3f2a1b90
	B1=$(uuid5 "chatgpt:$M:0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e07")
	want=$(session "$B1")
	chat-rm -f "$B1" > /dev/null
	run -0 --separate-stderr chat-import "$FIX/chatgpt.json"
	[ "$stderr" = "chat-import: 4 sessions already in the store, skipped" ]
	[ "$output" = "$want" ]
	[ "$(rows)" = "$before" ]
}

@test "the same file twice in one run is imported once" {
	run -0 --separate-stderr chat-import "$FIX/claude.json" "$FIX/claude.json"
	[ "${#lines[@]}" -eq 3 ]
	# they were not in the store before
	[ "$stderr" = "chat-import: 3 sessions repeated across the files, imported once" ]
	[ "$(rows)" = '3|4|1' ]
	run -0 --separate-stderr chat-import "$FIX/claude.json" "$FIX/claude.json"
	[ "$stderr" = "chat-import: 3 sessions already in the store, skipped" ]
}

@test "a main session deleted since is imported again, its branches linked to it" {
	import "$FIX/chatgpt.json"
	M=6a1f0c3e-2b4d-4e8a-9c71-0d5e3f2a1b90
	want=$(session "$M")
	chat-rm -f "$M" > /dev/null
	[ "$(rows)" = '4|11|0' ]
	run -0 --separate-stderr chat-import "$FIX/chatgpt.json"
	[ "$output" = "$want" ]
	[ "$stderr" = "chat-import: 4 sessions already in the store, skipped" ]
	# its branches outlived it (chat-rm): they are skipped, as they are
	[ "$(chat-ls --all --json | jq -sc 'map(select(.name | test("branch")) | [.parentSessionId, .branchPoint])')" = '[[null,null],[null,null]]' ]
	[ "$(rows)" = '5|15|0' ]
}

# ---- stdin, formats ----

@test "stdin: no file, or -, also beside files" {
	import < "$FIX/claude.json"
	[ "${#lines[@]}" -eq 3 ]
	CHAT_DB=$(fresh_store b)
	run -0 --separate-stderr bash -c 'cat "$1" | chat-import "$2" -' _ "$FIX/claude.json" "$FIX/chatgpt.json"
	[ "${#lines[@]}" -eq 8 ]
	[ "$(jq -r .name <<< "${lines[0]}")" = "Lisbon trip" ]
	[ "$(jq -r .name <<< "${lines[5]}")" = "Sourdough" ]
	# an error names stdin
	before=$(rows)
	run -5 --separate-stderr chat-import <<< '[{"uuid":'
	one_error chat-import
	[ "$stderr" = "chat-import: stdin: invalid JSON: unfinished JSON term at EOF at line 2, column 0" ]
	run -5 --separate-stderr chat-import "$FIX/chatgpt.json" - <<< '{"type": "session", "id": 5}'
	[ "$stderr" = "chat-import: stdin: session 1: id is a number, expected a string or null" ]
	[ "$(rows)" = "$before" ]
}

@test "--format forces a format; a file of another format is refused as malformed" {
	refused "$FIX/claude.json" "chat-import: $FIX/claude.json: conversation 1: conversation_id and id are missing" --format chatgpt
	refused "$FIX/chatgpt.json" "chat-import: $FIX/chatgpt.json: conversation 1: uuid is missing" -f claude
	refused "$FIX/chatgpt.json" "chat-import: $FIX/chatgpt.json: session 1: type is missing" -f confab
	[ "$(rows)" = '0|0|0' ]
	import -f claude "$FIX/claude.json"
	[ "${#lines[@]}" -eq 3 ]
	run -0 chat-import --format auto "$FIX/chatgpt.json"
	[ "${#lines[@]}" -eq 5 ]
}

@test "an archive: ChatGPT's holds conversations.json beside files that are not sessions" {
	mkdir export
	cp "$FIX/chatgpt.json" export/conversations.json
	echo '{"id": "user-1", "email": "a@example.com"}' > export/user.json
	echo '[]' > export/message_feedback.json
	echo '<html></html>' > export/chat.html
	tar -C export -czf chatgpt-export.tar.gz .
	import chatgpt-export.tar.gz
	[ "${#lines[@]}" -eq 5 ]
	echo '[{"title": "x", "id": "c", "mapping": {"a": {"message": null}}}]' > export/conversations.json
	tar -C export -cf broken.tar .
	refused broken.tar 'chat-import: broken.tar:./conversations.json: conversation 1 ("x"): mapping node a has no parent'
}

# ---- malformed files store nothing ----

@test "malformed: truncated JSON names the line and column" {
	import "$FIX/claude.json"
	head -c 700 "$FIX/chatgpt.json" > trunc.json
	refused trunc.json "chat-import: trunc.json: invalid JSON: unfinished string at EOF at line 32, column 19"
	head -c 300 "$FIX/claude.json" > trunc2.json
	refused trunc2.json "chat-import: trunc2.json: invalid JSON: unfinished JSON term at EOF at line 13, column 10"
	# in the second conversation, after a good first one
	printf '[{"uuid": "0b6d2c51-4c0e-4d0a-9a53-2b7e4f5d9c10", "name": "a", "chat_messages": []},\n {"uuid" "b"}]\n' > sep.json
	refused sep.json "chat-import: sep.json: invalid JSON: expected separator between values at line 2, column 12"
	printf '[{"uuid": "x", "chat_messages": []},]' > comma.json
	refused comma.json "chat-import: comma.json: invalid JSON: expected another array element at line 1, column 37"
	[ "$(rows)" = '3|4|1' ]
}

@test "malformed: the wrong shape" {
	import "$FIX/claude.json"
	echo '{"foo": 1}' > shape.json
	refused shape.json 'chat-import: shape.json: not a confab, ChatGPT or Claude export (item 1 has no "type": "session", "mapping" or "chat_messages"); name the format with --format'
	echo '[1, 2]' > nums.json
	refused nums.json "chat-import: nums.json: item 1 is a number, expected an object"
	echo '"text"' > str.json
	refused str.json "chat-import: str.json: item 1 is a string, expected an object"
	jq -c '.[1].chat_messages = {}' "$FIX/claude.json" > cm.json
	refused cm.json "chat-import: cm.json: conversation 2: chat_messages is an object, expected an array"
	jq -c '.[0].chat_messages[1].sender = "robot"' "$FIX/claude.json" > sender.json
	refused sender.json 'chat-import: sender.json: conversation 1 ("Sourdough"): message 2: sender '\''robot'\'' is not human or assistant'
	jq -c '.[0].chat_messages[0].content[0].text = 5' "$FIX/claude.json" > block.json
	refused block.json 'chat-import: block.json: conversation 1 ("Sourdough"): message 1: content[0].text is a number, expected a string'
	jq -c '.[1].mapping["b1d2e3f4-0000-4000-8000-00000000c203"] = 3' "$FIX/chatgpt.json" > node.json
	refused node.json 'chat-import: node.json: conversation 2 ("Code review"): mapping node b1d2e3f4-0000-4000-8000-00000000c203 is a number, expected an object'
	jq -c '.[0].mapping["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601"].message.author = {}' "$FIX/chatgpt.json" > author.json
	refused author.json 'chat-import: author.json: conversation 1 ("Lisbon trip"): mapping node aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601: message.author.role is missing'
	echo '{"type":"session","id":"s","name":"n","messages":[{"role":"robot"}]}' > role.json
	refused role.json 'chat-import: role.json: session 1 ("n"): message 1: role '\''robot'\'' is not user, assistant or system'
	echo '{"type":"session","id":"s","messages":[{"role":"user","metadata":{"tokens":"many"}}]}' > tok.json
	refused tok.json 'chat-import: tok.json: session 1: message 1: metadata.tokens is a string, expected a number or null'
	echo '{"type":"session","id":"s","messages":[{"role":"user","metadata":{"attachments":[{"type":"image","name":"p.png","data":"!!"}]}}]}' > b64.json
	refused b64.json 'chat-import: b64.json: session 1: message 1: metadata.attachments[0].data is not base64'
	echo '{"type":"message","id":"m"}' > rec.json
	refused rec.json "chat-import: rec.json: session 1: expected a session record, got type 'message'" -f confab
	[ "$(rows)" = '3|4|1' ]
}

@test "malformed: a cycle in a ChatGPT mapping, a node whose parent is missing, a current_node that is not there" {
	import "$FIX/claude.json"
	jq -c '.[0].mapping["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601"].parent = "0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e04"' "$FIX/chatgpt.json" > cycle.json
	refused cycle.json 'chat-import: cycle.json: conversation 1 ("Lisbon trip"): mapping has a cycle through node aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f601'
	jq -c '.[0].mapping["0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e05"].parent = "0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e05"' "$FIX/chatgpt.json" > self.json
	refused self.json 'chat-import: self.json: conversation 1 ("Lisbon trip"): mapping has a cycle through node 0c3f8d1e-5a2b-4c6d-8e9f-1a2b3c4d5e05'
	# the third conversation: the first two were fine, and are not stored either
	jq -c '.[2].mapping = {"abc": {"id": "abc", "message": null, "parent": "zzz", "children": []}}' "$FIX/chatgpt.json" > orphan.json
	refused orphan.json 'chat-import: orphan.json: conversation 3 ("Empty"): mapping node abc: parent zzz is not in the mapping'
	jq -c '.[2].mapping = {"abc": {"id": "abc", "message": null, "children": []}}' "$FIX/chatgpt.json" > noparent.json
	refused noparent.json 'chat-import: noparent.json: conversation 3 ("Empty"): mapping node abc has no parent'
	jq -c '.[0].current_node = "gone"' "$FIX/chatgpt.json" > current.json
	refused current.json 'chat-import: current.json: conversation 1 ("Lisbon trip"): current_node gone is not in the mapping'
	[ "$(rows)" = '3|4|1' ]
}

@test "malformed: bad times in every format" {
	import "$FIX/claude.json"
	jq -c '.[0].created_at = "yesterday"' "$FIX/claude.json" > t1.json
	refused t1.json "chat-import: t1.json: conversation 1 (\"Sourdough\"): invalid time 'yesterday' in created_at"
	jq -c '.[1].chat_messages[0].created_at = "2025-13-01T00:00:00Z"' "$FIX/claude.json" > t2.json
	refused t2.json "chat-import: t2.json: conversation 2: message 1: invalid time '2025-13-01T00:00:00Z' in created_at"
	jq -c '.[0].update_time = "2024-06-10"' "$FIX/chatgpt.json" > t3.json
	refused t3.json 'chat-import: t3.json: conversation 1 ("Lisbon trip"): update_time is a string, expected a number or null'
	jq -c '.[0].mapping["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f602"].message.create_time = -5' "$FIX/chatgpt.json" > t4.json
	refused t4.json 'chat-import: t4.json: conversation 1 ("Lisbon trip"): mapping node aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f602: message.create_time -5 out of range (years 1970 to 9999)'
	echo '{"type":"session","id":"s","name":"n","created":"2025-02-30T00:00:00Z"}' > t5.json
	refused t5.json "chat-import: t5.json: session 1 (\"n\"): invalid time '2025-02-30T00:00:00Z' in created"
	echo '{"type":"session","id":"s","name":"n","messages":[{"role":"user","timestamp":"soon"}]}' > t6.json
	refused t6.json "chat-import: t6.json: session 1 (\"n\"): message 1: invalid time 'soon' in timestamp"
	[ "$(rows)" = '3|4|1' ]
}

@test "malformed: one bad file among good ones stores none of them" {
	head -c 300 "$FIX/claude.json" > bad.json
	refused bad.json "chat-import: bad.json: invalid JSON: unfinished JSON term at EOF at line 13, column 10" "$FIX/chatgpt.json"
	[ "$(rows)" = '0|0|0' ]
	sqlite3 logs.db < "$FIX/llm-new.sql"
	run -5 --separate-stderr chat-import logs.db "$FIX/claude.json" bad.json
	[ "$stderr" = "chat-import: bad.json: invalid JSON: unfinished JSON term at EOF at line 13, column 10" ]
	[ "$(rows)" = '0|0|0' ]
}

# ---- output ----

@test "--dry-run prints what would be imported and stores nothing" {
	import "$FIX/claude.json"
	before=$(store_dump)
	run -0 --separate-stderr chat-import -n "$FIX/chatgpt.json" "$FIX/claude.json"
	[ "${#lines[@]}" -eq 5 ]
	[ "$stderr" = "chat-import: 3 sessions already in the store, skipped" ]
	[ "$(jq -c '[.name, .metadata.messageCount]' <<< "${lines[0]}")" = '["Lisbon trip",4]' ]
	[ "$(store_dump)" = "$before" ]
	run -0 chat-import --dry-run "$FIX/chatgpt.json"
	[ "${#lines[@]}" -eq 5 ]
}

@test "on a terminal, a table; with --json, records" {
	export NO_COLOR=1
	tty_run chat-import "$FIX/claude.json"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID "*"NAME"*"MSGS"* ]]
	[[ "${lines[1]}" == "2f9c1d7e "*"Sourdough "*"anthropic "*"  2  2025-03-01"* ]]
	[[ "${lines[2]}" == "3a0d2e8f "*"Translate 'good morning' to Portuguese"* ]]
	[[ "${lines[3]}" == "4b1e3f90 "*"Nothing yet"* ]]
	tty_run chat-import --json "$FIX/chatgpt.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .name <<< "${lines[0]}")" = "Lisbon trip" ]
	# nothing new: only the count, on stderr
	tty_run chat-import "$FIX/claude.json"
	[ "${lines[0]}" = "chat-import: 3 sessions already in the store, skipped" ]
}

@test "a closed stdout is not an error, and the import is whole" {
	run -0 bash -o pipefail -c 'chat-import "$1" | head -c 1' _ "$FIX/chatgpt.json"
	[ "$(rows)" = '5|15|0' ]
}

# ---- what a review found ----

@test "archives whose member names are not ASCII import, in the C locale too" {
	chat-new -n 'ünïcödé' > /dev/null
	chat-add -s 'ünïcödé' 'hi' > /dev/null
	chat-export -f json -o all.zip 'ünïcödé'
	chat-export -f json -o all.tar.gz 'ünïcödé'
	for a in all.zip all.tar.gz; do
		CHAT_DB=$BATS_TEST_TMPDIR/$a.db LC_ALL=C run -0 --separate-stderr chat-import --json "$a"
		[ -z "$stderr" ]
		[ "$(jq -c '[.name, .metadata.messageCount]' <<<"$output")" = '["ünïcödé",1]' ]
	done
}

@test "confab ids become ours: a UUID in lower case, another id a UUIDv5, none one made from the record" {
	import --json <<<'{"type":"session","id":"AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE","name":"up"}'
	[ "$(jq -r .id <<<"$output")" = aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee ]
	run -0 chat-show --json aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
	import --json <<<'{"type":"session","id":"w1","name":"short"}'
	[[ "$(jq -r .id <<<"$output")" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	echo '{"type":"session","name":"noid","messages":[{"role":"user","content":"x"}]}' > n.json
	import --json n.json
	first=$(jq -r .id <<<"$output")
	run -0 --separate-stderr chat-import --json n.json
	[ -z "$output" ]
	[ "$stderr" = "chat-import: 1 session already in the store, skipped" ]
	[ "$(store_sql "select count(*) from sessions where name = 'noid'")" = 1 ]
	[ "$(store_sql "select id from sessions where name = 'noid'")" = "$first" ]
}

@test "an attachment id longer than an id is not cut into another's" {
	long=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
	printf '{"type":"session","id":"%s","name":"att","messages":[{"role":"user","content":"x","metadata":{"attachments":[{"id":"%sX1","type":"text","name":"a.txt","size":1,"mimeType":"text/plain","data":"YQ=="},{"id":"%sX2","type":"text","name":"b.txt","size":1,"mimeType":"text/plain","data":"Yg=="}]}}]}\n' \
		11111111-2222-4333-8444-555555555555 "$long" "$long" > att.json
	import att.json
	[ "$(store_sql 'select count(distinct id) from attachments')" = 2 ]
	[ "$(store_sql 'select max(length(id)) from attachments')" = 36 ]
}

# ---- numbers, sizes and repeats ----

# A confab export of one session "n" whose first message has the metadata
# $1 (a JSON object).
meta_file() {
	printf '{"type":"session","id":"s","name":"n","messages":[{"role":"user","content":"x","metadata":%s}]}\n' "$1"
}

@test "malformed: numbers out of range or not whole, in confab's JSON" {
	import "$FIX/claude.json"
	meta_file '{"tokens":9223372036854775808}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.tokens 9223372036854775808 out of range (0 to 9007199254740992)'
	meta_file '{"tokens":-1}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.tokens -1 out of range (0 to 9007199254740992)'
	meta_file '{"tokens":1.5}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.tokens 1.5 is not a whole number'
	meta_file '{"processing_time":-3}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.processing_time -3 out of range (0 to 9007199254740992)'
	meta_file '{"inputTokens":"ten"}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.inputTokens is a string, expected a number or null'
	meta_file '{"outputTokens":1e300}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.outputTokens 1e+300 out of range (0 to 9007199254740992)'
	meta_file '{"cost":-0.25}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.cost -0.25 out of range (0 to 1000000)'
	meta_file '{"attachments":[{"type":"text","name":"a.txt","size":-1}]}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): message 1: metadata.attachments[0].size -1 out of range (0 to 9007199254740992)'
	echo '{"type":"session","id":"s","name":"n","settings":{"temperature":3}}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): settings.temperature 3 out of range (0 to 2)'
	echo '{"type":"session","id":"s","name":"n","settings":{"maxTokens":0}}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): settings.maxTokens 0 out of range (1 to 100000000)'
	echo '{"type":"session","id":"s","name":"n","settings":{"maxTokens":100.5}}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): settings.maxTokens 100.5 is not a whole number'
	echo '{"type":"session","id":"s","name":"n","settings":{"contextWindow":-1}}' > t.json
	refused t.json 'chat-import: t.json: session 1 ("n"): settings.contextWindow -1 out of range (0 to 100000000)'
	echo '{"type":"session","id":"s","name":"n","created":"1969-12-31T23:59:59Z"}' > t.json
	refused t.json "chat-import: t.json: session 1 (\"n\"): created '1969-12-31T23:59:59Z' out of range (years 1970 to 9999)"
	echo '{"type":"session","id":"s","name":"n","messages":[{"role":"user","timestamp":"9999-12-31T23:00:00-05:00"}]}' > t.json
	refused t.json "chat-import: t.json: session 1 (\"n\"): message 1: timestamp '9999-12-31T23:00:00-05:00' out of range (years 1970 to 9999)"
	[ "$(rows)" = '3|4|1' ]
	# the ends of each range are in it
	meta_file '{"tokens":9007199254740992,"processing_time":0,"inputTokens":0,"outputTokens":null,"cost":1000000}' > ok.json
	import ok.json
	[ "$(jq -c '.metadata.totalTokens' <<< "$output")" = 9007199254740992 ]
	[ "$(chat-show --json n | jq -c '.metadata | [.tokens, .processing_time, .cost]')" = '[9007199254740992,0,1000000]' ]
}

@test "malformed: numbers out of range in ChatGPT's, Claude's and llm's exports" {
	jq -c '.[0].create_time = 1e12' "$FIX/chatgpt.json" > t.json
	refused t.json 'chat-import: t.json: conversation 1 ("Lisbon trip"): create_time 1000000000000 out of range (years 1970 to 9999)'
	jq -c '.[0].mapping["aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f602"].message.create_time = 253402300800' "$FIX/chatgpt.json" > t.json
	refused t.json 'chat-import: t.json: conversation 1 ("Lisbon trip"): mapping node aaa1b2c3-d4e5-4f60-8a71-b2c3d4e5f602: message.create_time 253402300800 out of range (years 1970 to 9999)'
	jq -c '.[0].update_time = 253402300799.999' "$FIX/chatgpt.json" > t.json
	# the last millisecond of 9999 is in it
	CHAT_DB=$BATS_TEST_TMPDIR/ok.db import t.json
	[ "$(jq -r .lastUpdated <<< "${lines[0]}")" = 9999-12-31T23:59:59.999Z ]
	jq -c '.[0].created_at = "1900-01-01T00:00:00Z"' "$FIX/claude.json" > t.json
	refused t.json "chat-import: t.json: conversation 1 (\"Sourdough\"): created_at '1900-01-01T00:00:00Z' out of range (years 1970 to 9999)"
	sqlite3 logs.db < "$FIX/llm-new.sql"
	R=01jd2k4m7a9c1e3g5j7l9n1q3s
	cp logs.db l.db
	sqlite3 l.db "UPDATE responses SET input_tokens = -5 WHERE id = '$R'"
	refused l.db "chat-import: l.db: response $R: input_tokens -5 out of range (0 to 9007199254740992)"
	cp logs.db l.db
	sqlite3 l.db "UPDATE responses SET output_tokens = 'many' WHERE id = '$R'"
	refused l.db "chat-import: l.db: response $R: output_tokens is text, expected a number or null"
	cp logs.db l.db
	sqlite3 l.db "UPDATE responses SET input_tokens = 9007199254740992, output_tokens = 2 WHERE id = '$R'"
	refused l.db "chat-import: l.db: response $R: input_tokens and output_tokens 9007199254740994 out of range (0 to 9007199254740992)"
	cp logs.db l.db
	sqlite3 l.db "UPDATE responses SET duration_ms = 2.5 WHERE id = '$R'"
	refused l.db "chat-import: l.db: response $R: duration_ms 2.5 is not a whole number"
	cp logs.db l.db
	sqlite3 l.db "UPDATE responses SET datetime_utc = '1960-01-01T00:00:00' WHERE id = '$R'"
	refused l.db "chat-import: l.db: response $R: datetime_utc '1960-01-01T00:00:00' out of range (years 1970 to 9999)"
	[ "$(rows)" = '0|0|0' ]
}

@test "a conversation repeated in one file is imported once and reported as repeated" {
	jq -c '. + [.[0]]' "$FIX/claude.json" > dup.json
	run -0 --separate-stderr chat-import dup.json
	[ "${#lines[@]}" -eq 3 ]
	[ "$stderr" = 'chat-import: dup.json: conversation 4 ("Sourdough") repeats conversation 1 ("Sourdough"), imported once' ]
	[ "$(rows)" = '3|4|1' ]
	# with its branches: one line for the conversation
	jq -c '[.[0], .[1], .[0]]' "$FIX/chatgpt.json" > gdup.json
	run -0 --separate-stderr chat-import gdup.json
	[ "${#lines[@]}" -eq 4 ]
	[ "$stderr" = 'chat-import: gdup.json: conversation 3 ("Lisbon trip") repeats conversation 1 ("Lisbon trip"), imported once' ]
	# in the store already counts as that, not as a repeat
	run -0 --separate-stderr chat-import dup.json
	[ -z "$output" ]
	[ "$stderr" = 'chat-import: 3 sessions already in the store, skipped' ]
}

# The config's attach-max, in bytes; with no argument, none.
attach_max() {
	if [ $# -eq 0 ]; then rm -f "$XDG_CONFIG_HOME/confab/config"; return; fi
	printf '[defaults]\nattach-max = %s\n' "$1" | config
}

# A confab export of session "big" with one image attachment of $1 bytes,
# named big.png, from random bytes kept in big.bin.
big_file() {
	head -c "$1" /dev/urandom > big.bin
	{
		printf '{"type":"session","id":"b","name":"big","messages":[{"role":"user","content":"x","metadata":{"attachments":[{"type":"image","name":"big.png","mimeType":"image/png","data":"'
		base64 -w0 big.bin
		printf '"}]}}]}\n'
	} > big.json
}

@test "an attachment larger than attach-max (20 MiB unless configured) is refused by name" {
	big_file $((20 * 1024 * 1024 + 1))
	refused big.json 'chat-import: big.json: session 1 ("big"): message 1: attachment '\''big.png'\'' is 20971521 bytes, larger than attach-max (20 MiB)'
	attach_max 21M
	import big.json
	[ "$(store_sql 'SELECT size, length(content) FROM attachments')" = '20971521|20971521' ]
	# the bytes as they were
	store_blob out.bin 'FROM attachments'
	cmp big.bin out.bin
	# Claude's file text counts too
	attach_max 1k
	jq -c '.[0].chat_messages[0].attachments[0].extracted_content = ("x" * 1025)' "$FIX/claude.json" > c.json
	refused c.json 'chat-import: c.json: conversation 1 ("Sourdough"): message 1: attachment '\''recipe.txt'\'' is 1025 bytes, larger than attach-max (1 KiB)'
	for bad in 0 lots 2G 5X -1; do
		attach_max "$bad"
		run -7 --separate-stderr chat-import c.json
		[ "$stderr" = "chat-import: $XDG_CONFIG_HOME/confab/config: invalid attach-max '$bad': expected a size from 1 to 1G, such as 20M" ]
	done
}

@test "a large attachment is imported without holding it in memory" {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time to measure peak memory"
	big_file $((64 * 1024 * 1024))
	attach_max 100M
	run -0 --separate-stderr /usr/bin/time -f '%M' chat-import big.json
	# peak resident set in KiB, below the attachment's own size (the file
	# alone is 85 MiB): the old import held it four times over
	[ "${stderr_lines[-1]}" -lt 49152 ] || { echo "peak RSS ${stderr_lines[-1]} KiB"; return 1; }
	store_blob out.bin 'FROM attachments'
	cmp big.bin out.bin
}

@test "attachments read where they lie: from a pipe, an archive, beside a key named data elsewhere, bad base64" {
	big_file 300000
	want=$(sha256sum < big.bin)
	stored() {
		store_blob out.bin 'FROM attachments'
		[ "$(sha256sum < out.bin)" = "$want" ]
	}
	import < big.json
	stored
	CHAT_DB=$(fresh_store pipe)
	run -0 bash -c 'cat big.json | chat-import'
	stored
	CHAT_DB=$(fresh_store zip)
	zip -q big.zip big.json
	import big.zip
	stored
	# a long string under another key named data is a string, whole
	CHAT_DB=$(fresh_store other)
	base64 -w0 big.bin > b64
	jq -c --rawfile d b64 '.messages[0].metadata.data = $d | .messages[0].context = {"files": [{"data": $d}]}' big.json > other.json
	import other.json
	stored
	[ "$(chat-show --json big | jq -r .metadata.data)" = "$(cat b64)" ]
	[ "$(chat-show --json big | jq -r '.context.files[0].data')" = "$(cat b64)" ]
	# not base64, past where a short value would have been checked
	CHAT_DB=$(fresh_store bad)
	jq -c '.messages[0].metadata.attachments[0].data |= (.[:200000] + "!" + .[200001:])' big.json > bad.json
	refused bad.json 'chat-import: bad.json: session 1 ("big"): message 1: metadata.attachments[0].data is not base64'
}

@test "without libarchive: an archive is refused naming it, exit 1, nothing stored; JSON imports" {
	[ -x "$ROOT/bin/chat-export" ] || skip "chat-export is not built"
	varied_store
	chat-ls --all | chat-export -f json -o all.zip
	chat-ls --all --json | jq -r .id | while read -r id; do chat-export -f json "$id"; done > all.json
	want=$(count sessions)
	CHAT_DB=$(fresh_store other)
	so=libarchive.so.13
	run -1 --separate-stderr without_lib $so chat-import all.zip
	one_error chat-import
	[[ $stderr == "chat-import: all.zip: archive import needs $so (install "*"): $BATS_TEST_TMPDIR/nolib/$so/$so: file too short" ]]
	[ ! -e "$CHAT_DB" ] || [ "$(count sessions)" -eq 0 ]
	run -0 without_lib $so chat-import all.json
	[ "$(count sessions)" -eq "$want" ]
}
