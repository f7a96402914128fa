#!/usr/bin/env bats
# chat-serve's sessions: GET /api/chat/sessions with chat-ls's filters, q,
# limit and cursors (JSON and JSON lines), POST (chat-new), GET, PUT
# (chat-set), DELETE, branch and duplicate; every error status; the API
# and the command line seeing each other's changes.

load helper
load serve

setup() {
	common_setup
}

# SIGTERM, so that under CHAT_SERVE=build/asan/chat-serve its report at
# exit (leaks included) fails the test
teardown() {
	serve_stop
}

set_updated() {
	local ms=$(( $(date -ud "$2" +%s) * 1000 ))
	store_sql "UPDATE sessions SET last_updated = $ms WHERE id = '$1'"
}

# The records of a listing (GET with curl's -G arguments), one a line.
api_ls() {
	api GET /api/chat/sessions -G "$@" > "$BATS_TEST_TMPDIR/ls.json"
	[ "$API_STATUS" = 200 ] || { echo "status $API_STATUS" >&2; cat "$BATS_TEST_TMPDIR/ls.json" >&2; return 1; }
	jq -c '.sessions[]' "$BATS_TEST_TMPDIR/ls.json"
}

# api, keeping API_STATUS: the body in $output.
call() {
	api "$@" > "$BATS_TEST_TMPDIR/out"
	output=$(cat "$BATS_TEST_TMPDIR/out")
}

cli_ls() {
	chat-ls --json "$@" | jq -c .
}

# The API's listing for curl arguments $1 (one string, split on spaces:
# -G --data-urlencode pairs) must be chat-ls's for the options after --.
same_as_cli() {
	local api_args=() cli_args=()
	while [ "$1" != -- ]; do api_args+=("$1"); shift; done
	shift
	cli_args=("$@")
	local a c
	a=$(api_ls "${api_args[@]}") || return 1
	c=$(cli_ls "${cli_args[@]}")
	if [ "$a" != "$c" ]; then
		echo "API: $a" >&2
		echo "CLI: $c" >&2
		return 1
	fi
}

# An error response: status, type and a message containing $2.
is_error() {
	[ "$API_STATUS" = "$1" ] || { echo "status $API_STATUS, not $1: $output" >&2; return 1; }
	[ "$(jq -r .type <<< "$output")" = error ]
	[ "$(jq -r .status <<< "$output")" = "$1" ]
	[[ "$(jq -r .message <<< "$output")" == *"$2"* ]] ||
		{ echo "message: $(jq -r .message <<< "$output")" >&2; return 1; }
}

@test "the listing is chat-ls's records in an envelope, next null on the last page" {
	new_session --name a -t x >/dev/null
	new_session --name b >/dev/null
	serve_start
	call GET /api/chat/sessions
	api GET /api/chat/sessions > /dev/null
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c 'keys_unsorted' <<< "$output")" = '["type","sessions","next"]' ]
	[ "$(jq -r .type <<< "$output")" = sessions ]
	[ "$(jq -r .next <<< "$output")" = null ]
	same_as_cli --
}

@test "an empty store lists nothing" {
	serve_start
	call GET /api/chat/sessions
	[ "$output" = '{"type":"sessions","sessions":[],"next":null}' ]
	call GET /api/chat/sessions -H 'Accept: application/x-ndjson'
	[ "$API_STATUS" = 200 ]
	[ -z "$output" ]
}

@test "every filter gives what chat-ls gives with the same option" {
	s1=$(new_session --name none -p echo -m m1)
	s2=$(new_session --name work -t work -p echo -m m2)
	s3=$(new_session --name both -t work -t urgent)
	s4=$(new_session --name urgent -t urgent)
	s5=$(new_session --name old -t work)
	chat-set --star both urgent > /dev/null
	chat-set --archive old > /dev/null
	b1=$(chat-branch --name kid work | jq -r .id)
	chat-add -s "$s1" "the zebra crossing" > /dev/null
	chat-add -s "$s4" "a zebra and a lion" > /dev/null
	chat-add -s "$s5" "zebra archived" > /dev/null
	set_updated "$s1" '2026-01-10T00:00:00Z'
	set_updated "$s2" '2026-02-10T00:00:00Z'
	set_updated "$s3" '2026-03-10T00:00:00Z'
	set_updated "$s4" '2026-04-10T12:00:00Z'
	set_updated "$s5" '2026-05-10T00:00:00Z'
	set_updated "$b1" '2026-06-10T00:00:00Z'
	serve_start
	same_as_cli --
	same_as_cli --data-urlencode tag=work -- -t work
	same_as_cli --data-urlencode tag=work --data-urlencode tag=urgent -- -t work -t urgent
	[ "$(api_ls --data-urlencode tag=work --data-urlencode tag=urgent | jq -r .name)" = both ]
	same_as_cli --data-urlencode provider=echo -- -p echo
	same_as_cli --data-urlencode model=m2 -- -m m2
	[ "$(api_ls --data-urlencode model=m2 | jq -r .name | sort | tr '\n' ' ')" = "kid work " ]
	same_as_cli --data-urlencode starred=1 -- --starred
	[ "$(api_ls --data-urlencode starred=1 | jq -r .name | sort | tr '\n' ' ')" = "both urgent " ]
	same_as_cli --data-urlencode starred=0 --
	same_as_cli --data-urlencode archived=0 --
	same_as_cli --data-urlencode archived=1 -- --archived
	[ "$(api_ls --data-urlencode archived=1 | jq -r .name)" = old ]
	same_as_cli --data-urlencode archived=all -- --all
	[ "$(api_ls --data-urlencode archived=all | wc -l)" = 6 ]
	same_as_cli --data-urlencode since=2026-03-01 -- --since 2026-03-01
	same_as_cli --data-urlencode until=2026-04-10 -- --until 2026-04-10
	[ "$(api_ls --data-urlencode until=2026-04-10 | jq -r .name | head -1)" = urgent ]
	same_as_cli --data-urlencode since=2026-02-10T00:00:00Z --data-urlencode until=2026-03-10T00:00:00Z \
		-- --since 2026-02-10T00:00:00Z --until 2026-03-10T00:00:00Z
	[ "$(api_ls --data-urlencode since=1d | wc -l)" = 0 ]
	same_as_cli --data-urlencode since=400w -- --since 400w
	same_as_cli --data-urlencode parent=work -- --parent work
	[ "$(api_ls --data-urlencode parent="${s2:0:32}" | jq -r .id)" = "$b1" ]
	same_as_cli --data-urlencode q=zebra -- --search zebra
	[ "$(api_ls --data-urlencode q=zebra | jq -r '.match.snippet' | head -1)" = 'a **zebra** and a lion' ]
	[ "$(api_ls --data-urlencode q=zebra | jq -r '.match.messageId' | wc -l)" = 2 ]
	same_as_cli --data-urlencode 'q=zebra lion' -- --search 'zebra lion'
	same_as_cli --data-urlencode q=zebra --data-urlencode archived=all -- --search zebra --all
	same_as_cli --data-urlencode q=urgent -- --search urgent
	# an emptied search box lists everything
	same_as_cli --data-urlencode q= --
	same_as_cli --data-urlencode limit=2 -- --limit 2
	same_as_cli --data-urlencode tag=work --data-urlencode archived=all --data-urlencode limit=2 \
		-- -t work --all --limit 2
}

@test "limit: 50 by default, at most 1000" {
	chat-new > /dev/null
	for i in $(seq 1 52); do chat-new --name "s$i" > /dev/null; done
	serve_start
	[ "$(api_ls | wc -l)" = 50 ]
	[ "$(jq -r .next "$BATS_TEST_TMPDIR/ls.json")" != null ]
	[ "$(api_ls --data-urlencode limit=1000 | wc -l)" = 53 ]
	[ "$(jq -r .next "$BATS_TEST_TMPDIR/ls.json")" = null ]
	# exactly a page full: no next
	[ "$(api_ls --data-urlencode limit=53 | wc -l)" = 53 ]
	[ "$(jq -r .next "$BATS_TEST_TMPDIR/ls.json")" = null ]
	[ "$(api_ls --data-urlencode limit=52 | wc -l)" = 52 ]
	[ "$(jq -r .next "$BATS_TEST_TMPDIR/ls.json")" != null ]
	for bad in 0 1001 -1 x 1.5 ''; do
		call GET "/api/chat/sessions?limit=$bad"
		is_error 400 "invalid limit '$bad'"
	done
}

# Pages through the listing with curl arguments "$@" and limit $PAGE,
# printing the ids in order; the pages' count in $BATS_TEST_TMPDIR/pages.
page_all() {
	local cursor= pages=0 out
	while :; do
		local extra=()
		[ -z "$cursor" ] || extra=(--data-urlencode "cursor=$cursor")
		api GET /api/chat/sessions -G --data-urlencode "limit=$PAGE" "$@" "${extra[@]}" > "$BATS_TEST_TMPDIR/page"
		out=$(cat "$BATS_TEST_TMPDIR/page")
		[ "$API_STATUS" = 200 ] || { echo "status $API_STATUS: $out" >&2; return 1; }
		jq -r '.sessions[].id' <<< "$out"
		pages=$((pages + 1))
		cursor=$(jq -r '.next // empty' <<< "$out")
		[ -n "$cursor" ] || break
		[ "$pages" -lt 100 ] || { echo "no end" >&2; return 1; }
	done
	echo "$pages" > "$BATS_TEST_TMPDIR/pages"
}

@test "paging with the cursor gives every session once, in chat-ls's order, ties of lastUpdated included" {
	for i in $(seq 1 23); do chat-new --name "s$i" -t t > /dev/null; done
	for i in $(seq 1 5); do chat-new --name "u$i" > /dev/null; done
	# three groups with one lastUpdated each, and one alone
	store_sql "UPDATE sessions SET last_updated = 1767225600000 WHERE n % 3 = 0;
		UPDATE sessions SET last_updated = 1767225600001 WHERE n % 3 = 1;
		UPDATE sessions SET last_updated = 1767225599999 WHERE n % 3 = 2;
		UPDATE sessions SET last_updated = 1767225700000 WHERE n = 7"
	[ "$(store_sql "SELECT count(DISTINCT last_updated) FROM sessions")" = 4 ]
	serve_start
	chat-ls --json | jq -r .id > "$BATS_TEST_TMPDIR/want"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/want")" = 28 ]
	for PAGE in 1 2 4 5 7 28 50; do
		page_all > "$BATS_TEST_TMPDIR/got"
		diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
		[ "$(sort -u "$BATS_TEST_TMPDIR/got" | wc -l)" = 28 ]
		[ "$(cat "$BATS_TEST_TMPDIR/pages")" = $(( (28 + PAGE - 1) / PAGE )) ]
	done
	# with a filter
	chat-ls --json -t t | jq -r .id > "$BATS_TEST_TMPDIR/want"
	PAGE=4 page_all --data-urlencode tag=t > "$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/got")" = 23 ]
}

@test "paging through a search keeps its order and its matches" {
	for i in $(seq 1 9); do
		s=$(chat-new --name "s$i" | jq -r .id)
		chat-add -s "$s" "needle number $i" > /dev/null
	done
	store_sql "UPDATE sessions SET last_updated = 1767225600000 WHERE n % 2 = 0"
	serve_start
	chat-ls --json --search needle | jq -r .id > "$BATS_TEST_TMPDIR/want"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/want")" = 9 ]
	PAGE=2 page_all --data-urlencode q=needle > "$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	[ "$(cat "$BATS_TEST_TMPDIR/pages")" = 5 ]
}

@test "a cursor from an earlier page still works after sessions are added and changed" {
	for i in $(seq 1 6); do chat-new --name "s$i" > /dev/null; done
	serve_start
	out=$(api GET '/api/chat/sessions?limit=3')
	cursor=$(jq -r .next <<< "$out")
	first=$(jq -r '.sessions[].name' <<< "$out" | tr '\n' ' ')
	[ "$first" = "s6 s5 s4 " ]
	# newer sessions go to the top, not into the next page
	chat-new --name s7 > /dev/null
	api POST /api/chat/sessions -d '{"name":"s8"}' > /dev/null
	out=$(api GET /api/chat/sessions -G --data-urlencode limit=3 --data-urlencode "cursor=$cursor")
	[ "$(jq -r '.sessions[].name' <<< "$out" | tr '\n' ' ')" = "s3 s2 s1 " ]
	[ "$(jq -r .next <<< "$out")" = null ]
}

@test "JSON lines: one record a line, the cursor in X-Next-Cursor" {
	for i in $(seq 1 5); do chat-new --name "s$i" > /dev/null; done
	serve_start
	h=$BATS_TEST_TMPDIR/h
	call GET '/api/chat/sessions?limit=2' -H 'Accept: application/x-ndjson' -D "$h"
	[ "$API_STATUS" = 200 ]
	grep -qi '^content-type: application/x-ndjson' "$h"
	[ "${#output}" -gt 0 ]
	[ "$(wc -l <<< "$output")" = 2 ]
	[ "$(jq -r .name <<< "$output" | tr '\n' ' ')" = "s5 s4 " ]
	[ "$output" = "$(chat-ls --json --limit 2)" ]
	cursor=$(sed -n 's/^[Xx]-[Nn]ext-[Cc]ursor: *//p' "$h" | tr -d '\r')
	[ -n "$cursor" ]
	# the same cursor the JSON form gives
	[ "$(api GET '/api/chat/sessions?limit=2' | jq -r .next)" = "$cursor" ]
	all=$output
	while [ -n "$cursor" ]; do
		call GET /api/chat/sessions -G --data-urlencode limit=2 --data-urlencode "cursor=$cursor" \
			-H 'Accept: application/x-ndjson' -D "$h"
		[ "$API_STATUS" = 200 ]
		all+=$'\n'$output
		cursor=$(sed -n 's/^[Xx]-[Nn]ext-[Cc]ursor: *//p' "$h" | tr -d '\r')
	done
	[ "$all" = "$(chat-ls --json)" ]
	! grep -qi '^x-next-cursor' "$h"
	grep -qi '^content-type: application/x-ndjson' "$h"
}

@test "bad parameters and cursors are 400 naming them" {
	a=$(new_session --name a)
	serve_start
	for c in bogus 12 12_ _12 12_0 12_-3 12_3x x_3 '12_3_4' 1.5_3; do
		call GET /api/chat/sessions -G --data-urlencode "cursor=$c"
		is_error 400 "invalid cursor '$c'"
	done
	call GET '/api/chat/sessions?colour=red'
	is_error 400 "unknown parameter 'colour'"
	call GET '/api/chat/sessions?provider=a&provider=b'
	is_error 400 "parameter 'provider' given twice"
	call GET '/api/chat/sessions?since=yesterdayish'
	is_error 400 "invalid since 'yesterdayish'"
	call GET '/api/chat/sessions?until=2026-13-45'
	is_error 400 "invalid until '2026-13-45'"
	call GET '/api/chat/sessions?archived=maybe'
	is_error 400 "invalid archived 'maybe'"
	call GET '/api/chat/sessions?starred=yes'
	is_error 400 "invalid starred 'yes'"
	call GET '/api/chat/sessions?tag='
	is_error 400 "invalid tag"
	call GET /api/chat/sessions -G --data-urlencode 'q="open'
	is_error 400 "invalid q '\"open': a double quote is not closed"
	call GET /api/chat/sessions -G --data-urlencode 'parent=nosuch'
	is_error 404 "nosuch"
	new_session --name twin > /dev/null
	new_session --name twin > /dev/null
	call GET /api/chat/sessions -G --data-urlencode 'parent=twin'
	is_error 409 "ambiguous"
	# a good request still works after all that
	[ "$(api_ls | wc -l)" = 3 ]
}

@test "POST makes a session as chat-new does, with the config's defaults, and chat-ls lists it" {
	config <<-EOF
		[defaults]
		provider = echo
		tags = fromconfig
		max-tokens = 777
	EOF
	serve_start
	call POST /api/chat/sessions -d '{"name":"api one","model":"m9","systemPrompt":"be brief","temperature":0.7,"maxTokens":1234,"contextWindow":5,"tags":["a","b"],"autoContext":true,"sendHistory":true}'
	[ "$API_STATUS" = 201 ]
	[ "$(jq -r .type <<< "$output")" = session ]
	id=$(jq -r .id <<< "$output")
	[ "$(jq -c '[.name, .provider, .model, .settings.systemPrompt, .settings.temperature, .settings.maxTokens, .settings.contextWindow, .settings.autoContext, .settings.sendHistory, .metadata.tags]' <<< "$output")" = \
		'["api one","echo","m9","be brief",0.7,1234,5,true,true,["fromconfig","a","b"]]' ]
	# what chat-ls and chat-show see is what came back
	[ "$(chat-ls --json | jq -c .)" = "$(jq -c . <<< "$output")" ]
	# and the same options to chat-new make the same session
	cli=$(chat-new --name "api one" -m m9 -S "be brief" --temperature 0.7 --max-tokens 1234 \
		--context-window 5 -t a -t b --auto-context --send-history)
	strip='del(.id, .created, .lastUpdated)'
	[ "$(jq -c "$strip" <<< "$cli")" = "$(jq -c "$strip" <<< "$output")" ]
	# an empty body: the defaults alone
	call POST /api/chat/sessions
	[ "$API_STATUS" = 201 ]
	[ "$(jq -c '[.name, .provider, .settings.maxTokens, .metadata.tags]' <<< "$output")" = '["untitled","echo",777,["fromconfig"]]' ]
	[ "$(chat-ls --json | wc -l)" = 3 ]
}

@test "POST refuses bad JSON, unknown fields, wrong types and bad values, and stores nothing" {
	serve_start
	chat-ls > /dev/null
	before=$(store_dump)
	call POST /api/chat/sessions -d '{"name":'
	is_error 400 "not JSON"
	call POST /api/chat/sessions -d '[1,2]'
	is_error 400 "not a JSON object"
	call POST /api/chat/sessions -d '{"name":"x","colour":"red"}'
	is_error 400 "unknown field 'colour'"
	call POST /api/chat/sessions -d '{"starred":true}'
	is_error 400 "unknown field 'starred'"
	call POST /api/chat/sessions -d '{"name":5}'
	is_error 400 "field 'name' must be a string"
	call POST /api/chat/sessions -d '{"temperature":"hot"}'
	is_error 400 "field 'temperature' must be a number"
	call POST /api/chat/sessions -d '{"tags":"a"}'
	is_error 400 "field 'tags' must be an array of strings"
	call POST /api/chat/sessions -d '{"tags":["a",1]}'
	is_error 400 "field 'tags' must be an array of strings"
	call POST /api/chat/sessions -d '{"autoContext":1}'
	is_error 400 "field 'autoContext' must be true or false"
	call POST /api/chat/sessions -d '{"name":"a\u0000b"}'
	is_error 400 "field 'name' must not contain NUL"
	# the values are the library's to judge, in its words
	call POST /api/chat/sessions -d '{"temperature":2.5}'
	is_error 400 "invalid --temperature '2.5': must be a number from 0 to 2"
	call POST /api/chat/sessions -d '{"maxTokens":1.5}'
	is_error 400 "invalid --max-tokens '1.5'"
	call POST /api/chat/sessions -d '{"contextWindow":-1}'
	is_error 400 "invalid --context-window '-1'"
	call POST /api/chat/sessions -d '{"provider":"nosuch"}'
	is_error 400 "invalid --provider 'nosuch': known providers are"
	call POST /api/chat/sessions -d '{"name":""}'
	is_error 400 "invalid --name '': must not be empty"
	call POST /api/chat/sessions -d '{"tags":["a,b"]}'
	is_error 400 "invalid --tag 'a,b'"
	[ "$(store_dump)" = "$before" ]
}

@test "a body of 100,000 tags is 400 at once, and a session holds 256 tags at most" {
	a=$(new_session --name alpha -t keep)
	serve_start
	before=$(store_dump)
	# merged a tag at a time against the rest, these took six minutes
	jq -nc '{name: "many", tags: [range(100000) | "t\(.)"]}' > "$BATS_TEST_TMPDIR/many"
	call POST /api/chat/sessions -m 20 --data-binary @"$BATS_TEST_TMPDIR/many"
	is_error 400 "too many tags (at most 256)"
	jq -nc '{tags: [range(100000) | "t\(.)"]}' > "$BATS_TEST_TMPDIR/many"
	call PUT /api/chat/sessions/alpha -m 20 --data-binary @"$BATS_TEST_TMPDIR/many"
	is_error 400 "too many tags (at most 256)"
	jq -nc '{addTags: [range(256) | "t\(.)"]}' > "$BATS_TEST_TMPDIR/many"
	call PUT /api/chat/sessions/alpha --data-binary @"$BATS_TEST_TMPDIR/many"
	is_error 400 "too many tags (at most 256)"
	[ "$(store_dump)" = "$before" ]
	# 256 in all is a session's limit, not an error
	jq -nc '{addTags: [range(255) | "t\(.)"]}' > "$BATS_TEST_TMPDIR/many"
	call PUT /api/chat/sessions/alpha --data-binary @"$BATS_TEST_TMPDIR/many"
	[ "$(jq '.metadata.tags | length' <<<"$output")" = 256 ]
	[ "$(store_sql "SELECT tags FROM sessions WHERE name = 'alpha'" | jq length)" = 256 ]
	# one imported with more can still have its set replaced
	chat-export -f json alpha | jq -c '.id = "11111111-2222-4333-8444-555555555555" | .name = "big"
		| .metadata.tags = [range(300) | "t\(.)"] | .messages = []' > "$BATS_TEST_TMPDIR/big.json"
	chat-import "$BATS_TEST_TMPDIR/big.json" > /dev/null
	call PUT /api/chat/sessions/big -d '{"tags":["a"]}'
	[ "$(jq -c .metadata.tags <<<"$output")" = '["a"]' ]
}

@test "GET one session by id, prefix or name; 404 unknown, 409 ambiguous" {
	a=$(new_session --name alpha)
	serve_start
	want=$(chat-ls --json | jq -c .)
	for ref in "$a" "${a:0:32}" alpha "$(tr a-f A-F <<< "$a")"; do
		call GET "/api/chat/sessions/$ref"
		[ "$API_STATUS" = 200 ]
		[ "$(jq -c . <<< "$output")" = "$want" ]
	done
	call GET /api/chat/sessions/nosuch
	is_error 404 "nosuch"
	call GET /api/chat/sessions/ffffffff
	is_error 404 "ffffffff"
	b=$(new_session --name twin)
	c=$(new_session --name twin)
	call GET /api/chat/sessions/twin
	is_error 409 "ambiguous session name 'twin' matches 2 sessions"
	[[ "$output" == *"$b"* && "$output" == *"$c"* ]]
	# a name with a space, URL-encoded
	new_session --name 'two words' > /dev/null
	call GET /api/chat/sessions/two%20words
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r .name <<< "$output")" = 'two words' ]
}

@test "a name holding a slash is one segment as %2F; %00 in a path or query is 400 and deletes nothing" {
	a=$(new_session --name a)
	ab=$(new_session --name a/b)
	chat-add -s "$ab" "in a/b" > /dev/null
	serve_start
	call GET /api/chat/sessions/a%2Fb
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r .id <<< "$output")" = "$ab" ]
	call GET /api/chat/sessions/a%2fb/messages
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r '.messages[0].content' <<< "$output")" = "in a/b" ]
	# MHD's decoded path ends at the NUL: this named session "a"
	call DELETE /api/chat/sessions/a%00b
	is_error 400 "NUL byte (%00)"
	call GET "/api/chat/sessions?q=a%00b"
	is_error 400 "NUL byte (%00)"
	call GET /static/app.js%00.map
	is_error 400 "NUL byte (%00)"
	[ "$(chat-ls --json | jq -r .id | sort)" = "$(printf '%s\n' "$a" "$ab" | sort)" ]
}

@test "a space, a control byte or '#' sent raw in the path is 400: it reaches no other session" {
	a=$(new_session --name a)
	q=$(new_session --name 'a?b')
	s=$(new_session --name 'a b')
	serve_start
	port=${SERVE_URL##*:}
	# curl would encode them; a raw request line, as a careless client sends it
	raw() {
		local r
		exec 3<> "/dev/tcp/127.0.0.1/$port"
		printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' \
			"$1" "$2" "$port" "$SERVE_TOKEN" >&3
		r=$(cat <&3)
		exec 3<&-
		printf '%s\n' "$r" | head -1
	}
	[[ $(raw DELETE '/api/chat/sessions/a b') == *" 400 "* ]]
	[[ $(raw DELETE '/api/chat/sessions/a#b') == *" 400 "* ]]
	[[ $(raw DELETE $'/api/chat/sessions/a\x01b') == *" 400 "* ]]
	[ "$(chat-ls --json | jq -r .id | sort)" = "$(printf '%s\n' "$a" "$q" "$s" | sort)" ]
	# encoded, each is the session it names
	call GET /api/chat/sessions/a%20b
	[ "$(jq -r .id <<< "$output")" = "$s" ]
	call GET /api/chat/sessions/a%3Fb
	[ "$(jq -r .id <<< "$output")" = "$q" ]
}

@test "PUT changes a session as chat-set does; chat-ls sees it" {
	a=$(new_session --name alpha -t keep -t drop -p echo)
	serve_start
	call PUT "/api/chat/sessions/alpha" -d '{"name":"beta","model":"m2","systemPrompt":"terse","temperature":1.5,"maxTokens":99,"contextWindow":3,"starred":true,"archived":true,"autoContext":true,"sendHistory":true}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.id, .name, .model, .settings.systemPrompt, .settings.temperature, .settings.maxTokens, .settings.contextWindow, .metadata.starred, .metadata.archived, .settings.autoContext, .settings.sendHistory]' <<< "$output")" = \
		"[\"$a\",\"beta\",\"m2\",\"terse\",1.5,99,3,true,true,true,true]" ]
	[ "$(chat-ls --json --all | jq -c .)" = "$(jq -c . <<< "$output")" ]
	# null clears the system prompt and the temperature, as '' does for chat-set
	call PUT "/api/chat/sessions/${a:0:6}" -d '{"systemPrompt":null,"temperature":null,"archived":false}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -c '[.settings.systemPrompt, .settings.temperature, .metadata.archived]' <<< "$output")" = '[null,null,false]' ]
	# tags: addTags and removeTags change the set, tags replaces it in its order
	call PUT "/api/chat/sessions/$a" -d '{"addTags":["new"],"removeTags":["drop"]}'
	[ "$(jq -c .metadata.tags <<< "$output")" = '["keep","new"]' ]
	call PUT "/api/chat/sessions/$a" -d '{"tags":["z","keep","z"]}'
	[ "$(jq -c .metadata.tags <<< "$output")" = '["z","keep"]' ]
	call PUT "/api/chat/sessions/$a" -d '{"tags":[]}'
	[ "$(jq -c .metadata.tags <<< "$output")" = '[]' ]
	[ "$(chat-ls --json | jq -c .metadata.tags)" = '[]' ]
	# a new provider without a model takes its own default, as chat-set
	call PUT "/api/chat/sessions/$a" -d '{"provider":"anthropic"}'
	[ "$API_STATUS" = 200 ]
	[ "$(jq -r .provider <<< "$output")" = anthropic ]
	[ "$(jq -r .model <<< "$output")" != m2 ]
	[ "$(chat-ls --json | jq -r .provider)" = anthropic ]
}

@test "PUT refuses what chat-set would, and changes nothing" {
	a=$(new_session --name alpha -t keep)
	serve_start
	before=$(store_dump)
	call PUT /api/chat/sessions/alpha -d '{}'
	is_error 400 "nothing to change"
	call PUT /api/chat/sessions/alpha -d '{"name":"ok","colour":"red"}'
	is_error 400 "unknown field 'colour'"
	call PUT /api/chat/sessions/alpha -d '{"starred":"yes"}'
	is_error 400 "field 'starred' must be true or false"
	call PUT /api/chat/sessions/alpha -d '{"removeTags":[null]}'
	is_error 400 "field 'removeTags' must be an array of strings"
	call PUT /api/chat/sessions/alpha -d '{"tags":["a"],"addTags":["b"]}'
	is_error 400 "field 'tags' sets them all"
	call PUT /api/chat/sessions/alpha -d '{"name":"fine","temperature":9}'
	is_error 400 "invalid --temperature '9'"
	call PUT /api/chat/sessions/alpha -d '{"maxTokens":0}'
	is_error 400 "invalid --max-tokens '0'"
	call PUT /api/chat/sessions/alpha -d 'nope'
	is_error 400 "not JSON"
	call PUT /api/chat/sessions/nosuch -d '{"name":"x"}'
	is_error 404 "nosuch"
	[ "$(store_dump)" = "$before" ]
}

@test "DELETE removes a session (204); chat-ls no longer lists it; 404 after" {
	a=$(new_session --name alpha)
	b=$(new_session --name beta)
	chat-add -s "$a" "hello" > /dev/null
	serve_start
	api GET /api/chat/sessions > /dev/null
	call DELETE "/api/chat/sessions/${a:0:32}"
	[ "$API_STATUS" = 204 ]
	[ -z "$output" ]
	[ "$(chat-ls --json --all | jq -r .id)" = "$b" ]
	[ "$(store_sql "SELECT count(*) FROM messages WHERE session_id = '$a'")" = 0 ]
	[ "$(api_ls | jq -r .id)" = "$b" ]
	call DELETE "/api/chat/sessions/$a"
	is_error 404 "$a"
	call GET "/api/chat/sessions/$a"
	is_error 404 "$a"
}

@test "branch from a message and duplicate, as chat-branch does" {
	a=$(new_session --name src)
	m1=$(chat-add -s "$a" "one" | jq -r .id)
	m2=$(chat-add -s "$a" -r assistant "two" | jq -r .id)
	chat-add -s "$a" "three" > /dev/null
	serve_start
	call POST "/api/chat/sessions/src/branch" -d "{\"fromMessageId\":\"${m2:0:32}\"}"
	[ "$API_STATUS" = 201 ]
	b=$(jq -r .id <<< "$output")
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = \
		"[\"src (branch)\",\"$a\",\"$m2\",2]" ]
	[ "$(chat-show --json "$b" | jq -r .content | tr '\n' ' ')" = "one two " ]
	[ "$(chat-ls --json --parent src | jq -r .id)" = "$b" ]
	call POST "/api/chat/sessions/$a/branch" -d "{\"fromMessageId\":\"$m1\",\"name\":\"mine\"}"
	[ "$API_STATUS" = 201 ]
	[ "$(jq -c '[.name, .metadata.messageCount]' <<< "$output")" = '["mine",1]' ]
	# without a message: all of them, as chat-branch without --at
	call POST "/api/chat/sessions/$a/branch"
	[ "$API_STATUS" = 201 ]
	[ "$(jq -r .metadata.messageCount <<< "$output")" = 3 ]
	call POST "/api/chat/sessions/$a/duplicate" -d '{}'
	[ "$API_STATUS" = 201 ]
	[ "$(jq -c '[.name, .parentSessionId, .branchPoint, .metadata.messageCount]' <<< "$output")" = \
		'["src (copy)",null,null,3]' ]
	call POST "/api/chat/sessions/$a/duplicate" -d '{"name":"twin"}'
	[ "$(jq -r .name <<< "$output")" = twin ]
	[ "$(chat-ls --json | wc -l)" = 6 ]
	# errors
	before=$(store_dump)
	call POST "/api/chat/sessions/$a/branch" -d '{"fromMessageId":"ffffffff"}'
	is_error 404 "ffffffff"
	call POST "/api/chat/sessions/$a/branch" -d '{"fromMessageId":5}'
	is_error 400 "field 'fromMessageId' must be a string"
	call POST "/api/chat/sessions/$a/branch" -d '{"at":"x"}'
	is_error 400 "unknown field 'at'"
	call POST "/api/chat/sessions/$a/duplicate" -d "{\"fromMessageId\":\"$m1\"}"
	is_error 400 "unknown field 'fromMessageId'"
	call POST "/api/chat/sessions/$a/duplicate" -d '{"name":""}'
	is_error 400 "field 'name' must not be empty"
	call POST "/api/chat/sessions/nosuch/branch" -d '{}'
	is_error 404 "nosuch"
	call POST "/api/chat/sessions/$a/duplicate" -d '{'
	is_error 400 "not JSON"
	[ "$(store_dump)" = "$before" ]
}

@test "a method a path does not take is 405" {
	a=$(new_session --name a)
	serve_start
	call PATCH "/api/chat/sessions/$a" -d '{}'
	is_error 405 ""
	call DELETE /api/chat/sessions
	is_error 405 ""
	call PUT /api/chat/sessions -d '{}'
	is_error 405 ""
	call GET "/api/chat/sessions/$a/branch"
	is_error 405 ""
	call GET "/api/chat/sessions/$a/duplicate"
	is_error 405 ""
	[ "$(chat-ls --json | jq -r .id)" = "$a" ]
}

@test "the listing never serves what the store no longer holds: other programs' changes and the API's own" {
	a=$(new_session --name a)
	serve_start
	[ "$(api_ls | jq -r .name)" = a ]
	[ "$(api_ls | jq -r .name)" = a ]
	# another process: chat-set, chat-new, chat-add, chat-rm, raw SQL
	chat-set --name renamed a > /dev/null
	[ "$(api_ls | jq -r .name)" = renamed ]
	b=$(new_session --name b)
	[ "$(api_ls | jq -r .name | tr '\n' ' ')" = "b renamed " ]
	chat-add -s "$a" "now first" > /dev/null
	[ "$(api_ls | jq -r .name | tr '\n' ' ')" = "renamed b " ]
	[ "$(api_ls | jq -r .metadata.messageCount | head -1)" = 1 ]
	store_sql "UPDATE sessions SET name = 'by sql' WHERE id = '$b'"
	[ "$(api_ls --data-urlencode limit=1 --data-urlencode archived=all | jq -r .name)" = renamed ]
	[ "$(api_ls | jq -r .name | tr '\n' ' ')" = "renamed by sql " ]
	chat-rm "$b" > /dev/null
	[ "$(api_ls | jq -r .name)" = renamed ]
	# the API's own writes
	api POST /api/chat/sessions -d '{"name":"c"}' > /dev/null
	[ "$(api_ls | jq -r .name | tr '\n' ' ')" = "c renamed " ]
	api PUT /api/chat/sessions/c -d '{"name":"c2"}' > /dev/null
	[ "$(api_ls | jq -r .name | head -1)" = c2 ]
	api PUT /api/chat/sessions/c2 -d '{"archived":true}' > /dev/null
	[ "$(api_ls | jq -r .name)" = renamed ]
	api DELETE /api/chat/sessions/c2 > /dev/null
	[ "$(api_ls --data-urlencode archived=all | jq -r .name)" = renamed ]
	api POST "/api/chat/sessions/$a/duplicate" > /dev/null
	[ "$(api_ls | wc -l)" = 2 ]
	# and the command line sees what the API did
	[ "$(chat-ls --json | jq -r .name | tr '\n' ' ')" = "renamed (copy) renamed " ]
}

@test "the API sees what chat-new and chat-set did, and chat-show what the API did" {
	serve_start
	a=$(new_session --name cli -t t1 --temperature 0.3)
	call GET "/api/chat/sessions/$a"
	[ "$(jq -c '[.name, .metadata.tags, .settings.temperature]' <<< "$output")" = '["cli",["t1"],0.3]' ]
	chat-set --star --untag t1 -t t2 --system hi cli > /dev/null
	call GET /api/chat/sessions/cli
	[ "$(jq -c '[.metadata.starred, .metadata.tags, .settings.systemPrompt]' <<< "$output")" = '[true,["t2"],"hi"]' ]
	[ "$(api_ls --data-urlencode starred=1 | jq -r .id)" = "$a" ]
	api PUT /api/chat/sessions/cli -d '{"starred":false}' > /dev/null
	[ -z "$(chat-ls --json --starred)" ]
	[ "$(chat-ls --json | jq -c .)" = "$(api GET /api/chat/sessions/cli | jq -c .)" ]
}
