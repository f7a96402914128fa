#!/usr/bin/env bats
# chat-diff: two sessions' common part and what differs (a branch made by
# chat-branch and diverged with chat-add, sessions sharing nothing, a
# session and itself), a message against its earlier version, records read
# back by jq, --stat, color only on a terminal, and diff(1)'s exit codes
# with the store unchanged.

load helper

setup() {
	common_setup
	export USER=alice
	A=$(new_session --name main)
	chat-add -s main 'Hello there, how are you?' > /dev/null
	chat-add -s main -r assistant -m m1 'I am fine, thanks.' > /dev/null
	B=$(chat-branch --json -n side main | jq -r .id)
	chat-add -s main 'Tell me about cats.' > /dev/null
	chat-add -s main -r assistant -m m1 $'Cats are small, furry animals.\nThey purr.' > /dev/null
	chat-add -s side 'Tell me about dogs.' > /dev/null
	chat-add -s side -r assistant -m m2 $'Dogs are loyal, furry animals.\nThey bark.' > /dev/null
	chat-add -s side 'Thanks!' > /dev/null
}

# ---- two sessions ----

@test "a branch diverged: its common part, then each changed message word by word, role and model in the hunk's header" {
	run -1 --separate-stderr chat-diff main side
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "--- a: main (${A:0:8}"*", 4 messages)" ]]
	[[ "${lines[1]}" == "+++ b: side ("*", 5 messages)" ]]
	[ "${lines[2]}" = "# b is a branch of a, made at message 2" ]
	[ "${lines[3]}" = "= 2 messages the same (1-2)" ]
	[ "${lines[4]}" = "@@ -3 +3 @@ user" ]
	[ "${lines[5]}" = "Tell me about [-cats-]{+dogs+}." ]
	[ "${lines[6]}" = "@@ -4 +4 @@ assistant · m1 → m2" ]
	[ "${lines[7]}" = "[-Cats-]{+Dogs+} are [-small-]{+loyal+}, furry animals." ]
	[ "${lines[8]}" = "They [-purr-]{+bark+}." ]
	[ "${lines[9]}" = "@@ +5 @@ user" ]
	[ "${lines[10]}" = "+Thanks!" ]
	[ "${#lines[@]}" -eq 11 ]
	# the other way round, a is the branch and the signs turn
	run -1 chat-diff side main
	[ "${lines[2]}" = "# a is a branch of b, made at message 2" ]
	[ "${lines[5]}" = "Tell me about [-dogs-]{+cats+}." ]
	[ "${lines[9]}" = "@@ -5 @@ user" ]
	[ "${lines[10]}" = "-Thanks!" ]
}

@test "a branch edited inside its copied part: the common part ends there" {
	first=$(chat-show --json side | jq -r 'select(.content == "Hello there, how are you?") | .id')
	chat-edit "$first" 'Hello, how are you?' > /dev/null
	run -1 chat-diff main side
	[ "${lines[3]}" = "= no message in common at the start" ]
	[ "${lines[4]}" = "@@ -1 +1 @@ user" ]
	[ "${lines[5]}" = "Hello[- there-], how are you?" ]
	[ "${lines[6]}" = "= 1 message the same (2-2)" ]
}

@test "sessions that share nothing: every message removed and added, lines kept" {
	new_session --name x > /dev/null
	chat-add -s x -r system $'Be brief.\nBe kind.' > /dev/null
	new_session --name empty > /dev/null
	run -1 chat-diff x main
	[ "${lines[2]}" = "= no message in common at the start" ]
	[ "${lines[3]}" = "@@ -1 @@ system" ]
	[ "${lines[4]}" = "-Be brief." ]
	[ "${lines[5]}" = "-Be kind." ]
	[ "${lines[6]}" = "@@ +1 @@ user" ]
	[ "${lines[7]}" = "+Hello there, how are you?" ]
	[ "$(grep -c '^@@ +' <<<"$output")" -eq 4 ]
	run -1 chat-diff empty x
	[[ "${lines[0]}" == "--- a: empty ("*", 0 messages)" ]]
	[ "${lines[3]}" = "@@ +1 @@ system" ]
	run -0 chat-diff empty empty
}

@test "a session against itself is the same: exit 0" {
	run -0 --separate-stderr chat-diff main main
	[ -z "$stderr" ]
	[ "${lines[2]}" = "= 4 messages the same (1-4)" ]
	[ "${#lines[@]}" -eq 3 ]
	run -0 chat-diff --json main "$A"
	[ "$output" = '{"type":"same","a":1,"b":1,"count":4,"branch":null}' ]
	# a branch nothing was added to
	chat-branch -n copy main > /dev/null
	run -0 chat-diff main copy
	[ "${lines[2]}" = "# b is a branch of a, made at message 4" ]
}

@test "sessions from stdin: two session records" {
	run -1 bash -c 'chat-ls --json | jq -sc "map(select(.name == \"main\" or .name == \"side\")) | sort_by(.name)[]" | chat-diff --stat'
	[[ "$output" == *"2 the same, 2 changed, 0 removed, 1 added"* ]]
	run -1 bash -c 'chat-ls --json | jq -c "select(.name == \"side\")" | chat-diff main -'
	[[ "$output" == *"@@ +5 @@ user"* ]]
}

# ---- records and the summary ----

@test "--json: same, change and add records; the words spell both texts (jq)" {
	run -1 --separate-stderr chat-diff --json main side
	[ -z "$stderr" ]
	[ "$(jq -r .type <<<"$output" | paste -sd,)" = same,change,change,add ]
	[ "$(jq -c 'select(.type == "same") | [.a, .b, .count, .branch.parent, .branch.at]' <<<"$output")" = '[1,1,2,"a",2]' ]
	[ "$(jq -r 'select(.type == "same") | .branch.point' <<<"$output")" = \
		"$(store_sql "SELECT branch_point FROM sessions WHERE id = '$B'")" ]
	# applying the words gives each side's content
	[ "$(jq -r 'select(.type == "change") | ([.words[] | select(.op != "+") | .text] | add) == .from.content and
		([.words[] | select(.op != "-") | .text] | add) == .to.content' <<<"$output" | sort -u)" = true ]
	[ "$(jq -c 'select(.type == "change" and .a == 4) | [.from.role, .from.model, .to.model, (.words | map(.op) | join(""))]' <<<"$output")" = \
		'["assistant","m1","m2","-+=-+=-+="]' ]
	[ "$(jq -c 'select(.type == "add") | [.b, .message.role, .message.content, (.message.id | length)]' <<<"$output")" = '[5,"user","Thanks!",36]' ]
	# a removed message is the other way round
	run -1 chat-diff --json side main
	[ "$(jq -c 'select(.type == "remove") | [.a, .message.content]' <<<"$output")" = '[5,"Thanks!"]' ]
}

@test "--stat: a summary, and with --json one stat record" {
	run -1 chat-diff --stat main side
	[[ "${lines[0]}" == "a: main ("*"), 4 messages; b: side ("*"), 5 messages" ]]
	[ "${lines[1]}" = "2 the same, 2 changed, 0 removed, 1 added; words -4 +5" ]
	run -1 chat-diff --stat --json main side
	[ "$(jq -c '[.type, .a, .b, .same, .change, .remove, .add, .wordsRemoved, .wordsAdded, .branch.parent]' <<<"$output")" = \
		'["stat",4,5,2,2,0,1,4,5,"a"]' ]
	run -0 chat-diff --stat main main
	[ "${lines[1]}" = "4 the same, 0 changed, 0 removed, 0 added; words -0 +0" ]
}

@test "--stat: one message is 1 message, as in the header of the diff" {
	chat-new --name one > /dev/null
	chat-add -s one 'only this' > /dev/null
	run -0 chat-diff --stat one one
	[[ "${lines[0]}" == "a: one ("*"), 1 message; b: one ("*"), 1 message" ]]
	run -0 chat-diff one one
	[[ "${lines[0]}" == "--- a: one ("*", 1 message)" ]]
}

# ---- a message's versions ----

@test "MESSAGE: versions that differ only after a NUL differ, and the words spell them whole" {
	sqlite_only "PostgreSQL's text holds no NUL: such a message cannot be stored"
	chat-new --name nul > /dev/null
	M=$(chat-add --records -s nul <<'JSON' | jq -r .id
{"role":"user","content":"a\u0000c end","metadata":{"edits":[{"content":"a\u0000b end","timestamp":"2026-11-01T10:00:00Z","editedBy":"bob"}]}}
JSON
)
	run -1 chat-diff --json "$M"
	[ "$(jq -c '.from.content, .to.content' <<<"$output" | paste -sd,)" = '"a\u0000b end","a\u0000c end"' ]
	[ "$(jq -r '([.words[] | select(.op != "+") | .text] | add) == .from.content' <<<"$output")" = true ]
	run -1 chat-diff --stat --json "$M"
	[ "$(jq -c '[.change, .wordsRemoved, .wordsAdded]' <<<"$output")" = '[1,1,1]' ]
}

@test "MESSAGE: its earlier version against the current one; --from N" {
	M=$(chat-show --json main | jq -r 'select(.content == "Tell me about cats.") | .id')
	chat-edit "$M" 'Tell me about big cats.' > /dev/null
	chat-edit "$M" 'Tell me about big cats, please.' > /dev/null
	run -1 --separate-stderr chat-diff "${M:0:18}"
	[ -z "$stderr" ]
	[ "${lines[0]}" = "--- a: message $M, version 2" ]
	[ "${lines[1]}" = "+++ b: message $M, version 3 (current)" ]
	[ "${lines[2]}" = "@@ version 2 → 3 @@ user" ]
	[ "${lines[3]}" = "Tell me about big cats{+, please+}." ]
	run -1 chat-diff --from 1 "$M"
	[ "${lines[3]}" = "Tell me about {+big +}cats{+, please+}." ]
	run -0 chat-diff --from 3 "$M"
	[ "${lines[2]}" = "= version 3 and 3 are the same" ]
	run -1 chat-diff --json --from 1 "$M"
	[ "$(jq -c '[.type, .message, .a, .b, .from.content, .to.content]' <<<"$output")" = \
		"[\"change\",\"$M\",1,3,\"Tell me about cats.\",\"Tell me about big cats, please.\"]" ]
	run -1 chat-diff --stat "$M"
	[ "$output" = "message $M: version 2 against 3, 0 the same, 1 changed, 0 removed, 0 added; words -0 +1" ]
}

@test "MESSAGE: no earlier version, or no such version, is trouble (exit 2)" {
	M=$(chat-show --json main | jq -r 'select(.content == "Tell me about cats.") | .id')
	run -2 --separate-stderr chat-diff "$M"
	one_error chat-diff
	[ "$stderr" = "chat-diff: message '$M' has no earlier version (it was never edited)" ]
	chat-edit "$M" 'Tell me about lions.' > /dev/null
	run -2 --separate-stderr chat-diff --from 3 "$M"
	one_error chat-diff
	[[ "$stderr" == *"has no version 3 (it has 1 to 2)" ]]
	run -3 --separate-stderr chat-diff ffffffff
	one_error chat-diff
	[[ "$stderr" == *"unknown message 'ffffffff'"* ]]
}

# ---- color ----

@test "color on a terminal only: not with NO_COLOR, --plain, or a pipe" {
	tty_run chat-diff main side
	[[ "$output" == *$'\e[36m@@ -3 +3 @@'* ]]
	[[ "$output" == *$'\e[31mcats\e[0m\e[32mdogs\e[0m'* ]]
	[[ "$output" != *'[-cats-]'* ]]
	tty_run chat-diff --plain main side
	[[ "$output" != *$'\e'* ]]
	[[ "$output" == *'[-cats-]{+dogs+}'* ]]
	NO_COLOR=1 tty_run chat-diff main side
	[[ "$output" != *$'\e'* ]]
	run -1 chat-diff main side
	[[ "$output" != *$'\e'* ]]
}

@test "control characters in messages never reach the terminal" {
	chat-add -s side $'bad \e[31mred\e]0;title\a text' > /dev/null
	tty_run chat-diff --plain main side
	[[ "$output" == *'+bad  [31mred ]0;title  text'* ]]
	[[ "$output" != *$'\e]0'* ]]
}

# ---- trouble: exit 2 and above, the store unchanged ----

@test "bad input: one line, diff(1)'s trouble codes, the store unchanged" {
	new_session --name twin > /dev/null
	new_session --name twin > /dev/null
	before=$(store_dump)
	run -3 --separate-stderr chat-diff main nosuch
	one_error chat-diff
	[ "$stderr" = "chat-diff: unknown session 'nosuch'" ]
	run -4 --separate-stderr chat-diff main twin
	one_error chat-diff
	[[ "$stderr" == "chat-diff: ambiguous session name 'twin' matches "* ]]
	run -2 --separate-stderr chat-diff main side main
	one_error chat-diff
	run -2 --separate-stderr chat-diff main
	one_error chat-diff
	[[ "$stderr" == "chat-diff: 'main' is a session: give two sessions, or one message"* ]]
	run -2 --separate-stderr chat-diff --from 1 main side
	one_error chat-diff
	[[ "$stderr" == *"--from goes with one MESSAGE"* ]]
	run -2 --separate-stderr chat-diff --from x "$A"
	one_error chat-diff
	run -2 --separate-stderr chat-diff --bogus main side
	one_error chat-diff
	run -5 --separate-stderr bash -c 'echo "{nope" | chat-diff main -'
	one_error chat-diff
	run -2 --separate-stderr bash -c 'chat-ls --json | jq -c "select(.name == \"main\")" | chat-diff'
	one_error chat-diff
	[[ "$stderr" == *"expected two sessions, got 1"* ]]
	[ "$(store_dump)" = "$before" ]
	# another program's database
	sqlite3 "$BATS_TEST_TMPDIR/other.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1)'
	run -6 --separate-stderr chat-diff --db "$BATS_TEST_TMPDIR/other.db" a b
	one_error chat-diff
}

@test "a reader that goes away: the answer stands (1: different), nothing on stderr" {
	for i in $(seq 1 3000); do printf '{"type":"message","role":"user","content":"line %s of a long one"}\n' "$i"; done |
		chat-add --records -s side > /dev/null
	run --separate-stderr bash -c 'chat-diff main side | head -c 10 > /dev/null; echo "${PIPESTATUS[0]}"'
	[ "$output" = 1 ]
	[ -z "$stderr" ]
	run -2 --separate-stderr bash -c 'chat-diff main side > /dev/full'
	one_error chat-diff
	[[ "$stderr" == *"write error"* ]]
}
