# confab — one plain Makefile.  `make`, `make check`, `make bench`,
# `make install`, `make uninstall`, `make deps`.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d

CC ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
override CFLAGS += -std=c17 -D_GNU_SOURCE -Wall -Wextra -Iinclude \
	$(shell $(PKG_CONFIG) --cflags sqlite3)
# Each program loads only the libraries it uses.
override LDFLAGS += -Wl,--as-needed
# libjq ships no pkg-config file.
LDLIBS += $(shell $(PKG_CONFIG) --libs sqlite3) -ljq -lm

PROGS = chat-new chat-ls chat-show chat-branch chat-rm chat-set chat-add
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
# groff and mandoc to lint the pages, zsh and fish to check completions.
DEBS = build-essential pkg-config libsqlite3-dev sqlite3 libjq-dev libonig-dev \
	bats jq bsdutils groff mandoc zsh fish

all: $(BINS)

build/lib/%.o: lib/%.c include/confab.h lib/priv.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

bin/%: cmd/%.c $(LIB) include/confab.h
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The unit tests and the library under AddressSanitizer and UBSan.
build/asan/lib/%.o: lib/%.c include/confab.h lib/priv.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -c -o $@ $<

build/asan/test-%: tests/unit/test-%.c tests/unit/unit.h $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $(ASAN_FLAGS) -Ilib $(LDFLAGS) -o $@ $< $(ASAN_OBJ) $(LDLIBS)

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do o=build/$$(basename $$t).out; \
		$$t > $$o; s=$$?; cat $$o; [ $$s -eq 0 ] || exit 1; done

# The last line counts every test, unit and bats, for people and for CI.
check: all unit
	@{ bats --tap tests/; echo "bats-exit $$?"; } | tee build/bats.tap
	@u=$$(cat build/test-*.out | awk '{p+=$$2; f+=$$4} END {print p+0, f+0}'); \
	p=$$(grep -c '^ok ' build/bats.tap); f=$$(grep -c '^not ok ' build/bats.tap); \
	echo "check: $$(( $${u% *} + p )) passed, $$(( $${u#* } + f )) failed"; \
	grep -q '^bats-exit 0$$' build/bats.tap && [ "$${u#* }" = 0 ]

bench: all build/bench-gen build/timeit
	tests/bench/run

build/bench-gen: tests/bench/gen.c $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

build/timeit: tests/bench/timeit.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(DATADIR)/confab $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 man/*.7 $(DESTDIR)$(MANDIR)/man7
	cp -R share/confab/. $(DESTDIR)$(DATADIR)/confab/
	install -m 644 completions/bash/* $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 completions/zsh/* $(DESTDIR)$(ZSHCOMPDIR)
	install -m 644 completions/fish/* $(DESTDIR)$(FISHCOMPDIR)

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) $(PROGS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
		$(DESTDIR)$(MANDIR)/man5/confab.5 $(DESTDIR)$(MANDIR)/man7/confab.7
	rm -rf $(DESTDIR)$(DATADIR)/confab
	cd completions/bash && for f in *; do rm -f $(DESTDIR)$(BASHCOMPDIR)/$$f; done
	cd completions/zsh && for f in *; do rm -f $(DESTDIR)$(ZSHCOMPDIR)/$$f; done
	cd completions/fish && for f in *; do rm -f $(DESTDIR)$(FISHCOMPDIR)/$$f; done

clean:
	rm -rf bin build

.PHONY: all unit check bench deps install uninstall clean
.SECONDARY:
