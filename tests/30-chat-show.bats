#!/usr/bin/env bats
# chat-show: messages in order, for people and for pipes; naming sessions by
# id, prefix, name and record; every error path.

load helper

# A session "talk" with five messages; sets $sid and $m1..$m5.
five_messages() {
	sid=$(new_session --name talk --provider echo)
	m1=$(chat-add -s "$sid" --time 2026-01-01T10:00:00Z "first question" | jq -r .id)
	m2=$(chat-add -s "$sid" --time 2026-01-01T10:00:01Z -r assistant -m m1 --tokens 7 "first answer" | jq -r .id)
	m3=$(chat-add -s "$sid" --time 2026-01-01T10:00:02Z "second question" | jq -r .id)
	m4=$(chat-add -s "$sid" --time 2026-01-01T10:00:03Z -r assistant -m m1 --tokens 9 "second answer" | jq -r .id)
	m5=$(chat-add -s "$sid" --time 2026-01-01T10:00:04Z -r system "a note" | jq -r .id)
}

@test "piped, messages come as records in order" {
	five_messages
	run -0 chat-show "$sid"
	[ "${#lines[@]}" -eq 5 ]
	run -0 bash -c "chat-show $sid | jq -r '[.type, .id, .sessionId, .role, .content] | join(\"|\")'"
	[ "${lines[0]}" = "message|$m1|$sid|user|first question" ]
	[ "${lines[1]}" = "message|$m2|$sid|assistant|first answer" ]
	[ "${lines[2]}" = "message|$m3|$sid|user|second question" ]
	[ "${lines[3]}" = "message|$m4|$sid|assistant|second answer" ]
	[ "${lines[4]}" = "message|$m5|$sid|system|a note" ]
	run -0 bash -c "chat-show $sid | jq -c 'select(.id == \"$m2\") | [.timestamp, .metadata.tokens, .metadata.model]'"
	[ "$output" = '["2026-01-01T10:00:01.000Z",7,"m1"]' ]
}

@test "the order is the order of adding, not of timestamps" {
	sid=$(new_session --name t)
	chat-add -s "$sid" --time 2026-03-01T00:00:00Z "added first, dated later" >/dev/null
	chat-add -s "$sid" --time 2026-01-01T00:00:00Z "added second, dated earlier" >/dev/null
	run -0 bash -c "chat-show $sid | jq -r .content"
	[ "$output" = $'added first, dated later\nadded second, dated earlier' ]
}

@test "a session without messages shows nothing" {
	sid=$(new_session --name empty)
	run --separate-stderr chat-show "$sid"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "--json prints records on a terminal too" {
	five_messages
	tty_run "chat-show --json $sid"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$(jq -r .id <<< "${lines[0]}")" = "$m1" ]
	[ "$(jq -r .id <<< "${lines[4]}")" = "$m5" ]
	[[ "$output" != *$'\e'* ]]
}

@test "on a terminal: a heading, role headers with times, and the content" {
	five_messages
	chat-add -s "$sid" --time 2026-01-01T10:00:05Z $'two\nlines' >/dev/null
	NO_COLOR=1 tty_run "chat-show $sid"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]]
	[[ "${lines[0]}" == "talk  ${sid:0:8}"*"  6 messages" ]]
	[ "${lines[1]}" = "" ]
	[[ "${lines[2]}" == "user  2026-01-01 10:00 UTC ("*")" ]]
	[ "${lines[3]}" = "first question" ]
	[ "${lines[4]}" = "" ]
	[[ "${lines[5]}" == "assistant · m1  2026-01-01 10:00 UTC ("*")" ]]
	[ "${lines[6]}" = "first answer" ]
	[[ "${lines[8]}" == "user  "* ]]
	[ "${lines[9]}" = "second question" ]
	[[ "${lines[14]}" == "system  "* ]]
	[ "${lines[15]}" = "a note" ]
	[[ "${lines[17]}" == "user  "* ]]
	[ "${lines[18]}" = "two" ]
	[ "${lines[19]}" = "lines" ]
	[ "${#lines[@]}" -eq 20 ]
}

@test "on a terminal: relative times, and color unless NO_COLOR" {
	sid=$(new_session --name now)
	chat-add -s "$sid" "just said" >/dev/null
	NO_COLOR=1 tty_run "chat-show $sid"
	[[ "${lines[2]}" == "user  "*" UTC (just now)" ]]
	tty_run "chat-show $sid"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e[1m\e[32muser\e[0m'* ]]
}

@test "on a terminal: escape characters in content and names never reach it raw" {
	sid=$(new_session --name $'bad\e]0;title\aname')
	chat-add -s "$sid" $'red\e[31mtext\u009b2J end' >/dev/null
	tty_run "chat-show $sid"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e[31m'* ]]
	[[ "$output" != *$'\e]'* ]]
	[[ "$output" != *$'\a'* ]]
	[[ "$output" != *$'\u009b'* ]]
	NO_COLOR=1 tty_run "chat-show $sid"
	[[ "$output" != *$'\e'* ]]
	[[ "${lines[0]}" == 'bad ]0;title name  '* ]]
	[ "${lines[3]}" = 'red [31mtext 2J end' ]
	# records keep the content exactly
	[ "$(chat-show "$sid" | jq -r .content)" = $'red\e[31mtext\u009b2J end' ]
}

@test "--last N shows only the last N messages, in order" {
	five_messages
	run -0 bash -c "chat-show --last 2 $sid | jq -r .id"
	[ "$output" = "$m4"$'\n'"$m5" ]
	run -0 bash -c "chat-show -n 1 $sid | jq -r .id"
	[ "$output" = "$m5" ]
	run -0 bash -c "chat-show --last 5 $sid | jq -r .id"
	[ "$output" = "$m1"$'\n'"$m2"$'\n'"$m3"$'\n'"$m4"$'\n'"$m5" ]
	run -0 bash -c "chat-show --last 100 $sid | jq -r .id"
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "$m1" ]
}

@test "--last applies to each session" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	for i in 1 2 3; do
		chat-add -s "$a" "msg a$i" >/dev/null
		chat-add -s "$b" "msg b$i" >/dev/null
	done
	run -0 bash -c "chat-show --last 2 a b | jq -r .content"
	[ "$output" = $'msg a2\nmsg a3\nmsg b2\nmsg b3' ]
	NO_COLOR=1 tty_run "chat-show --last 1 a b"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^user  ' <<< "$output")" -eq 2 ]
	[ "$(grep -c '^msg ' <<< "$output")" -eq 2 ]
	[[ "$output" == *'msg a3'* ]]
	[[ "$output" == *'msg b3'* ]]
}

@test "--last with a bad value is a usage error" {
	five_messages
	for bad in 0 -2 x 3x ''; do
		run --separate-stderr chat-show --last "$bad" "$sid"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		one_line_error "chat-show: invalid --last '$bad'"
	done
}

@test "--message shows one message by full id or prefix" {
	five_messages
	run -0 chat-show --message "$m3"
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r '.id + " " + .content' <<< "$output")" = "$m3 second question" ]
	run -0 chat-show -M "${m4:0:30}"
	[ "$(jq -r .id <<< "$output")" = "$m4" ]
	# upper case is the same id
	run -0 chat-show --message "${m2^^}"
	[ "$(jq -r .id <<< "$output")" = "$m2" ]
	# within its session
	run -0 chat-show --message "$m3" "$sid"
	[ "$(jq -r .id <<< "$output")" = "$m3" ]
	run -0 chat-show --message "$m3" talk
	[ "$(jq -r .id <<< "$output")" = "$m3" ]
	NO_COLOR=1 tty_run "chat-show --message $m2"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "assistant · m1  "* ]]
	[ "${lines[2]}" = "first answer" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "--message of another session exits 3" {
	five_messages
	other=$(new_session --name other)
	om=$(chat-add -s "$other" "elsewhere" | jq -r .id)
	run --separate-stderr chat-show --message "$om" "$sid"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: unknown message '$om' in this session" ]
	run --separate-stderr chat-show --message "$m1" other
	[ "$status" -eq 3 ]
	[ "$stderr" = "chat-show: unknown message '$m1' in this session" ]
}

@test "--message that matches nothing exits 3" {
	five_messages
	for bad in 0123456789ab hello "${m1:0:3}" "${sid}"; do
		run --separate-stderr chat-show --message "$bad"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[ "$stderr" = "chat-show: unknown message '$bad'" ]
	done
}

@test "--message with an ambiguous prefix exits 4 listing the candidates" {
	sid=$(new_session --name s)
	printf '%s\n' '{"role":"user","content":"one"}' '{"role":"user","content":"two"}' |
		chat-add --records -s "$sid" >/dev/null
	mapfile -t ids < <(chat-show "$sid" | jq -r .id)
	p=$(common_prefix "${ids[0]}" "${ids[1]}")
	[ "${#p}" -ge 4 ]
	run --separate-stderr chat-show --message "$p"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	one_line_error "chat-show: ambiguous message prefix '$p' matches "
	[[ "$stderr" == *"${ids[0]}"* ]]
	[[ "$stderr" == *"${ids[1]}"* ]]
}

@test "--message with - takes the session from a record on stdin" {
	five_messages
	other=$(new_session --name other)
	run -0 bash -c "chat-ls --where '.name == \"talk\"' | chat-show --message $m2 -"
	[ "$(jq -r .id <<< "$output")" = "$m2" ]
	run --separate-stderr bash -c "chat-ls --where '.name == \"other\"' | chat-show --message $m2 -"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: unknown message '$m2' in this session" ]
	run --separate-stderr bash -c "chat-ls | chat-show --message $m2 -"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-show: --message: expected one session, got 2"
}

@test "--message takes at most one session" {
	a=$(new_session --name a)
	m=$(chat-add -s "$a" hi | jq -r .id)
	new_session --name b >/dev/null
	run --separate-stderr chat-show --message "$m" a b
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-show: --message takes at most one session"
}

@test "several sessions are shown one after another, in the order given" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	chat-add -s "$a" "a one" >/dev/null
	chat-add -s "$b" "b one" >/dev/null
	chat-add -s "$a" "a two" >/dev/null
	run -0 bash -c "chat-show b a | jq -r '.sessionId + \" \" + .content'"
	[ "$output" = "$b b one"$'\n'"$a a one"$'\n'"$a a two" ]
	NO_COLOR=1 tty_run "chat-show a b"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "a  "*"  2 messages" ]]
	[ "${lines[3]}" = "a one" ]
	[ "${lines[6]}" = "a two" ]
	[ "${lines[7]}" = "" ]
	[[ "${lines[8]}" == "b  "*"  1 messages" ]]
	[ "${lines[11]}" = "b one" ]
}

@test "session records on stdin: chat-ls | chat-show" {
	a=$(new_session --name a -t pick)
	b=$(new_session --name b)
	c=$(new_session --name c -t pick)
	chat-add -s "$a" "from a" >/dev/null
	chat-add -s "$b" "from b" >/dev/null
	chat-add -s "$c" "from c" >/dev/null
	run -0 bash -c 'chat-ls --tag pick | chat-show | jq -r .content'
	[ "$output" = $'from c\nfrom a' ]
	run -0 bash -c 'chat-new --name fresh | chat-show'
	[ -z "$output" ]
	run -0 bash -c "chat-ls --search 'from b' | chat-show --last 1 | jq -r .sessionId"
	[ "$output" = "$b" ]
}

@test "- among the arguments reads records from stdin in its place" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	c=$(new_session --name c)
	chat-add -s "$a" "from a" >/dev/null
	chat-add -s "$b" "from b" >/dev/null
	chat-add -s "$c" "from c" >/dev/null
	run -0 bash -c 'chat-ls -s "from b" | chat-show c - a | jq -r .content'
	[ "$output" = $'from c\nfrom b\nfrom a' ]
	# a second - reads nothing more
	run -0 bash -c 'chat-ls -s "from b" | chat-show - - | jq -r .content'
	[ "$output" = 'from b' ]
}

@test "blank lines on stdin are skipped" {
	a=$(new_session --name a)
	chat-add -s "$a" "hello" >/dev/null
	run -0 bash -c "{ echo; echo '  '; chat-ls; echo; } | chat-show | jq -r .content"
	[ "$output" = hello ]
}

@test "empty stdin shows nothing and succeeds" {
	new_session --name a >/dev/null
	run --separate-stderr chat-show < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "a session is named by full id, unique prefix of 4 or more, or exact name" {
	sid=$(new_session --name 'my talk')
	chat-add -s "$sid" hello >/dev/null
	for ref in "$sid" "${sid^^}" "${sid:0:4}" "${sid:0:8}" "${sid:0:13}" "${sid:0:35}" "${sid:0:6}" 'my talk'; do
		run -0 chat-show "$ref"
		[ "$(jq -r '.sessionId + " " + .content' <<< "$output")" = "$sid hello" ]
	done
	# a name must match exactly
	run --separate-stderr chat-show 'my'
	[ "$status" -eq 3 ]
	run --separate-stderr chat-show 'My Talk'
	[ "$status" -eq 3 ]
}

@test "an ambiguous prefix exits 4 and lists the candidates" {
	a=$(new_session --name first)
	b=$(new_session --name second)
	chat-add -s "$a" "from a" >/dev/null
	p=$(common_prefix "$a" "$b")
	[ "${#p}" -ge 4 ]
	run --separate-stderr chat-show "$p"
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	one_line_error "chat-show: ambiguous session prefix '$p' matches "
	[[ "$stderr" == *"$a (first)"* ]]
	[[ "$stderr" == *"$b (second)"* ]]
	# one character more tells them apart
	run -0 bash -c "chat-show ${a:0:$(( ${#p} + 1 ))} | jq -r .content"
	[ "$output" = "from a" ]
}

@test "a name shared by two sessions is ambiguous" {
	a=$(new_session --name twin)
	b=$(new_session --name twin)
	run --separate-stderr chat-show twin
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	one_line_error "chat-show: ambiguous session name 'twin' matches "
	[[ "$stderr" == *"$a"* ]]
	[[ "$stderr" == *"$b"* ]]
}

@test "a prefix under 4 characters exits 3 and says why" {
	sid=$(new_session --name s)
	run --separate-stderr chat-show "${sid:0:3}"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: unknown session '${sid:0:3}' (an id prefix needs at least 4 characters)" ]
}

@test "an unknown session exits 3" {
	sid=$(new_session --name s)
	chat-add -s "$sid" hi >/dev/null
	# the id with its last digit changed
	other=0
	[ "${sid:35}" != 0 ] || other=1
	for bad in nope ffffffff "${sid:0:35}$other" '00000000-0000-7000-8000-000000000000'; do
		[ "$bad" != "$sid" ]
		run --separate-stderr chat-show "$bad"
		[ "$status" -eq 3 ]
		[ -z "$output" ]
		[ "$stderr" = "chat-show: unknown session '$bad'" ]
	done
	# one unknown among known ones shows nothing at all
	run --separate-stderr chat-show "$sid" nope
	[ "$status" -eq 3 ]
	[ -z "$output" ]
}

@test "a malformed line on stdin exits 5 naming stdin and its line" {
	a=$(new_session --name a)
	chat-add -s "$a" hi >/dev/null
	rec=$(chat-ls)
	run --separate-stderr bash -c "printf '%s\n\n\n%s\n' '$rec' '{\"type\": \"session\", \"id\":' | chat-show"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	one_line_error "chat-show: stdin:4: malformed record"
	run --separate-stderr bash -c "printf '\n\nnot json\n' | chat-show"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	one_line_error "chat-show: stdin:3: malformed record"
	run --separate-stderr bash -c "printf '%s\n[1, 2]\n' '$rec' | chat-show"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: stdin:2: malformed record: not a JSON object" ]
}

@test "a record of the wrong type on stdin exits 5" {
	a=$(new_session --name a)
	m=$(chat-add -s "$a" hi)
	# a message record stands for its session (157-rough-edges)
	run -0 --separate-stderr bash -c "chat-show --json <<< '$m'"
	[ "$output" = "$m" ]
	run --separate-stderr bash -c "echo '{\"type\": \"cost\"}' | chat-show"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: stdin:1: expected a session or message record, got type 'cost'" ]
	run --separate-stderr bash -c "printf '\n%s\n' '{\"id\": \"$a\"}' | chat-show"
	[ "$status" -eq 5 ]
	[ "$stderr" = "chat-show: stdin:2: expected a session or message record, got type '(none)'" ]
	run --separate-stderr bash -c "echo '{\"type\": \"session\"}' | chat-show"
	[ "$status" -eq 5 ]
	[ "$stderr" = "chat-show: stdin:1: session record has no id" ]
}

@test "a session record on stdin that is not in the store exits 3" {
	a=$(new_session --name a)
	rec=$(chat-ls | jq -c '.id = "00000000-0000-7000-8000-000000000000"')
	run --separate-stderr bash -c "printf '\n%s\n' '$rec' | chat-show"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-show: stdin:2: unknown session '00000000-0000-7000-8000-000000000000'" ]
}

@test "no session and stdin a terminal is a usage error" {
	new_session --name a >/dev/null
	tty_run "chat-show"
	[ "$status" -eq 2 ]
	[ "$output" = "chat-show: no session given (see 'chat-show --help')" ]
}

@test "an unknown option is a usage error" {
	run --separate-stderr chat-show --bogus x
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-show: "
	[[ "$stderr" == *"'--bogus'"* ]]
	run --separate-stderr chat-show --last
	[ "$status" -eq 2 ]
	one_line_error "chat-show: "
	[[ "$stderr" == *"'--last'"* ]]
}

@test "--db names the database" {
	other="$BATS_TEST_TMPDIR/other.db"
	sid=$(chat-new --db "$other" --name there | jq -r .id)
	chat-add --db "$other" -s "$sid" "over there" >/dev/null
	run -0 bash -c "chat-show --db '$other' there | jq -r .content"
	[ "$output" = "over there" ]
	run --separate-stderr chat-show there
	[ "$status" -eq 3 ]
}

@test "--help and --version" {
	run --separate-stderr chat-show --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == 'usage: chat-show '* ]]
	for o in --last --message --json --db --version; do
		[[ "$output" == *"$o"* ]]
	done
	run -0 chat-show -h
	[[ "${lines[0]}" == 'usage: chat-show '* ]]
	run -0 chat-show --version
	[[ "$output" =~ ^chat-show\ \(confab\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}
