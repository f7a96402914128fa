/* test-files.c — attachments from bytes in memory (cf_files_add, for
 * chat-serve's uploads): the checks a file gets, the name's last part,
 * attach-max, and what a failure leaves. */
#include <sys/stat.h>

#include "unit.h"

static void
config(const char *text)
{
	static char dir[] = "/tmp/test-files-XXXXXX";
	if (!mkdtemp(dir))
		exit(2);
	char d[256], f[300];
	snprintf(d, sizeof d, "%s/confab", dir);
	if (mkdir(d, 0700))
		exit(2);
	snprintf(f, sizeof f, "%s/config", d);
	FILE *fp = fopen(f, "w");
	if (!fp)
		exit(2);
	fputs(text, fp);
	fclose(fp);
	setenv("XDG_CONFIG_HOME", dir, 1);
}

int
main(void)
{
	config("[defaults]\nattach-max = 64\n");
	struct cf_files f;
	OK(cf_files_load(&f, NULL, 0));
	CHECK(f.n == 0);
	OK(cf_files_add(&f, "some/dir/notes.txt", "line\n", 5));
	static const char png[] = "\x89PNG\r\n\x1a\n\0\1\2\3";
	OK(cf_files_add(&f, "pic.txt", png, sizeof png - 1));   /* the bytes say */
	OK(cf_files_add(&f, NULL, "x", 1));
	CHECK(f.n == 3);
	CHECK(f.blobs[0].n == 5 && !memcmp(f.blobs[0].p, "line\n", 5));
	CHECK(f.blobs[1].n == sizeof png - 1 && !memcmp(f.blobs[1].p, png, sizeof png - 1));
	jv a = jv_array_get(jv_copy(f.list), 0);
	CHECK_STR(cf_jstr(a, "name"), "notes.txt");
	CHECK_STR(cf_jstr(a, "type"), "text");
	jv_free(a);
	a = jv_array_get(jv_copy(f.list), 1);
	CHECK_STR(cf_jstr(a, "mimeType"), "image/png");
	CHECK_STR(cf_jstr(a, "type"), "image");
	jv_free(a);
	a = jv_array_get(jv_copy(f.list), 2);
	CHECK_STR(cf_jstr(a, "name"), "attachment");
	jv_free(a);

	/* refusals leave the list as it was */
	char big[65];
	memset(big, 'a', sizeof big);
	ERR_MSG(CF_EX_USAGE, "attach-max", cf_files_add(&f, "big.txt", big, sizeof big));
	OK(cf_files_add(&f, "edge.txt", big, 64));
	ERR_MSG(CF_EX_USAGE, "a PDF", cf_files_add(&f, "d.pdf", "%PDF-1.4\n", 9));
	ERR_MSG(CF_EX_USAGE, "neither text nor", cf_files_add(&f, "b.bin", "\xff\xfe\0", 3));
	CHECK(f.n == 4);
	CHECK(jv_array_length(jv_copy(f.list)) == 4);
	cf_files_free(&f);
	return unit_done("test-files");
}
