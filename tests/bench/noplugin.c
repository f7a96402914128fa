/* noplugin — a plugin that does nothing, compiled, for the plugin rows of
 * tests/bench/run: what a round trip costs is then the protocol's (the
 * search, the environment, the pipes, the reading of records), not a
 * shell's start.  --describe names one command; any command writes one
 * empty text record and reads nothing. */
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	static const char d[] = "{\"name\":\"noop\",\"commands\":[{\"name\":\"go\"}]}\n";
	static const char t[] = "{\"type\":\"text\",\"content\":\"\"}\n";
	if (argc > 1 && !strcmp(argv[1], "--describe"))
		return write(1, d, sizeof d - 1) != (ssize_t)(sizeof d - 1);
	return write(1, t, sizeof t - 1) != (ssize_t)(sizeof t - 1);
}
