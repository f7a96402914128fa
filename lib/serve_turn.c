/* serve_turn.c — see serve.h for what this file holds. */
#include "serve.h"

int
cf_serve_turn_main(const char *db)
{
	(void)db;
	return CF_EX_FAIL;
}
