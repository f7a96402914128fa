#!/bin/sh
# The SQLite functions store_pg.c defines for PostgreSQL, against SQLite's
# own answers: each check is an expression run by sqlite3 and by psql (or a
# PostgreSQL spelling of it, after a second tab), and the two must print the
# same.  Mode j compares as JSON (jsonb spaces and orders keys its own way,
# which is no difference to a reader); = compares the text.
#
# Connection: the PG* variables (PGHOST, PGPORT, PGUSER, PGDATABASE).  The
# schema goes into a schema of its own, dropped at the end.
# Exit: 0 all alike, 1 a difference (each is printed), 2 could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v sqlite3 >/dev/null && command -v psql >/dev/null &&
	command -v jq >/dev/null || { echo "compat.sh: needs sqlite3, psql, jq" >&2; exit 2; }
tmp=${TMPDIR:-/tmp}/cf-compat.$$
mkdir -p "$tmp"
ns=cf_compat_$$
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
trap 'psql -c "DROP SCHEMA IF EXISTS $ns CASCADE" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
"$here/schema.sh" >"$tmp/schema.sql" || exit 2
{ echo "CREATE SCHEMA $ns; SET search_path = $ns;"; cat "$tmp/schema.sql"; } |
	psql -f - >/dev/null || { echo "compat.sh: the schema did not load" >&2; exit 2; }

# mode <tab> SQLite expression [<tab> PostgreSQL expression]
cat >"$tmp/checks" <<'CHECKS'
=	json_extract('{"a":1}', '$.a')
=	typeof(json_extract('{"a":1}', '$.a'))	'integer'
=	json_extract('{"a":"x y"}', '$.a')
=	json_extract('{"a":1.5}', '$.a')
=	json_extract('{"a":true}', '$.a')
=	json_extract('{"a":false}', '$.a')
=	json_extract('{"a":null}', '$.a')
=	json_extract('{"a":1}', '$.b')
j	json_extract('{"a":{"b":[1,2]}}', '$.a')
j	json_extract('{"a":[1,{"c":"d"}]}', '$.a[1]')
=	json_extract('{"a":[1,{"c":"d"}]}', '$.a[1].c')
=	json_extract('[10,20,30]', '$[2]')
=	json_extract('[10,20,30]', '$[#-1]')
=	json_extract('["m","s","id-3"]', '$[2]')
=	json_extract('{"mergedFrom":{"session":"s1","message":"m1"}}', '$.mergedFrom.session')
=	json_extract('{"a b":7}', '$."a b"')
=	json_extract('{"0":7}', '$[0]')
=	json_extract(NULL, '$.a')
=	json_extract('{"model":"x"}', '$.model') = 'x'	(json_extract('{"model":"x"}', '$.model') = 'x')::int
=	json_type('{"a":1}', '$.a')
=	json_type('{"a":1.5}', '$.a')
=	json_type('{"a":"s"}', '$.a')
=	json_type('{"a":true}', '$.a')
=	json_type('{"a":false}', '$.a')
=	json_type('{"a":null}', '$.a')
=	json_type('{"a":[]}', '$.a')
=	json_type('{"a":{}}', '$.a')
=	json_type('{"a":1}', '$.b')
=	json_type('{"notes":[{"id":1}]}', '$.notes')
=	json_type('[1]')
j	json_set('{"a":1}', '$.b', 'x')
j	json_set('{"a":1}', '$.a', 2)
j	json_set('{"a":1}', '$.a', 2.5)
j	json_set('{"a":1}', '$.a', NULL)
j	json_set('{}', '$.a.b', 1)
j	json_set('{"a":1}', '$.incomplete', json('true'))
j	json_set('{"x":1}', '$.incomplete', json('true'), '$.stopReason', 'abandoned', '$.error', 'the program ended')
j	json_set('{"r":"👍"}', '$.messageId', 'm-1')
j	json_set('{"a":1}', '$.a', json('[1,{"b":2}]'))
j	json_set('{"a":1}', '$.a', '[1]')
j	json_set('[1,2]', '$[1]', 9)
j	json_set('[1,2]', '$[5]', 9)
j	json_set('[1,2]', '$[#]', 9)
j	json_set('{"a":{"b":1}}', '$.a.c', 'd')
j	json_set('{"m":[]}', '$.merges', json('[{"from":"s2"}]'))
j	json_set(json_set('{"a":1}', '$.b', 2), '$.c', json_object('session', 's', 'message', 'm'))
=	json_set(NULL, '$.a', 1)
j	json_insert('{"a":1}', '$.a', 2, '$.b', 3)
j	json_replace('{"a":1}', '$.a', 2, '$.b', 3)
j	json_remove('{"a":1,"b":2,"c":3}', '$.a', '$.c')
j	json_remove('{"a":1}', '$.zz')
j	json_remove('[1,2,3]', '$[1]')
j	json_remove('{"usage":{"x":1},"cost":2,"error":"e","keep":1}', '$.usage', '$.cacheReadTokens', '$.cacheWrite5mTokens', '$.cacheWrite1hTokens', '$.reasoningTokens', '$.schemaValid', '$.schemaError', '$.error')
j	json_patch('{"a":1,"b":{"c":2,"d":3}}', '{"b":{"c":null,"e":4},"f":[1]}')
j	json_patch(json_remove('{"a":1,"error":"x"}', '$.error'), '{"cost":0.5}')
j	json_patch('{"a":1}', '[1]')
j	json_object('id', 'a1', 'type', 'file', 'name', 'n.txt', 'size', 12, 'mimeType', NULL)
j	json_object('activityEvents', json('["e1"]'), 'files', json('[]'), 'pluginCommands', json('[{"c":1}]'))
j	json_object('session', 's1', 'message', 'm1')
j	json_object('n', 1.5)
j	json_object()
j	json_array(1, 'a', json('{"x":null}'))
j	json_array()
j	json('  { "a" : [1, 2] } ')
j	json_quote('a"b')
j	json_quote(3)
=	json_valid('{"a":1}')
=	json_valid('{a:1}')
j	(SELECT json_group_array(value) FROM json_each('["a","b"]'))
j	(SELECT json_group_array(json_set(r.value, '$.messageId', 'm')) FROM json_each('[{"e":"x"},"bad",{"e":"y"}]') r WHERE r.type = 'object')
j	(SELECT json_group_array(json_object('id', value)) FROM json_each('["a","b"]'))
j	(SELECT json_group_array(x) FROM (SELECT 1 AS x UNION ALL SELECT 2) t)
j	(SELECT json_group_array(x) FROM (SELECT 'a' AS x WHERE 0) t)	(SELECT json_group_array(x) FROM (SELECT 'a'::text AS x WHERE false) t)
j	(SELECT json_group_array(x) FROM (SELECT NULL AS x) t)	(SELECT json_group_array(x) FROM (SELECT NULL::text AS x) t)
j	(SELECT json_group_array(CASE WHEN n.type = 'object' THEN json_set(n.value, '$.k', 1) WHEN n.type = 'text' THEN json_quote(n.value) ELSE json(n.value) END) FROM json_each('{"notes":[{"t":"a"},"s",[1],2,null]}', '$.notes') n)
=	(SELECT group_concat(key || ':' || value || ':' || type, ' ') FROM json_each('[1,"a",true,false,null,1.5]'))
=	(SELECT group_concat(key || ':' || coalesce(value, '-') || ':' || type, ' ') FROM json_each('[1,"a",true,false,null,1.5]'))
=	(SELECT group_concat(value || '=' || type, ' ') FROM json_each('[[2],{"b":1}]'))	(SELECT group_concat(regexp_replace(value, '\s', '', 'g') || '=' || type, ' ') FROM json_each('[[2],{"b":1}]'))
=	(SELECT group_concat(coalesce(atom, '-') || fullkey || path, ' ') FROM json_each('[1,[2]]'))
=	(SELECT count(*) FROM json_each(NULL))
=	(SELECT count(*) FROM json_each('{"notes":[1,2,3]}', '$.notes'))
=	(SELECT count(*) FROM json_each('{"a":1}', '$.notes'))
=	(SELECT group_concat(value, ',') FROM json_each('{"x":"1","y":"2"}'))
=	(SELECT group_concat(json_extract(value, '$[2]'), ',') FROM json_each('[[1,2,"a"],[3,4,"b"]]'))
=	(SELECT group_concat(v, ',') FROM (SELECT value AS v FROM json_each('[9,8,7,6,5,4,3,2,1,0,10,11]') ORDER BY key) t)
=	(SELECT 1 WHERE EXISTS (SELECT 1 FROM json_each('["work","x"]') WHERE value = 'x'))
=	(SELECT count(*) FROM json_each('[{"type":"tool_result"},{"type":"text"}]') WHERE json_extract(value, '$.type') = 'tool_result')
=	(SELECT group_concat(t, '') FROM (SELECT 'a' AS t UNION ALL SELECT 'b' UNION ALL SELECT NULL UNION ALL SELECT 'c') p)
=	(SELECT group_concat(t) FROM (SELECT 'a' AS t UNION ALL SELECT 'b') p)
=	(SELECT coalesce(group_concat(t, ''), '') FROM (SELECT 'a' AS t WHERE 0) p)	(SELECT coalesce(group_concat(t, ''), '') FROM (SELECT 'a'::text AS t WHERE false) p)
=	(SELECT total(x) FROM (SELECT 1 AS x UNION ALL SELECT 2.5 UNION ALL SELECT NULL) t)
=	(SELECT total(x) + 0.5 FROM (SELECT 1 AS x WHERE 0) t)	(SELECT total(x) + 0.5 FROM (SELECT 1 AS x WHERE false) t)
=	max(3, 5)
=	max(7, NULL)
=	min(3, 5)
=	(SELECT max(x) FROM (SELECT 3 AS x UNION ALL SELECT 9) t)
=	typeof(1)
=	typeof(1.5)
=	typeof('a')
=	typeof(NULL)
=	typeof(x'00')	typeof('\x00'::bytea)
=	length(x'0001')	length('\x0001'::bytea)
=	substr('session name', 1, length('sess')) = 'sess'	(substr('session name', 1, length('sess')) = 'sess')::int
=	'abc' || NULL
=	coalesce(NULL, 'z')
=	nullif('[]', '[]')
=	length(uuid7())
=	substr(uuid7(), 15, 1)
=	substr(uuid7(), 20, 1) IN ('8', '9', 'a', 'b')
=	uuid7() GLOB '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-7[0-9a-f][0-9a-f][0-9a-f]-[89ab][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'	(uuid7() ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')::int
=	(SELECT count(DISTINCT u) FROM (SELECT uuid7() AS u FROM json_each('[1,2,3,4,5,6,7,8]')) t)
CHECKS

# uuid7 in order and its time now (a batch made in one statement, as
# message.c's branch copy makes them; sqlite3 has no uuid7)
tab=$(printf '\t')
fail=0
n=0
while IFS="$tab" read -r mode lite pg; do
	n=$((n + 1))
	[ -n "$pg" ] || pg=$lite
	# as sql_pg.c sends it: SQLite's group_concat(x, sep) is string_agg
	pg=$(printf "%s" "$pg" | perl -pe 's{group_concat(\((?:[^()]++|(?1))*\))}{my $a = $1; ($a =~ /,/ ? "string_agg" : "group_concat") . $a}ge')
	a=$(sqlite3 -batch -cmd '.nullvalue NULL' :memory: "SELECT $lite;" 2>&1)
	b=$(printf '\\pset null NULL\nSET search_path = %s;\nSELECT %s;\n' "$ns" "$pg" |
		psql -At -f - 2>&1)
	if [ "$mode" = j ] && [ "$a" != NULL ] && [ "$b" != NULL ]; then
		a=$(printf '%s' "$a" | jq -cS . 2>&1)
		b=$(printf '%s' "$b" | jq -cS . 2>&1)
	fi
	case $lite in *uuid7*) a=$b ;; esac   # SQLite has none: checked below
	if [ "$a" != "$b" ]; then
		printf 'DIFF %s\n  sqlite: %s\n  pg:     %s\n' "$lite" "$a" "$b"
		fail=1
	fi
done <"$tmp/checks"

# uuid7: the version and variant, 36 characters, made in order within a
# statement, and its time the clock's
cat >"$tmp/uuid.sql" <<SQL
SET search_path = $ns;
SELECT bool_and(u ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$')
 AND count(DISTINCT u) = 5000 AND bool_and(p IS NULL OR u > p)
 AND abs(('x' || lpad(replace(left(min(u), 13), '-', ''), 16, '0'))::bit(64)::bigint
  - floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 5000
 FROM (SELECT u, lag(u) OVER (ORDER BY i) AS p FROM (SELECT i, uuid7() AS u
  FROM generate_series(1, 5000) i) t) t;
SQL
u=$(psql -At -f "$tmp/uuid.sql" 2>&1)
if [ "$u" != t ]; then
	printf 'DIFF uuid7: format, order or time: %s\n' "$u"
	fail=1
fi
[ $fail = 0 ] && echo "compat.sh: $n checks alike"
exit $fail
