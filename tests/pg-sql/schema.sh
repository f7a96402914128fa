#!/bin/sh
# Prints migration N (0-based: the one taking the schema from N to N + 1) of
# lib/store_pg.c, or all of them with no N, for psql to run: the tests run
# the strings the library runs, not a copy of them.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=${TMPDIR:-/tmp}/cf-pgschema.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/print.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
extern const char *const cf_pg_migrations[];
extern const int cf_pg_schema_version;
int main(int argc, char **argv)
{
	int from = argc > 1 ? atoi(argv[1]) : 0;
	int to = argc > 1 ? from + 1 : cf_pg_schema_version;
	if (from < 0 || to > cf_pg_schema_version)
		return 2;
	for (int i = from; i < to; i++)
		printf("%s\n", cf_pg_migrations[i]);
	return 0;
}
C
${CC:-cc} -O1 -std=c17 -D_GNU_SOURCE -I"$top/include" -I"$top/lib" \
	$(pkg-config --cflags libjq 2>/dev/null || true) \
	-o "$tmp/print" "$tmp/print.c" "$top/lib/store_pg.c"
"$tmp/print" "$@"
