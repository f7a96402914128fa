/* The watcher (watch.c): the .gitignore matcher on git's own examples,
 * then real inotify on a scratch tree: files made by a child after the
 * watch is up, each recorded once, their writes merged; a new folder's
 * files; ignored ones left out; a sink that refuses batches (a busy
 * store) losing none of them. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "unit.h"
#include "../../lib/watch.h"

static void
ignore(void)
{
	struct cf_ignore *ig = cf_ignore_new("/nowhere");
	cf_ignore_add(ig, "", "# comment\n*.o\n/build/\nlogs/\n!keep.o\ndoc/**/*.tmp\n"
	                      "a/**\n**/cache\n\\#hash\nsp\\ \n");
	CHECK(cf_ignore_match(ig, "x.o", 0));
	CHECK(cf_ignore_match(ig, "src/deep/x.o", 0));
	CHECK(!cf_ignore_match(ig, "keep.o", 0));
	CHECK(!cf_ignore_match(ig, "src/keep.o", 0));
	CHECK(cf_ignore_match(ig, "build", 1));
	CHECK(!cf_ignore_match(ig, "build", 0));         /* a file named so */
	CHECK(!cf_ignore_match(ig, "src/build", 1));     /* anchored at the root */
	CHECK(cf_ignore_match(ig, "build/x.c", 0));      /* under an ignored folder */
	CHECK(cf_ignore_match(ig, "src/logs", 1));
	CHECK(cf_ignore_match(ig, "doc/x.tmp", 0));      /* ** as no folder */
	CHECK(cf_ignore_match(ig, "doc/a/b/x.tmp", 0));
	CHECK(!cf_ignore_match(ig, "src/x.tmp", 0));
	CHECK(cf_ignore_match(ig, "a/x", 0));
	CHECK(!cf_ignore_match(ig, "a", 1));             /* a/ ** is what is inside */
	CHECK(cf_ignore_match(ig, "cache", 1));
	CHECK(cf_ignore_match(ig, "q/r/cache", 0));
	CHECK(cf_ignore_match(ig, "#hash", 0));
	CHECK(!cf_ignore_match(ig, "comment", 0));
	CHECK(cf_ignore_match(ig, ".git", 1));
	CHECK(cf_ignore_match(ig, "sub/.git/HEAD", 0));
	CHECK(!cf_ignore_match(ig, "src/a.c", 0));
	/* a nested file: only below its folder, deeper lines after shallower */
	cf_ignore_add(ig, "sub", "*.c\n!x.o\n/top\n");
	CHECK(cf_ignore_match(ig, "sub/a.c", 0));
	CHECK(cf_ignore_match(ig, "sub/d/a.c", 0));
	CHECK(!cf_ignore_match(ig, "a.c", 0));
	CHECK(!cf_ignore_match(ig, "sub/x.o", 0));
	CHECK(cf_ignore_match(ig, "sub/top", 0));
	CHECK(!cf_ignore_match(ig, "sub/d/top", 0));
	/* a later root line still loses to the deeper file */
	cf_ignore_add(ig, "", "!*.c\n");
	CHECK(cf_ignore_match(ig, "sub/a.c", 0));
	cf_ignore_free(ig);
}

struct seen {
	jv events;
	int want, refuse, batches, refused;
	void (*make)(void);
};

static jv
sink(void *ctx, jv events)
{
	struct seen *s = ctx;
	if (s->refused < s->refuse) {
		s->refused++;
		jv_free(events);
		return cf_error(CF_EX_STORE, "the store is busy");
	}
	s->batches++;
	s->events = jv_array_concat(s->events, events);
	return jv_array_length(jv_copy(s->events)) >= s->want ? jv_false() : jv_true();
}

static char dir[] = "/tmp/confab-watch-XXXXXX";
static pid_t child;

static void
ready(void *ctx)
{
	struct seen *s = ctx;
	fflush(NULL);
	child = fork();
	if (child == 0) {
		s->make();
		_exit(0);
	}
}

static void
put(const char *rel, const char *text, int times)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	for (int i = 0; i < times; i++) {
		int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd < 0)
			_exit(3);
		if (write(fd, text, strlen(text)) < 0)
			_exit(4);
		close(fd);
	}
}

#define NFILES 2000

static void
make_many(void)
{
	char name[64];
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof name, "f%04d.txt", i);
		put(name, "x", 3);       /* created, then written twice more */
	}
	put("junk.o", "x", 1);
	char p[512];
	snprintf(p, sizeof p, "%s/new", dir);
	mkdir(p, 0755);
	put("new/inside.c", "x", 1);
	snprintf(p, sizeof p, "%s/new/deeper", dir);
	mkdir(p, 0755);
	put("new/deeper/more.c", "x", 1);
	put("kept.o", "x", 1);
}

static int
count(jv events, const char *change, const char *path)
{
	int n = 0;
	jv_array_foreach(events, i, e) {
		jv d = jv_object_get(e, jv_string("data"));
		jv c = jv_object_get(jv_copy(d), jv_string("change"));
		jv pth = jv_object_get(d, jv_string("path"));
		if ((!change || !strcmp(jv_string_value(c), change)) &&
		    (!path || !strcmp(jv_string_value(pth), path)))
			n++;
		jv_free(c);
		jv_free(pth);
	}
	jv_free(events);
	return n;
}

static void
run(struct seen *s, int debounce)
{
	const char *dirs[] = {dir};
	struct cf_watch w = {.dirs = dirs, .ndirs = 1, .source = "t", .debounce_ms = debounce,
	                     .idle_ms = 3000, .sink = sink, .ready = ready, .ctx = s};
	OK(cf_watch_run(&w));
	int st;
	waitpid(child, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
make_changes(void)
{
	put("f0001.txt", "y", 5);
	char p[512];
	snprintf(p, sizeof p, "%s/f0002.txt", dir);
	unlink(p);
	put("brief.txt", "x", 1);
	snprintf(p, sizeof p, "%s/brief.txt", dir);
	unlink(p);      /* created and gone within the window: nothing */
}

static void
make_flood(void)
{
	long max = 16384;
	FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 16384;
		fclose(f);
	}
	char p[512];
	kill(getppid(), SIGSTOP);
	for (long i = 0; i < max / 2 + 1000; i++) {
		snprintf(p, sizeof p, "%s/flood/%ld", dir, i);
		int fd = open(p, O_WRONLY | O_CREAT, 0644);   /* created, then closed written */
		if (fd >= 0)
			close(fd);
	}
	kill(getppid(), SIGCONT);
	usleep(500 * 1000);
	put("after-flood.c", "x", 1);
}

static void
watching(void)
{
	CHECK(mkdtemp(dir) != NULL);
	char p[512];
	snprintf(p, sizeof p, "%s/.gitignore", dir);
	FILE *f = fopen(p, "w");
	fputs("*.o\n!kept.o\n", f);
	fclose(f);

	struct seen s = {.events = jv_array(), .want = NFILES + 3, .make = make_many};
	run(&s, 300);
	CHECK(jv_array_length(jv_copy(s.events)) == NFILES + 3);
	CHECK(count(jv_copy(s.events), "created", NULL) == NFILES + 3);
	CHECK(count(jv_copy(s.events), NULL, "f0042.txt") == 1);
	CHECK(count(jv_copy(s.events), NULL, "junk.o") == 0);
	CHECK(count(jv_copy(s.events), "created", "kept.o") == 1);
	CHECK(count(jv_copy(s.events), "created", "new/inside.c") == 1);
	CHECK(count(jv_copy(s.events), "created", "new/deeper/more.c") == 1);
	CHECK(s.batches < NFILES / 4);  /* batched, not a write per event (a batch per tick at most) */
	jv first = jv_array_get(jv_copy(s.events), 0);
	jv kind = jv_object_get(jv_copy(first), jv_string("kind"));
	jv src = jv_object_get(jv_copy(first), jv_string("source"));
	CHECK_STR(jv_string_value(kind), "file");
	CHECK_STR(jv_string_value(src), "t");
	jv text = jv_object_get(first, jv_string("text"));
	CHECK(!strncmp(jv_string_value(text), "created ", 8));
	jv_free(kind);
	jv_free(src);
	jv_free(text);
	jv_free(s.events);

	/* changed and removed, through a sink refusing its first two batches */
	struct seen c = {.events = jv_array(), .want = 2, .refuse = 2, .make = make_changes};
	run(&c, 100);
	CHECK(c.refused == 2);
	CHECK(jv_array_length(jv_copy(c.events)) == 2);
	CHECK(count(jv_copy(c.events), "changed", "f0001.txt") == 1);
	CHECK(count(jv_copy(c.events), "removed", "f0002.txt") == 1);
	CHECK(count(jv_copy(c.events), NULL, "brief.txt") == 0);
	jv_free(c.events);

	/* the kernel's queue overflowing (the watcher stopped while a child
	 * makes more changes than it holds): one "lost" event, and the files
	 * after it still seen */
	snprintf(p, sizeof p, "%s/flood", dir);
	CHECK(mkdir(p, 0755) == 0);     /* watched from the start */
	struct seen o = {.events = jv_array(), .want = 1 << 30, .make = make_flood};
	run(&o, 100);
	CHECK(count(jv_copy(o.events), "lost", NULL) == 1);
	CHECK(count(jv_copy(o.events), "created", "after-flood.c") == 1);
	jv_free(o.events);

	ERR(CF_EX_NOTFOUND, cf_watch_run(&(struct cf_watch){
		.dirs = (const char *[]){"/nonexistent/confab"}, .ndirs = 1, .sink = sink}));
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

int
main(void)
{
	cf_setprog("test-watch");
	ignore();
	watching();
	return unit_done("test-watch");
}
