/* watch.h — what watch.c shares with its unit test: the .gitignore
 * matcher and the watch loop with its sink, apart from the store. */
#ifndef CONFAB_WATCH_H
#define CONFAB_WATCH_H

#include "confab.h"

/* The .gitignore rules of one watched tree: each folder's file read by
 * cf_ignore_load (dir relative to the root, "" for the root; a missing
 * file drops that folder's rules).  cf_ignore_match says whether rel (a
 * path below the root, "/"-separated) is ignored: `.git` always, then the
 * last rule matching it or a folder above it, deeper files last. */
struct cf_ignore;
struct cf_ignore *cf_ignore_new(const char *root);
void cf_ignore_free(struct cf_ignore *ig);
void cf_ignore_load(struct cf_ignore *ig, const char *dir);
/* The same from text, for tests. */
void cf_ignore_add(struct cf_ignore *ig, const char *dir, const char *text);
int cf_ignore_match(const struct cf_ignore *ig, const char *rel, int isdir);

/* The loop, with what it records handed to a sink: an array of activity
 * events (consumed), answered jv_true() to go on, jv_false() to stop after
 * it, or an error: CF_EX_STORE (busy) keeps the batch and offers it again
 * a second later, and after ten refusals (or when stopping) hands it to
 * spill (may be NULL) instead; any other error ends the loop, returned. */
struct cf_watch {
	const char *const *dirs;
	int ndirs;
	const char *source;     /* NULL: "watch" */
	int debounce_ms;        /* 0: 200 */
	int idle_ms;            /* > 0: return after this long without an event (tests) */
	jv (*sink)(void *ctx, jv events);
	jv (*spill)(void *ctx, jv events);   /* jv_true() or an error */
	void (*ready)(void *ctx);   /* once every folder is watched; may be NULL */
	void *ctx;
};
CF_MUST jv cf_watch_run(const struct cf_watch *w);

#endif
