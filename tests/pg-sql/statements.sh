#!/bin/sh
# Runs the schema and then statements.sql (the library's statements) in a
# schema of its own on the database the PG* variables name; prints what
# they return.  Exit non-zero on the first error.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=cf_stmts_$$
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
trap 'psql -c "DROP SCHEMA IF EXISTS $ns CASCADE" >/dev/null 2>&1' EXIT
{ echo "CREATE SCHEMA $ns; SET search_path = $ns;"; "$here/schema.sh"
  echo "UPDATE confab_schema SET version = 1;"; perl -pe 's{group_concat(\((?:[^()]++|(?1))*\))}{my $a = $1; ($a =~ /,/ ? "string_agg" : "group_concat") . $a}ge' "$here/statements.sql"; } | psql -f -
