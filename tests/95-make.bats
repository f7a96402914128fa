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
}

@test "make uninstall removes what install put there" {
	dest="$BATS_TEST_TMPDIR/stage"
	make -s -C "$ROOT" install DESTDIR="$dest" PREFIX=/usr
	run -0 make -s -C "$ROOT" uninstall DESTDIR="$dest" PREFIX=/usr
	run -0 find "$dest" -type f
	[ -z "$output" ]
}
