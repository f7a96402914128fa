# confab — one plain Makefile.  `make`, `make check`, `make bench`,
# `make install`, `make uninstall`, `make deps`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
FISHFUNCDIR ?= $(DATADIR)/fish/vendor_functions.d
# fish reads vendor folders only in its own prefix and in $XDG_DATA_DIRS,
# unset on most systems: a completions folder it does not know gets a
# file in fish's conf.d that adds it (completions/fish-conf.fish.in).
FISH_VENDOR = $(shell $(PKG_CONFIG) --variable completionsdir fish 2>/dev/null)
FISHCONFDIR ?= $(shell fish -c 'echo $$__fish_sysconf_dir' 2>/dev/null || echo /etc/fish)/conf.d

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Iinclude \
	-DCF_SHAREDIR=\"$(DATADIR)/confab\" \
	$(shell $(PKG_CONFIG) --cflags sqlite3 libcurl libcmark-gfm libarchive pangocairo tree-sitter libedit glib-2.0)
# Each program loads only the libraries it uses.
override LDFLAGS += -Wl,--as-needed
# libjq ships no pkg-config file.
# libcurl is dlopen()ed on the first request (lib/curl.c), cairo and pango
# on the first PDF (lib/pdflibs.c), libarchive on the first archive or
# DOCX (lib/arclib.c): none is linked, only their headers are used.
# cmark is linked only by the programs whose objects call it (a static
# library and --as-needed).
LDLIBS += $(shell $(PKG_CONFIG) --libs sqlite3 libcmark-gfm tree-sitter libedit glib-2.0) -lcmark-gfm-extensions -ljq -lm
# libmicrohttpd: only chat-serve's objects (lib/serve*.c) call it, so with
# --as-needed (pushed here too, for links that do not take LDFLAGS) no
# other program gets a NEEDED entry for it.
override CFLAGS += $(shell $(PKG_CONFIG) --cflags libmicrohttpd)
# libpq: its header only; sql_pg.c opens libpq.so.5 on the first
# PostgreSQL store (dynlib.h), so a SQLite store never loads it.
override CFLAGS += $(shell $(PKG_CONFIG) --cflags libpq)
LDLIBS += -Wl,--push-state,--as-needed $(shell $(PKG_CONFIG) --libs libmicrohttpd) -Wl,--pop-state

# Code highlighting (lib/highlight.c) parses with tree-sitter grammars from
# npm: tree-sitter-NAME at VERSION, each one whose generated parser.c is
# ABI 14 (LANGUAGE_VERSION 14), the newest Debian's libtree-sitter 0.20.7
# reads, its tarball checked against SHA256.  All MIT-licensed (each
# package's LICENSE stays beside its sources).  `make grammars`, run by
# `make deps`, fetches them into grammars/, beside build/ rather than in it:
# they are sources that need the network, so `make clean` keeps them.
# javascript is 0.20.3, not 0.20.4: 0.20.4's queries put `(identifier)
# @variable` first, written for highlighters where the last pattern wins,
# and with tree-sitter's own rule (the first wins) every name would be a
# variable.
GRAMMARS = \
	c:0.20.8:b7e6ce01857b7773696e4d3f51392cef7d7e555fdb12276ca0cc3b80a480fa7f \
	cpp:0.20.5:9caa0a196fe14c195268321f4e527c6b1a223a86a7341e015f13b9e8dd4c5950 \
	python:0.20.4:644cb3faabb8faae1a1c734d1a636f94f40b18e94265f018c4b90dc8cb9b00ba \
	javascript:0.20.3:bfb99251e24409e3ef54a7203aefc337264c6721798e48060bdf90a88eba8f1a \
	typescript:0.20.5:672b2398dd8ea98b8b9afb9e56bd85a180300e470a67ff9dfbb73beb8a3b5a21 \
	go:0.20.0:f00b76a2948e3cc0dc815aab644000af5e33de88b01790d20b1d993ae4cdf9da \
	rust:0.20.4:d41e06911cbb3a621259be5318d43f5e9442dd239b13f7186f254c63c0c524d1 \
	java:0.20.2:0d867548504a225adec1acdd4dd953236a2c05fa15b4a1326920cd105c3516b5 \
	bash:0.20.5:09f90302ec3a6688d570b0d6025d4207910d22d6f042f3baf11482ab460f7011 \
	json:0.20.2:2e36d09108850aadd1090935622508d8d5aa50b14fc8961c21726d515c97d51d \
	html:0.20.4:5e29d4919309870374b51e778488fbba19b43c72ad71a00b2bb6e802f96302b7 \
	css:0.20.0:70587e4a3baeb6959e91a564529781a801d9e1aea7aa55e2bc66c8dff22bf43d \
	ruby:0.20.1:698d408518ddb6163600a789eb878483487d7830faa8e0da7386cf7937747f88
# The languages: NAME:GRAMMAR:FOLDER:QUERIES — tree_sitter_NAME() in the
# grammar's FOLDER, and the highlight queries in the order of the package's
# "tree-sitter" section (GRAMMAR/FILE, comma-separated; C++ and TypeScript
# extend C's and JavaScript's), since the first pattern to match a node wins.
HL_LANGS = \
	c:c:src:c/queries/highlights.scm \
	cpp:cpp:src:cpp/queries/highlights.scm,c/queries/highlights.scm \
	python:python:src:python/queries/highlights.scm \
	javascript:javascript:src:javascript/queries/highlights-jsx.scm,javascript/queries/highlights-params.scm,javascript/queries/highlights.scm \
	typescript:typescript:typescript/src:typescript/queries/highlights.scm,javascript/queries/highlights.scm \
	tsx:typescript:tsx/src:typescript/queries/highlights.scm,javascript/queries/highlights-jsx.scm,javascript/queries/highlights.scm \
	go:go:src:go/queries/highlights.scm \
	rust:rust:src:rust/queries/highlights.scm \
	java:java:src:java/queries/highlights.scm \
	bash:bash:src:bash/queries/highlights.scm \
	json:json:src:json/queries/highlights.scm \
	html:html:src:html/queries/highlights.scm \
	css:css:src:css/queries/highlights.scm \
	ruby:ruby:src:ruby/queries/highlights.scm
GRAMMAR_DIR = lib/grammars
# Generated parsers are third-party code, built without our warning flags
# and with none of theirs (go's parser.c holds a NUL in a literal).
GRAMMAR_CFLAGS ?= -O2
hl_f = $(word $(2),$(subst :, ,$(1)))
# A grammar is there when its stamp for the pinned version is.
hl_stamp = $(GRAMMAR_DIR)/$(call hl_f,$(1),1)/.pinned-$(call hl_f,$(1),2)
HL_HAVE = $(foreach g,$(GRAMMARS),$(if $(wildcard $(call hl_stamp,$(g))),$(call hl_f,$(g),1)))
# A language needs its grammar and every grammar its queries come from.
hl_needs = $(call hl_f,$(1),2) $(foreach q,$(subst $(comma), ,$(call hl_f,$(1),4)),$(firstword $(subst /, ,$(q))))
comma = ,
HL_ON = $(foreach l,$(HL_LANGS),$(if $(filter-out $(HL_HAVE),$(call hl_needs,$(l))),,$(l)))
HL_ON_NAMES = $(foreach l,$(HL_ON),$(call hl_f,$(l),1))
HL_OFF_NAMES = $(filter-out $(HL_ON_NAMES),$(foreach l,$(HL_LANGS),$(call hl_f,$(l),1)))
hl_src = $(GRAMMAR_DIR)/$(call hl_f,$(1),2)/$(call hl_f,$(1),3)
hl_scm = $(addprefix $(GRAMMAR_DIR)/,$(subst $(comma), ,$(call hl_f,$(1),4)))
# parser.c, and the external scanner if the grammar has one (C, or C++:
# then the programs link libstdc++ too).
hl_obj = build/grammars/$(call hl_f,$(1),1)/parser.o \
	$(if $(wildcard $(call hl_src,$(1))/scanner.c),build/grammars/$(call hl_f,$(1),1)/scanner.o) \
	$(if $(wildcard $(call hl_src,$(1))/scanner.cc),build/grammars/$(call hl_f,$(1),1)/scanner-cc.o)
HL_OBJ = build/gen/hl_langs.o $(foreach l,$(HL_ON),$(call hl_obj,$(l)))
HL_CXX = $(if $(filter %/scanner-cc.o,$(HL_OBJ)),-lstdc++)
LDLIBS += $(HL_CXX)
ifneq ($(HL_OFF_NAMES),)
ifeq ($(filter deps grammars clean,$(MAKECMDGOALS)),)
$(info highlighting off for $(HL_OFF_NAMES): `make deps` fetches the tree-sitter grammars)
endif
endif

PROGS = confab chat-new chat-ls chat-show chat-branch chat-rm chat-set chat-add chat-send chat-cost \
	chat-export chat-import
PROGS += chat-edit
PROGS += chat-template
PROGS += chat-react chat-note
PROGS += chat-diff
PROGS += chat-merge
PROGS += chat-plugin
PROGS += chat-models
PROGS += chat-activity
PROGS += chat-serve
# the plugins confab ships (confab-plugin(7)): programs like the others,
# run by chat-plugin and confab rather than by people
PLUGINS = chat-plugin-git chat-plugin-sh chat-plugin-file
BINS = $(PROGS:%=bin/%) $(PLUGINS:%=bin/%)
LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=build/lib/%.o)
LIB = build/libconfab.a
# What only the programs do (errors become exits): linked into each, never
# into the library.
CMD_OBJ = build/cmd.o
UNIT_SRC = $(wildcard tests/unit/test-*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=build/asan/%)
ASAN_OBJ = $(LIB_SRC:lib/%.c=build/asan/lib/%.o)
ASAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# What build and test need: the compiler and libraries, bats and jq for the
# suites, util-linux's script for a pseudo-terminal, sqlite3 to inspect,
# groff and mandoc to lint the pages, zsh and fish to check completions,
# libcurl and curl for the providers and the benchmark's baseline, clang
# and its libFuzzer runtime for `make fuzz`; cmark, libarchive, cairo and
# pango for the exports, with fonts for Latin, Greek, Cyrillic, Arabic
# (DejaVu) and CJK (Droid fallback); pandoc, poppler-utils, xmllint, unzip
# and zstd read the exports back in the tests.
DEBS = build-essential pkg-config libsqlite3-dev sqlite3 libjq-dev libonig-dev \
	libcurl4-openssl-dev curl \
	libcmark-gfm-dev libcmark-gfm-extensions-dev libtree-sitter-dev libedit-dev tmux libarchive-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-droid-fallback \
	pandoc poppler-utils libxml2-utils unzip zstd \
	bats jq bsdutils groff mandoc zsh fish clang libclang-rt-14-dev time
# bindfs: a FUSE file system without O_TMPFILE, for chat-export's fallback
DEBS += bindfs
# LibreOffice (without its GUI): the independent reader of DOCX exports,
# notes included (tests/156-export-marks.bats)
DEBS += libreoffice-writer-nogui
# chat-serve: libmicrohttpd (with GnuTLS) for the server, wrk for the load
# figures, chromium for the page's browser tests
DEBS += libmicrohttpd-dev wrk chromium
# The PostgreSQL store: libpq to speak it, Debian's PostgreSQL 15 server for
# the throwaway cluster the tests start (tests/pg-cluster), pgbouncer in
# front of it in transaction mode
DEBS += libpq-dev postgresql postgresql-client pgbouncer

all: $(BINS)

build/lib/%.o: lib/%.c $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# activity.c stands in for cf_activity_watch until lib/watch.c is there
ACTIVITY_OBJ = build/lib/activity.o build/asan/lib/activity.o
$(ACTIVITY_OBJ): CFLAGS += $(if $(wildcard lib/watch.c),-DCF_HAVE_WATCH)
$(ACTIVITY_OBJ): $(wildcard lib/watch.c) Makefile

$(LIB): $(LIB_OBJ) $(HL_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(CMD_OBJ): cmd/cmd.c cmd/cmd.h include/confab.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

bin/%: cmd/%.c $(CMD_OBJ) $(LIB) cmd/cmd.h $(wildcard include/*.h)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_OBJ) $(LIB) $(LDLIBS)

# The shipped plugins share their main (cmd/plugin.c).
PLUGIN_OBJ = build/plugin-main.o
$(PLUGIN_OBJ): cmd/plugin.c cmd/cmd.h include/confab.h include/opts.h include/plugkit.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(PLUGINS:%=bin/%): bin/%: cmd/%.c $(PLUGIN_OBJ) $(CMD_OBJ) $(LIB) cmd/cmd.h $(wildcard include/*.h)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(PLUGIN_OBJ) $(CMD_OBJ) $(LIB) $(LDLIBS)

# The grammars' objects, the highlight queries embedded as C strings
# (lib/grammars/langs-c, regenerated when the set of languages changes), and
# fetching (lib/grammars/fetch: npm pack, or curl where npm is missing).
hl_gstamp = $(call hl_stamp,$(filter $(1):%,$(GRAMMARS)))
define hl_rules
build/grammars/$(call hl_f,$(1),1)/parser.o: $(call hl_src,$(1))/parser.c $(call hl_gstamp,$(call hl_f,$(1),2))
	@mkdir -p $$(@D)
	$$(CC) $$(GRAMMAR_CFLAGS) -std=gnu11 -w -I$(call hl_src,$(1)) -c -o $$@ $$<
build/grammars/$(call hl_f,$(1),1)/scanner.o: $(call hl_src,$(1))/scanner.c $(call hl_gstamp,$(call hl_f,$(1),2))
	@mkdir -p $$(@D)
	$$(CC) $$(GRAMMAR_CFLAGS) -std=gnu11 -w -I$(call hl_src,$(1)) -c -o $$@ $$<
build/grammars/$(call hl_f,$(1),1)/scanner-cc.o: $(call hl_src,$(1))/scanner.cc $(call hl_gstamp,$(call hl_f,$(1),2))
	@mkdir -p $$(@D)
	$$(CXX) $$(GRAMMAR_CFLAGS) -w -I$(call hl_src,$(1)) -c -o $$@ $$<
endef
$(foreach l,$(HL_ON),$(eval $(call hl_rules,$(l))))

build/gen/hl_langs.c: lib/grammars/langs-c build/gen/hl_langs.set $(foreach l,$(HL_ON),$(call hl_scm,$(l)))
	@mkdir -p $(@D)
	lib/grammars/langs-c $(GRAMMAR_DIR) $(HL_ON) > $@.tmp && mv $@.tmp $@

build/gen/hl_langs.set: FORCE
	@mkdir -p $(@D); echo '$(HL_ON_NAMES)' | cmp -s - $@ || echo '$(HL_ON_NAMES)' > $@

build/gen/hl_langs.o: build/gen/hl_langs.c lib/hl_priv.h
	$(CC) $(CFLAGS) -Ilib -c -o $@ $<

build/lib/highlight.o build/asan/lib/highlight.o: include/highlight.h lib/hl_priv.h

define hl_fetch
$(call hl_stamp,$(1)):
	@lib/grammars/fetch $(GRAMMAR_DIR) $(subst :, ,$(1))
endef
$(foreach g,$(GRAMMARS),$(eval $(call hl_fetch,$(g))))

grammars: $(foreach g,$(GRAMMARS),$(call hl_stamp,$(g)))

# The unit tests and the library under AddressSanitizer and UBSan.
build/asan/lib/%.o: lib/%.c $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<

build/asan/cmd.o: cmd/cmd.c cmd/cmd.h include/confab.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<

# cmd.o only for the library files that still call cf_die (confab.h's
# bridge); the tests themselves check returned errors.
build/asan/test-%: tests/unit/test-%.c tests/unit/unit.h $(ASAN_OBJ) $(HL_OBJ) build/asan/cmd.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -Ilib -Icmd $(LDFLAGS) -o $@ $< $(ASAN_OBJ) $(HL_OBJ) build/asan/cmd.o $(LDLIBS)

# confab under the sanitizers, for tests/140-confab.bats's thousand bad
# commands and LeakSanitizer's report at the end.
build/asan/confab: cmd/confab.c $(wildcard include/*.h) cmd/cmd.h $(ASAN_OBJ) $(HL_OBJ) build/asan/cmd.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -Icmd $(LDFLAGS) -o $@ $< build/asan/cmd.o $(ASAN_OBJ) $(HL_OBJ) $(LDLIBS)

# chat-serve under the sanitizers: CHAT_SERVE=build/asan/chat-serve runs
# the serve suites against it (tests/serve.bash), as check does.
build/asan/chat-serve: cmd/chat-serve.c $(wildcard include/*.h lib/*.h) cmd/cmd.h $(ASAN_OBJ) $(HL_OBJ) build/asan/cmd.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -Icmd $(LDFLAGS) -o $@ $< build/asan/cmd.o $(ASAN_OBJ) $(HL_OBJ) $(LDLIBS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do o=build/$$(basename $$t).out; \
		$$t > $$o; s=$$?; cat $$o; [ $$s -eq 0 ] || exit 1; done

# The suites run against a throwaway PostgreSQL cluster (tests/pg-cluster):
# check's own in build/pg-check, stopped and removed after them whatever
# they did; a caller's CONFAB_TEST_PG instead of one.  `make pg-start`
# leaves one running in build/pg for suites run alone (`. build/pg/env`).
PG_CHECK_DIR = build/pg-check
PG_DEV_DIR = build/pg

# The second pass: the suites again with the store on PostgreSQL
# (CONFAB_TEST_DB=pg: a database per test, tests/helper.bash), in two
# shards at once (tests/pg-pass), its lines marked [pg]; not the suites
# that pick their backends themselves, which the first pass ran against
# the same cluster, nor those that open no store (the docs, make, the
# fake provider).
PG_PASS = $(filter-out tests/199-% tests/200-% tests/201-% tests/202-% tests/203-% \
	tests/205-% tests/206-% tests/90-% tests/95-% tests/fake-provider.bats, \
	$(sort $(wildcard tests/*.bats)))
PG_PASS_RUN = tests/pg-pass build/bats-pg.tap $(PG_PASS)

# The server's suites once more with chat-serve (and its turn children)
# under the sanitizers: a leak or an error in the long-running program
# fails the test whose server showed it (tests/serve.bash's serve_stop).
ASAN_SERVE = $(wildcard tests/19[0-4]-*.bats)
ASAN_SERVE_RUN = { CHAT_SERVE=$(CURDIR)/build/asan/chat-serve bats --tap $(ASAN_SERVE); \
	echo "bats-exit $$?"; } | sed 's/^\(not \)*ok [0-9]* /&[asan] /' | tee build/bats-asan.tap

# The last line counts every test, unit and bats, for people and for CI.
check: all unit build/fakeprov build/asan/confab build/asan/chat-serve
	@tests/pg-cluster run $(PG_CHECK_DIR) -- \
		sh -c '{ bats --tap tests/; echo "bats-exit $$?"; } | tee build/bats.tap; \
		$(PG_PASS_RUN) || :'
	@$(ASAN_SERVE_RUN)
	@u=$$(cat build/test-*.out | awk '{p+=$$2; f+=$$4} END {print p+0, f+0}'); \
	t="build/bats.tap build/bats-pg.tap build/bats-asan.tap"; \
	p=$$(cat $$t | grep -c '^ok '); \
	f=$$(cat $$t | grep -c '^not ok '); \
	echo "check: $$(( $${u% *} + p )) passed, $$(( $${u#* } + f )) failed"; \
	grep -q '^bats-exit 0$$' build/bats.tap && [ "$${u#* }" = 0 ] && \
	[ "$$(grep -c '^bats-exit 0$$' build/bats-pg.tap)" = 2 ] && \
	grep -q '^bats-exit 0$$' build/bats-asan.tap

# The second pass alone, on a cluster of its own.
check-pg: all build/fakeprov build/asan/confab
	@tests/pg-cluster run $(PG_CHECK_DIR) -- $(PG_PASS_RUN)
.PHONY: check-pg

# A second start leaves a running cluster be: its ports, and so the env a
# shell sourced, stay as they were.
pg-start:
	@if [ -f $(PG_DEV_DIR)/env ] && (. ./$(PG_DEV_DIR)/env && pg_isready -q); then \
		echo "pg-start: running already; . $(PG_DEV_DIR)/env"; \
	else tests/pg-cluster start $(PG_DEV_DIR); fi

pg-stop:
	tests/pg-cluster stop $(PG_DEV_DIR)
.PHONY: pg-start pg-stop

# kill -9 at random moments, 50 trials per program, then the store's checks
# (tests/stress/run); bounded, about five minutes on two cores.
check-stress: all build/fakeprov
	tests/stress/run
	BIN=bin tests/stress/export-kill9.sh
.PHONY: check-stress

bench: all build/bench-gen build/bench-docs build/bench-render build/timeit build/latency build/fakeprov build/bench-hl build/ptytime
bench: build/bench-noplugin
bench: build/touchgen
bench: build/sse-lat build/lsquery
	tests/bench/run

# Code highlighting a line at a time on 10,000-line blocks (tests/bench/hl.c).
build/bench-hl: tests/bench/hl.c $(LIB) $(CMD_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_OBJ) $(LIB) $(LDLIBS)

build/bench-gen: tests/bench/gen.c $(LIB) $(CMD_OBJ)
	$(CC) $(CFLAGS) -Icmd $(LDFLAGS) -o $@ $< $(CMD_OBJ) $(LIB) $(LDLIBS)

# The documents of the export and import figures (issue 4): message records
# and a ChatGPT conversations.json (tests/bench/gen-docs.c).
build/bench-docs: tests/bench/gen-docs.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

# What the terminal renderer adds to each delta of a 1 MB reply
# (tests/bench/render.c).
build/bench-render: tests/bench/render.c $(LIB) $(CMD_OBJ) include/render.h
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_OBJ) $(LIB) $(LDLIBS)

# confab's start to its prompt, on a pseudo-terminal (tests/bench/ptytime.c).
build/ptytime: tests/bench/ptytime.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lutil

# A plugin that does nothing, compiled, for the plugin round trip
# (tests/bench/noplugin.c).
build/bench-noplugin: tests/bench/noplugin.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

build/timeit: tests/bench/timeit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The watch bench's file generator: N files made or appended to as fast as
# one process can (tests/bench/touchgen.c).
build/touchgen: tests/bench/touchgen.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# chat-send's streaming figures: a fake Anthropic server that reads its
# client's stdout (tests/bench/latency.c).
build/latency: tests/bench/latency.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# chat-serve's stream figures: the fake Anthropic provider of a turn and
# the SSE clients of its stream in one process (tests/bench/sse-lat.c).
build/sse-lat: tests/bench/sse-lat.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# chat-ls --limit 20's query in process, the floor of the API's listing
# (tests/bench/lsquery.c).
build/lsquery: tests/bench/lsquery.c $(LIB) $(CMD_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CMD_OBJ) $(LIB) $(LDLIBS)

# The fake provider server the suites and the benchmarks start (tests/fake/README).
build/fakeprov: tests/fake/fakeprov.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -ljq

# The stream parsers and the terminal renderer under libFuzzer with ASan
# and UBSan for FUZZ_SECONDS each, seeded with the recorded provider
# streams when shared/ is there (a first byte of 0: no chunk sizes, so a
# seed is fed a byte at a time) and with tests/fuzz/seed-NAME-*.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g
FIXTURES ?= ../shared/fixtures/provider-streams
FUZZ = sse lines render
FUZZ += plugin
FUZZ += jsonarray
FUZZ += htmlmsg

# activity.c's stand-in for cf_activity_watch left out, as in the library
FUZZ_DEFS = $(if $(wildcard lib/watch.c),-DCF_HAVE_WATCH)
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC) $(HL_OBJ) cmd/cmd.c $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_DEFS) $(FUZZ_FLAGS) $(LDFLAGS) -o $@ $< $(LIB_SRC) $(HL_OBJ) cmd/cmd.c $(LDLIBS)

fuzz: $(FUZZ:%=build/fuzz/fuzz-%)
	@for t in $(FUZZ); do c=build/fuzz/corpus-$$t; mkdir -p $$c; \
		ext=sse; [ $$t = lines ] && ext=ndjson; [ $$t = jsonarray ] && ext=json; \
		for f in $(FIXTURES)/*/*.$$ext; do [ -f "$$f" ] || continue; \
			{ printf '\0'; cat "$$f"; } > $$c/seed-$${f##*/}; done; \
		for f in tests/fuzz/seed-$$t-*; do [ -f "$$f" ] || continue; \
			cp "$$f" $$c/; done; \
		echo "fuzz-$$t: $(FUZZ_SECONDS) s, corpus $$c, log build/fuzz/$$t.log"; \
		build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/$$t- $$c > build/fuzz/$$t.log 2>&1 || \
			{ tail -n 40 build/fuzz/$$t.log; echo "fuzz-$$t: failed"; exit 1; }; \
		grep -E '^(Done|stat::(number_of_executed_units|peak_rss_mb))' build/fuzz/$$t.log; \
	done

# The grammars after the packages: fetching them needs npm or curl.
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS)
	$(MAKE) grammars
	npm ci --prefix tests/browser --no-audit --no-fund

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)/confab $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) $(DESTDIR)$(FISHFUNCDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	cp -R share/confab/. $(DESTDIR)$(DATADIR)/confab/
	install -m 644 completions/bash/* $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 completions/zsh/* $(DESTDIR)$(ZSHCOMPDIR)
	install -m 644 completions/fish/*.fish $(DESTDIR)$(FISHCOMPDIR)
	install -m 644 completions/fish/functions/*.fish $(DESTDIR)$(FISHFUNCDIR)
	if [ "$(FISHCOMPDIR)" != "$(FISH_VENDOR)" ]; then \
		install -d $(DESTDIR)$(FISHCONFDIR) && \
		sed 's|@DATADIR@|$(DATADIR)|g' completions/fish-conf.fish.in \
			> $(DESTDIR)$(FISHCONFDIR)/confab.fish; \
	fi

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) $(PROGS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
		$(DESTDIR)$(MANDIR)/man5/confab.5 $(DESTDIR)$(MANDIR)/man7/confab.7
	rm -f $(DESTDIR)$(MANDIR)/man7/confab-plugin.7
	rm -f $(PLUGINS:%=$(DESTDIR)$(BINDIR)/%) $(PLUGINS:%=$(DESTDIR)$(MANDIR)/man1/%.1)
	rm -rf $(DESTDIR)$(DATADIR)/confab
	cd completions/bash && for f in *; do rm -f $(DESTDIR)$(BASHCOMPDIR)/$$f; done
	cd completions/zsh && for f in *; do rm -f $(DESTDIR)$(ZSHCOMPDIR)/$$f; done
	cd completions/fish && for f in *.fish; do rm -f $(DESTDIR)$(FISHCOMPDIR)/$$f; done
	cd completions/fish/functions && for f in *.fish; do rm -f $(DESTDIR)$(FISHFUNCDIR)/$$f; done
	rm -f $(DESTDIR)$(FISHCONFDIR)/confab.fish

# The clusters first: their servers would outlive their removed folders.
clean:
	-tests/pg-cluster stop $(PG_DEV_DIR)
	-tests/pg-cluster stop $(PG_CHECK_DIR)
	rm -rf bin build

.PHONY: all unit check bench fuzz deps grammars install uninstall clean FORCE
.SECONDARY:
