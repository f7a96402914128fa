#!/usr/bin/env bats
# The throwaway PostgreSQL cluster the store's PostgreSQL tests run against
# (tests/pg-cluster, started by `make check`): the server the issue asks for,
# reachable as its env file says, PgBouncer in transaction mode, a password
# role that is refused without its password, and the helper's databases.

load helper

setup() {
	common_setup
	pg_required
}

teardown() {
	pg_drop_fresh_dbs
}

# psql without ~/.psqlrc, never asking for a password, stopping at an error.
q() {
	psql -X -q -w -At -v ON_ERROR_STOP=1 "$@" < /dev/null
}

@test "the cluster is PostgreSQL 15, on CONFAB_TEST_PG and the socket in PGHOST" {
	run q "$CONFAB_TEST_PG" -c 'select version()'
	[ "$status" -eq 0 ]
	[[ $output == "PostgreSQL 15."* ]]
	run q "$CONFAB_TEST_PG" -c 'show server_version_num'
	[[ $output == 15???? ]]
	run q "$CONFAB_TEST_PG" -c 'select current_user, current_database(), inet_server_addr()'
	[ "$output" = "confab|confab|127.0.0.1" ]
	[ -n "${CONFAB_TEST_PG_DIR:-}" ] || skip "the caller's cluster: no socket of ours"
	# PGHOST, PGPORT, PGUSER alone: the socket, as the superuser.
	[ -S "$PGHOST/.s.PGSQL.$PGPORT" ]
	run q -c 'select rolsuper, inet_server_addr() is null from pg_roles where rolname = current_user'
	[ "$status" -eq 0 ]
	[ "$output" = "t|t" ]
}

@test "the server listens on 127.0.0.1 only" {
	run q "$CONFAB_TEST_PG" -c 'show listen_addresses'
	[ "$output" = 127.0.0.1 ]
	command -v ss > /dev/null || skip "no ss"
	run q "$CONFAB_TEST_PG" -c 'show port'
	local port=$output
	run ss -Hltn "( sport = :$port )"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	# Local Address:Port is the fourth column.
	[ "$(awk '{print $4}' <<< "$output" | sort -u)" = "127.0.0.1:$port" ]
}

@test "the server runs as an unprivileged user, with fsync off" {
	[ -n "${CONFAB_TEST_PG_DIR:-}" ] || skip "the caller's cluster"
	run q "$CONFAB_TEST_PG" -c 'show data_directory'
	local pid
	pid=$(head -n 1 "$output/postmaster.pid")
	run ps -o user= -p "$pid"
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[ "$output" != root ]
	if [ "$(id -u)" -ne 0 ]; then [ "$output" = "$(id -un)" ]; fi
	run q "$CONFAB_TEST_PG" -c 'show fsync' -c 'show max_connections'
	[ "$output" = $'off\n200' ]
}

@test "PgBouncer pools in transaction mode in front of the cluster" {
	[ -n "${CONFAB_TEST_PGBOUNCER:-}" ] || skip "no pgbouncer (CONFAB_TEST_PGBOUNCER unset)"
	run q "${CONFAB_TEST_PGBOUNCER%/*}/pgbouncer" -c 'show config'
	[ "$status" -eq 0 ]
	grep -qx 'pool_mode|transaction|.*' <<< "$output"
	run q "$CONFAB_TEST_PGBOUNCER" -c 'select current_user, version()'
	[ "$status" -eq 0 ]
	[[ $output == "confab|PostgreSQL 15."* ]]
	# The admin console counts the client we just were.
	run q "${CONFAB_TEST_PGBOUNCER%/*}/pgbouncer" -c 'show pools'
	grep -q '^confab|confab|' <<< "$output"
}

@test "the password role is refused without its password, let in with it" {
	[ -n "${CONFAB_TEST_PG_PW_URI:-}" ] || skip "no password role (CONFAB_TEST_PG_PW_URI unset)"
	[[ $CONFAB_TEST_PG_PW_URI != *:*:*@* ]] # no password in the URI
	run q "$CONFAB_TEST_PG_PW_URI" -c 'select 1'
	[ "$status" -eq 2 ]
	[[ $output == *"no password supplied"* ]]
	PGPASSWORD=wrong-$CONFAB_TEST_PG_PASSWORD run q "$CONFAB_TEST_PG_PW_URI" -c 'select 1'
	[ "$status" -eq 2 ]
	[[ $output == *'password authentication failed for user "confab_pw"'* ]]
	[[ $output != *"$CONFAB_TEST_PG_PASSWORD"* ]]
	PGPASSWORD=$CONFAB_TEST_PG_PASSWORD run q "$CONFAB_TEST_PG_PW_URI" -c 'select current_user'
	[ "$status" -eq 0 ]
	[ "$output" = confab_pw ]
	# The superuser's trust does not reach it, over the socket either.
	if [ -n "${CONFAB_TEST_PG_DIR:-}" ]; then
		run q -U confab_pw -d confab_pw -c 'select 1'
		[ "$status" -eq 2 ]
	fi
}

@test "the password role through PgBouncer: refused without it, let in with it" {
	[ -n "${CONFAB_TEST_PGBOUNCER_PW_URI:-}" ] || skip "no pgbouncer (CONFAB_TEST_PGBOUNCER unset)"
	run q "$CONFAB_TEST_PGBOUNCER_PW_URI" -c 'select 1'
	[ "$status" -eq 2 ]
	PGPASSWORD=$CONFAB_TEST_PG_PASSWORD run q "$CONFAB_TEST_PGBOUNCER_PW_URI" -c 'select current_user'
	[ "$status" -eq 0 ]
	[ "$output" = confab_pw ]
}

@test "pg_fresh_db: a new empty database each time, dropped by pg_drop_db" {
	local a b
	a=$(pg_fresh_db)
	b=$(pg_fresh_db)
	[ "$a" != "$b" ]
	[[ $a == "${CONFAB_TEST_PG%/*}/t${BATS_TEST_NUMBER}_"* ]]
	run q "$a" -c "select count(*) from pg_class where relnamespace = 'public'::regnamespace"
	[ "$output" = 0 ]
	q "$a" -c 'create table t (x int)'
	run q "$b" -c "select count(*) from pg_class where relnamespace = 'public'::regnamespace"
	[ "$output" = 0 ]
	pg_drop_db "$a"
	run q "$a" -c 'select 1'
	[ "$status" -eq 2 ]
	[[ $output == *"does not exist"* ]]
	pg_drop_db "$a" # twice: still no failure
	pg_drop_db no_such_database
}

@test "pg_fresh_db -o: the password role owns its database and creates tables in it" {
	[ -n "${CONFAB_TEST_PG_PW_URI:-}" ] || skip "no password role (CONFAB_TEST_PG_PW_URI unset)"
	local u
	u=$(pg_fresh_db -o confab_pw)
	[[ $u == postgresql://confab_pw@127.0.0.1:*/t* ]]
	PGPASSWORD=$CONFAB_TEST_PG_PASSWORD run q "$u" -c 'create table t (x int)' -c 'select current_user'
	[ "$status" -eq 0 ]
	[ "$output" = confab_pw ]
	[ -n "${CONFAB_TEST_PGBOUNCER:-}" ] || skip "no pgbouncer"
	u=$(pg_fresh_db -b)
	run q "$u" -c 'select current_database()'
	[ "$output" = "${u##*/}" ]
}

@test "pg-cluster: two at once, on ports of their own, stopped without a trace" {
	[ -n "${CONFAB_TEST_PG_DIR:-}" ] || skip "the caller's cluster: maybe no server installed here"
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	local ja jb pa pb
	"$ROOT/tests/pg-cluster" start "$a" 2> "$BATS_TEST_TMPDIR/a.err" &
	ja=$!
	"$ROOT/tests/pg-cluster" start "$b" 2> "$BATS_TEST_TMPDIR/b.err" &
	jb=$!
	wait "$ja" || { cat "$BATS_TEST_TMPDIR/a.err"; false; }
	wait "$jb" || { cat "$BATS_TEST_TMPDIR/b.err"; false; }
	pa=$(. "$a/env" && q -c 'show port')
	pb=$(. "$b/env" && q -c 'show port')
	[ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" != "$pb" ]
	[ "$pa" != "$PGPORT" ] && [ "$pb" != "$PGPORT" ]
	# bats's folder is root's alone: the server's files went under /tmp.
	local run_a=$a
	[ ! -f "$a/run-dir" ] || run_a=$(cat "$a/run-dir")
	"$ROOT/tests/pg-cluster" stop "$a"
	"$ROOT/tests/pg-cluster" stop "$a" # stopped already: no failure
	"$ROOT/tests/pg-cluster" stop "$b"
	[ ! -e "$a" ] && [ ! -e "$b" ] && [ ! -e "$run_a" ]
	not pgrep -f "postgres -D $run_a/data"
	# Never a folder that is not a cluster's.
	mkdir -p "$BATS_TEST_TMPDIR/mine"
	touch "$BATS_TEST_TMPDIR/mine/keep"
	run "$ROOT/tests/pg-cluster" stop "$BATS_TEST_TMPDIR/mine"
	[ "$status" -eq 1 ]
	[ -f "$BATS_TEST_TMPDIR/mine/keep" ]
}
