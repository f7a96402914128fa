#!/usr/bin/env bats
# Search on both backends: the same data in a SQLite store and a PostgreSQL
# store, and every feature of the search syntax (chat-ls(1), "Search")
# finding the same sessions, in the same order, on both; snippets marking
# the hit on both; a search full of SQL and tsquery metacharacters neither
# an error nor anything but words.

load helper

setup() {
	common_setup
	pg_required
	LITE=$CHAT_DB
	PG=$(pg_fresh_db)
}

teardown() {
	pg_drop_fresh_dbs
}

# The same sessions in the store CHAT_DB names: messages at fixed times, so
# that the newest-first order is the same on both; the name-only sessions
# are made in the same order, last.
build() {
	local s t=0
	add() {
		t=$((t + 1))
		chat-add -s "$s" --time "2026-01-01T00:00:$(printf %02d $t)Z" "$@" >/dev/null
	}
	s=$(new_session --name build-log)
	add "error: foo failed, it's the foo-bar module"
	add -r assistant "an error in the build — see example.com/help"
	s=$(new_session --name warn)
	add "a warning in the build"
	s=$(new_session --name fatal)
	add "a fatal error at start; the connection refused us"
	s=$(new_session --name quotes)
	add "he said “hello there” twice… version 3.14 is out"
	s=$(new_session --name cpp)
	add "I write c++ every day, segfaults and all"
	s=$(new_session --name segments)
	add "the segments are aligned: refused: the connection was"
	s=$(new_session --name ops)
	add "NEAR the foo-bar AND OR NOT or and not"
	s=$(new_session --name 'Kernel panic notes')
	s=$(new_session --name 'Parsing example.com logs')
}

both() {
	export CHAT_DB=$LITE
	"$@"
	export CHAT_DB=$PG
	"$@"
}

names() {
	chat-ls -s "$1" | jq -r .name | paste -sd, -
}

# the names a search finds, the same on both backends
same() {
	local lite pg
	lite=$(CHAT_DB=$LITE names "$1")
	pg=$(CHAT_DB=$PG names "$1")
	if [ "$lite" != "$pg" ]; then
		printf 'search %s:\n  sqlite: %s\n  pg:     %s\n' "$1" "$lite" "$pg" >&2
		return 1
	fi
	printf '%s\n' "$lite"
}

@test "every kind of search finds the same sessions, in the same order, on both backends" {
	both build
	# the expected names are there to show that each query finds something
	# (or, where it should, nothing)
	[ "$(same error)" = fatal,build-log ]
	[ "$(same 'ERROR')" = fatal,build-log ]             # case
	[ "$(same 'build error')" = build-log ]             # every word
	[ "$(same 'error build')" = build-log ]             # in any order
	[ "$(same 'segf*')" = cpp ]                         # prefix
	[ "$(same 'SEG*')" = segments,cpp ]
	[ "$(same 'segf')" = "" ]
	[ "$(same '"connection refused"')" = fatal ]        # phrase
	[ "$(same 'connection refused')" = segments,fatal ]
	[ "$(same '"refused connection"')" = "" ]
	[ "$(same '"refused the"')" = segments ]            # punctuation inside a phrase
	[ "$(same '"connection ref"*')" = fatal ]           # phrase prefix
	[ "$(same 'error OR warning')" = fatal,warn,build-log ]
	[ "$(same 'build error OR warning')" = warn,build-log ]
	[ "$(same 'error NOT fatal')" = build-log ]         # NOT
	[ "$(same 'NOT fatal error')" = build-log ]
	[ "$(same 'error NOT "fatal error"')" = build-log ]
	# a search matches one message: build-log's first has error, not build
	[ "$(same 'error NOT build OR start')" = build-log ]
	[ "$(same 'error AND build')" = build-log ]         # AND is the default
	[ "$(same 'and or not')" = ops ]                    # lower case: words
	[ "$(same 'foo-bar')" = ops,build-log ]             # inner punctuation: a phrase
	[ "$(same 'failed-foo')" = "" ]
	[ "$(same "it's")" = build-log ]
	[ "$(same 'c++')" = cpp ]
	[ "$(same '++')" = "" ]                             # punctuation alone: nothing
	[ "$(same '++ write')" = cpp ]
	[ "$(same example)" = 'Parsing example.com logs,build-log' ]  # name and content
	[ "$(same example.com)" = 'Parsing example.com logs,build-log' ]
	[ "$(same help)" = build-log ]                      # a URL's parts are words
	[ "$(same 14)" = quotes ]                           # as a number's
	[ "$(same 'hello')" = quotes ]                      # inside curly quotes
	[ "$(same 'twice')" = quotes ]                      # before an ellipsis
	[ "$(same 'build')" = warn,build-log ]              # before an em dash
	[ "$(same panic)" = 'Kernel panic notes' ]          # a name only
	[ "$(same 'parsi*')" = 'Parsing example.com logs' ]
	[ "$(same 'NEAR(')" = ops ]                         # FTS5's syntax is text
	[ "$(same 'content:foo')" = "" ]
	[ "$(same '-foo')" = ops,build-log ]                # "-" is no NOT
}

@test "snippets mark the hit on both backends" {
	both build
	for db in "$LITE" "$PG"; do
		export CHAT_DB=$db
		[ "$(chat-ls -s segfaults | jq -r .match.snippet)" = 'I write c++ every day, **segfaults** and all' ]
		[ "$(chat-ls -s panic | jq -r .match.snippet)" = 'Kernel **panic** notes' ]
		[ "$(chat-ls -s "it's" | jq -r .match.snippet)" = "error: foo failed, **it's** the foo-bar module" ]
		[ "$(chat-ls -s hello | jq -r .match.snippet)" = 'he said “**hello** there” twice… version 3.14 is out' ]
		[ "$(chat-ls -s 'pars*' | jq -r .match.snippet)" = '**Parsing** example.com logs' ]
		# a long message: a window of words round the hit, '…' where it goes on
		s=$(new_session --name long)
		chat-add -s "$s" "$(seq -s ' ' 1 30) needle $(seq -s ' ' 31 60)" >/dev/null
		snip=$(chat-ls -s needle | jq -r .match.snippet)
		[[ $snip == …*'**needle**'*… ]] || { echo "$db: $snip" >&2; false; }
		[ "$(wc -w <<< "$snip")" -le 14 ]
		# the message id of the newest match
		mid=$(chat-ls -s needle | jq -r .match.messageId)
		[ "$mid" = "$(chat-show --json "$s" | jq -r 'select(.content | test("needle")) | .id')" ]
	done
}

@test "a search of SQL and tsquery metacharacters is words, never an error or SQL" {
	both build
	for db in "$LITE" "$PG"; do
		export CHAT_DB=$db
		for q in "'" "\\" ':' '&' '|' '!' '(' ')' '<->' "x' OR 1=1 --" \
		         "foo' & 'bar" "a:* | !b" "x'); DROP TABLE sessions; --" \
		         "foo<->bar" "it''s" '\\x00' "(error) & !(fatal)" "error:*" \
		         "'error'" '$1' '?1' "E'\\''" ; do
			run --separate-stderr chat-ls -s "$q"
			[ "$status" -eq 0 ] || { echo "$db: $q: $stderr" >&2; false; }
			[ -z "$stderr" ]
		done
		# the words among the punctuation are searched as words
		[ "$(names "(error) & !(fatal)")" = fatal ]
		[ "$(names "foo<->bar")" = ops,build-log ]
		[ "$(names "'error'")" = fatal,build-log ]
		[ "$(chat-ls | jq -s length)" = 9 ]        # nothing dropped
	done
	for q in "foo' & 'bar" "(error) & !(fatal)" "a:* | !b" "x'); DROP TABLE sessions; --" \
	         "error:*" "foo<->bar"; do
		same "$q" >/dev/null
	done
}

@test "chat-activity ls --search finds the same events on both backends" {
	# the events go in by SQL: chat-activity add is not this suite's (its
	# INSERT OR IGNORE is SQLite's)
	local rows="('e1', 1767225601000, 'error', 'make', 'link failed: undefined reference to frob'),
		('e2', 1767225602000, 'test', 'ci', 'tests passed'),
		('e3', 1767225603000, 'error', 'make', 'compile failed: frob.c'),
		('e4', 1767225604000, 'note', '', 'it''s the “frobnicator”')"
	CHAT_DB=$LITE chat-activity ls >/dev/null
	CHAT_DB=$PG chat-activity ls >/dev/null
	sqlite3 "$LITE" "INSERT INTO activity (id, at, kind, source, text) VALUES $rows"
	psql -XAtq -v ON_ERROR_STOP=1 "$PG" -c "INSERT INTO activity (id, at, kind, source, text) VALUES $rows"
	t() { chat-activity ls --since 2020-01-01 "$@" | jq -sr 'map(.text) | join(",")'; }
	for q in frob 'frob*' ci 'failed NOT link' 'passed OR compile' '"undefined reference"' \
	         "foo' & !bar" 'c' 'make'; do
		lite=$(CHAT_DB=$LITE t --search "$q")
		pg=$(CHAT_DB=$PG t --search "$q")
		[ "$lite" = "$pg" ] || { printf '%s:\n %s\n %s\n' "$q" "$lite" "$pg" >&2; false; }
	done
	[ "$(CHAT_DB=$PG t --search 'frob*')" = "link failed: undefined reference to frob,compile failed: frob.c,it's the “frobnicator”" ]
	[ "$(CHAT_DB=$PG t --search ci)" = "tests passed" ]
	[ "$(CHAT_DB=$PG t --search frob --limit 1)" = "compile failed: frob.c" ]
}
