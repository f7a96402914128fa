#!/usr/bin/env bats
# chat-serve's messages: a session's messages by page (last, before, after,
# limit, more; JSON lines with X-More), rendered with ?html=1, and one
# message read, edited with its history, reverted, reacted to, noted and
# deleted, each change what chat-edit, chat-react, chat-note and chat-rm
# --message make of it, seen by those programs and by chat-show and chat-ls;
# every refusal its status, and nothing changed.

load helper
load serve

setup() {
	common_setup
	export USER=alice
	ME=$(store_user)
	S=$(new_session --name m -p echo)
	M1=$(chat-add -s "$S" "first words, since 1857" | jq -r .id)
	M2=$(chat-add -s "$S" -r assistant "a reply" | jq -r .id)
	serve_start
}

# SIGTERM, so a sanitizer's report (CHAT_SERVE=build/asan/chat-serve)
# fails the test
teardown() {
	serve_stop
}

# call METHOD PATH [curl args...]: the body in $body, the status in
# $API_STATUS (api's, kept: no subshell).
call() {
	api "$@" > "$BATS_TEST_TMPDIR/body" || true
	body=$(< "$BATS_TEST_TMPDIR/body")
}

# send METHOD PATH JSON [curl args...]
send() {
	local m=$1 p=$2 j=$3
	shift 3
	call "$m" "$p" -H 'Content-Type: application/json' --data-binary "$j" "$@"
}

# refused STATUS: the last call's status and error body, one line of
# message; the store as it was ($before, a dump).
refused() {
	[ "$API_STATUS" = "$1" ]
	[ "$(jq -r '[.type, .status] | join(" ")' <<< "$body")" = "error $1" ]
	[ "$(jq -r .message <<< "$body" | wc -l)" -eq 1 ]
	[ -n "$(jq -r .message <<< "$body")" ]
	if [ -n "${before-}" ]; then
		[ "$(store_dump)" = "$before" ]
	fi
}

uri() { jq -rn --arg s "$1" '$s | @uri'; }

ids_in_order() {
	store_sql "SELECT id FROM messages WHERE session_id = '$1' ORDER BY seq"
}

# ---- GET /api/chat/sessions/:id/messages ----

@test "a session's messages: chat-show's records in order, each with its seq" {
	call GET "/api/chat/sessions/$S/messages"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.type, .more, (.messages | length)]' <<< "$body")" = '["messages",false,2]' ]
	[ "$(jq -r '.messages[].id' <<< "$body")" = "$(ids_in_order "$S")" ]
	[ "$(jq -c '[.messages[].seq]' <<< "$body")" = '[1,2]' ]
	# the records are chat-show --json's, seq added, no html unless asked
	[ "$(jq -c '.messages[] | del(.seq)' <<< "$body")" = "$(chat-show --json "$S" | jq -c 'select(.type == "message")')" ]
	[ "$(jq '[.messages[] | has("html")] | any' <<< "$body")" = false ]
	# by name and by id prefix, as the programs name sessions
	call GET "/api/chat/sessions/m/messages"
	[ "$API_STATUS" = 200 ]
	[ "$(jq '.messages | length' <<< "$body")" = 2 ]
	call GET "/api/chat/sessions/${S:0:13}/messages"
	[ "$API_STATUS" = 200 ]
	[ "$(jq '.messages | length' <<< "$body")" = 2 ]
	# an empty session
	E=$(new_session --name empty)
	call GET "/api/chat/sessions/$E/messages"
	[ "$(jq -c '[.messages, .more]' <<< "$body")" = '[[],false]' ]
}

@test "250 messages paged forward with after and back with before: no gaps, no duplicates, more until the end" {
	T=$(new_session --name long)
	for i in $(seq 1 250); do
		printf '{"role":"%s","content":"message %d"}\n' "$([ $((i % 2)) = 1 ] && echo user || echo assistant)" "$i"
	done | chat-add --records -s "$T" > /dev/null
	want=$(ids_in_order "$T")
	[ "$(wc -l <<< "$want")" -eq 250 ]

	# forward: the first page, then after the last id each time
	got=() mores="" after=""
	while :; do
		call GET "/api/chat/sessions/$T/messages?limit=100${after:+&after=$after}"
		[ "$API_STATUS" = 200 ]
		mapfile -t -O "${#got[@]}" got < <(jq -r '.messages[].id' <<< "$body")
		[ "$(jq '[.messages[].seq] | . == sort' <<< "$body")" = true ]
		mores+="$(jq -r .more <<< "$body") "
		after=$(jq -r '.messages[-1].id' <<< "$body")
		[ "$(jq -r .more <<< "$body")" = true ] || break
	done
	[ "$mores" = "true true false " ]
	[ "$(printf '%s\n' "${got[@]}")" = "$want" ]

	# back: the last 100, then before the first one each time
	got=() mores="" q="last=100"
	while :; do
		call GET "/api/chat/sessions/$T/messages?$q"
		[ "$API_STATUS" = 200 ]
		mapfile -t page < <(jq -r '.messages[].id' <<< "$body")
		got=("${page[@]}" "${got[@]}")
		mores+="$(jq -r .more <<< "$body") "
		q="limit=100&before=$(jq -r '.messages[0].id' <<< "$body")"
		[ "$(jq -r .more <<< "$body")" = true ] || break
	done
	[ "$mores" = "true true false " ]
	[ "$(printf '%s\n' "${got[@]}")" = "$want" ]
	[ "$(printf '%s\n' "${got[@]}" | sort -u | wc -l)" -eq 250 ]

	# the default page is the first 100; limit up to 1000
	call GET "/api/chat/sessions/$T/messages"
	[ "$(jq -c '[(.messages | length), .more, .messages[0].content]' <<< "$body")" = '[100,true,"message 1"]' ]
	call GET "/api/chat/sessions/$T/messages?limit=1000"
	[ "$(jq -c '[(.messages | length), .more]' <<< "$body")" = '[250,false]' ]
	call GET "/api/chat/sessions/$T/messages?limit=250"
	[ "$(jq -c '[(.messages | length), .more]' <<< "$body")" = '[250,false]' ]
	call GET "/api/chat/sessions/$T/messages?limit=249"
	[ "$(jq -c '[(.messages | length), .more]' <<< "$body")" = '[249,true]' ]
	# last=N: the last N in order
	call GET "/api/chat/sessions/$T/messages?last=3"
	[ "$(jq -c '[[.messages[].content], .more]' <<< "$body")" = '[["message 248","message 249","message 250"],true]' ]
	# after and before together: the messages between them
	a=$(sed -n 10p <<< "$want") b=$(sed -n 14p <<< "$want")
	call GET "/api/chat/sessions/$T/messages?after=$a&before=$b"
	[ "$(jq -c '[[.messages[].content], .more]' <<< "$body")" = '[["message 11","message 12","message 13"],false]' ]
	call GET "/api/chat/sessions/$T/messages?after=$a&before=$b&limit=2"
	[ "$(jq -c '[[.messages[].content], .more]' <<< "$body")" = '[["message 11","message 12"],true]' ]
	# after the last message: nothing more
	call GET "/api/chat/sessions/$T/messages?after=$(tail -1 <<< "$want")"
	[ "$(jq -c '[.messages, .more]' <<< "$body")" = '[[],false]' ]
	# a unique prefix of an id within the session will do
	call GET "/api/chat/sessions/$T/messages?limit=1&after=${a:0:30}"
	[ "$(jq -r '.messages[0].content' <<< "$body")" = "message 11" ]
}

@test "JSON lines: one record a line, more in X-More" {
	call GET "/api/chat/sessions/$S/messages?limit=1" -H 'Accept: application/x-ndjson' -D "$BATS_TEST_TMPDIR/h"
	[ "$API_STATUS" = 200 ]
	[ "$(wc -l <<< "$body")" -eq 1 ]
	[ "$(jq -r '[.type, .id, .seq] | join(" ")' <<< "$body")" = "message $M1 1" ]
	grep -qi '^content-type: application/x-ndjson' "$BATS_TEST_TMPDIR/h"
	grep -qi '^x-more: true' "$BATS_TEST_TMPDIR/h"
	call GET "/api/chat/sessions/$S/messages" -H 'Accept: application/x-ndjson' -D "$BATS_TEST_TMPDIR/h"
	[ "$(jq -r .id <<< "$body")" = "$(ids_in_order "$S")" ]
	grep -qi '^x-more: false' "$BATS_TEST_TMPDIR/h"
}

@test "?html=1: content rendered as sanitized HTML, a <script> in it escaped" {
	X=$(chat-add -s "$S" 'look: <script>alert(1)</script> and **bold**' | jq -r .id)
	call GET "/api/chat/sessions/$S/messages?html=1"
	[ "$API_STATUS" = 200 ]
	[ "$(jq '[.messages[] | has("html")] | all' <<< "$body")" = true ]
	h=$(jq -r ".messages[] | select(.id == \"$X\") | .html" <<< "$body")
	[[ "$h" == *"&lt;script&gt;"* ]]
	[[ "$h" != *"<script"* ]]
	# the content itself is untouched
	[ "$(jq -r ".messages[] | select(.id == \"$X\") | .content" <<< "$body")" = 'look: <script>alert(1)</script> and **bold**' ]
	# one message too
	call GET "/api/chat/messages/$X?html=1"
	[ "$(jq -r .html <<< "$body")" = "$h" ]
	call GET "/api/chat/messages/$X?html=0"
	[ "$(jq 'has("html")' <<< "$body")" = false ]
	call GET "/api/chat/sessions/$S/messages?html=yes"
	refused 400
	[[ "$(jq -r .message <<< "$body")" == *html* ]]
}

@test "paging refusals: bad numbers 400, unknown session or message 404, ambiguous 409" {
	for q in limit=0 limit=1001 limit=x limit= last=0 last=1001 last=-1 'last=2.5'; do
		call GET "/api/chat/sessions/$S/messages?$q"
		refused 400
		[[ "$(jq -r .message <<< "$body")" == *"${q%%=*}"* ]]
	done
	call GET "/api/chat/sessions/nosuchsession/messages"
	refused 404
	call GET "/api/chat/sessions/$S/messages?after=ffffffff"
	refused 404
	call GET "/api/chat/sessions/$S/messages?before="
	refused 400
	# a message of another session is not in this one
	T=$(new_session --name other)
	O=$(chat-add -s "$T" "elsewhere" | jq -r .id)
	call GET "/api/chat/sessions/$S/messages?before=$O"
	refused 404
	# two sessions of one name
	new_session --name twin > /dev/null
	new_session --name twin > /dev/null
	call GET "/api/chat/sessions/twin/messages"
	refused 409
	# a prefix two messages of the session share
	p=$(common_prefix "$M1" "$M2")
	if [ "${#p}" -ge 4 ]; then
		call GET "/api/chat/sessions/$S/messages?after=$p"
		refused 409
	fi
}

# ---- one message ----

@test "GET a message by id or prefix, with its seq; unknown 404, ambiguous 409" {
	call GET "/api/chat/messages/$M2"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c 'del(.seq)' <<< "$body")" = "$(chat-show --json "$S" | jq -c "select(.id == \"$M2\")")" ]
	[ "$(jq .seq <<< "$body")" = 2 ]
	call GET "/api/chat/messages/${M2:0:30}"
	[ "$(jq -r .id <<< "$body")" = "$M2" ]
	call GET "/api/chat/messages/00000000-0000-0000-0000-000000000000"
	refused 404
	call GET "/api/chat/messages/abc"
	refused 404
	p=$(common_prefix "$M1" "$M2")
	if [ "${#p}" -ge 4 ]; then
		call GET "/api/chat/messages/$p"
		refused 409
	fi
}

@test "PUT a message's content: edited with its history, as chat-edit, by the config's user" {
	send PUT "/api/chat/messages/$M1" '{"content":"better words"}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.id, .content, .seq, (.metadata.edits | map(.content))]' <<< "$body")" = "[\"$M1\",\"better words\",1,[\"first words, since 1857\"]]" ]
	[ "$(chat-show --json "$S" | jq -r "select(.id == \"$M1\") | .content")" = "better words" ]
	run -0 chat-edit --history "$M1"
	[ "$(jq -sc 'map([.version, .current, .content, .replacedBy])' <<< "$output")" = "[[1,false,\"first words, since 1857\",\"$ME\"],[2,true,\"better words\",null]]" ]
	# exactly the text given: its newlines are kept
	send PUT "/api/chat/messages/$M1" '{"content":"two\nlines\n"}'
	[ "$(jq -c .content <<< "$body")" = '"two\nlines\n"' ]
	# the same text changes nothing
	before=$(store_dump)
	send PUT "/api/chat/messages/${M1:0:30}" '{"content":"two\nlines\n"}'
	[ "$API_STATUS" = 200 ]
	[ "$(store_dump)" = "$before" ]
	# full-text search follows
	[ "$(chat-ls --search 'lines' | jq -r .id)" = "$S" ]
}

@test "PUT refusals: no content, wrong type, bad JSON, empty text 400; unknown 404; a reply still arriving 409" {
	before=$(store_dump)
	send PUT "/api/chat/messages/$M1" '{}'
	refused 400
	[[ "$(jq -r .message <<< "$body")" == *content* ]]
	send PUT "/api/chat/messages/$M1" '{"content":5}'
	refused 400
	[[ "$(jq -r .message <<< "$body")" == *content* ]]
	send PUT "/api/chat/messages/$M1" '{"content":'
	refused 400
	send PUT "/api/chat/messages/$M1" '["content"]'
	refused 400
	send PUT "/api/chat/messages/$M1" '{"content":""}'
	refused 400
	send PUT "/api/chat/messages/ffffffff" '{"content":"x"}'
	refused 404
	store_sql "UPDATE messages SET pending = 'host:1:1' WHERE id = '$M2'"
	before=$(store_dump)
	send PUT "/api/chat/messages/$M2" '{"content":"x"}'
	refused 409
	[[ "$(jq -r .message <<< "$body")" == *"still arriving"* ]]
}

@test "edits and revert: the versions chat-edit --history lists; a version back, recorded as an edit" {
	chat-edit "$M1" 'version two' > /dev/null
	call GET "/api/chat/messages/$M1/edits"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r .type <<< "$body")" = versions ]
	[ "$(jq -c '.versions' <<< "$body")" = "$(chat-edit --history "$M1" | jq -sc .)" ]
	send POST "/api/chat/messages/$M1/revert" '{"version":1}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.content, (.metadata.edits | map(.content))]' <<< "$body")" = '["first words, since 1857",["first words, since 1857","version two"]]' ]
	[ "$(chat-edit --history "$M1" | wc -l)" -eq 3 ]
	call GET "/api/chat/messages/$M1/edits" -H 'Accept: application/x-ndjson'
	[ "$(wc -l <<< "$body")" -eq 3 ]
	# refusals, nothing changed
	before=$(store_dump)
	for j in '{"version":9}' '{"version":0}' '{"version":1.5}' '{"version":"1"}' '{}' 'x'; do
		send POST "/api/chat/messages/$M1/revert" "$j"
		refused 400
	done
	send POST "/api/chat/messages/$M1/revert" '{"version":9}'
	[[ "$(jq -r .message <<< "$body")" == "invalid version 9"* ]]
	send POST "/api/chat/messages/ffffffff/revert" '{"version":1}'
	refused 404
	call GET "/api/chat/messages/ffffffff/edits"
	refused 404
}

@test "reactions: put on once per user, taken off by body or ?emoji=, seen by chat-show; not one emoji 400" {
	send POST "/api/chat/messages/$M2/reactions" '{"emoji":"👍"}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.id, (.metadata.reactions | map([.emoji, .user]))]' <<< "$body")" = "[\"$M2\",[[\"👍\",\"$ME\"]]]" ]
	[ "$(jq .seq <<< "$body")" = 2 ]
	run -0 on_tty chat-show --plain m
	[[ "$output" == *"👍 1"* ]]
	# twice is once
	before=$(store_dump)
	send POST "/api/chat/messages/$M2/reactions" '{"emoji":"👍"}'
	[ "$API_STATUS" = 200 ]
	[ "$(store_dump)" = "$before" ]
	send POST "/api/chat/messages/$M2/reactions" '{"emoji":"👩‍💻"}'
	[ "$(jq -c '.metadata.reactions | map(.emoji)' <<< "$body")" = '["👍","👩‍💻"]' ]
	# off by the query, then by the body
	call DELETE "/api/chat/messages/$M2/reactions?emoji=$(uri 👍)"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '.metadata.reactions | map(.emoji)' <<< "$body")" = '["👩‍💻"]' ]
	send DELETE "/api/chat/messages/$M2/reactions" '{"emoji":"👩‍💻"}'
	[ "$(jq -c '.metadata.reactions' <<< "$body")" = '[]' ]
	[ "$(chat-show --json m | jq -c "select(.id == \"$M2\") | .metadata.reactions")" = '[]' ]
	# refusals
	before=$(store_dump)
	for j in '{"emoji":"abc"}' '{"emoji":"👍👍"}' '{"emoji":""}' '{"emoji":1}' '{}' '{'; do
		send POST "/api/chat/messages/$M2/reactions" "$j"
		refused 400
	done
	send POST "/api/chat/messages/$M2/reactions" '{"emoji":"abc"}'
	[ "$(jq -r .message <<< "$body")" = "invalid reaction 'abc': expected one emoji" ]
	call DELETE "/api/chat/messages/$M2/reactions?emoji=x"
	refused 400
	send POST "/api/chat/messages/ffffffff/reactions" '{"emoji":"👍"}'
	refused 404
	store_sql "UPDATE messages SET pending = 'host:1:1' WHERE id = '$M2'"
	before=$(store_dump)
	send POST "/api/chat/messages/$M2/reactions" '{"emoji":"👍"}'
	refused 409
}

@test "notes: added with a quote, listed as chat-note --ls lists them, shown by chat-show, removed by ?note=" {
	send POST "/api/chat/messages/$M1/notes" '{"text":"check the year","quote":"since 1857"}'
	[ "$API_STATUS" = 201 ]
	[ "$(jq -c '[.type, .messageId, .author, .text, .quote]' <<< "$body")" = "[\"note\",\"$M1\",\"$ME\",\"check the year\",\"since 1857\"]" ]
	N=$(jq -r .id <<< "$body")
	send POST "/api/chat/messages/$M1/notes" '{"text":"second","quote":null}'
	[ "$API_STATUS" = 201 ]
	[ "$(jq 'has("quote")' <<< "$body")" = false ]
	call GET "/api/chat/messages/$M1/notes"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.type, (.notes | map(.text))]' <<< "$body")" = '["notes",["check the year","second"]]' ]
	[ "$(jq -c .notes <<< "$body")" = "$(chat-note --ls "$M1" | jq -sc .)" ]
	NO_COLOR=1 run -0 on_tty chat-show --plain m
	[[ "$output" == *"note ($ME, "* ]]
	[[ "$output" == *"on “since 1857”"* ]]
	# removed by its id or a prefix
	call DELETE "/api/chat/messages/$M1/notes?note=${N:0:30}"
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r .id <<< "$body")" = "$N" ]
	[ "$(chat-note --ls "$M1" | jq -sc 'map(.text)')" = '["second"]' ]
	call GET "/api/chat/messages/$M2/notes"
	[ "$(jq -c .notes <<< "$body")" = '[]' ]
}

@test "note refusals: no text, wrong types, a quote not in the message, too long 400; unknown 404" {
	before=$(store_dump)
	for j in '{}' '{"text":5}' '{"text":""}' '{"text":"  "}' '{"text":"x","quote":3}' '{"text":"x","quote":""}' '{"text":"x","quote":"since 1858"}' 'nope'; do
		send POST "/api/chat/messages/$M1/notes" "$j"
		refused 400
	done
	send POST "/api/chat/messages/$M1/notes" '{"text":"x","quote":"since 1858"}'
	[ "$(jq -r .message <<< "$body")" = "quote 'since 1858' is not in message '$M1'; nothing changed" ]
	send POST "/api/chat/messages/$M1/notes" '{"text":5}'
	[[ "$(jq -r .message <<< "$body")" == *text* ]]
	jq -n '{text: ("a" * 65537)}' > "$BATS_TEST_TMPDIR/long.json"
	call POST "/api/chat/messages/$M1/notes" -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/long.json"
	refused 400
	send POST "/api/chat/messages/ffffffff/notes" '{"text":"x"}'
	refused 404
	call GET "/api/chat/messages/ffffffff/notes"
	refused 404
	call DELETE "/api/chat/messages/$M1/notes"
	refused 400
	call DELETE "/api/chat/messages/$M1/notes?note=abcd1234"
	refused 404
}

@test "DELETE a message: 204, gone for chat-show, the session's counts true for chat-ls" {
	M3=$(chat-add -s "$S" -m x --tokens 7 "third" | jq -r .id)
	[ "$(chat-ls --json | jq ".metadata.messageCount")" = 3 ]
	call DELETE "/api/chat/messages/$M2"
	[ "$API_STATUS" = 204 ]
	[ -z "$body" ]
	[ "$(chat-ls --json | jq ".metadata.messageCount")" = 2 ]
	[ "$(chat-show --json "$S" | jq -r 'select(.type == "message") | .id')" = "$M1"$'\n'"$M3" ]
	call GET "/api/chat/messages/$M2"
	refused 404
	before=$(store_dump)
	call DELETE "/api/chat/messages/$M2"
	refused 404
	# the list's seq keeps each message's place
	call GET "/api/chat/sessions/$S/messages"
	[ "$(jq -c '[.messages[].seq]' <<< "$body")" = '[1,3]' ]
	# a reply still arriving is not deleted
	store_sql "UPDATE messages SET pending = 'host:1:1' WHERE id = '$M3'"
	before=$(store_dump)
	call DELETE "/api/chat/messages/$M3"
	refused 409
}

