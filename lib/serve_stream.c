/* serve_stream.c — see serve.h for what this file holds. */
#include "serve.h"

const struct cf_route cf_serve_routes_stream[] = {
	{0},
};

void
cf_srv_changed(struct cf_srv *s, const char *sid)
{
	(void)s; (void)sid;
}

jv
cf_hub_start(struct cf_srv *s)
{
	(void)s;
	return jv_true();
}

void
cf_hub_drain(struct cf_srv *s)
{
	(void)s;
}

void
cf_hub_stop(struct cf_srv *s)
{
	(void)s;
}
