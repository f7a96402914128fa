#!/usr/bin/env bats
# chat-add: messages from arguments, from stdin and as records; the
# session's counters follow; every refusal adds nothing.

load helper

UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TIME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

messages() {
	store_sql 'SELECT count(*) FROM messages'
}

# A session's stored record.
session() {
	chat-ls --all --json | jq -c --arg id "$1" 'select(.id == $id)'
}

# Its messages' contents in order, as a JSON array.
contents() {
	chat-show --json "$1" | jq -sc 'map(.content)'
}

setup() {
	common_setup
	S=$(new_session --name target)
	T=$(new_session --name other)
}

# ---- text from arguments and from stdin ----

@test "text from arguments: one user message record" {
	before=$(date -u +%s%3N)
	run -0 --separate-stderr chat-add -s "$S" hello
	after=$(date -u +%s%3N)
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	m=$output
	[ "$(jq -c keys_unsorted <<<"$m")" = '["type","id","sessionId","role","content","timestamp","metadata","context"]' ]
	[ "$(jq -c '[.type, .sessionId, .role, .content]' <<<"$m")" = "[\"message\",\"$S\",\"user\",\"hello\"]" ]
	[ "$(jq -c .metadata <<<"$m")" = '{"tokens":null,"model":null,"processing_time":null,"attachments":[],"reactions":[],"edits":[],"author":"'"$(store_user)"'"}' ]
	[ "$(jq -c .context <<<"$m")" = '{"activityEvents":[],"pluginCommands":[],"files":[]}' ]
	[[ "$(jq -r .id <<<"$m")" =~ $UUID7 ]]
	ts=$(jq -r .timestamp <<<"$m")
	[[ "$ts" =~ $TIME ]]
	ms=$(date -u -d "$ts" +%s%3N)
	[ "$before" -le "$ms" ]
	[ "$ms" -le "$after" ]
	# the stored message is the printed one
	run -0 chat-show --json "$S"
	[ "$output" = "$m" ]
	[ "$(messages)" -eq 1 ]
}

@test "several arguments are joined with spaces" {
	run -0 chat-add -s "$S" hello '  big' world
	[ "$(jq -r .content <<<"$output")" = 'hello   big world' ]
}

@test "text from stdin, byte for byte" {
	run -0 bash -c 'printf "line one\n\tline two\nüñí\n" | chat-add -s "$1"' _ "$S"
	[ "$(jq -c .content <<<"$output")" = '"line one\n\tline two\nüñí\n"' ]
	[ "$(contents "$S")" = '["line one\n\tline two\nüñí\n"]' ]
}

@test "empty stdin is an empty message" {
	run -0 chat-add -s "$S" < /dev/null
	[ "$(jq -c .content <<<"$output")" = '""' ]
	[ "$(messages)" -eq 1 ]
}

@test "no text on a terminal is a usage error" {
	run -2 on_tty chat-add -s "$S"
	[[ "$output" == "chat-add: no message text: give TEXT or pipe it on stdin"* ]]
	[ "$(messages)" -eq 0 ]
}

@test "the session by name, full id, or prefix" {
	run -0 chat-add -s target by-name
	[ "$(jq -r .sessionId <<<"$output")" = "$S" ]
	run -0 chat-add --session "$S" by-id
	[ "$(jq -r .sessionId <<<"$output")" = "$S" ]
	for n in $(seq 4 36); do
		p=${S:0:n}
		[ "${T:0:n}" != "$p" ] && break
	done
	run -0 chat-add -s "$p" by-prefix
	[ "$(jq -r .sessionId <<<"$output")" = "$S" ]
	[ "$(contents "$S")" = '["by-name","by-id","by-prefix"]' ]
	[ "$(contents "$T")" = '[]' ]
}

# ---- options ----

@test "--role and -r" {
	run -0 chat-add -s "$S" --role assistant answer
	[ "$(jq -r .role <<<"$output")" = assistant ]
	run -0 chat-add -s "$S" -r system rules
	[ "$(jq -r .role <<<"$output")" = system ]
	run -0 chat-add -s "$S" -r user question
	[ "$(jq -r .role <<<"$output")" = user ]
	[ "$(store_sql 'SELECT group_concat(role) FROM (SELECT role FROM messages ORDER BY seq) AS t')" = assistant,system,user ]
}

@test "--role refuses anything else" {
	for r in robot User ''; do
		run -2 --separate-stderr chat-add -s "$S" --role "$r" hi
		one_error chat-add
		[ "$stderr" = "chat-add: invalid --role '$r': expected user, assistant or system (see 'chat-add --help')" ]
	done
	[ "$(messages)" -eq 0 ]
}

@test "--model and -m" {
	run -0 chat-add -s "$S" -r assistant --model claude-x hi
	[ "$(jq -r .metadata.model <<<"$output")" = claude-x ]
	run -0 chat-add -s "$S" -m gpt-y hi
	[ "$(jq -r .metadata.model <<<"$output")" = gpt-y ]
	[ "$(store_sql 'SELECT group_concat(model) FROM (SELECT model FROM messages ORDER BY seq) AS t')" = claude-x,gpt-y ]
}

@test "--tokens" {
	run -0 chat-add -s "$S" --tokens 42 hi
	[ "$(jq -r .metadata.tokens <<<"$output")" = 42 ]
	run -0 chat-add -s "$S" --tokens 0 hi
	[ "$(jq -r .metadata.tokens <<<"$output")" = 0 ]
}

@test "--tokens refuses negatives, fractions and junk" {
	for n in -1 1.5 many ''; do
		run -2 --separate-stderr chat-add -s "$S" --tokens "$n" hi
		one_error chat-add
		[ "$stderr" = "chat-add: invalid --tokens '$n': expected a whole number (see 'chat-add --help')" ]
	done
	[ "$(messages)" -eq 0 ]
}

@test "--time sets the timestamp, in UTC with milliseconds" {
	run -0 chat-add -s "$S" --time 2025-03-04T05:06:07Z hi
	[ "$(jq -r .timestamp <<<"$output")" = 2025-03-04T05:06:07.000Z ]
	run -0 chat-add -s "$S" --time 2025-03-04T05:06:07.25+02:00 hi
	[ "$(jq -r .timestamp <<<"$output")" = 2025-03-04T03:06:07.250Z ]
}

@test "--time refuses what is not an RFC 3339 time" {
	for t in yesterday 2025-13-01T00:00:00Z 'not a time' ''; do
		run -2 --separate-stderr chat-add -s "$S" --time "$t" hi
		one_error chat-add
		[ "$stderr" = "chat-add: invalid --time '$t': expected an RFC 3339 time (see 'chat-add --help')" ]
	done
	[ "$(messages)" -eq 0 ]
}

# ---- the session follows ----

@test "messageCount, totalTokens and lastUpdated of the session follow" {
	[ "$(session "$S" | jq -c '[.metadata.messageCount, .metadata.totalTokens]')" = '[0,0]' ]
	run -0 chat-add -s "$S" --tokens 10 one
	ts=$(jq -r .timestamp <<<"$output")
	[ "$(session "$S" | jq -c '[.metadata.messageCount, .metadata.totalTokens, .lastUpdated]')" = "[1,10,\"$ts\"]" ]
	run -0 chat-add -s "$S" two
	ts=$(jq -r .timestamp <<<"$output")
	[ "$(session "$S" | jq -c '[.metadata.messageCount, .metadata.totalTokens, .lastUpdated]')" = "[2,10,\"$ts\"]" ]
	run -0 chat-add -s "$S" --tokens 5 -r assistant three
	[ "$(session "$S" | jq -c '[.metadata.messageCount, .metadata.totalTokens]')" = '[3,15]' ]
	# the other session did not move
	[ "$(session "$T" | jq -c '[.metadata.messageCount, .metadata.totalTokens]')" = '[0,0]' ]
}

@test "lastUpdated follows the latest message time, not the last added" {
	run -0 chat-add -s "$S" --time 2099-01-01T00:00:00.123Z future
	[ "$(session "$S" | jq -r .lastUpdated)" = 2099-01-01T00:00:00.123Z ]
	run -0 chat-add -s "$S" --time 2001-01-01T00:00:00Z past
	[ "$(session "$S" | jq -r .lastUpdated)" = 2099-01-01T00:00:00.123Z ]
	[ "$(session "$S" | jq .metadata.messageCount)" -eq 2 ]
	# and chat-ls puts it first
	run -0 chat-ls --json
	[ "$(jq -r .id <<<"${lines[0]}")" = "$S" ]
}

@test "messages keep the order they were added in, whatever their times" {
	chat-add -s "$S" --time 2030-01-01T00:00:00Z first > /dev/null
	chat-add -s "$S" --time 2020-01-01T00:00:00Z second > /dev/null
	chat-add -s "$S" third > /dev/null
	[ "$(contents "$S")" = '["first","second","third"]' ]
	[ "$(store_sql 'SELECT group_concat(CAST(seq AS TEXT)) FROM (SELECT seq FROM messages ORDER BY n) AS t')" = 1,2,3 ]
}

# ---- -s - ----

@test "-s - reads the session record from stdin" {
	run -0 bash -c 'chat-new --name piped | chat-add -s - hello there'
	[ "$(jq -r .content <<<"$output")" = 'hello there' ]
	P=$(store_sql "SELECT id FROM sessions WHERE name = 'piped'")
	[ "$(jq -r .sessionId <<<"$output")" = "$P" ]
	[ "$(session "$P" | jq .metadata.messageCount)" -eq 1 ]
}

@test "-s - without TEXT is a usage error" {
	run -2 --separate-stderr bash -c 'chat-ls --json | chat-add -s -'
	one_error chat-add
	[ "$stderr" = "chat-add: -s - reads the session from stdin; give TEXT as arguments (see 'chat-add --help')" ]
	[ "$(messages)" -eq 0 ]
}

@test "-s - with two session records is a usage error" {
	run -2 --separate-stderr bash -c 'chat-ls --json | chat-add -s - hi'
	one_error chat-add
	[ "$stderr" = "chat-add: expected one session (see 'chat-add --help')" ]
	[ "$(messages)" -eq 0 ]
}

@test "-s - with a message record on stdin takes its session" {
	chat-add -s "$S" hi > /dev/null
	run -0 --separate-stderr bash -c 'chat-show --json "$1" | chat-add -s - again' _ "$S"
	[ "$(jq -r .sessionId <<<"$output")" = "$S" ]
	[ "$(messages)" -eq 2 ]
}

# ---- --records ----

@test "--records adds message records in order, in one go" {
	run -0 --separate-stderr bash -c 'printf "%s\n" \
		"{\"type\":\"message\",\"role\":\"user\",\"content\":\"q1\"}" \
		"" \
		"{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"a1\",\"metadata\":{\"tokens\":7,\"model\":\"m\"}}" \
		"{\"role\":\"user\",\"content\":\"q2\",\"timestamp\":\"2024-05-06T07:08:09.010Z\"}" \
		| chat-add --records -s "$1"' _ "$S"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -sc 'map([.sessionId == "'"$S"'", .role, .content, .metadata.tokens, .metadata.model])' <<<"$output")" = \
	  '[[true,"user","q1",null,null],[true,"assistant","a1",7,"m"],[true,"user","q2",null,null]]' ]
	[ "$(jq -r .timestamp <<<"${lines[2]}")" = 2024-05-06T07:08:09.010Z ]
	[ "$(contents "$S")" = '["q1","a1","q2"]' ]
	[ "$(session "$S" | jq -c '[.metadata.messageCount, .metadata.totalTokens]')" = '[3,7]' ]
}

@test "--records takes sessionId from each record without -s" {
	run -0 bash -c 'printf "{\"sessionId\":\"%s\",\"role\":\"user\",\"content\":\"to S\"}\n{\"sessionId\":\"%s\",\"role\":\"user\",\"content\":\"to T\"}\n" "$1" "$2" | chat-add --records' _ "$S" "$T"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(contents "$S")" = '["to S"]' ]
	[ "$(contents "$T")" = '["to T"]' ]
}

@test "--records: -s wins over the records' sessionId" {
	run -0 bash -c 'printf "{\"sessionId\":\"%s\",\"role\":\"user\",\"content\":\"moved\"}\n" "$1" | chat-add --records -s "$2"' _ "$T" "$S"
	[ "$(contents "$S")" = '["moved"]' ]
	[ "$(contents "$T")" = '[]' ]
}

@test "--records: chat-show's output copies a session's messages under new ids" {
	chat-add -s "$S" one > /dev/null
	chat-add -s "$S" -r assistant --tokens 3 two > /dev/null
	run -0 bash -c 'chat-show --json "$1" | chat-add --records -s "$2"' _ "$S" "$T"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(contents "$T")" = '["one","two"]' ]
	[ "$(store_sql 'SELECT count(DISTINCT id) FROM messages')" -eq 4 ]
	[ "$(session "$T" | jq -c '[.metadata.messageCount, .metadata.totalTokens]')" = '[2,3]' ]
}

@test "--records: empty stdin adds nothing" {
	run -0 --separate-stderr chat-add --records -s "$S" < /dev/null
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(messages)" -eq 0 ]
}

@test "--records: a malformed line N is exit 5 naming stdin:N, and nothing is added" {
	good='{"role":"user","content":"fine"}'
	run -5 --separate-stderr bash -c 'printf "%s\n%s\n\n%s\n" "$1" "$1" "{\"role\":" | chat-add --records -s "$2"' _ "$good" "$S"
	one_error chat-add
	[[ "$stderr" == "chat-add: stdin:4: malformed record"* ]]
	run -5 --separate-stderr bash -c 'printf "%s\n%s\n" "$1" "[\"x\"]" | chat-add --records -s "$2"' _ "$good" "$S"
	one_error chat-add
	[ "$stderr" = "chat-add: stdin:2: malformed record: not a JSON object" ]
	run -5 --separate-stderr bash -c 'printf "%s\n%s\n" "$1" "{\"type\":\"session\",\"id\":\"x\"}" | chat-add --records -s "$2"' _ "$good" "$S"
	one_error chat-add
	[ "$stderr" = "chat-add: stdin:2: expected a message record, got type 'session'" ]
	run -5 --separate-stderr bash -c 'printf "%s\n%s\n" "$1" "{\"role\":\"user\",\"content\":\"x\"}" | chat-add --records' _ "{\"sessionId\":\"$S\",\"role\":\"user\"}"
	one_error chat-add
	[ "$stderr" = "chat-add: stdin:2: message has no sessionId (or give -s)" ]
	[ "$(messages)" -eq 0 ]
	[ "$(session "$S" | jq .metadata.messageCount)" -eq 0 ]
}

@test "--records: a record the store refuses is exit 5 naming stdin:N, and nothing is added" {
	good='{"role":"user","content":"fine"}'
	while IFS='|' read -r bad msg; do
		run -5 --separate-stderr bash -c 'printf "%s\n%s\n%s\n" "$1" "$1" "$2" | chat-add --records -s "$3"' _ "$good" "$bad" "$S"
		one_error chat-add
		[ "$stderr" = "chat-add: stdin:3: $msg" ]
	done <<-'EOF'
	{"role":"robot","content":"x"}|message role must be user, assistant or system
	{"content":"x"}|message role must be user, assistant or system
	{"role":"user","content":5}|message content is not a string
	{"role":"user","content":"x","timestamp":"yesterday"}|invalid time 'yesterday' in timestamp
	{"role":"user","content":"x","metadata":{"tokens":"many"}}|message field tokens is not a number
	{"role":"user","content":"x","metadata":{"reactions":{}}}|message field reactions is not an array
	EOF
	[ "$(messages)" -eq 0 ]
	[ "$(session "$S" | jq .metadata.messageCount)" -eq 0 ]
}

@test "--records: an unknown sessionId is exit 3 naming the line, and nothing is added" {
	run -3 --separate-stderr bash -c 'printf "{\"sessionId\":\"%s\",\"role\":\"user\",\"content\":\"a\"}\n{\"sessionId\":\"%s\",\"role\":\"user\",\"content\":\"b\"}\n" "$1" 00000000-0000-7000-8000-000000000000 | chat-add --records' _ "$S"
	one_error chat-add
	[ "$stderr" = "chat-add: stdin:2: unknown session '00000000-0000-7000-8000-000000000000'" ]
	[ "$(messages)" -eq 0 ]
	[ "$(session "$S" | jq .metadata.messageCount)" -eq 0 ]
}

@test "--records with TEXT, or with -s -, is a usage error" {
	run -2 --separate-stderr chat-add --records -s "$S" text < /dev/null
	one_error chat-add
	[ "$stderr" = "chat-add: --records reads stdin; TEXT is not taken with it (see 'chat-add --help')" ]
	run -2 --separate-stderr chat-add --records -s - < /dev/null
	one_error chat-add
	[ "$stderr" = "chat-add: --records and -s - both want stdin (see 'chat-add --help')" ]
	[ "$(messages)" -eq 0 ]
}

# ---- refusals ----

@test "no -s is a usage error" {
	run -2 --separate-stderr chat-add hello
	one_error chat-add
	[ "$stderr" = "chat-add: no session given (-s SESSION) (see 'chat-add --help')" ]
	run -2 --separate-stderr chat-add < /dev/null
	one_error chat-add
	[ "$(messages)" -eq 0 ]
}

@test "an unknown session is exit 3 and nothing is added" {
	run -3 --separate-stderr chat-add -s nosuch hello
	one_error chat-add
	[ "$stderr" = "chat-add: unknown session 'nosuch'" ]
	[ "$(messages)" -eq 0 ]
}

@test "an ambiguous session name is exit 4 and nothing is added" {
	new_session --name twin > /dev/null
	new_session --name twin > /dev/null
	run -4 --separate-stderr chat-add -s twin hello
	one_error chat-add
	[[ "$stderr" == "chat-add: ambiguous session name 'twin' matches "* ]]
	[ "$(messages)" -eq 0 ]
}

@test "an unknown option is a usage error" {
	run -2 --separate-stderr chat-add -s "$S" --bogus hi
	[ -z "$output" ]
	[ "$stderr" = "chat-add: unknown option '--bogus' (see 'chat-add --help')" ]
	[ "$(messages)" -eq 0 ]
}

# ---- output ----

@test "on a terminal: one line for people; --json: the record" {
	run -0 on_tty chat-add -s "$S" hello
	out=${output//$'\r'/}
	id=$(store_sql 'SELECT id FROM messages')
	[ "$out" = "added $id to $S" ]
	run -0 on_tty chat-add --json -s "$S" again
	out=${output//$'\r'/}
	[ "$(jq -r .content <<<"$out")" = again ]
}

@test "a closed stdout ends quietly with success, and the message is added" {
	mkfifo "$BATS_TEST_TMPDIR/go"
	{ read -r _ < "$BATS_TEST_TMPDIR/go"; chat-add -s "$S" piped 2> "$BATS_TEST_TMPDIR/err"; echo $? > "$BATS_TEST_TMPDIR/rc"; } |
		{ exec <&-; echo go > "$BATS_TEST_TMPDIR/go"; }
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(contents "$S")" = '["piped"]' ]
	run -0 bash -c 'chat-add -s "$1" again 2>"$2" | head -c0; exit "${PIPESTATUS[0]}"' _ "$S" "$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "a write error is reported: exit 1, one line" {
	run -1 --separate-stderr bash -c 'chat-add -s "$1" hello > /dev/full' _ "$S"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "chat-add: write error"* ]]
}

@test "--records refuses the options a record carries itself" {
	sid=$(new_session -n r)
	for opt in "-r assistant" "-m gpt" "--tokens 3" "--time 2026-01-01T00:00:00Z"; do
		run -2 --separate-stderr chat-add --records -s r $opt <<< '{"role":"user","content":"x"}'
		[ "$stderr" = "chat-add: --records takes role, model, tokens and time from each record (see 'chat-add --help')" ]
	done
	run -0 chat-show r --json
	[ -z "$output" ]
}
