#!/usr/bin/env bats
# chat-ls: listing, every filter, output for people and for pipes, errors.

load helper

# Moves a session's lastUpdated to TIME (anything `date -d` reads), straight
# in the store: chat-add only ever moves it forward.
set_updated() {
	local ms=$(( $(date -ud "$2" +%s) * 1000 ))
	store_sql "UPDATE sessions SET last_updated = $ms WHERE id = '$1'"
}

# The names chat-ls prints, one a line, for the given options.
names() {
	chat-ls "$@" | jq -r .name
}

# Whether a snippet is FTS5's to the byte: PostgreSQL's ts_headline marks
# the words of a phrase one by one and chooses its own window (chat-ls(1),
# "Backends").
fts5_snippets() {
	[ "${CONFAB_TEST_DB:-}" != pg ]
}

@test "an empty store lists nothing and succeeds" {
	run --separate-stderr chat-ls
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "sessions come as records, most recently updated first" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	c=$(new_session --name c)
	set_updated "$a" '2026-01-03T00:00:00Z'
	set_updated "$b" '2026-01-01T00:00:00Z'
	set_updated "$c" '2026-01-02T00:00:00Z'
	run -0 names
	[ "$output" = $'a\nc\nb' ]
	# every line is a full session record
	run -0 bash -c 'chat-ls | jq -c "[.type, .id, .lastUpdated]"'
	[ "${lines[0]}" = "[\"session\",\"$a\",\"2026-01-03T00:00:00.000Z\"]" ]
	[ "${lines[1]}" = "[\"session\",\"$c\",\"2026-01-02T00:00:00.000Z\"]" ]
	[ "${lines[2]}" = "[\"session\",\"$b\",\"2026-01-01T00:00:00.000Z\"]" ]
}

@test "adding a message moves a session to the top" {
	a=$(new_session --name first)
	new_session --name second >/dev/null
	new_session --name third >/dev/null
	run -0 names
	[ "$output" = $'third\nsecond\nfirst' ]
	later=$(date -ud '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	chat-add -s "$a" --time "$later" "hello" >/dev/null
	run -0 names
	[ "$output" = $'first\nthird\nsecond' ]
	run -0 bash -c "chat-ls -n 1 | jq -r '.metadata.messageCount, .lastUpdated'"
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "${later%Z}.000Z" ]
}

@test "--tag keeps sessions with the tag; repeated, with all of them" {
	new_session --name none >/dev/null
	new_session --name work -t work >/dev/null
	new_session --name both -t work -t urgent >/dev/null
	new_session --name urgent -t urgent >/dev/null
	run -0 names --tag work
	[ "$output" = $'both\nwork' ]
	run -0 names -t urgent
	[ "$output" = $'urgent\nboth' ]
	run -0 names --tag work --tag urgent
	[ "$output" = both ]
	run -0 names --tag nope
	[ -z "$output" ]
	# a tag added later counts too
	chat-set --tag work urgent >/dev/null
	run -0 names --tag work --tag urgent
	[ "$output" = $'urgent\nboth' ]
}

@test "--provider and --model keep sessions with that provider or model" {
	new_session --name e1 --provider echo --model m1 >/dev/null
	new_session --name a1 --provider anthropic --model claude-x >/dev/null
	new_session --name e2 --provider echo --model m2 >/dev/null
	new_session --name plain >/dev/null
	run -0 names --provider echo
	[ "$output" = $'e2\ne1' ]
	run -0 names -p anthropic
	[ "$output" = a1 ]
	run -0 names --model m1
	[ "$output" = e1 ]
	run -0 names -m claude-x -p anthropic
	[ "$output" = a1 ]
	run -0 names --provider anthropic --model m1
	[ -z "$output" ]
	run -0 names --provider ollama
	[ -z "$output" ]
}

@test "--starred keeps starred sessions only" {
	new_session --name s1 >/dev/null
	new_session --name s2 >/dev/null
	new_session --name s3 >/dev/null
	chat-set --star s1 >/dev/null
	chat-set --star s3 >/dev/null
	run -0 names --starred
	[ "$output" = $'s3\ns1' ]
	run -0 bash -c 'chat-ls --starred | jq -r .metadata.starred | sort -u'
	[ "$output" = true ]
	chat-set --unstar s3 >/dev/null
	run -0 names --starred
	[ "$output" = s1 ]
}

@test "archived sessions are hidden unless --archived or --all" {
	new_session --name kept >/dev/null
	new_session --name old >/dev/null
	new_session --name older >/dev/null
	chat-set --archive old older >/dev/null
	run -0 names
	[ "$output" = kept ]
	run -0 names --archived
	[ "$(sort <<< "$output")" = $'old\nolder' ]
	run -0 bash -c 'chat-ls --archived | jq -r .metadata.archived | sort -u'
	[ "$output" = true ]
	run -0 names --all
	[ "$(sort <<< "$output")" = $'kept\nold\nolder' ]
	run -0 names -a
	[ "${#lines[@]}" -eq 3 ]
	# filters combine with --all
	chat-set --star old >/dev/null
	run -0 names --all --starred
	[ "$output" = old ]
	run -0 names --starred
	[ -z "$output" ]
}

@test "--since and --until take dates; --until with a date includes that day" {
	jan=$(new_session --name jan)
	feb=$(new_session --name feb)
	mar=$(new_session --name mar)
	set_updated "$jan" '2026-01-15T12:00:00Z'
	set_updated "$feb" '2026-02-15T23:59:59Z'
	set_updated "$mar" '2026-03-15T00:00:00Z'
	run -0 names --since 2026-02-01
	[ "$output" = $'mar\nfeb' ]
	run -0 names --until 2026-02-14
	[ "$output" = jan ]
	# the whole of 2026-02-15, up to 23:59:59
	run -0 names --until 2026-02-15
	[ "$output" = $'feb\njan' ]
	run -0 names --since 2026-02-15 --until 2026-02-15
	[ "$output" = feb ]
	# --since with a date starts at midnight of that day
	run -0 names --since 2026-03-15
	[ "$output" = mar ]
	run -0 names --since 2026-03-16
	[ -z "$output" ]
}

@test "--since and --until take RFC 3339 times, bounds included" {
	a=$(new_session --name a)
	b=$(new_session --name b)
	set_updated "$a" '2026-05-01T10:00:00Z'
	set_updated "$b" '2026-05-01T11:00:00Z'
	run -0 names --since 2026-05-01T10:30:00Z
	[ "$output" = b ]
	run -0 names --since 2026-05-01T11:00:00Z
	[ "$output" = b ]
	run -0 names --until 2026-05-01T10:00:00Z
	[ "$output" = a ]
	run -0 names --until 2026-05-01T10:59:59.999Z
	[ "$output" = a ]
	# other offsets: 12:30+02:00 is 10:30Z
	run -0 names --since 2026-05-01T12:30:00+02:00
	[ "$output" = b ]
	run -0 names --since 2026-05-01T09:00:00Z --until 2026-05-01T12:00:00Z
	[ "$output" = $'b\na' ]
}

@test "--since and --until take ages such as 7d, 12h, 30m, 2w" {
	new_session --name now >/dev/null
	h=$(new_session --name hours)
	d=$(new_session --name days)
	w=$(new_session --name weeks)
	set_updated "$h" '5 hours ago'
	set_updated "$d" '10 days ago'
	set_updated "$w" '30 days ago'
	run -0 names --since 7d
	[ "$output" = $'now\nhours' ]
	run -0 names --since 30m
	[ "$output" = now ]
	run -0 names --since 12h
	[ "$output" = $'now\nhours' ]
	run -0 names --until 7d
	[ "$output" = $'days\nweeks' ]
	run -0 names --until 2w
	[ "$output" = weeks ]
	run -0 names --since 2w --until 1d
	[ "$output" = days ]
}

@test "invalid --since or --until is a usage error" {
	new_session --name a >/dev/null
	for bad in yesterday 7x 2026-13-01 2026-02-30 -3d 12 ''; do
		run --separate-stderr chat-ls --since "$bad"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		one_line_error "chat-ls: invalid --since '$bad'"
	done
	run --separate-stderr chat-ls --until 'last week'
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: invalid --until 'last week'"
}

@test "--parent lists the branches of a session, named by id, prefix or name" {
	p=$(new_session --name parent)
	chat-add -s "$p" hello >/dev/null
	other=$(new_session --name other)
	chat-add -s "$other" hi >/dev/null
	chat-branch --name b1 "$p" >/dev/null
	chat-branch --name b2 parent >/dev/null
	chat-branch --name ob other >/dev/null
	chat-branch --duplicate --name copy parent >/dev/null
	run -0 names --parent "$p"
	[ "$output" = $'b2\nb1' ]
	run -0 names --parent "${p:0:30}"
	[ "$output" = $'b2\nb1' ]
	run -0 names --parent parent
	[ "$output" = $'b2\nb1' ]
	run -0 bash -c "chat-ls --parent parent | jq -r .parentSessionId | sort -u"
	[ "$output" = "$p" ]
	run -0 names --parent other
	[ "$output" = ob ]
	# a session without branches
	run -0 names --parent b1
	[ -z "$output" ]
}

@test "--parent with an unknown session exits 3" {
	new_session --name a >/dev/null
	run --separate-stderr chat-ls --parent nope
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	one_line_error "chat-ls: unknown session 'nope'"
	run --separate-stderr chat-ls --parent 0123456789ab
	[ "$status" -eq 3 ]
	one_line_error "chat-ls: unknown session '0123456789ab'"
}

@test "--search finds sessions by name, with the name highlighted" {
	new_session --name 'Kernel panic notes' >/dev/null
	new_session --name 'Grocery list' >/dev/null
	run -0 chat-ls --search panic
	[ "${#lines[@]}" -eq 1 ]
	run -0 jq -c '[.name, .match.messageId, .match.snippet]' <<< "$output"
	[ "$output" = '["Kernel panic notes",null,"Kernel **panic** notes"]' ]
	# case does not matter
	run -0 names -s GROCERY
	[ "$output" = 'Grocery list' ]
}

@test "--search finds sessions by message content, with a snippet and the message id" {
	a=$(new_session --name alpha)
	chat-add -s "$a" "nothing to see" >/dev/null
	mid=$(chat-add -s "$a" -r assistant "the segfault comes from a double free" | jq -r .id)
	chat-add -s "$a" "thanks" >/dev/null
	b=$(new_session --name beta)
	chat-add -s "$b" "unrelated words" >/dev/null
	run -0 chat-ls --search segfault
	[ "${#lines[@]}" -eq 1 ]
	run -0 jq -r '.id, .match.messageId, .match.snippet' <<< "$output"
	[ "${lines[0]}" = "$a" ]
	[ "${lines[1]}" = "$mid" ]
	[ "${lines[2]}" = 'the **segfault** comes from a double free' ]
	run -0 names --search nothing-here-at-all
	[ -z "$output" ]
}

@test "--search needs every word, in any order" {
	a=$(new_session --name a)
	chat-add -s "$a" "the quick brown fox" >/dev/null
	b=$(new_session --name b)
	chat-add -s "$b" "a quick red fox" >/dev/null
	run -0 names --search 'quick fox'
	[ "$output" = $'b\na' ]
	run -0 names --search 'fox brown'
	[ "$output" = a ]
	run -0 names --search 'quick purple'
	[ -z "$output" ]
	run -0 bash -c "chat-ls --search 'fox brown' | jq -r .match.snippet"
	[ "$output" = 'the quick **brown** **fox**' ]
}

@test "--search takes punctuation as text: words with it still match" {
	a=$(new_session --name cpp)
	chat-add -s "$a" 'I write c++ every day' >/dev/null
	b=$(new_session --name log)
	chat-add -s "$b" "error: foo failed, it's the foo-bar module" >/dev/null
	c=$(new_session --name ops)
	chat-add -s "$c" 'NEAR the foo-bar AND OR NOT' >/dev/null
	run --separate-stderr chat-ls --search 'c++'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -r .name <<< "$output")" = cpp ]
	[ "$(jq -r .match.snippet <<< "$output")" = 'I write **c**++ every day' ]
	run -0 names --search 'error: foo'
	[ "$output" = log ]
	run -0 names --search "it's"
	[ "$output" = log ]
	run -0 bash -c "chat-ls --search \"it's\" | jq -r .match.snippet"
	[ "$output" = "error: foo failed, **it's** the foo-bar module" ]
	# inner punctuation joins the parts into a phrase
	run -0 names --search 'foo-bar'
	[ "$output" = $'ops\nlog' ]
	run -0 names --search 'failed-foo'
	[ -z "$output" ]
	# FTS5's own syntax other than quotes and * is plain text
	for q in 'NEAR(' '(foo' '^near' ':bar' 'content:foo' 'foo)' '+foo' '{foo}' 'a:b' '-foo'; do
		run --separate-stderr chat-ls --search "$q"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
	done
	run -0 names --search 'NEAR('
	[ "$output" = ops ]
	# the words OR, NOT and AND themselves, in lower case (case does not matter)
	run -0 names --search 'and or not'
	[ "$output" = ops ]
	# a word of punctuation alone finds nothing by itself and narrows nothing
	run -0 names --search '++'
	[ -z "$output" ]
	run -0 names --search '++ write'
	[ "$output" = cpp ]
}

@test "--search takes a prefix: a word ending in *" {
	a=$(new_session --name a)
	chat-add -s "$a" 'a segfault in the parser' >/dev/null
	b=$(new_session --name b)
	chat-add -s "$b" 'the segments are aligned' >/dev/null
	c=$(new_session --name c)
	chat-add -s "$c" 'nothing like it' >/dev/null
	run -0 names --search 'segf*'
	[ "$output" = a ]
	run -0 names --search 'SEG*'
	[ "$output" = $'b\na' ]
	run -0 names --search 'segf'
	[ -z "$output" ]
	run -0 bash -c "chat-ls --search 'segf* pars*' | jq -r .match.snippet"
	[ "$output" = 'a **segfault** in the **parser**' ]
	# in a session's name too
	new_session --name 'Parsing notes' >/dev/null
	run -0 bash -c "chat-ls --search 'parsi*' | jq -r .match.snippet"
	[ "$output" = '**Parsing** notes' ]
}

@test "--search takes a phrase in double quotes: the words side by side, in order" {
	a=$(new_session --name a)
	chat-add -s "$a" 'the connection refused us' >/dev/null
	b=$(new_session --name b)
	chat-add -s "$b" 'refused: the connection was' >/dev/null
	c=$(new_session --name c)
	chat-add -s "$c" 'he said "hello there" twice' >/dev/null
	run -0 names --search 'connection refused'
	[ "$output" = $'b\na' ]
	run -0 names --search '"connection refused"'
	[ "$output" = a ]
	run -0 names --search '"refused connection"'
	[ -z "$output" ]
	run -0 bash -c "chat-ls --search '\"connection refused\"' | jq -r .match.snippet"
	! fts5_snippets || [ "$output" = 'the **connection refused** us' ]
	[[ $output == 'the **connection'* ]]
	run -0 bash -c "chat-ls --search '\"hello there\"' | jq -r .match.snippet"
	! fts5_snippets || [ "$output" = 'he said "**hello there**" twice' ]
	[[ $output == 'he said "**hello'* ]]
	# punctuation between the words does not matter; a phrase ends in * too
	run -0 names --search '"refused the"'
	[ "$output" = b ]
	run -0 names --search '"connection ref"*'
	[ "$output" = a ]
	run -0 names --search 'the "connection refused"'
	[ "$output" = a ]
}

@test "--search takes OR between words and NOT before them" {
	a=$(new_session --name a)
	chat-add -s "$a" 'an error in the build' >/dev/null
	b=$(new_session --name b)
	chat-add -s "$b" 'a warning in the build' >/dev/null
	c=$(new_session --name c)
	chat-add -s "$c" 'a fatal error at start' >/dev/null
	run -0 names --search 'error OR warning'
	[ "$output" = $'c\nb\na' ]
	run -0 names --search 'build error OR warning'
	[ "$output" = $'b\na' ]
	run -0 names --search 'error NOT fatal'
	[ "$output" = a ]
	run -0 names --search 'NOT fatal error'
	[ "$output" = a ]
	run -0 names --search 'NOT build OR start error OR warning OR fatal'
	[ -z "$output" ]
	run -0 names --search 'error AND build'
	[ "$output" = a ]
	run -0 names --search 'error NOT "fatal error"'
	[ "$output" = a ]
	run -0 bash -c "chat-ls --search 'error OR warning' | jq -r .match.snippet"
	[ "${lines[1]}" = 'a **warning** in the build' ]
}

@test "a search that cannot be read is a usage error naming it" {
	new_session --name a >/dev/null
	for q in '"connection refused' 'hello"' 'OR foo' 'foo OR' 'foo OR OR bar' 'foo NOT' \
	         'NOT foo' 'NOT foo NOT bar' 'AND' 'NOT OR' 'foo OR NOT bar'; do
		run --separate-stderr chat-ls --search "$q"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		one_line_error "chat-ls: invalid --search '$q': "
	done
	run --separate-stderr chat-ls --search '"connection refused'
	[[ "$stderr" == *'quote'* ]]
	run --separate-stderr chat-ls --search 'foo OR'
	[[ "$stderr" == *'OR'* ]]
	# before the store is opened
	run --separate-stderr chat-ls --db "$BATS_TEST_TMPDIR/none.db" --search 'x OR'
	[ "$status" -eq 2 ]
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
}

@test "--search in a 1 MB message that matches on every line stays quick" {
	a=$(new_session --name big)
	yes 'error: connection refused' | head -c 1000000 | chat-add -s "$a" >/dev/null
	b=$(new_session --name small)
	chat-add -s "$b" 'one error here' >/dev/null
	# a generous bound: FTS5's snippet() takes seconds to minutes here
	run --separate-stderr timeout 10 chat-ls --search error
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .match.snippet <<< "${lines[0]}")" = 'one **error** here' ]
	# what snippet() gives a short log: 12 words from a sentence's start
	# (after "error:")
	! fts5_snippets || [ "$(jq -r .match.snippet <<< "${lines[1]}")" = $'…connection refused\n**error**: connection refused\n**error**: connection refused\n**error**: connection refused\n**error**…' ]
	[[ $(jq -r .match.snippet <<< "${lines[1]}") == *'**error**'* ]]
	run --separate-stderr timeout 10 chat-ls --search '"connection refused" err*' --json
	[ "$status" -eq 0 ]
	! fts5_snippets || [ "$(jq -r .match.snippet <<< "${lines[0]}")" = $'…**connection refused**\n**error**: **connection refused**\n**error**: **connection refused**\n**error**: **connection refused**\n**error**…' ]
}

@test "--search in a 2 MB session name, every word a match, stays quick" {
	sqlite_only "the name is written with SQLite's readfile()"
	c=$(new_session --name placeholder)
	printf 'error %.0s' $(seq 300000) > "$BATS_TEST_TMPDIR/name"
	sqlite3 "$CHAT_DB" "UPDATE sessions SET name = CAST(readfile('$BATS_TEST_TMPDIR/name') AS TEXT) WHERE id = '$c'"
	# highlight() copies what it has written at every match
	run --separate-stderr timeout 10 chat-ls --search error
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .match.messageId <<< "$output")" = null ]
	[ "$(jq -r .match.snippet <<< "$output" | grep -o '\*\*error\*\* ' | wc -l)" -eq 300000 ]
	[ "$(jq -r .match.snippet <<< "$output" | sed 's/\*//g')" = "$(cat "$BATS_TEST_TMPDIR/name")" ]
}

@test "--search combines with the other filters" {
	a=$(new_session --name a -t work)
	chat-add -s "$a" "deploy the thing" >/dev/null
	b=$(new_session --name b)
	chat-add -s "$b" "deploy another thing" >/dev/null
	c=$(new_session --name c -t work)
	chat-add -s "$c" "deploy again" >/dev/null
	chat-set --archive c >/dev/null
	run -0 names --search deploy
	[ "$output" = $'b\na' ]
	run -0 names --search deploy --tag work
	[ "$output" = a ]
	run -0 names --search deploy --all --tag work
	[ "$output" = $'c\na' ]
	run -0 names --search deploy --limit 1
	[ "$output" = b ]
}

@test "--search is kept in step when a session is renamed" {
	new_session --name 'old title' >/dev/null
	chat-set --name 'new heading' 'old title' >/dev/null
	run -0 names --search title
	[ -z "$output" ]
	run -0 names --search heading
	[ "$output" = 'new heading' ]
}

@test "--where keeps the sessions for which the jq program is true" {
	a=$(new_session --name small)
	chat-add -s "$a" --tokens 10 hi >/dev/null
	b=$(new_session --name big)
	chat-add -s "$b" --tokens 600 hi >/dev/null
	chat-add -s "$b" --tokens 600 again >/dev/null
	new_session --name empty >/dev/null
	run -0 names --where '.metadata.totalTokens > 1000'
	[ "$output" = big ]
	run -0 names -w '.metadata.totalTokens > 5'
	[ "$output" = $'big\nsmall' ]
	run -0 names --where 'false'
	[ -z "$output" ]
	# null and no output count as false
	run -0 names --where 'null'
	[ -z "$output" ]
	run -0 names --where 'empty'
	[ -z "$output" ]
	run -0 names --where '.name | startswith("sm")'
	[ "$output" = small ]
}

@test "--where with --limit counts the sessions kept, not those read" {
	for i in 1 2 3 4 5 6; do
		id=$(new_session --name "s$i")
		set_updated "$id" "2026-01-0$i"
		chat-set --tag "$((i % 2))" "$id" >/dev/null
		set_updated "$id" "2026-01-0$i"
	done
	run -0 names --where '.metadata.tags == ["0"]' --limit 2
	[ "$output" = $'s6\ns4' ]
	run -0 names --where '.metadata.tags == ["1"]' -n 2
	[ "$output" = $'s5\ns3' ]
	run -0 names --where '.metadata.tags == ["1"]' --limit 10
	[ "$output" = $'s5\ns3\ns1' ]
}

@test "--where with a jq syntax error exits 2 with one line, before touching the store" {
	run --separate-stderr chat-ls --where '.metadata.totalTokens >'
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: --where: "
	[[ "$stderr" == *"syntax error"* ]]
	no_store
	new_session --name a >/dev/null
	run --separate-stderr chat-ls --where '.name | ('
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: --where: "
	run --separate-stderr chat-ls --where 'nosuchfunction(1)'
	[ "$status" -eq 2 ]
	one_line_error "chat-ls: --where: "
}

@test "--where with a jq runtime error exits 5 naming the session" {
	id=$(new_session --name notanumber)
	run --separate-stderr chat-ls --where '.name | tonumber > 3'
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	one_line_error "chat-ls: --where: jq error on session $id: "
	run --separate-stderr chat-ls --where 'error("boom")'
	[ "$status" -eq 5 ]
	[ "$stderr" = "chat-ls: --where: jq error on session $id: boom" ]
}

@test "--limit gives the N most recent sessions" {
	for i in 1 2 3 4 5; do
		id=$(new_session --name "s$i")
		set_updated "$id" "2026-02-0$i"
	done
	run -0 names --limit 2
	[ "$output" = $'s5\ns4' ]
	run -0 names -n 1
	[ "$output" = s5 ]
	run -0 names --limit 99
	[ "$output" = $'s5\ns4\ns3\ns2\ns1' ]
}

@test "--limit with a bad value is a usage error" {
	new_session --name a >/dev/null
	for bad in 0 -1 x 2x '' 1.5 99999999999999999999999; do
		run --separate-stderr chat-ls --limit "$bad"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		one_line_error "chat-ls: invalid --limit '$bad'"
	done
	run --separate-stderr chat-ls --limit
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: "
	[[ "$stderr" == *"'--limit'"* ]]
}

@test "--json prints records on a terminal too" {
	a=$(new_session --name one)
	b=$(new_session --name two)
	tty_run "chat-ls --json"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .id <<< "${lines[0]}")" = "$b" ]
	[ "$(jq -r .id <<< "${lines[1]}")" = "$a" ]
	[[ "$output" != *$'\e'* ]]
	# a snippet in a record is marked with ** even on a terminal
	chat-add -s "$a" "find the needle here" >/dev/null
	tty_run "chat-ls --json --search needle"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .match.snippet <<< "${lines[0]}")" = 'find the **needle** here' ]
}

@test "on a terminal: a header row, aligned columns, relative times" {
	a=$(new_session --name 'short' --provider echo --model m1 -t work)
	chat-add -s "$a" --tokens 3 hi >/dev/null
	chat-add -s "$a" hello >/dev/null
	b=$(new_session --name 'a much longer name' --provider anthropic --model claude-x)
	c=$(new_session --name 'old one' --provider echo)
	set_updated "$b" '3 days ago'
	set_updated "$c" '2025-03-04T05:06:07Z'
	chat-set --star short >/dev/null
	NO_COLOR=1 tty_run "chat-ls"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" != *$'\e'* ]]
	header=${lines[0]}
	[[ "$header" == ID* ]]
	for col in NAME MODEL MSGS UPDATED TAGS; do
		[[ "$header" == *"$col"* ]]
	done
	# rows in order; the short id is a prefix of the full id
	[[ "${lines[1]}" == *short* ]]
	[[ "${lines[2]}" == *'a much longer name'* ]]
	[[ "${lines[3]}" == *'old one'* ]]
	sid=${lines[1]%% *}
	[ "${#sid}" -ge 8 ]
	[[ "$a" == "$sid"* ]]
	# columns start where their header does
	col() { local pre=${1%%"$2"*}; echo "${#pre}"; }
	m=$(col "$header" MODEL)
	[ "$(col "${lines[1]}" echo/m1)" = "$m" ]
	[ "$(col "${lines[2]}" anthropic/claude-x)" = "$m" ]
	[ "$(col "${lines[3]}" echo)" = "$m" ]
	u=$(col "$header" UPDATED)
	[ "$(col "${lines[1]}" 'just now')" = "$u" ]
	[ "$(col "${lines[2]}" '3d ago')" = "$u" ]
	[ "$(col "${lines[3]}" '2025-03-04')" = "$u" ]
	t=$(col "$header" TAGS)
	[ "$(col "${lines[1]}" '#work')" = "$t" ]
	# message counts right-aligned under MSGS
	n=$(( $(col "$header" MSGS) + 3 ))
	[ "${lines[1]:$n:1}" = 2 ]
	[ "${lines[2]:$n:1}" = 0 ]
	# the star marks the starred session only
	[[ "${lines[1]}" == *'* short'* ]]
	[[ "${lines[2]}" != *'*'* ]]
}

@test "on a terminal: color unless NO_COLOR, and a search snippet under its row" {
	a=$(new_session --name alpha)
	chat-add -s "$a" "a line about segfaults and more" >/dev/null
	tty_run "chat-ls"
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\e['* ]]
	NO_COLOR=1 tty_run "chat-ls --search segfaults"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *'a line about **segfaults** and more'* ]]
	# with color, the match is highlighted by escape codes instead of **
	tty_run "chat-ls --search segfaults"
	[[ "${lines[2]}" == *$'\e[1m\e[33msegfaults\e[0m'* ]]
	[[ "${lines[2]}" != *'**'* ]]
}

@test "on a terminal: escape characters and newlines in a name never reach it raw" {
	new_session --name $'evil\e[31mred\nsecond\tline\u009b2J' >/dev/null
	NO_COLOR=1 tty_run "chat-ls"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *$'\u009b'* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *'evil [31mred second line 2J'* ]]
	tty_run "chat-ls"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e[31m'* ]]
	[[ "$output" != *$'\u009b'* ]]
	[ "${#lines[@]}" -eq 2 ]
	# records keep the name exactly
	run -0 names
	[ "$(chat-ls | jq -r .name)" = $'evil\e[31mred\nsecond\tline\u009b2J' ]
}

@test "piped into head -1, chat-ls ends quietly with success" {
	big=$(printf 'x%.0s' {1..8000})
	for i in $(seq 24); do
		chat-new --name "s$i" --system "$big" >/dev/null
	done
	# more than a pipe buffer of records
	[ "$(chat-ls | wc -c)" -gt 150000 ]
	run --separate-stderr bash -c 'set -o pipefail; chat-ls | head -1'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .name <<< "$output")" = s24 ]
	run --separate-stderr bash -c 'set -o pipefail; chat-ls --search x --all | head -c 100 >/dev/null'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "a write error other than a closed pipe is reported" {
	[ -w /dev/full ] || skip "no /dev/full"
	new_session --name a >/dev/null
	run --separate-stderr bash -c 'chat-ls > /dev/full'
	[ "$status" -eq 1 ]
	one_line_error "chat-ls: write error"
}

@test "--db names the database instead of CHAT_DB" {
	other="$BATS_TEST_TMPDIR/other/x.db"
	chat-new --db "$other" --name elsewhere >/dev/null
	new_session --name here >/dev/null
	run -0 names --db "$other"
	[ "$output" = elsewhere ]
	run -0 names
	[ "$output" = here ]
}

@test "an unknown option is a usage error" {
	run --separate-stderr chat-ls --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: "
	[[ "$stderr" == *"'--bogus'"* ]]
	run --separate-stderr chat-ls -x
	[ "$status" -eq 2 ]
	one_line_error "chat-ls: "
	[[ "$stderr" == *"'-x'"* ]]
	no_store
}

@test "an unexpected argument is a usage error" {
	new_session --name a >/dev/null
	run --separate-stderr chat-ls a
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-ls: unexpected argument 'a'"
}

@test "--help prints the usage on stdout and succeeds" {
	run --separate-stderr chat-ls --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == 'usage: chat-ls '* ]]
	for o in --tag --provider --model --starred --archived --all --since \
	         --until --parent --search --where --limit --json --db --version; do
		[[ "$output" == *"$o"* ]]
	done
	run -0 chat-ls -h
	[[ "${lines[0]}" == 'usage: chat-ls '* ]]
	no_store
}

@test "--version prints the program and version" {
	run --separate-stderr chat-ls --version
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" =~ ^chat-ls\ \(confab\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# Terminal cells of a string (wc -L counts CJK and emoji as two).
cells() {
	printf '%s' "$1" | LC_ALL=C.UTF-8 wc -L
}

@test "on a terminal: columns align by display width, CJK and emoji two cells" {
	new_session --name 'plain name' --provider echo --model m1 >/dev/null
	new_session --name '日本語の名前' --provider echo --model m1 >/dev/null
	new_session --name '🎉 party 🎉' --provider echo --model m1 >/dev/null
	new_session --name 'é́ combining' --provider echo --model m1 >/dev/null
	NO_COLOR=1 tty_run "chat-ls"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	m=$(cells "${lines[0]%%MODEL*}")
	u=$(cells "${lines[0]%%UPDATED*}")
	for i in 1 2 3 4; do
		[ "$(cells "${lines[i]%%echo/m1*}")" = "$m" ]
		[ "$(cells "${lines[i]%%just now*}")" = "$u" ]
	done
	# the widest name sets the column: 12 cells, two more than its 6 characters
	[[ "${lines[3]}" == *'日本語の名前  echo/m1'* ]]
	# cut to 40 cells, the ellipsis included
	new_session --name "$(printf '漢%.0s' {1..30})" --provider echo --model m1 >/dev/null
	NO_COLOR=1 tty_run "chat-ls -n 1"
	name=${lines[1]#*  }
	name=${name%%  echo/m1*}
	name=${name# }
	name=${name# }
	[ "$(cells "$name")" -le 40 ]
	[ "$(cells "$name")" -ge 39 ]
	[[ "$name" == *'…' ]]
}
