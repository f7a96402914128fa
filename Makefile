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
	$(shell $(PKG_CONFIG) --cflags sqlite3 libcurl libcmark-gfm libarchive pangocairo tree-sitter libedit)
# Each program loads only the libraries it uses.
override LDFLAGS += -Wl,--as-needed
# libjq ships no pkg-config file.
# libcurl is dlopen()ed on the first request (lib/curl.c), not linked.
# cmark, libarchive, cairo and pango are linked only by the programs whose
# objects call them (a static library and --as-needed).
LDLIBS += $(shell $(PKG_CONFIG) --libs sqlite3 libcmark-gfm libarchive pangocairo tree-sitter libedit) -lcmark-gfm-extensions -ljq -lm

PROGS = chat-new chat-ls chat-show chat-branch chat-rm chat-set chat-add chat-send chat-cost \
	chat-export chat-import
BINS = $(PROGS:%=bin/%)
LIB_SRC = $(wildcard lib/*.c)
LIB_OBJ = $(LIB_SRC:lib/%.c=build/lib/%.o)
LIB = build/libconfab.a
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

all: $(BINS)

build/lib/%.o: lib/%.c $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

bin/%: cmd/%.c $(LIB) $(wildcard include/*.h)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The unit tests and the library under AddressSanitizer and UBSan.
build/asan/lib/%.o: lib/%.c $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<

build/asan/test-%: tests/unit/test-%.c tests/unit/unit.h $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -Ilib $(LDFLAGS) -o $@ $< $(ASAN_OBJ) $(LDLIBS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do o=build/$$(basename $$t).out; \
		$$t > $$o; s=$$?; cat $$o; [ $$s -eq 0 ] || exit 1; done

# The last line counts every test, unit and bats, for people and for CI.
check: all unit build/fakeprov
	@{ bats --tap tests/; echo "bats-exit $$?"; } | tee build/bats.tap
	@u=$$(cat build/test-*.out | awk '{p+=$$2; f+=$$4} END {print p+0, f+0}'); \
	p=$$(grep -c '^ok ' build/bats.tap); f=$$(grep -c '^not ok ' build/bats.tap); \
	echo "check: $$(( $${u% *} + p )) passed, $$(( $${u#* } + f )) failed"; \
	grep -q '^bats-exit 0$$' build/bats.tap && [ "$${u#* }" = 0 ]

# kill -9 at random moments, 50 trials per program, then the store's checks
# (tests/stress/run); bounded, about five minutes on two cores.
check-stress: all build/fakeprov
	tests/stress/run
	BIN=bin tests/stress/export-kill9.sh
.PHONY: check-stress

bench: all build/bench-gen build/bench-docs build/timeit build/latency build/fakeprov
	tests/bench/run

build/bench-gen: tests/bench/gen.c $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The documents of the export and import figures (issue 4): message records
# and a ChatGPT conversations.json (tests/bench/gen-docs.c).
build/bench-docs: tests/bench/gen-docs.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lm

build/timeit: tests/bench/timeit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# chat-send's streaming figures: a fake Anthropic server that reads its
# client's stdout (tests/bench/latency.c).
build/latency: tests/bench/latency.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# The fake provider server the suites and the benchmarks start (tests/fake/README).
build/fakeprov: tests/fake/fakeprov.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -ljq

# The stream parsers under libFuzzer with ASan and UBSan for FUZZ_SECONDS
# each, seeded with the recorded provider streams when shared/ is there (a
# first byte of 0: no chunk sizes, so a seed is fed a byte at a time).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -O1 -g
FIXTURES ?= ../shared/fixtures/provider-streams
FUZZ = sse lines

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(LIB_SRC) $(wildcard include/*.h lib/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) $(LDFLAGS) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZ:%=build/fuzz/fuzz-%)
	@for t in $(FUZZ); do c=build/fuzz/corpus-$$t; mkdir -p $$c; \
		ext=sse; [ $$t = lines ] && ext=ndjson; \
		for f in $(FIXTURES)/*/*.$$ext; do [ -f "$$f" ] || continue; \
			{ printf '\0'; cat "$$f"; } > $$c/seed-$${f##*/}; done; \
		echo "fuzz-$$t: $(FUZZ_SECONDS) s, corpus $$c, log build/fuzz/$$t.log"; \
		build/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/$$t- $$c > build/fuzz/$$t.log 2>&1 || \
			{ tail -n 40 build/fuzz/$$t.log; echo "fuzz-$$t: failed"; exit 1; }; \
		grep -E '^(Done|stat::(number_of_executed_units|peak_rss_mb))' build/fuzz/$$t.log; \
	done

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS)

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
	rm -rf $(DESTDIR)$(DATADIR)/confab
	cd completions/bash && for f in *; do rm -f $(DESTDIR)$(BASHCOMPDIR)/$$f; done
	cd completions/zsh && for f in *; do rm -f $(DESTDIR)$(ZSHCOMPDIR)/$$f; done
	cd completions/fish && for f in *.fish; do rm -f $(DESTDIR)$(FISHCOMPDIR)/$$f; done
	cd completions/fish/functions && for f in *.fish; do rm -f $(DESTDIR)$(FISHFUNCDIR)/$$f; done
	rm -f $(DESTDIR)$(FISHCONFDIR)/confab.fish

clean:
	rm -rf bin build

.PHONY: all unit check bench fuzz deps install uninstall clean
.SECONDARY:
