/* serve_export.c — see serve.h for what this file holds. */
#include "serve.h"

const struct cf_route cf_serve_routes_export[] = {
	{0},
};
