#!/usr/bin/env bats
# chat-rm: deleting sessions with their messages, asking on a terminal,
# all or nothing, and the search index kept in step.

load helper

# Three sessions: a (2 messages), b (1), c (3); sets $a $b $c.
three_sessions() {
	a=$(new_session --name alpha -t doomed)
	chat-add -s "$a" "apples and oranges" >/dev/null
	chat-add -s "$a" -r assistant "zebra crossing" >/dev/null
	b=$(new_session --name beta)
	chat-add -s "$b" "bananas" >/dev/null
	c=$(new_session --name gamma -t doomed)
	chat-add -s "$c" "cherries" >/dev/null
	chat-add -s "$c" "more cherries" >/dev/null
	chat-add -s "$c" "and plums" >/dev/null
}

# The store's search indexes agree with their tables.
fts_intact() {
	# on PostgreSQL each index is a generated column of its row
	[ "${CONFAB_TEST_DB:-}" = pg ] ||
	sqlite3 "$CHAT_DB" "INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check');
		INSERT INTO sessions_fts(sessions_fts) VALUES ('integrity-check');"
}

@test "deletes a session and its messages, and prints the deleted record" {
	three_sessions
	[ "$(count messages)" -eq 6 ]
	before=$(chat-ls | jq -c "select(.id == \"$a\")")
	run --separate-stderr chat-rm "$a"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "$before" ]
	[ "$(count messages)" -eq 4 ]
	[ "$(count "messages WHERE session_id = '$a'")" -eq 0 ]
	[ "$(count sessions)" -eq 2 ]
	run -0 bash -c 'chat-ls --all | jq -r .name'
	[ "$output" = $'gamma\nbeta' ]
	run --separate-stderr chat-show "$a"
	[ "$status" -eq 3 ]
	[ "$stderr" = "chat-show: unknown session '$a'" ]
	# the others are untouched
	[ "$(chat-show beta | jq -r .content)" = bananas ]
	[ "$(chat-show gamma | jq -r .content | wc -l)" -eq 3 ]
}

@test "sessions are named by prefix or name too; several go at once" {
	three_sessions
	run -0 chat-rm "${a:0:30}" gamma
	[ "$(jq -r .id <<< "$output" | paste -sd ' ')" = "$a $c" ]
	[ "$(count sessions)" -eq 1 ]
	[ "$(count messages)" -eq 1 ]
	[ "$(chat-ls | jq -r .name)" = beta ]
}

@test "session records on stdin: chat-ls | chat-rm" {
	three_sessions
	run --separate-stderr bash -c 'chat-ls --tag doomed | chat-rm'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(jq -r .name <<< "$output" | paste -sd ' ')" = 'gamma alpha' ]
	[ "$(count sessions)" -eq 1 ]
	[ "$(count messages)" -eq 1 ]
	[ "$(store_sql 'SELECT name FROM sessions')" = beta ]
	# - among the arguments
	d=$(new_session --name delta)
	run -0 bash -c "chat-ls --search delta | chat-rm beta -"
	[ "$(jq -r .name <<< "$output" | paste -sd ' ')" = 'beta delta' ]
	[ "$(count sessions)" -eq 0 ]
	[ "$(count messages)" -eq 0 ]
}

@test "a session named twice is deleted once" {
	three_sessions
	run -0 chat-rm "$b" beta "${b:0:20}"
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .id <<< "$output")" = "$b" ]
	[ "$(count sessions)" -eq 2 ]
}

@test "one unknown session among several exits 3 and deletes nothing" {
	three_sessions
	run --separate-stderr chat-rm "$a" nope "$c"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-rm: unknown session 'nope'" ]
	[ "$(count sessions)" -eq 3 ]
	[ "$(count messages)" -eq 6 ]
	# the same from stdin
	gone=$(chat-ls -s beta | jq -c '.id = "00000000-0000-7000-8000-000000000000"')
	run --separate-stderr bash -c "{ chat-ls; echo '$gone'; } | chat-rm"
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[ "$stderr" = "chat-rm: stdin:4: unknown session '00000000-0000-7000-8000-000000000000'" ]
	[ "$(count sessions)" -eq 3 ]
	[ "$(count messages)" -eq 6 ]
}

@test "an ambiguous session exits 4 and deletes nothing" {
	three_sessions
	d=$(new_session --name beta)
	run --separate-stderr chat-rm alpha beta
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	one_line_error "chat-rm: ambiguous session name 'beta' matches "
	[[ "$stderr" == *"$b"* && "$stderr" == *"$d"* ]]
	[ "$(count sessions)" -eq 4 ]
	[ "$(count messages)" -eq 6 ]
}

@test "a malformed line on stdin exits 5 and deletes nothing" {
	three_sessions
	run --separate-stderr bash -c "{ chat-ls; echo; echo '{oops'; } | chat-rm"
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	one_line_error "chat-rm: stdin:5: malformed record"
	run --separate-stderr bash -c "{ chat-show alpha; echo '{\"type\":\"cost\"}'; } | chat-rm"
	[ "$status" -eq 5 ]
	[ "$stderr" = "chat-rm: stdin:3: expected a session or message record, got type 'cost'" ]
	[ "$(count sessions)" -eq 3 ]
	[ "$(count messages)" -eq 6 ]
}

@test "empty stdin deletes nothing and succeeds" {
	three_sessions
	run --separate-stderr chat-rm < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(count sessions)" -eq 3 ]
}

@test "branches of a deleted session keep their messages" {
	three_sessions
	br=$(chat-branch --name br alpha | jq -r .id)
	cp=$(chat-branch --duplicate --name cp alpha | jq -r .id)
	[ "$(count messages)" -eq 10 ]
	run -0 chat-rm alpha
	[ "$(count messages)" -eq 8 ]
	run -0 bash -c "chat-show br | jq -r .content"
	[ "$output" = $'apples and oranges\nzebra crossing' ]
	[ "$(chat-show cp | jq -r .content | wc -l)" -eq 2 ]
	# the branch no longer names a parent that is gone
	run -0 bash -c "chat-ls | jq -c 'select(.id == \"$br\") | [.parentSessionId, .metadata.messageCount]'"
	[ "$output" = '[null,2]' ]
	# and the branch's words are still found
	run -0 bash -c "chat-ls --search zebra | jq -r .name | sort"
	[ "$output" = $'br\ncp' ]
	fts_intact
}

@test "deleting a branch leaves its parent alone" {
	three_sessions
	chat-branch --name br alpha >/dev/null
	run -0 chat-rm br
	[ "$(chat-show alpha | jq -r .content | wc -l)" -eq 2 ]
	[ "$(count messages)" -eq 6 ]
}

@test "attachments go with their messages" {
	three_sessions
	ma=$(chat-show alpha | jq -r .id | head -1)
	mb=$(chat-show beta | jq -r .id)
	store_sql "INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-00000000000a', '$ma', 'file', 'a.txt', 1, 'text/plain', 'a'),
		       ('01900000-0000-7000-8000-00000000000b', '$mb', 'file', 'b.txt', 1, 'text/plain', 'b')"
	run -0 chat-rm alpha
	[ "$(store_sql 'SELECT name FROM attachments')" = b.txt ]
}

@test "the search index follows: a deleted session's words are not found" {
	three_sessions
	[ "$(chat-ls --search zebra | jq -r .name)" = alpha ]
	[ "$(chat-ls --search alpha | jq -r .name)" = alpha ]
	run -0 chat-rm alpha gamma
	run -0 chat-ls --search zebra
	[ -z "$output" ]
	run -0 chat-ls --search alpha
	[ -z "$output" ]
	run -0 chat-ls --search cherries
	[ -z "$output" ]
	run -0 chat-ls --all --search 'apples oranges'
	[ -z "$output" ]
	[ "$(chat-ls --search bananas | jq -r .name)" = beta ]
	fts_intact
	# a new session with the same words is found, and only it
	n=$(new_session --name alpha)
	chat-add -s "$n" "zebra again" >/dev/null
	run -0 bash -c "chat-ls --search zebra | jq -r '.id + \" \" + .match.snippet'"
	[ "$output" = "$n **zebra** again" ]
}

@test "without a terminal there is no question" {
	three_sessions
	run --separate-stderr chat-rm alpha < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(count sessions)" -eq 2 ]
}

@test "on a terminal it asks first; y deletes" {
	three_sessions
	tty_run "chat-rm alpha gamma" <<< y
	[ "$status" -eq 0 ]
	[[ "$output" == *"chat-rm: delete 2 sessions and 5 messages? [y/N] "* ]]
	[[ "$output" == *"deleted $a  alpha"* ]]
	[[ "$output" == *"deleted $c  gamma"* ]]
	[ "$(count sessions)" -eq 1 ]
	[ "$(count messages)" -eq 1 ]
	# Y and yes are yes too
	tty_run "chat-rm beta" <<< yes
	[ "$status" -eq 0 ]
	[[ "$output" == *"chat-rm: delete 1 session and 1 message? [y/N] "* ]]
	[ "$(count sessions)" -eq 0 ]
	new_session --name delta >/dev/null
	tty_run "chat-rm delta" <<< Y
	[ "$status" -eq 0 ]
	[ "$(count sessions)" -eq 0 ]
}

@test "on a terminal, n or an empty answer exits 1 and deletes nothing" {
	three_sessions
	for answer in n no '' x N; do
		tty_run "chat-rm alpha" <<< "$answer"
		[ "$status" -eq 1 ]
		[[ "$output" == *"chat-rm: delete 1 session and 2 messages? [y/N] "* ]]
		[[ "${lines[-1]}" == *"chat-rm: nothing deleted" ]]
		[[ "$output" != *deleted\ $a* ]]
		[ "$(count sessions)" -eq 3 ]
		[ "$(count messages)" -eq 6 ]
	done
	# end of input is no as well
	tty_run "chat-rm alpha" < /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"chat-rm: nothing deleted"* ]]
	[ "$(count sessions)" -eq 3 ]
}

@test "on a terminal with records on stdin, it asks the terminal" {
	three_sessions
	tty_run "chat-ls --tag doomed | chat-rm" <<< n
	[ "$status" -eq 1 ]
	[[ "$output" == *"chat-rm: delete 2 sessions and 5 messages? [y/N] "* ]]
	[[ "$output" == *"chat-rm: nothing deleted"* ]]
	[ "$(count sessions)" -eq 3 ]
	tty_run "chat-ls --tag doomed | chat-rm" < <(printf 'y\n')
	[ "$status" -eq 0 ]
	[[ "$output" == *"deleted $a  alpha"* ]]
	[ "$(count sessions)" -eq 1 ]
	[ "$(count messages)" -eq 1 ]
}

@test "-f and --force do not ask" {
	three_sessions
	tty_run "chat-rm -f alpha" < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *'[y/N]'* ]]
	[ "${lines[0]}" = "deleted $a  alpha" ]
	tty_run "chat-rm --force beta" < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *'[y/N]'* ]]
	[ "${lines[0]}" = "deleted $b  beta" ]
	[ "$(count sessions)" -eq 1 ]
	# --json prints records on a terminal
	tty_run "chat-rm -f --json gamma"
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<< "${lines[0]}")" = "$c" ]
	[ "$(count sessions)" -eq 0 ]
	[ "$(count messages)" -eq 0 ]
}

@test "on a terminal, names are cleaned of control characters" {
	id=$(new_session --name $'bad\e[31mname\nx')
	tty_run "chat-rm -f $id"
	[ "$status" -eq 0 ]
	[[ "$output" != *$'\e'* ]]
	[ "${lines[0]}" = "deleted $id  bad [31mname x" ]
}

@test "no session and stdin a terminal is a usage error" {
	three_sessions
	tty_run "chat-rm -f"
	[ "$status" -eq 2 ]
	[ "$output" = "chat-rm: no session given (see 'chat-rm --help')" ]
	[ "$(count sessions)" -eq 3 ]
}

@test "--db names the database" {
	other="$BATS_TEST_TMPDIR/other.db"
	[ "${CONFAB_TEST_DB:-}" != pg ] || other=$(pg_fresh_db)
	chat-new --db "$other" --name there >/dev/null
	new_session --name there >/dev/null
	run -0 chat-rm --db "$other" there
	[ "$(CHAT_DB=$other store_sql 'SELECT count(*) FROM sessions')" -eq 0 ]
	[ "$(count sessions)" -eq 1 ]
}

@test "an unknown option is a usage error and deletes nothing" {
	three_sessions
	run --separate-stderr chat-rm --bogus alpha
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	one_line_error "chat-rm: "
	[[ "$stderr" == *"'--bogus'"* ]]
	run --separate-stderr chat-rm -y alpha
	[ "$status" -eq 2 ]
	one_line_error "chat-rm: "
	[ "$(count sessions)" -eq 3 ]
}

@test "--help and --version" {
	run --separate-stderr chat-rm --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == 'usage: chat-rm '* ]]
	for o in --force --json --db --version; do
		[[ "$output" == *"$o"* ]]
	done
	run -0 chat-rm --version
	[[ "$output" =~ ^chat-rm\ \(confab\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

# ---- --message: deleting messages ----

@test "--message deletes messages; counts, tokens, the index and attachments follow" {
	three_sessions
	ids=($(chat-show --json alpha | jq -r .id))
	store_sql "UPDATE messages SET tokens = 7 WHERE id = '${ids[1]}';
		UPDATE messages SET tokens = 5 WHERE id = '${ids[0]}';
		INSERT INTO attachments (id, message_id, type, name, size, mime_type, content)
		VALUES ('01900000-0000-7000-8000-00000000000a', '${ids[1]}', 'file', 'a.txt', 1, 'text/plain', 'a'),
		       ('01900000-0000-7000-8000-00000000000b', '${ids[0]}', 'file', 'b.txt', 1, 'text/plain', 'b')"
	[ "$(chat-ls --json | jq -r 'select(.name == "alpha") | .metadata | "\(.messageCount) \(.totalTokens)"')" = "2 12" ]
	[ "$(chat-ls --search zebra | jq -r .name)" = alpha ]
	run -0 --separate-stderr chat-rm --message "${ids[1]:0:20}"
	[ -z "$stderr" ]
	[ "$(jq -r '[.id, .content] | join(" ")' <<< "$output")" = "${ids[1]} zebra crossing" ]
	[ "$(chat-ls --json | jq -r 'select(.name == "alpha") | .metadata | "\(.messageCount) \(.totalTokens)"')" = "1 5" ]
	[ "$(chat-show --json alpha | jq -r .content)" = "apples and oranges" ]
	run -0 chat-ls --search zebra
	[ -z "$output" ]
	fts_intact
	[ "$(store_sql 'SELECT name FROM attachments')" = b.txt ]
	# the other sessions are untouched
	[ "$(count messages)" -eq 5 ]
}

@test "--message takes several, from several sessions, in one transaction; one named twice goes once" {
	three_sessions
	x=$(chat-show --json alpha | jq -r .id | head -1)
	y=$(chat-show --json gamma | jq -r .id | tail -1)
	run -0 chat-rm -m "$x" "$y" "$x"
	[ "$(jq -r .id <<< "$output" | paste -sd' ')" = "$x $y" ]
	[ "$(count messages)" -eq 4 ]
	[ "$(chat-ls --json | jq -r 'select(.name == "gamma") | .metadata.messageCount')" = 2 ]
}

@test "--message: an unknown, ambiguous or deleted message deletes nothing" {
	three_sessions
	x=$(chat-show --json alpha | jq -r .id | head -1)
	before=$(store_dump)
	run --separate-stderr chat-rm -f --message "$x" 0000ffff
	[ "$status" -eq 3 ]; one_error chat-rm
	[ "$stderr" = "chat-rm: unknown message '0000ffff'" ]
	p=$(store_sql "SELECT substr(id, 1, 8) FROM messages GROUP BY 1 HAVING count(*) > 1 LIMIT 1")
	[ -n "$p" ]
	run --separate-stderr chat-rm -f --message "$p"
	[ "$status" -eq 4 ]; one_error chat-rm
	# no message and stdin a terminal: nothing to read
	run on_tty chat-rm -f --message
	[ "$status" -eq 2 ]
	[[ "$output" == *"chat-rm: no message given"* ]]
	[ "$(store_dump)" = "$before" ]
	chat-rm -m "$x" > /dev/null
	before=$(store_dump)
	run --separate-stderr chat-rm -m "$x"
	[ "$status" -eq 3 ]; one_error chat-rm
	[ "$(store_dump)" = "$before" ]
	# a reply still arriving is not deleted under its writer
	y=$(chat-show --json gamma | jq -r .id | tail -1)
	store_sql "UPDATE messages SET pending = 'host:1:1' WHERE id = '$y'"
	before=$(store_dump)
	run --separate-stderr chat-rm -m "$(chat-show --json beta | jq -r .id)" "$y"
	[ "$status" -eq 1 ]; one_error chat-rm
	[ "$stderr" = "chat-rm: message '$y' is a reply still arriving; nothing changed" ]
	[ "$(store_dump)" = "$before" ]
}

@test "--message: deleting the message a branch starts from leaves the branch whole" {
	three_sessions
	at=$(chat-show --json alpha | jq -r .id | head -1)
	br=$(chat-branch --name br --at "$at" alpha | jq -r .id)
	[ "$(chat-ls --json | jq -r "select(.id == \"$br\") | .branchPoint")" = "$at" ]
	run -0 chat-rm -m "$at"
	[ "$(chat-show --json br | jq -r .content)" = "apples and oranges" ]
	rec=$(chat-ls --json | jq -c "select(.id == \"$br\")")
	[ "$(jq -r '"\(.parentSessionId) \(.branchPoint) \(.metadata.messageCount)"' <<< "$rec")" = "$a null 1" ]
	[ "$(chat-show --json alpha | jq -r .content)" = "zebra crossing" ]
}

@test "--message on a terminal asks first; n deletes nothing, -f does not ask" {
	three_sessions
	x=$(chat-show --json alpha | jq -r .id | head -1)
	tty_run "chat-rm --message $x" <<< n
	[ "$status" -eq 1 ]
	[[ "$output" == *"chat-rm: delete 1 message? [y/N] "* ]]
	[[ "${lines[-1]}" == *"chat-rm: nothing deleted" ]]
	[ "$(count messages)" -eq 6 ]
	tty_run "chat-rm --message $x" <<< y
	[ "$status" -eq 0 ]
	[[ "$output" == *"deleted message $x"* ]]
	[ "$(count messages)" -eq 5 ]
	y=$(chat-show --json gamma | jq -r .id | head -1)
	tty_run "chat-rm -f -m $y" < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" != *'[y/N]'* ]]
	[ "${lines[0]}" = "deleted message $y" ]
	[ "$(count messages)" -eq 4 ]
}

@test "--message reads message records on stdin, as chat-show --json writes them; any other record deletes nothing" {
	three_sessions
	keep=$(chat-show --json alpha | jq -r .id | head -1)
	run -0 bash -c "chat-show --json alpha | jq -c 'select(.id != \"$keep\")' | chat-rm -f --message"
	[ "$(chat-show --json alpha | jq -r .id)" = "$keep" ]
	[ "$(chat-ls --json | jq -r 'select(.name == "alpha") | .metadata.messageCount')" = 1 ]
	# - among the ids stands for stdin
	y=$(chat-show --json gamma | jq -r .id | tail -1)
	run -0 bash -c "chat-show --json beta | chat-rm -f --message - $y"
	[ "$(chat-show --json beta | wc -l)" -eq 0 ]
	[ "$(chat-show --json gamma | jq -r .id | grep -c "$y")" -eq 0 ]
	# a session record, a line that is not JSON, an unknown id: nothing
	before=$(store_dump)
	run --separate-stderr bash -c "chat-ls --json | chat-rm -f --message"
	[ "$status" -eq 5 ]; one_error chat-rm
	[[ "$stderr" == "chat-rm: stdin:1: expected a message record, got type 'session'" ]]
	run --separate-stderr bash -c "(chat-show --json gamma; echo junk) | chat-rm -f --message"
	[ "$status" -eq 5 ]; one_error chat-rm
	[[ "$stderr" == *"stdin:"*"malformed record"* ]]
	run --separate-stderr bash -c "echo '{\"type\":\"message\",\"id\":\"0000ffff\"}' | chat-rm -f --message"
	[ "$status" -eq 3 ]; one_error chat-rm
	[ "$(store_dump)" = "$before" ]
	# nothing on stdin: nothing deleted
	run -0 chat-rm -f --message < /dev/null
	[ "$(store_dump)" = "$before" ]
}
