/* touchgen — the watch bench's file generator: N files f0..f(N-1) in DIR,
 * each opened, written one line and closed, as fast as one process can,
 * so the figure says whether `chat-activity watch` keeps up with 10,000
 * changes a second rather than how fast bash's echo is (about 2,100 a
 * second here).  With --change each file is appended to instead of
 * created.  Prints the milliseconds taken and the rate on stdout:
 * "MS RATE". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--change"))) {
		fprintf(stderr, "usage: touchgen DIR N [--change]\n");
		return 2;
	}
	int change = argc == 4;
	long n = strtol(argv[2], NULL, 10);
	int flags = O_WRONLY | O_CLOEXEC | (change ? O_APPEND : O_CREAT | O_TRUNC);
	const char *line = change ? "y\n" : "x\n";
	char path[4096];
	long long t0 = ms_now();
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%ld", argv[1], i);
		int fd = open(path, flags, 0644);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		if (write(fd, line, 2) != 2) {
			perror(path);
			close(fd);
			return 1;
		}
		close(fd);
	}
	long long ms = ms_now() - t0;
	printf("%lld %lld\n", ms, n * 1000 / (ms > 0 ? ms : 1));
	return 0;
}
