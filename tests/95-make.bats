#!/usr/bin/env bats
# The build's own targets: install and uninstall into a staging root.

load helper

@test "make install puts programs, pages, completions and share files under DESTDIR" {
	dest="$BATS_TEST_TMPDIR/stage"
	run -0 make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr
	for p in "$ROOT"/cmd/chat-*.c; do
		n=$(basename "$p" .c)
		[ -x "$dest/usr/bin/$n" ]
		[ -f "$dest/usr/share/man/man1/$n.1" ]
		# the shipped plugins are run by chat-plugin, not completed
		[[ $n == chat-plugin-?* ]] && continue
		[ -f "$dest/usr/share/bash-completion/completions/$n" ]
		[ -f "$dest/usr/share/zsh/vendor-completions/_$n" ]
		[ -f "$dest/usr/share/fish/vendor_completions.d/$n.fish" ]
	done
	# the helpers the completions share, where each shell looks for them
	[ -f "$dest/usr/share/bash-completion/completions/confab-common" ]
	[ -f "$dest/usr/share/zsh/vendor-completions/_confab_records" ]
	[ -f "$dest/usr/share/fish/vendor_functions.d/__confab_records.fish" ]
	[ -f "$dest/usr/share/man/man7/confab.7" ]
	[ -f "$dest/usr/share/man/man5/confab.5" ]
	# the installed programs run
	run -0 "$dest/usr/bin/chat-ls" --version
	[[ "$output" == "chat-ls (confab) "* ]]
	# the shipped templates, found by the installed programs beside them
	for t in "$ROOT"/share/confab/templates/*.json; do
		cmp "$t" "$dest/usr/share/confab/templates/${t##*/}"
	done
	run -0 "$dest/usr/bin/chat-template" show code-review --json
	[ "$(jq -r .path <<< "$output")" = "$dest/usr/share/confab/templates/code-review.json" ]
}

@test "make uninstall removes what install put there" {
	dest="$BATS_TEST_TMPDIR/stage"
	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr
	run -0 make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr
	run -0 find "$dest" -type f
	[ -z "$output" ]
}

@test "fish completes our options after make install to a prefix of its own" {
	command -v fish >/dev/null || skip "fish is not installed"
	# as under /usr/local: a folder fish does not read unless told
	local prefix="$BATS_TEST_TMPDIR/local" home="$BATS_TEST_TMPDIR/home"
	mkdir -p "$home/.config"
	# the conf.d file goes to the user's conf.d here, a folder fish reads
	# as it reads its system one (/etc/fish/conf.d by default)
	run -0 make -s -C "$ROOT" install PREFIX="$prefix" \
		FISHCONFDIR="$home/.config/fish/conf.d"
	[ -f "$prefix/share/fish/vendor_completions.d/chat-ls.fish" ]
	[ -f "$home/.config/fish/conf.d/confab.fish" ]
	run -0 env -u XDG_DATA_DIRS HOME="$home" XDG_CONFIG_HOME="$home/.config" \
		PATH="$prefix/bin:$PATH" fish -c 'complete -C "chat-ls --"'
	[[ $output == *--starred* && $output == *--where* ]]
	# the shared helpers load from the functions folder it added
	run -0 env -u XDG_DATA_DIRS HOME="$home" XDG_CONFIG_HOME="$home/.config" \
		fish -c 'functions -q __confab_providers && echo found'
	[ "$output" = found ]
	# without that file fish does not see them
	rm "$home/.config/fish/conf.d/confab.fish"
	run -0 env -u XDG_DATA_DIRS HOME="$home" XDG_CONFIG_HOME="$home/.config" \
		PATH="$prefix/bin:$PATH" fish -c 'complete -C "chat-ls --"'
	[[ $output != *--starred* ]]
	make -s -C "$ROOT" uninstall PREFIX="$prefix" FISHCONFDIR="$home/.config/fish/conf.d"
}

@test "make install with DESTDIR to /usr/local stages fish's conf.d file, naming the real folders" {
	dest="$BATS_TEST_TMPDIR/stage"
	run -0 make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr/local \
		FISHCONFDIR=/etc/fish/conf.d
	[ -f "$dest/usr/local/share/fish/vendor_completions.d/chat-ls.fish" ]
	run -0 grep -c '/usr/local/share/fish/vendor_completions.d$' "$dest/etc/fish/conf.d/confab.fish"
	! grep -q "$dest" "$dest/etc/fish/conf.d/confab.fish"
	if command -v fish >/dev/null; then
		fish --no-execute "$dest/etc/fish/conf.d/confab.fish"
	fi
	run -0 make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr/local \
		FISHCONFDIR=/etc/fish/conf.d
	run -0 find "$dest" -type f
	[ -z "$output" ]
}

@test "no object of the library ends the process: no exit, nothing of cmd/cmd.c" {
	run -0 make -s -C "$ROOT" build/libconfab.a build/cmd.o
	# What only the programs may call: exit and its kin, the bridge's
	# cf_store_fail, and everything cmd/cmd.c defines (cf_die, cf_ok, ...).
	ends=$( { nm -g --defined-only "$ROOT/build/cmd.o" | awk '{print $3}'
	          printf '%s\n' exit _exit _Exit quick_exit cf_store_fail; } )
	grep -qx cf_die <<< "$ends"
	grep -qx cf_exit_on <<< "$ends"
	# Files that still raise through the bridge (cf_store_fail, the
	# human forms' cf_out_check): each leaves this list when it returns
	# its errors (include/confab.h).
	pending=" human turn "
	bad=
	for o in "$ROOT"/build/lib/*.o; do
		n=$(basename "$o" .o)
		u=$(nm -u "$o" | awk '{print $2}' | grep -Fxf <(printf '%s\n' "$ends") | tr '\n' ' ')
		# in an object that forks, _exit is the child's, after a failed exec
		nm -u "$o" | awk '{print $2}' | grep -qx fork && u=${u/_exit /}
		[ -n "$u" ] || continue
		[[ "$pending" == *" $n "* ]] && continue
		bad+="$n.o: $u; "
	done
	echo "calls what ends the process: $bad"
	[ -z "$bad" ]
}
