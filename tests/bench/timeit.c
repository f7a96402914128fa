/* timeit — run a command N times and print its median and p90 wall time.
 *
 *     timeit N cmd args...
 *
 * Each run is fork + execvp, no shell in between, with stdin from /dev/null
 * and stdout to /dev/null (stderr is left alone, so failures can be read).
 * Wall time is CLOCK_MONOTONIC from just before fork to the return of wait4;
 * the largest ru_maxrss the kernel reports for any run is the memory figure.
 * Prints one line on stdout:
 *
 *     median_ms=1.234 p90_ms=1.567 min_ms=1.100 maxrss_kib=4321 runs=50
 *
 * Exits 1 if any run fails (non-zero exit status or a signal), naming the
 * run and the status; 2 on a usage error.  TIMEIT_STATUS=N makes N the
 * status a run must end with (chat-diff's 1 for "different"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* The p-th percentile (0..100) of n sorted values, linearly interpolated. */
static double
percentile(const double *v, int n, double p)
{
	double pos = p / 100.0 * (n - 1);
	int i = (int)pos;
	if (i >= n - 1)
		return v[n - 1];
	return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit N cmd [args...]\n");
		return 2;
	}
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (*end || n < 1 || n > 1000000) {
		fprintf(stderr, "timeit: invalid N '%s'\n", argv[1]);
		return 2;
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("timeit: /dev/null");
		return 1;
	}
	double *t = malloc(sizeof *t * (size_t)n);
	if (!t) {
		perror("timeit");
		return 1;
	}
	long maxrss = 0;
	const char *want_s = getenv("TIMEIT_STATUS");
	int want = want_s ? atoi(want_s) : 0;
	fflush(NULL);
	for (long i = 0; i < n; i++) {
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid < 0) {
			perror("timeit: fork");
			return 1;
		}
		if (pid == 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			execvp(argv[2], argv + 2);
			fprintf(stderr, "timeit: %s: %s\n", argv[2], strerror(errno));
			_exit(127);
		}
		int status;
		struct rusage ru;
		pid_t r;
		while ((r = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
			;
		double t1 = now_ms();
		if (r < 0) {
			perror("timeit: wait4");
			return 1;
		}
		if (WIFSIGNALED(status)) {
			fprintf(stderr, "timeit: run %ld of %s: killed by signal %d\n",
			        i + 1, argv[2], WTERMSIG(status));
			return 1;
		}
		if (WEXITSTATUS(status) != want) {
			fprintf(stderr, "timeit: run %ld of %s: exit status %d\n",
			        i + 1, argv[2], WEXITSTATUS(status));
			return 1;
		}
		t[i] = t1 - t0;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(t, (size_t)n, sizeof *t, cmp_double);
	printf("median_ms=%.3f p90_ms=%.3f min_ms=%.3f maxrss_kib=%ld runs=%ld\n",
	       percentile(t, (int)n, 50), percentile(t, (int)n, 90), t[0],
	       maxrss, n);
	free(t);
	return 0;
}
