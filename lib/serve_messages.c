/* serve_messages.c — see serve.h for what this file holds. */
#include "serve.h"

const struct cf_route cf_serve_routes_messages[] = {
	{0},
};
