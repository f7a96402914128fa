/* ptytime — how long an interactive program takes to show its prompt.
 *
 *     ptytime N PROMPT cmd args...
 *
 * Each run starts the command on a new pseudo-terminal (forkpty, execvp,
 * no shell), times from just before the fork to the first time the bytes
 * it has written end with PROMPT (what it shows before it waits), then
 * sends Ctrl-D (end of input at an
 * empty prompt) and waits for it to exit, which is not timed.  Prints one
 * line on stdout, as timeit does:
 *
 *     median_ms=1.234 p90_ms=1.567 min_ms=1.100 runs=50
 *
 * Exits 1 if a run never shows the prompt within 10 s or exits with a
 * status other than 0; 2 on a usage error. */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
percentile(const double *v, int n, double p)
{
	double k = (n - 1) * p / 100;
	int i = (int)k;
	return i + 1 < n ? v[i] + (v[i + 1] - v[i]) * (k - i) : v[i];
}

/* One run: the time to the prompt in ms, or -1. */
static double
run(const char *prompt, char **argv)
{
	struct winsize ws = {.ws_row = 40, .ws_col = 100};
	int fd;
	double t0 = now_ms();
	pid_t pid = forkpty(&fd, NULL, NULL, &ws);
	if (pid < 0) {
		perror("ptytime: forkpty");
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror("ptytime: exec");
		_exit(127);
	}
	char buf[65536];
	size_t have = 0, plen = strlen(prompt);
	double t = -1;
	while (t < 0) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 10000);
		if (r <= 0)
			break;
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		if (have >= plen && !memcmp(buf + have - plen, prompt, plen))
			t = now_ms() - t0;
		else if (have > sizeof buf / 2) {
			/* keep the tail, where the prompt may be starting */
			memmove(buf, buf + have - plen, plen);
			have = plen;
		}
	}
	if (t >= 0 && write(fd, "\004", 1) != 1)
		t = -1;
	/* drain until it exits, so its writes never block.  confab's first
	 * ^D, sent as soon as the prompt shows, now and then lands in the
	 * line as a character (libedit, under load), where later ones do
	 * nothing: a quiet second sends ^U (the line killed) and ^D again,
	 * ten times at most. */
	int quiet = 0;
	while (quiet < 10) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 1000);
		if (r == 0) {
			quiet++;
			if (t >= 0 && write(fd, "\025\004", 2) != 2)
				break;
			continue;
		}
		if (r < 0 || read(fd, buf, sizeof buf) <= 0)
			break;
	}
	int st;
	if (t < 0 || quiet == 10)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	close(fd);
	if (t < 0) {
		fprintf(stderr, "ptytime: no prompt '%s' from %s\n", prompt, argv[0]);
		return -1;
	}
	if (quiet == 10) {
		fprintf(stderr, "ptytime: %s did not end on ^D\n", argv[0]);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "ptytime: %s ended with status %d\n", argv[0], st);
		return -1;
	}
	return t;
}

int
main(int argc, char **argv)
{
	if (argc < 4 || atoi(argv[1]) < 1) {
		fprintf(stderr, "usage: ptytime N PROMPT cmd args...\n");
		return 2;
	}
	int n = atoi(argv[1]);
	double *v = malloc(sizeof *v * (size_t)n);
	if (!v)
		return 1;
	for (int i = 0; i < n; i++)
		if ((v[i] = run(argv[2], argv + 3)) < 0)
			return 1;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	printf("median_ms=%.3f p90_ms=%.3f min_ms=%.3f runs=%d\n",
	       percentile(v, n, 50), percentile(v, n, 90), v[0], n);
	free(v);
	return 0;
}
