/* watch.c — `chat-activity watch`: file changes under folders, through
 * inotify, as activity events of kind "file".
 *
 * Every folder of each tree is watched (new ones as they appear) except
 * those .gitignore ignores.  A change is not recorded when it happens but
 * kept, one entry per path, until the path has been quiet for the
 * debounce time (or changing for ten of them): a burst of writes is one
 * "changed", a file created and written is one "created", one created
 * and removed before it settled is nothing.  What has settled goes to the
 * store in one transaction per flush, so 10,000 changes a second cost a
 * few inserts of many rows, and the pending entries are bounded by the
 * number of distinct paths (past PENDING_MAX all of them are flushed at
 * once).  A batch the store refuses (busy) is kept and offered again.
 * SIGINT, SIGTERM and SIGHUP are read from a signalfd while it runs:
 * what is pending is flushed and it returns (exit 0); every watched
 * folder gone ends it too, after one line for each (status 1).
 *
 * Why our own .gitignore reader rather than `git check-ignore --stdin`:
 * it works outside a repository (a watched folder need not be one), needs
 * no git and no child process to feed and read back in step with a flood,
 * and decides a path in a few fnmatch calls.  It reads the .gitignore
 * files inside the watched tree (not .git/info/exclude nor the global
 * excludes file) and keeps git's rules that matter here: `#` comments,
 * `!` negation, a trailing `/` for folders, a `/` at the start or inside
 * anchoring a pattern to its file's folder, `*`, `?`, `[...]` within a
 * path segment and `**` across segments; the last matching line wins,
 * deeper files after shallower ones.  An ignored folder is not watched,
 * so nothing under it is seen, as in git, where a file in an excluded
 * folder cannot be re-included. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "priv.h"
#include "watch.h"

/* ---- .gitignore ---- */

struct rule {
	char *dir;      /* the folder of its .gitignore, "" for the root */
	char *pat;      /* without `!`, the leading and the trailing `/` */
	int neg, dironly, anchored;
};

struct cf_ignore {
	char *root;
	struct rule *r;
	int n, cap;
};

struct cf_ignore *
cf_ignore_new(const char *root)
{
	struct cf_ignore *ig = cf_xmalloc(sizeof *ig);
	*ig = (struct cf_ignore){.root = cf_xstrdup(root ? root : "")};
	return ig;
}

static void
rules_drop(struct cf_ignore *ig, const char *dir)
{
	int k = 0;
	for (int i = 0; i < ig->n; i++) {
		if (!strcmp(ig->r[i].dir, dir)) {
			free(ig->r[i].dir);
			free(ig->r[i].pat);
		} else
			ig->r[k++] = ig->r[i];
	}
	ig->n = k;
}

void
cf_ignore_free(struct cf_ignore *ig)
{
	if (!ig)
		return;
	for (int i = 0; i < ig->n; i++) {
		free(ig->r[i].dir);
		free(ig->r[i].pat);
	}
	free(ig->r);
	free(ig->root);
	free(ig);
}

/* Rules are kept sorted by folder depth (stable), so that the last match
 * is the deepest file's last line. */
static int
depth(const char *dir)
{
	if (!*dir)
		return 0;
	int d = 1;
	for (; *dir; dir++)
		d += *dir == '/';
	return d;
}

static void
rule_add(struct cf_ignore *ig, const char *dir, char *line)
{
	size_t n = strlen(line);
	if (n && line[n - 1] == '\r')
		line[--n] = 0;
	/* trailing spaces go unless escaped */
	while (n && line[n - 1] == ' ' && !(n > 1 && line[n - 2] == '\\'))
		line[--n] = 0;
	if (!n || line[0] == '#')
		return;
	struct rule r = {0};
	char *p = line;
	if (*p == '!') {
		r.neg = 1;
		p++;
	} else if (*p == '\\' && (p[1] == '!' || p[1] == '#'))
		p++;
	n = strlen(p);
	if (n && p[n - 1] == '/') {
		r.dironly = 1;
		p[--n] = 0;
	}
	if (!n)
		return;
	if (strchr(p, '/'))
		r.anchored = 1;
	if (*p == '/')
		p++;
	if (!*p)
		return;
	r.dir = cf_xstrdup(dir);
	r.pat = cf_xstrdup(p);
	if (ig->n == ig->cap) {
		ig->cap = ig->cap ? ig->cap * 2 : 16;
		ig->r = cf_xrealloc(ig->r, ig->cap * sizeof *ig->r);
	}
	int d = depth(dir), at = ig->n;
	while (at > 0 && depth(ig->r[at - 1].dir) > d)
		at--;
	memmove(ig->r + at + 1, ig->r + at, (ig->n - at) * sizeof *ig->r);
	ig->r[at] = r;
	ig->n++;
}

void
cf_ignore_add(struct cf_ignore *ig, const char *dir, const char *text)
{
	char *copy = cf_xstrdup(text), *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		rule_add(ig, dir, l);
	free(copy);
}

void
cf_ignore_load(struct cf_ignore *ig, const char *dir)
{
	rules_drop(ig, dir);
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s%s%s/.gitignore", ig->root,
	             *dir ? "/" : "", dir) >= (int)sizeof path)
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		rule_add(ig, dir, line);
	}
	free(line);
	fclose(f);
}

/* Segments of pat against segments of path, `**` taking any number of
 * them (at the end, at least one: "a/ **" without the space is what is inside a). */
static int
seg_match(const char *pat, const char *path)
{
	if (!*pat)
		return !*path;
	const char *pe = strchr(pat, '/');
	size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
	if (pl == 2 && pat[0] == '*' && pat[1] == '*') {
		const char *rest = pe ? pe + 1 : "";
		if (!*rest)
			return *path != 0;
		for (const char *q = path;;) {
			if (seg_match(rest, q))
				return 1;
			const char *s = strchr(q, '/');
			if (!s)
				return 0;
			q = s + 1;
		}
	}
	if (!*path)
		return 0;
	const char *se = strchr(path, '/');
	size_t sl = se ? (size_t)(se - path) : strlen(path);
	char ps[NAME_MAX * 4 + 1], ss[NAME_MAX * 4 + 1];
	if (pl >= sizeof ps || sl >= sizeof ss)
		return 0;
	memcpy(ps, pat, pl);
	ps[pl] = 0;
	memcpy(ss, path, sl);
	ss[sl] = 0;
	if (fnmatch(ps, ss, 0))
		return 0;
	if (!pe || !se)
		return !pe && !se;
	return seg_match(pe + 1, se + 1);
}

/* Whether rule r matches rel, a path below the root of that kind. */
static int
rule_match(const struct rule *r, const char *rel, int isdir)
{
	if (r->dironly && !isdir)
		return 0;
	size_t dl = strlen(r->dir);
	const char *sub = rel;
	if (dl) {
		if (strncmp(rel, r->dir, dl) || rel[dl] != '/')
			return 0;
		sub = rel + dl + 1;
	}
	if (r->anchored)
		return seg_match(r->pat, sub);
	const char *base = strrchr(sub, '/');
	return !fnmatch(r->pat, base ? base + 1 : sub, 0);
}

static int
match_one(const struct cf_ignore *ig, const char *rel, int isdir)
{
	const char *base = strrchr(rel, '/');
	if (!strcmp(base ? base + 1 : rel, ".git"))
		return 1;
	int ignored = 0;
	for (int i = 0; i < ig->n; i++)
		if (rule_match(&ig->r[i], rel, isdir))
			ignored = !ig->r[i].neg;
	return ignored;
}

int
cf_ignore_match(const struct cf_ignore *ig, const char *rel, int isdir)
{
	/* a folder above it ignored ignores it, whatever its own rules say */
	char buf[PATH_MAX];
	size_t n = strlen(rel);
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, rel, n + 1);
	for (char *s = buf; (s = strchr(s, '/')); s++) {
		*s = 0;
		int hit = match_one(ig, buf, 1);
		*s = '/';
		if (hit)
			return 1;
	}
	return match_one(ig, rel, isdir);
}

/* ---- the watcher ---- */

enum { CREATED = 1, CHANGED, REMOVED };
static const char *const change_name[] = {"", "created", "changed", "removed"};

#define PENDING_MAX 65536
/* events per transaction: while one is written nobody reads inotify, so
 * a flush writes one batch and reads again before the next */
#define BATCH_MAX 2048
#define SINK_TRIES 10           /* a refused batch offered again, a second apart, then queued */

struct root {
	char *path;     /* as watched: absolute, resolved */
	struct cf_ignore *ig;
	int wd;         /* of the folder itself; -1 once it is gone */
};

struct wslot {
	int root;       /* -1: free */
	char *rel;      /* "" for the root folder */
};

struct pend {
	int root;
	char *rel;
	int change;
	int64_t first, last;
	unsigned hash;
};

struct watcher {
	const struct cf_watch *w;
	int fd;
	struct root *roots;
	int nroots, alive;
	struct wslot *slots;    /* by watch descriptor */
	int nslots;
	struct pend *pend;
	int npend, cappend;
	int *index;             /* open addressing into pend, -1 empty */
	unsigned nindex;
	int64_t debounce;
	int tty;
	long recorded;
	jv held;                /* a batch the sink refused, or null */
	int tries;
	int64_t retry_at;
	jv failure;             /* the sink's last error, or null */
	int stop;
	int more;               /* settled entries left for the next flush */
	long dropped;           /* changes not kept: the store refused and the queue too */
};

static int
holding(const struct watcher *x)
{
	return jv_get_kind(x->held) == JV_KIND_ARRAY;
}

static unsigned
hash_of(int root, const char *rel)
{
	unsigned h = 2166136261u ^ (unsigned)root;
	for (; *rel; rel++)
		h = (h ^ (unsigned char)*rel) * 16777619u;
	return h;
}

static void
index_rebuild(struct watcher *x)
{
	unsigned want = 64;
	while (want < (unsigned)x->npend * 2 + 2)
		want *= 2;
	if (want != x->nindex) {
		free(x->index);
		x->index = cf_xmalloc(want * sizeof *x->index);
		x->nindex = want;
	}
	memset(x->index, 0xff, want * sizeof *x->index);
	for (int i = 0; i < x->npend; i++) {
		unsigned j = x->pend[i].hash & (want - 1);
		while (x->index[j] >= 0)
			j = (j + 1) & (want - 1);
		x->index[j] = i;
	}
}

static struct pend *
pend_find(struct watcher *x, int root, const char *rel, unsigned h)
{
	if (!x->nindex)
		return NULL;
	for (unsigned j = h & (x->nindex - 1); x->index[j] >= 0; j = (j + 1) & (x->nindex - 1)) {
		struct pend *p = &x->pend[x->index[j]];
		if (p->hash == h && p->root == root && !strcmp(p->rel, rel))
			return p;
	}
	return NULL;
}

static void flush(struct watcher *x, int all);
static int spill(struct watcher *x);

/* A folder's own entry (rel ending in `/`) is matched as the folder it
 * names. */
static int
ignored(const struct watcher *x, int root, const char *rel)
{
	size_t n = strlen(rel);
	if (!n || rel[n - 1] != '/')
		return cf_ignore_match(x->roots[root].ig, rel, 0);
	char *d = cf_xstrdup(rel);
	d[n - 1] = 0;
	int hit = cf_ignore_match(x->roots[root].ig, d, 1);
	free(d);
	return hit;
}

static void
note(struct watcher *x, int root, const char *rel, int change, int64_t now)
{
	if (ignored(x, root, rel))
		return;
	unsigned h = hash_of(root, rel);
	struct pend *p = pend_find(x, root, rel, h);
	if (p) {
		/* what the path did over the window, from before to after */
		int was = p->change;
		if (was == CREATED && change == REMOVED)
			p->change = 0;          /* never there as far as anyone saw */
		else if (was == CREATED)
			;
		else if (was == 0)
			p->change = change == REMOVED ? 0 : CREATED;
		else    /* it was there before: removed and back, or an editor's
		         * rename over it, is a change */
			p->change = change == REMOVED ? REMOVED : CHANGED;
		p->last = now;
		return;
	}
	if (x->npend >= PENDING_MAX) {
		flush(x, 1);
		if (holding(x) && spill(x))
			flush(x, 1);
		if (x->npend >= PENDING_MAX) {
			if (!x->dropped++)
				cf_warn("%d paths wait for the store and the queue: changes to others are not recorded", PENDING_MAX);
			return;
		}
	}
	if (x->npend == x->cappend) {
		x->cappend = x->cappend ? x->cappend * 2 : 256;
		x->pend = cf_xrealloc(x->pend, x->cappend * sizeof *x->pend);
	}
	x->pend[x->npend++] = (struct pend){root, cf_xstrdup(rel), change, now, now, h};
	if ((unsigned)x->npend * 2 + 2 > x->nindex)
		index_rebuild(x);
	else {
		unsigned j = h & (x->nindex - 1);
		while (x->index[j] >= 0)
			j = (j + 1) & (x->nindex - 1);
		x->index[j] = x->npend - 1;
	}
}

static jv
event(struct watcher *x, int root, const char *rel, int change, int64_t at)
{
	jv data = JV_OBJECT(jv_string("path"), jv_string(rel),
	                    jv_string("change"), jv_string(change_name[change]),
	                    jv_string("dir"), jv_string(x->roots[root].path));
	size_t n = strlen(rel);
	if (n && rel[n - 1] == '/')
		data = jv_object_set(data, jv_string("folder"), jv_true());
	return JV_OBJECT(jv_string("kind"), jv_string("file"),
	                 jv_string("source"), jv_string(x->w->source ? x->w->source : "watch"),
	                 jv_string("text"), jv_string_fmt("%s %s", change_name[change], rel),
	                 jv_string("at"), cf_time_jv(at),
	                 jv_string("data"), data);
}

/* A held batch the sink will not take soon given to spill (the queue):
 * 1 when it took it. */
static int
spill(struct watcher *x)
{
	if (!holding(x) || !x->w->spill)
		return 0;
	int n = jv_array_length(jv_copy(x->held));
	jv r = x->w->spill(x->w->ctx, jv_copy(x->held));
	if (cf_is_error(r)) {
		jv m = cf_error_message(r);
		cf_warn("%d file events could not be queued either: %s", n, jv_string_value(m));
		jv_free(m);
		jv_free(r);
		return 0;
	}
	jv_free(r);
	cf_warn("%d file events queued for the store", n);
	x->recorded += n;
	jv_free(x->held);
	x->held = jv_null();
	x->tries = 0;
	return 1;
}

/* Offers the held batch to the sink: 1 when it was taken.  A busy store
 * (CF_EX_STORE) is tried again a second later, and after SINK_TRIES the
 * batch goes to the queue; any other error stops the watch. */
static int
offer(struct watcher *x)
{
	if (!holding(x))
		return 1;
	int n = jv_array_length(jv_copy(x->held));
	jv r = x->w->sink(x->w->ctx, jv_copy(x->held));
	if (cf_is_error(r)) {
		if (!x->tries) {
			jv m = cf_error_message(r);
			cf_warn("%d file event%s wait: %s", n, n == 1 ? "" : "s", jv_string_value(m));
			jv_free(m);
		}
		int status = cf_error_status(r);
		jv_free(x->failure);
		x->failure = r;
		x->tries++;
		x->retry_at = cf_now_ms() + 1000;
		if (status != CF_EX_STORE)
			x->stop = 1;
		else if (x->tries >= SINK_TRIES)
			return spill(x);
		return 0;
	}
	if (jv_get_kind(r) == JV_KIND_FALSE)
		x->stop = 1;
	jv_free(r);
	jv_free(x->failure);
	x->failure = jv_null();
	x->tries = 0;
	x->recorded += n;
	jv_free(x->held);
	x->held = jv_null();
	return 1;
}

/* Hands the settled entries (all of them with all) to the sink, in
 * batches; a batch refused stays held and nothing more is taken until it
 * goes. */
static void
flush(struct watcher *x, int all)
{
	if (!offer(x))
		return;
	int64_t now = cf_now_ms();
	int k = 0, sent = 0;
	jv batch = jv_array();
	int nb = 0;
	x->more = 0;
	for (int i = 0; i < x->npend; i++) {
		struct pend *p = &x->pend[i];
		int due = all || now - p->last >= x->debounce || now - p->first >= 10 * x->debounce;
		if (due && sent && !all)
			x->more = 1;
		else if (due && !holding(x)) {
			if (p->change)
				batch = jv_array_append(batch, event(x, p->root, p->rel, p->change, p->last)), nb++;
			free(p->rel);
			if (nb == BATCH_MAX) {
				x->held = batch;        /* held was null */
				batch = jv_array();
				nb = 0;
				offer(x);   /* refused, it stays held and the rest waits in pend */
				sent = 1;
			}
			continue;
		}
		x->pend[k++] = *p;
	}
	int changed = k != x->npend;
	x->npend = k;
	if (changed)
		index_rebuild(x);
	if (nb) {
		x->held = batch;        /* taken only while nothing was held */
		offer(x);
	} else
		jv_free(batch);
}

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = cf_xmalloc(la + lb + 2);
	memcpy(s, a, la);
	size_t at = la;
	if (la && lb)
		s[at++] = '/';
	memcpy(s + at, b, lb + 1);
	return s;
}

static void
slot_set(struct watcher *x, int wd, int root, const char *rel)
{
	if (wd >= x->nslots) {
		int n = x->nslots ? x->nslots : 64;
		while (n <= wd)
			n *= 2;
		x->slots = cf_xrealloc(x->slots, n * sizeof *x->slots);
		for (int i = x->nslots; i < n; i++)
			x->slots[i] = (struct wslot){-1, NULL};
		x->nslots = n;
	}
	free(x->slots[wd].rel);
	x->slots[wd] = (struct wslot){root, cf_xstrdup(rel)};
}

#define MASK (IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | \
              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

/* Watches folder rel of root and every folder below it not ignored; with
 * fresh (a folder that just appeared), its files are recorded as created,
 * since they may have been written before its watch was in place. */
static void
add_tree(struct watcher *x, int root, const char *rel, int fresh, int64_t now)
{
	char *full = join(x->roots[root].path, rel);
	int wd = inotify_add_watch(x->fd, full, MASK);
	if (wd < 0) {
		if (errno == ENOSPC)
			cf_warn("%s: no more inotify watches (fs.inotify.max_user_watches)", full);
		else if (errno != ENOENT && errno != ENOTDIR)
			cf_warn("%s: %s", full, strerror(errno));
		free(full);
		return;
	}
	slot_set(x, wd, root, rel);
	cf_ignore_load(x->roots[root].ig, rel);
	DIR *d = opendir(full);
	free(full);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int isdir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat sb;
			isdir = !fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) && S_ISDIR(sb.st_mode);
		}
		char *sub = join(rel, e->d_name);
		if (isdir) {
			if (!cf_ignore_match(x->roots[root].ig, sub, 1))
				add_tree(x, root, sub, fresh, now);
		} else if (fresh)
			note(x, root, sub, CREATED, now);
		free(sub);
	}
	closedir(d);
}

/* Forgets the watches of folder rel of root and below (moved away). */
static void
drop_tree(struct watcher *x, int root, const char *rel)
{
	size_t n = strlen(rel);
	for (int i = 0; i < x->nslots; i++) {
		struct wslot *s = &x->slots[i];
		if (s->root != root || !s->rel)
			continue;
		if (!strncmp(s->rel, rel, n) && (!s->rel[n] || s->rel[n] == '/')) {
			inotify_rm_watch(x->fd, i);
			free(s->rel);
			*s = (struct wslot){-1, NULL};
		}
	}
}

static void
root_gone(struct watcher *x, int root)
{
	struct root *r = &x->roots[root];
	if (r->wd < 0)
		return;
	cf_warn("%s: the watched folder is gone; watching %s", r->path,
	        x->alive > 1 ? "the others" : "nothing");
	drop_tree(x, root, "");
	r->wd = -1;
	x->alive--;
}

static void
lost(struct watcher *x, int64_t now)
{
	cf_warn("events were lost (the kernel's inotify queue overflowed); rescanning for new folders");
	jv batch = jv_array();
	for (int i = 0; i < x->nroots; i++) {
		if (x->roots[i].wd < 0)
			continue;
		jv data = JV_OBJECT(jv_string("path"), jv_string(""), jv_string("change"),
		                    jv_string("lost"), jv_string("dir"), jv_string(x->roots[i].path));
		batch = jv_array_append(batch, JV_OBJECT(
			jv_string("kind"), jv_string("file"),
			jv_string("source"), jv_string(x->w->source ? x->w->source : "watch"),
			jv_string("text"), jv_string_fmt("lost file events in %s (inotify queue overflowed)", x->roots[i].path),
			jv_string("at"), cf_time_jv(now), jv_string("data"), data));
		/* folders made while events were dropped are watched from now;
		 * which of their files are new cannot be told, so none is
		 * recorded; a folder watched already keeps its descriptor */
		add_tree(x, i, "", 0, now);
	}
	flush(x, 1);
	if (holding(x))
		x->held = jv_array_concat(x->held, batch);    /* goes with it */
	else {
		x->held = batch;
		offer(x);
	}
}

static void
handle(struct watcher *x, const struct inotify_event *ev, int64_t now)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		lost(x, now);
		return;
	}
	if (ev->wd < 0 || ev->wd >= x->nslots || x->slots[ev->wd].root < 0)
		return;
	int root = x->slots[ev->wd].root;
	const char *dir = x->slots[ev->wd].rel;
	if (ev->mask & IN_IGNORED) {
		if (x->roots[root].wd == ev->wd)
			root_gone(x, root);
		free(x->slots[ev->wd].rel);
		x->slots[ev->wd] = (struct wslot){-1, NULL};
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		if (x->roots[root].wd == ev->wd)
			root_gone(x, root);
		return;
	}
	if (!ev->len || !ev->name[0])
		return;
	char *rel = join(dir, ev->name);
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
			if (!cf_ignore_match(x->roots[root].ig, rel, 1))
				add_tree(x, root, rel, 1, now);
		} else if (ev->mask & IN_MOVED_FROM) {
			/* renamed or moved out: its files are seen again under a
			 * new name (as created) if it stays in a watched tree, but
			 * nothing is told of the old names one by one, so the
			 * folder's own removal says they went.  Pairing by cookie
			 * with an IN_MOVED_TO for a "moved" event would need the
			 * two to arrive in one read, which a move out never does;
			 * one rule for both is simpler to read back. */
			drop_tree(x, root, rel);
			char *self = join(rel, "");
			size_t n = strlen(self);
			self = cf_xrealloc(self, n + 2);
			self[n] = '/';
			self[n + 1] = 0;
			note(x, root, self, REMOVED, now);
			free(self);
		}
	} else {
		if (!strcmp(ev->name, ".gitignore") && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)))
			cf_ignore_load(x->roots[root].ig, dir);
		int change = ev->mask & (IN_CREATE | IN_MOVED_TO) ? CREATED
		           : ev->mask & IN_CLOSE_WRITE ? CHANGED : REMOVED;
		note(x, root, rel, change, now);
	}
	free(rel);
}

jv
cf_watch_run(const struct cf_watch *w)
{
	if (w->ndirs < 1)
		return cf_usage_error("watch: name a folder to watch");
	struct watcher x = {.w = w, .held = jv_null(), .failure = jv_null()};
	x.debounce = w->debounce_ms > 0 ? w->debounce_ms : 200;
	x.tty = isatty(2);
	x.roots = cf_xmalloc(w->ndirs * sizeof *x.roots);
	for (int i = 0; i < w->ndirs; i++) {
		char *real = realpath(w->dirs[i], NULL);
		struct stat sb;
		if (!real || stat(real, &sb) || !S_ISDIR(sb.st_mode)) {
			jv e = cf_error(CF_EX_NOTFOUND, "%s: %s", w->dirs[i],
			                real ? "not a folder" : strerror(errno));
			free(real);
			for (int j = 0; j < i; j++) {
				free(x.roots[j].path);
				cf_ignore_free(x.roots[j].ig);
			}
			free(x.roots);
			return e;
		}
		x.roots[i] = (struct root){real, cf_ignore_new(real), -1};
	}
	x.nroots = w->ndirs;
	x.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	jv result = jv_true();
	sigset_t sigs, old;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (x.fd < 0 || sfd < 0) {
		result = cf_error(CF_EX_FAIL, "inotify: %s", strerror(errno));
		goto out;
	}
	int64_t now = cf_now_ms();
	for (int i = 0; i < x.nroots; i++) {
		add_tree(&x, i, "", 0, now);
		for (int s = 0; s < x.nslots; s++)
			if (x.slots[s].root == i && x.slots[s].rel && !*x.slots[s].rel)
				x.roots[i].wd = s;
		if (x.roots[i].wd >= 0)
			x.alive++;
	}
	if (!x.alive) {
		result = cf_error(CF_EX_FAIL, "watch: no folder could be watched");
		goto out;
	}
	if (x.tty)
		fprintf(stderr, "%s: watching %d folder%s (Ctrl-C stops)\n", cf_prog,
		        x.alive, x.alive > 1 ? "s" : "");
	if (w->ready)
		w->ready(w->ctx);
	static char buf[256 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	int64_t quiet_since = cf_now_ms(), next_tick = 0;
	/* settled entries are looked for a few times per debounce time, not
	 * after every read, so a flood costs reads, not scans of the table */
	int64_t tick = x.debounce / 4 > 10 ? x.debounce / 4 : 10;
	int sig = 0;
	while (!x.stop && !sig && x.alive > 0) {
		now = cf_now_ms();
		int timeout = -1;
		if (x.npend || holding(&x))
			timeout = next_tick <= now ? 0 : (int)(next_tick - now);
		if (w->idle_ms > 0) {
			int t = quiet_since + w->idle_ms <= now ? 0 : (int)(quiet_since + w->idle_ms - now);
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		struct pollfd pf[2] = {{x.fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		int rc = poll(pf, 2, timeout);
		if (rc < 0 && errno != EINTR) {
			result = cf_error(CF_EX_FAIL, "poll: %s", strerror(errno));
			break;
		}
		if (cf_interrupted)
			sig = SIGINT;
		if (rc > 0 && (pf[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == sizeof si)
				sig = (int)si.ssi_signo;
		}
		if (rc > 0 && (pf[0].revents & POLLIN)) {
			/* drain what is queued now, so a flood is read in big reads */
			for (int rounds = 0; rounds < 64; rounds++) {
				ssize_t n = read(x.fd, buf, sizeof buf);
				if (n <= 0)
					break;
				now = cf_now_ms();
				for (char *p = buf; p < buf + n;) {
					const struct inotify_event *ev = (const struct inotify_event *)p;
					handle(&x, ev, now);
					p += sizeof *ev + ev->len;
				}
			}
			quiet_since = cf_now_ms();
		}
		now = cf_now_ms();
		if (now >= next_tick) {
			if (!holding(&x) || now >= x.retry_at)
				flush(&x, 0);
			next_tick = x.more ? now : now + tick;
		}
		if (w->idle_ms > 0 && !x.npend && now - quiet_since >= w->idle_ms)
			break;
	}
	/* stopping: what is pending goes now; a batch still refused after a
	 * few tries goes to the queue with everything pending behind it */
	flush(&x, 1);
	for (int t = 0; holding(&x) && !cf_is_error(result) && t < 20; t++) {
		usleep(100 * 1000);
		if (offer(&x))
			flush(&x, 1);
		else if (cf_is_error(x.failure) && cf_error_status(x.failure) != CF_EX_STORE)
			break;
	}
	if (holding(&x)) {
		for (int i = 0; i < x.npend; i++) {
			struct pend *p = &x.pend[i];
			if (p->change)
				x.held = jv_array_append(x.held, event(&x, p->root, p->rel, p->change, p->last));
			free(p->rel);
		}
		x.npend = 0;
		spill(&x);
	}
	if (x.tty)
		fprintf(stderr, "%s: %ld file events recorded\n", cf_prog, x.recorded);
	if (holding(&x)) {
		jv m = cf_error_message(x.failure);
		jv_free(result);
		result = cf_error(cf_error_status(x.failure), "%d file events not recorded: %s",
		                  jv_array_length(jv_copy(x.held)), jv_string_value(m));
		jv_free(m);
	} else if (cf_is_error(result))
		;
	else if (cf_is_error(x.failure) && cf_error_status(x.failure) != CF_EX_STORE) {
		jv_free(result);
		result = jv_copy(x.failure);
	} else if (!sig && !x.stop && x.alive <= 0) {
		jv_free(result);
		result = cf_error(CF_EX_FAIL, "watch: no folder left to watch");
	}
out:
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (x.fd >= 0)
		close(x.fd);
	for (int i = 0; i < x.nslots; i++)
		free(x.slots[i].rel);
	free(x.slots);
	for (int i = 0; i < x.npend; i++)
		free(x.pend[i].rel);
	free(x.pend);
	free(x.index);
	for (int i = 0; i < x.nroots; i++) {
		free(x.roots[i].path);
		cf_ignore_free(x.roots[i].ig);
	}
	free(x.roots);
	jv_free(x.held);
	jv_free(x.failure);
	return result;
}

/* ---- into the store ---- */

struct into {
	cf_store *st;
	jv events;
	int at;
};

static jv
next_event(void *ctx)
{
	struct into *in = ctx;
	if (in->at >= jv_array_length(jv_copy(in->events)))
		return jv_invalid();
	return jv_array_get(jv_copy(in->events), in->at++);
}

/* A short wait for the lock: while we wait nobody reads inotify, and a
 * flood fills the kernel's queue; a busy store is tried again instead. */
static jv
to_store(void *ctx, jv events)
{
	struct into in = {.st = ctx, .events = events};
	long n = 0;
	int busy = 0;
	jv r = cf_activity_add_each(in.st, next_event, &in, 200, &n, &busy);
	jv_free(events);
	if (cf_is_error(r) && busy) {
		jv m = cf_error_message(r);
		jv e = cf_error(CF_EX_STORE, "%s", jv_string_value(m));
		jv_free(m);
		jv_free(r);
		return e;
	}
	if (!cf_is_error(r)) {
		jv_free(r);
		return jv_true();
	}
	return r;
}

static jv
to_queue(void *ctx, jv events)
{
	jv err = jv_invalid();
	cf_activity_q *q = cf_activity_queue_open(ctx, &err);
	if (!q) {
		jv_free(events);
		return err;
	}
	jv_array_foreach(events, i, e) {
		jv r = cf_activity_queue_put(q, e);
		if (cf_is_error(r)) {
			cf_activity_queue_discard(q);
			jv_free(events);
			return r;
		}
		jv_free(r);
	}
	jv_free(events);
	return cf_activity_queue_close(q);
}

jv
cf_activity_watch(cf_store *st, const char *const *dirs, int ndirs, const char *source)
{
	struct cf_watch w = {.dirs = dirs, .ndirs = ndirs, .source = source,
	                     .sink = to_store, .spill = to_queue, .ctx = st};
	return cf_watch_run(&w);
}
