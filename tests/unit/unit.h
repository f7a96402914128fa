/* unit.h — a small test harness for the library's C unit tests: CHECK
 * counts and reports, DIES runs code in a child and checks its exit code. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#define UNIT_NO_LEAK_CHECK() __lsan_disable()
#else
#define UNIT_NO_LEAK_CHECK() ((void)0)
#endif

static int unit_pass, unit_fail;

#define CHECK(cond) do { \
	if (cond) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && !strcmp(a_, b_)) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: failed: %s == %s (\"%s\" vs \"%s\")\n", \
	       __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

/* Runs the statement in a child with stderr silenced; checks it exits
 * with code.  What a dying program still holds is not a leak. */
#define DIES(code, stmt) do { \
	fflush(NULL); \
	pid_t p_ = fork(); \
	if (p_ == 0) { if (!getenv("UNIT_VERBOSE")) freopen("/dev/null", "w", stderr); UNIT_NO_LEAK_CHECK(); stmt; _exit(250); } \
	int st_ = 0; waitpid(p_, &st_, 0); \
	CHECK(WIFEXITED(st_) && WEXITSTATUS(st_) == (code)); \
} while (0)

static int
unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_pass, unit_fail);
	return unit_fail != 0;
}

#endif
