/* test-serve — serve.c's response helpers as a client sees them: a small
 * libmicrohttpd daemon whose handler calls them, and raw HTTP/1.0 over
 * loopback.  The handler runs on MHD's thread while the test's thread
 * waits in read(), so only one thread touches a jv at a time.  Also the
 * status of each exit code and cf_srv_body_json. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "unit.h"
#include "serve.h"

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
        const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)cls; (void)method; (void)version; (void)upload; (void)upload_size;
	static int first;
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;
	}
	struct cf_req r = {.conn = conn, .method = "GET", .url = url};
	if (!strcmp(url, "/api/bytes"))
		return cf_srv_bytes(&r, 200, "application/pdf", "%PDF", 4,
		                    "Ré\"sumé\\; ../x\x01\x7f 100%.pdf");
	if (!strcmp(url, "/api/dots"))
		return cf_srv_bytes(&r, 200, "text/plain", "", 0, "...");
	if (!strcmp(url, "/api/json"))
		return cf_srv_json(&r, 201, jv_object_set(jv_object(), jv_string("a"), jv_string("é")));
	if (!strcmp(url, "/api/lines")) {
		jv a = jv_array_append(jv_array_append(jv_array(), jv_number(1)), jv_string("x"));
		return cf_srv_lines(&r, 200, a);
	}
	if (!strcmp(url, "/api/error"))
		return cf_srv_error(&r, cf_error(CF_EX_AMBIGUOUS, "'ab' matches 2 sessions"));
	if (!strcmp(url, "/api/invalid"))
		return cf_srv_json(&r, 200, jv_invalid_with_msg(jv_string("broken")));
	if (!strcmp(url, "/page"))
		return cf_srv_fail(&r, 404, "no %s", "page");
	return cf_srv_fail(&r, 500, "unexpected %s", url);
}

/* The whole response to GET path. */
static char *
get(unsigned port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return strdup("");
	char req[256];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return strdup("");
	}
	size_t len;
	char *out = cf_read_all(fd, &len);
	close(fd);
	return out ? out : strdup("");
}

/* A header's value (first of its name), in a static buffer, or NULL. */
static const char *
header(const char *resp, const char *name)
{
	static char v[1024];
	size_t nl = strlen(name);
	for (const char *p = resp; p && *p; ) {
		const char *e = strstr(p, "\r\n");
		if (!e || e == p)
			break;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *s = p + nl + 1;
			while (*s == ' ')
				s++;
			snprintf(v, sizeof v, "%.*s", (int)(e - s), s);
			return v;
		}
		p = e + 2;
	}
	return NULL;
}

static const char *
body(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	return b ? b + 4 : "";
}

int
main(void)
{
	/* the exit statuses' HTTP ones */
	CHECK(cf_srv_status_of(CF_EX_NOTFOUND) == 404);
	CHECK(cf_srv_status_of(CF_EX_AMBIGUOUS) == 409);
	CHECK(cf_srv_status_of(CF_EX_DATA) == 400);
	CHECK(cf_srv_status_of(CF_EX_USAGE) == 400);
	CHECK(cf_srv_status_of(CF_EX_STORE) == 503);
	CHECK(cf_srv_status_of(CF_EX_SPOOLED) == 503);
	CHECK(cf_srv_status_of(CF_EX_PROVIDER) == 502);
	CHECK(cf_srv_status_of(CF_EX_AUTH) == 502);
	CHECK(cf_srv_status_of(CF_EX_RATE) == 429);
	CHECK(cf_srv_status_of(CF_EX_NETWORK) == 504);
	CHECK(cf_srv_status_of(CF_EX_CONFIG) == 500);
	CHECK(cf_srv_status_of(CF_EX_FAIL) == 500);

	/* the body as JSON */
	struct cf_req r = {0};
	char empty[] = " \n", obj[] = "{\"a\":1}", arr[] = "[1]", bad[] = "{\"a\":";
	r.body = empty, r.len = strlen(empty);
	jv v = cf_srv_body_json(&r);
	CHECK(jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 0);
	jv_free(v);
	r.body = obj, r.len = strlen(obj);
	v = cf_srv_body_json(&r);
	CHECK(jv_get_kind(v) == JV_KIND_OBJECT && jv_object_length(jv_copy(v)) == 1);
	jv_free(v);
	r.body = arr, r.len = strlen(arr);
	ERR_MSG(CF_EX_DATA, "not a JSON object", cf_srv_body_json(&r));
	r.body = bad, r.len = strlen(bad);
	ERR_MSG(CF_EX_DATA, "not JSON", cf_srv_body_json(&r));

	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	                                        handler, NULL,
	                                        MHD_OPTION_SOCK_ADDR, &(struct sockaddr_in){
	                                        .sin_family = AF_INET,
	                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
	                                        MHD_OPTION_END);
	CHECK(d != NULL);
	if (!d)
		goto done;
	unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;

	char *s = get(port, "/api/bytes");
	CHECK(!strncmp(s, "HTTP/1.0 200", 12) || !strncmp(s, "HTTP/1.1 200", 12));
	CHECK_STR(header(s, "Content-Type"), "application/pdf");
	/* the ASCII name has no quote, backslash, control, '%' or ';'; the
	 * full one is percent-encoded UTF-8 */
	CHECK_STR(header(s, "Content-Disposition"),
	          "attachment; filename=\"R-sum- ..-x- 100.pdf\"; "
	          "filename*=UTF-8''R%C3%A9%22sum%C3%A9%5C%3B%20..%2Fx%01%7F%20100%25.pdf");
	CHECK_STR(body(s), "%PDF");
	CHECK(header(s, "Content-Security-Policy") && strstr(header(s, "Content-Security-Policy"),
	                                                     "default-src 'none'"));
	CHECK_STR(header(s, "X-Content-Type-Options"), "nosniff");
	CHECK_STR(header(s, "Referrer-Policy"), "no-referrer");
	CHECK_STR(header(s, "X-Frame-Options"), "DENY");
	CHECK_STR(header(s, "Cache-Control"), "no-store");
	CHECK(header(s, "Access-Control-Allow-Origin") == NULL);
	free(s);

	s = get(port, "/api/dots");
	CHECK(header(s, "Content-Disposition") &&
	      !strncmp(header(s, "Content-Disposition"), "attachment; filename=\"", 22) &&
	      !strstr(header(s, "Content-Disposition"), "filename=\"...\""));
	free(s);

	s = get(port, "/api/json");
	CHECK(strstr(s, " 201 ") != NULL);
	CHECK_STR(header(s, "Content-Type"), "application/json");
	CHECK_STR(body(s), "{\"a\":\"é\"}\n");
	free(s);

	s = get(port, "/api/lines");
	CHECK_STR(header(s, "Content-Type"), "application/x-ndjson");
	CHECK_STR(body(s), "1\n\"x\"\n");
	free(s);

	s = get(port, "/api/error");
	CHECK(strstr(s, " 409 ") != NULL);
	CHECK_STR(body(s), "{\"type\":\"error\",\"status\":409,\"message\":\"'ab' matches 2 sessions\"}\n");
	free(s);

	/* an invalid value that is not one of ours: 500, its message */
	s = get(port, "/api/invalid");
	CHECK(strstr(s, " 500 ") != NULL);
	CHECK_STR(body(s), "{\"type\":\"error\",\"status\":500,\"message\":\"broken\"}\n");
	free(s);

	/* outside the API: the common headers, not no-store */
	s = get(port, "/page");
	CHECK(strstr(s, " 404 ") != NULL);
	CHECK(header(s, "Content-Security-Policy") != NULL);
	CHECK(header(s, "Cache-Control") == NULL);
	CHECK_STR(body(s), "{\"type\":\"error\",\"status\":404,\"message\":\"no page\"}\n");
	free(s);

	MHD_stop_daemon(d);
done:
	return unit_done("test-serve");
}
