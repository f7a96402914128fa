/* The statement cache: more statements than slots evict the one used
 * longest ago, never one a caller is still stepping. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "priv.h"

#define NSQL 300

int
main(void)
{
	char dir[] = "/tmp/confab-unit-XXXXXX", path[300];
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/chat.db", dir);
	jv err = jv_invalid();
	cf_store *st = cf_store_open(path, &err);
	CHECK(st != NULL);
	jv_free(err);
	size_t slots = sizeof st->cache / sizeof *st->cache;
	CHECK(NSQL > 2 * slots);

	/* a statement held mid-step through every eviction */
	static char *sql[NSQL];
	cf_sql_stmt *held = cf_stmt(st, "SELECT 1 UNION ALL SELECT 2");
	CHECK(held && cf_sql_step(held) == CF_SQL_ROW);
	int wrong = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NSQL; i++) {
			if (!sql[i] && asprintf(&sql[i], "SELECT %d", i) < 0)
				return 2;
			cf_sql_stmt *s = cf_stmt(st, sql[i]);
			if (!s || cf_sql_step(s) != CF_SQL_ROW ||
			    cf_sql_column_int(s, 0) != i)
				wrong++;
			if (s)
				cf_sql_reset(s);
		}
	}
	CHECK(wrong == 0);
	/* the held one kept its place in the rows it was walking */
	CHECK(cf_sql_step(held) == CF_SQL_ROW && cf_sql_column_int(held, 0) == 2);
	CHECK(cf_sql_step(held) == CF_SQL_DONE);
	/* a statement used just now is found again, not prepared again */
	cf_sql_stmt *a = cf_stmt(st, sql[NSQL - 1]);
	CHECK(cf_stmt(st, sql[NSQL - 1]) == a);
	cf_store_close(st);
	for (int i = 0; i < NSQL; i++)
		free(sql[i]);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return unit_done("test-stmt");
}
