# helper.bash — loaded by every suite: each test gets its own database,
# config, data and home folders through the environment, and the freshly
# built programs first on PATH.

bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="$ROOT/bin:$PATH"
# for the ASan builds (CHAT_SERVE=build/asan/chat-serve, build/asan/confab)
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

common_setup() {
	export CHAT_DB="$BATS_TEST_TMPDIR/data/chat.db"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/xdg-data"
	export XDG_STATE_HOME="$BATS_TEST_TMPDIR/xdg-state"
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	unset NO_COLOR ANTHROPIC_API_KEY OPENAI_API_KEY GEMINI_API_KEY \
		GOOGLE_API_KEY ANTHROPIC_BASE_URL OPENAI_BASE_URL \
		GOOGLE_GEMINI_BASE_URL OLLAMA_HOST
	export TERM=xterm
	# the second pass (make check-pg): the same suites on PostgreSQL, each
	# test in a database of its own
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		pg_available || { echo "CONFAB_TEST_DB=pg: no cluster" >&2; return 1; }
		CHAT_DB=$(pg_fresh_db) || return
		export CHAT_DB
	fi
}

# A test of what only one backend has (the SQLite file itself, its
# locks and pragmas) says so, and why, on the other pass.
sqlite_only() {
	[ "${CONFAB_TEST_DB:-}" != pg ] || skip "SQLite only: $*"
}

# A query on the test's store, whichever backend holds it: rows as
# sqlite3 prints them by default (columns joined by |).  No argument: the
# statements on stdin.
store_sql() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		psql -XAtq -v ON_ERROR_STOP=1 "$CHAT_DB" ${1+-c "$1"}
	else
		# waits for a writer's lock as the programs do: a poll while a
		# chat-send opens the store failed with "database is locked"
		sqlite3 -cmd '.timeout 10000' "$CHAT_DB" ${1+"$1"}
	fi
}

# The store's contents as text, to compare before and after what must not
# change it: sqlite3's .dump, or pg_dump's rows (the sequences left out, as
# PostgreSQL advances them in a transaction rolled back too, and psql's
# \restrict lines, a new key each time).
store_dump() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		pg_dump -a -O -x "$CHAT_DB" 2> /dev/null |
			grep -v -e '^--' -e '^SELECT pg_catalog.setval' -e '^\\'
	else
		sqlite3 "$CHAT_DB" .dump
	fi
}

# `fresh_store NAME`: prints a CHAT_DB for another, empty store: a file
# NAME.db in the test's folder, or on PostgreSQL a fresh database.
fresh_store() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		pg_fresh_db
	else
		echo "$BATS_TEST_TMPDIR/$1.db"
	fi
}

# `store_blob FILE 'FROM ... WHERE ...'`: the blob column content of the
# one row chosen, written to FILE byte for byte.
store_blob() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		store_sql "SELECT encode(content, 'base64') $2" | base64 -d > "$1"
	else
		sqlite3 "$CHAT_DB" "SELECT writefile('$1', content) $2" > /dev/null
	fi
}

# `sql_hex EXPR`: SQL for EXPR's bytes in upper-case hex, as SQLite's hex().
sql_hex() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		echo "upper(encode($1, 'hex'))"
	else
		echo "hex($1)"
	fi
}

# `sql_blob HEX`: SQL for the bytes HEX spells, as SQLite's X'HEX'.
sql_blob() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		echo "'\\x$1'::bytea"
	else
		echo "X'$1'"
	fi
}

# Whether the store has been made: the file, or on PostgreSQL (where the
# test's database exists from the start) confab's schema in it.
store_exists() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		[ "$(psql -XAtq "$CHAT_DB" -c "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'sessions'")" = 1 ]
	else
		[ -e "$CHAT_DB" ]
	fi
}
no_store() { ! store_exists; }

# Who the store says wrote what a test's programs write: $USER, or on
# PostgreSQL the role connected as (unless a config names a user).
store_user() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		store_sql 'SELECT current_user'
	else
		printf '%s\n' "${USER:-$(id -un)}"
	fi
}

# The name the activity queue's batches give the test's store: its file's
# real path, or the URI (the tests' URIs hold no password, and are as
# confab shows them).
store_key() {
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		printf '%s\n' "$CHAT_DB"
	else
		realpath "$CHAT_DB"
	fi
}

# `as_user NAME CMD...`: CMD run for another person.  SQLite's author is
# $USER; PostgreSQL's is the role connected as, which two people sharing
# one role (a service account) tell apart by the config's user, so there
# the test's config is copied with that key first.  Real roles, each with
# its own rows, are 203's and 204's.
as_user() {
	local name=$1
	shift
	if [ "${CONFAB_TEST_DB:-}" = pg ]; then
		local d=$BATS_TEST_TMPDIR/as-user/$name
		mkdir -p "$d/confab"
		{ printf 'user = %s\n' "$name"; grep -v '^[[:space:]]*user[[:space:]]*=' "$XDG_CONFIG_HOME/confab/config" 2> /dev/null || :; } > "$d/confab/config"
		XDG_CONFIG_HOME=$d "$@"
	else
		USER=$name "$@"
	fi
}

# SQLite's FTS5 index is kept by triggers and can drift from its table;
# PostgreSQL's tsvector is a generated column of the row itself, with
# nothing to check.
fts_integrity() {
	[ "${CONFAB_TEST_DB:-}" = pg ] ||
		sqlite3 "$CHAT_DB" "INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)"
}

setup() {
	common_setup
}

# Runs a command line on a pseudo-terminal, for the output meant for people.
on_tty() {
	script -qec "$*" /dev/null
}

# PATH with bin/'s programs but not the shipped plugins (chat-plugin-*),
# for a suite whose own plugins must be the only ones found.
no_shipped_plugins() {
	local f d keep=$BATS_TEST_TMPDIR/bin-np dirs
	mkdir -p "$keep"
	for f in "$ROOT"/bin/*; do
		case ${f##*/} in chat-plugin-?*) ;; *) ln -sf "$f" "$keep/" ;; esac
	done
	IFS=: read -ra dirs <<< "$PATH"
	for d in "${dirs[@]}"; do [ "$d" -ef "$ROOT/bin" ] || keep+=":$d"; done
	PATH=$keep
}

# Writes the config file.
config() {
	mkdir -p "$XDG_CONFIG_HOME/confab"
	cat > "$XDG_CONFIG_HOME/confab/config"
}

# Creates a session and prints its id.
new_session() {
	chat-new "$@" | jq -r .id
}

# Runs a command line on a pseudo-terminal; output without the terminal's
# carriage returns, lines (empty ones kept) in $lines.
tty_run() {
	run on_tty "$@"
	output="${output//$'\r'/}"
	mapfile -t lines <<< "$output"
}

# An error is one line on stderr that starts with the program's name.
one_line_error() {
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "$1"* ]]
}

# The longest common prefix of two strings.
common_prefix() {
	local a=$1 b=$2 i=0
	while [ "$i" -lt "${#a}" ] && [ "${a:i:1}" = "${b:i:1}" ]; do
		i=$((i + 1))
	done
	echo "${a:0:i}"
}

# After `run --separate-stderr`: nothing on stdout, one line on stderr that
# starts with the program's name.
one_error() {
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "${stderr_lines[0]}" == "$1: "* ]]
}

# Rows in a table of the store.
count() {
	store_sql "SELECT count(*) FROM $1"
}

# ---- the fake provider: build/fakeprov, from tests/fake/ (see its README) ----

# The real provider responses recorded in ../shared, to replay with body=FILE.
PROVIDER_STREAMS="$ROOT/../shared/fixtures/provider-streams"

# Starts the fake provider on 127.0.0.1 with a free port; each argument is one
# line of its script (one reply spec per request, in order; after the last,
# every request gets the default "Hello from fakeprov." reply).  Exports
# FAKE_PORT, FAKE_URL (http://127.0.0.1:PORT), FAKE_LOG (the request log),
# FAKE_PID and FAKE_DIR.  FAKE_LIFETIME (seconds, default 120) bounds how long
# it lives if fake_stop is never called.  The server is not a job of the
# calling shell, so a plain `wait` in a test does not wait for it.
fake_start() {
	local base=${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}} line i
	FAKE_DIR=$(mktemp -d "$base/fake.XXXXXX") || return 1
	FAKE_LOG="$FAKE_DIR/requests.jsonl"
	for line in "$@"; do
		printf '%s\n' "$line"
	done > "$FAKE_DIR/script"
	FAKE_PID=$("$ROOT/build/fakeprov" --port-file "$FAKE_DIR/port" --log "$FAKE_LOG" \
		--script "$FAKE_DIR/script" --lifetime "${FAKE_LIFETIME:-120}" \
		< /dev/null > "$FAKE_DIR/stderr" 2>&1 3>&- & echo $!)
	for ((i = 0; i < 1000; i++)); do
		[ -s "$FAKE_DIR/port" ] && break
		fake_running || break
		sleep 0.01
	done
	if [ ! -s "$FAKE_DIR/port" ]; then
		echo "fake_start: fakeprov did not start" >&2
		cat "$FAKE_DIR/stderr" >&2
		return 1
	fi
	FAKE_PORT=$(< "$FAKE_DIR/port")
	FAKE_URL="http://127.0.0.1:$FAKE_PORT"
	export FAKE_DIR FAKE_LOG FAKE_PID FAKE_PORT FAKE_URL
}

# Whether the fake provider (FAKE_PID) still runs (a zombie does not).
fake_running() {
	local st
	st=$(cut -d' ' -f3 "/proc/${FAKE_PID:-0}/stat" 2> /dev/null) && [ "$st" != Z ]
}

# Stops the fake provider fake_start started (its connections end with it)
# and waits, up to 2 s, until it is gone.
fake_stop() {
	[ -n "${FAKE_PID:-}" ] || return 0
	kill "$FAKE_PID" 2> /dev/null || true
	local i
	for ((i = 0; i < 200; i++)); do
		fake_running || break
		sleep 0.01
	done
	unset FAKE_PID
}

# Prints the requests the fake provider received, one JSON object a line in
# request order: {"n","method","path","query","headers","body"}.
fake_requests() {
	jq -c -s 'sort_by(.n)[]' "$FAKE_LOG"
}

# `not CMD...`: fails when CMD succeeds.  A bare `! CMD` cannot fail a
# bats test (errexit ignores negated commands) unless it is the last line.
not() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# Runs a command as where library $1 (a soname) is missing: an empty file
# of that name first on the library path, which dlopen() fails on ("file
# too short") rather than looking further.  The file is
# $BATS_TEST_TMPDIR/nolib/$1/$1.
without_lib() {
	local so=$1 dir="$BATS_TEST_TMPDIR/nolib/$1"
	shift
	mkdir -p "$dir"
	: > "$dir/$so"
	LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
}

# The throwaway PostgreSQL cluster (tests/pg-cluster, HACKING.md).  `make
# check` starts one and exports its env; a suite run alone uses the one
# `make pg-start` left in build/pg, or the caller's CONFAB_TEST_PG.  A test
# that needs it calls pg_required, in setup or the test.
pg_available() {
	if [ -z "${CONFAB_TEST_PG:-}" ] && [ -f "$ROOT/build/pg/env" ]; then
		# shellcheck disable=SC1091
		. "$ROOT/build/pg/env"
	fi
	[ -n "${CONFAB_TEST_PG:-}" ]
}

pg_required() {
	pg_available || skip "no PostgreSQL cluster (CONFAB_TEST_PG unset)"
}

# `pg_fresh_db [-o ROLE] [-b]`: creates an empty database of a name no other
# test (nor a parallel run) takes and prints its URI: CONFAB_TEST_PG's with
# that database, as ROLE (its owner; by default the superuser) and through
# PgBouncer with -b.  No password in it: the password role's comes from
# PGPASSWORD.  Names are kept in $BATS_TEST_TMPDIR/pg-dbs for
# pg_drop_fresh_dbs.
pg_fresh_db() {
	local owner= via=$CONFAB_TEST_PG opt OPTIND=1 name base rest
	while getopts o:b opt; do
		case $opt in
		o) owner=$OPTARG ;;
		b) via=${CONFAB_TEST_PGBOUNCER:?no pgbouncer (CONFAB_TEST_PGBOUNCER unset)} ;;
		*) return 2 ;;
		esac
	done
	name=t${BATS_TEST_NUMBER:-0}_$$_$RANDOM$RANDOM
	pg_admin createdb ${owner:+-O "$owner"} "$name" || return
	echo "$name" >> "$BATS_TEST_TMPDIR/pg-dbs"
	base=${via%%\?*}
	rest=${via:${#base}}
	if [ -n "$owner" ]; then
		local hostport=${base#*://}
		hostport=${hostport%%/*}
		base=postgresql://$owner@${hostport#*@}/x
	fi
	echo "${base%/*}/$name$rest"
}

# `pg_drop_db NAME|URI`: drops a database, sessions still in it or not, and
# never fails (for teardown).
pg_drop_db() {
	local name=${1%%\?*}
	name=${name##*/}
	[ -n "$name" ] && pg_admin dropdb --if-exists --force "$name" > /dev/null 2>&1 || :
}

# Drops every database this test's pg_fresh_db made (for teardown).
pg_drop_fresh_dbs() {
	local name
	[ -f "$BATS_TEST_TMPDIR/pg-dbs" ] || return 0
	while read -r name; do pg_drop_db "$name"; done < "$BATS_TEST_TMPDIR/pg-dbs"
	rm -f "$BATS_TEST_TMPDIR/pg-dbs"
}

# Runs createdb, dropdb (any tool taking --maintenance-db) as the superuser:
# over the harness's socket, else through the caller's CONFAB_TEST_PG.
pg_admin() {
	local tool=$1
	shift
	if [ -n "${CONFAB_TEST_PG_DIR:-}" ]; then
		"$tool" -w "$@"
	else
		"$tool" -w --maintenance-db="$CONFAB_TEST_PG" "$@"
	fi
}
