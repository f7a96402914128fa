/* editor.c — text in $VISUAL or $EDITOR: confab's /edit drafts and
 * chat-edit's messages.  No shell: the variable's words are the argv. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confab.h"

static const char *
editor_command(void)
{
	/* only blanks is no command at all: empty, as for a shell */
	const char *ed = getenv("VISUAL");
	if (!ed || !ed[strspn(ed, " \t")])
		ed = getenv("EDITOR");
	return ed && ed[strspn(ed, " \t")] ? ed : "vi";
}

static jv
read_back(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cf_error(CF_EX_FAIL, "cannot read the text back: %s", strerror(errno));
	size_t n;
	char *buf = cf_read_all(fd, &n);
	int e = errno;
	close(fd);
	if (!buf)
		return cf_error(CF_EX_FAIL, "cannot read the text back: %s", strerror(e));
	/* refused, not mended into U+FFFD as cf_read_text would: the text
	 * is the user's own, and mending would change it without a word */
	jv r = n > INT_MAX ? cf_error(CF_EX_FAIL, "the editor's text is larger than 2 GiB") :
	       !cf_utf8_valid(buf, n) ? cf_error(CF_EX_DATA, "the editor's text is not valid UTF-8") :
	       jv_string_sized(buf, (int)n);
	free(buf);
	return r;
}

jv
cf_editor_run(const char *text, const char *name)
{
	const char *ed = editor_command();
	const char *tmpdir = getenv("TMPDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s-XXXXXX.md",
	         tmpdir && *tmpdir ? tmpdir : "/tmp", name);
	int fd = mkostemps(path, 3, O_CLOEXEC);   /* 0600 */
	if (fd < 0)
		return cf_error(CF_EX_FAIL, "cannot make the editor's file: %s", strerror(errno));
	int wr = cf_write_all(fd, text, strlen(text));
	int werr = errno;
	close(fd);
	if (wr != 0) {
		unlink(path);
		return cf_error(CF_EX_FAIL, "cannot write the editor's file: %s", strerror(werr));
	}
	/* "code --wait": its words, split on blanks as a shell would without
	 * its quoting (there is no shell to quote for) */
	char *words = cf_xstrdup(ed);
	char **argv = cf_xmalloc(sizeof *argv * (strlen(ed) / 2 + 3));
	int argc = 0;
	for (char *t = strtok(words, " \t"); t; t = strtok(NULL, " \t"))
		argv[argc++] = t;
	if (!argc)
		argv[argc++] = "vi";
	argv[argc++] = path;
	argv[argc] = NULL;
	jv res;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		res = cf_error(CF_EX_FAIL, "cannot start the editor: %s", strerror(errno));
		goto out;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		close(pfd[0]);
		execvp(argv[0], argv);
		/* the parent learns why through the pipe: exec closes it */
		int e = errno;
		if (write(pfd[1], &e, sizeof e) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		res = cf_error(CF_EX_FAIL, "cannot start the editor: %s", strerror(errno));
		close(pfd[0]);
		goto out;
	}
	int e = 0, status = 0;
	ssize_t got;
	while ((got = read(pfd[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == (ssize_t)sizeof e)
		res = cf_error(CF_EX_FAIL, "cannot start the editor '%s': %s",
		               argv[0], strerror(e));
	else if (WIFEXITED(status) && WEXITSTATUS(status))
		res = cf_error(CF_EX_FAIL, "the editor '%s' failed (exit %d)",
		               argv[0], WEXITSTATUS(status));
	else if (!WIFEXITED(status))
		res = cf_error(CF_EX_FAIL, "the editor '%s' was killed (signal %d)",
		               argv[0], WTERMSIG(status));
	else
		res = read_back(path);
out:
	unlink(path);
	free(words);
	free(argv);
	return res;
}
