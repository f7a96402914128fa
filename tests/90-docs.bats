#!/usr/bin/env bats
# 90-docs.bats — the man pages and completions stay in step with the code:
# every example in a man page runs, every option in a program's --help is
# documented and completed, and the completions complete.

load helper

# The programs, as cmd/ has them (cmd.c, which they share, has no main).
progs() {
	local f
	for f in "$ROOT"/cmd/*.c; do
		grep -q '^main(' "$f" || continue
		f=${f##*/}
		# cmd.c is what every program links, not a program
		[ "$f" = cmd.c ] || echo "${f%.c}"
	done
}

# The programs with completions: all but the shipped plugins
# (chat-plugin-NAME), which chat-plugin and confab run, not people.
completed() {
	progs | grep -v '^chat-plugin-.'
}

# Every option a program takes, as the program itself says (its hidden
# --list-options, made from the same tables as its getopt and --help):
# "--model=ARG -m", one a line.
list_opts() {
	"$ROOT/bin/$1" --list-options
}

# The long options, without the dashes.
long_opts() {
	list_opts "$1" | sed -E 's/^--([a-z-]+).*/\1/' | sort -u
}

# "s long" for each option that has a short form.
short_opts() {
	list_opts "$1" | sed -nE 's/^--([a-z-]+)(=ARG)? -([A-Za-z])$/\3 \1/p'
}

# The options a man page's OPTIONS lists, in --list-options' form: each
# ".It Fl s , Fl \-long Ar value" line is "--long=ARG -s".
page_opts() {
	awk '/^\.Sh / { on = ($2 == "OPTIONS") } on && /^\.It Fl / { print }' "$1" |
		sed -E 's/\\-/-/g' | awk '{
			short = ""; long = ""; arg = ""
			for (i = 2; i <= NF; i++) {
				if ($i == "Fl" && $(i + 1) ~ /^-[a-z]/) long = $(i + 1)
				else if ($i == "Fl" && $(i + 1) ~ /^[A-Za-z]$/ && long == "") short = "-" $(i + 1)
				else if ($i == "Ar" && long != "") arg = "=ARG"
			}
			print "-" long arg (short != "" ? " " short : "")
		}'
}

# The command lines of a page's EXAMPLES: the lines of its literal blocks
# that start with "$ ", with the roff escapes they may use undone.
examples() {
	awk '/^\.Sh / { ex = ($2 == "EXAMPLES") } ex && /^\$ / { sub(/^\$ /, ""); print }' "$1" |
		sed -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g'
}

# The first literal block of a page's EXAMPLES (confab.5: the config file).
first_block() {
	awk '/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Bd / { b++; next }
		ex && /^\.Ed/ { if (b == 1) exit; next }
		ex && b == 1' "$1"
}

# The names the examples use.
fixture() {
	chat-new -n review -p anthropic -m claude-sonnet-4 -t work >/dev/null
	chat-add -s review 'I found a segfault in the parser' >/dev/null
	chat-add -s review -r assistant -m claude-sonnet-4 --tokens 1200 \
		'Check the loop bound in parse_list.' >/dev/null
	chat-new -n notes -t work >/dev/null
	chat-add -s notes 'Meeting notes' >/dev/null
	chat-new -n old-notes -p echo >/dev/null
	chat-set --archive old-notes >/dev/null
	chat-new -n scratch -p echo >/dev/null
	chat-set --star scratch >/dev/null
	chat-branch review >/dev/null
}

# Runs programs' bash completion in a clean bash: the words of a command
# line, the last one being completed; prints COMPREPLY one a line.
bash_complete() {
	ROOT="$ROOT" bash --norc --noprofile -c '
		prog=$1
		shift
		source "$ROOT/completions/bash/$prog" || exit 1
		fn=$(complete -p "$prog" 2>/dev/null | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion function for $prog"; exit 1; }
		COMP_WORDS=("$prog" "$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		"$fn" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$@"
}

@test "every program has a man page and bash, zsh and fish completions" {
	local prog missing=
	[ -n "$(progs)" ]
	for prog in $(progs); do
		[ -f "$ROOT/man/$prog.1" ] || missing+=" man/$prog.1"
		grep -qx "$prog" <(completed) || continue
		[ -f "$ROOT/completions/bash/$prog" ] || missing+=" completions/bash/$prog"
		[ -f "$ROOT/completions/zsh/_$prog" ] || missing+=" completions/zsh/_$prog"
		[ -f "$ROOT/completions/fish/$prog.fish" ] || missing+=" completions/fish/$prog.fish"
	done
	[ -f "$ROOT/man/confab.5" ] || missing+=" man/confab.5"
	[ -f "$ROOT/man/confab.7" ] || missing+=" man/confab.7"
	[ -z "$missing" ] || { echo "missing:$missing"; return 1; }
}

@test "no man page or completion for a program that does not exist" {
	local f name stale=
	for f in "$ROOT"/man/*.1 "$ROOT"/completions/bash/* "$ROOT"/completions/zsh/* \
		"$ROOT"/completions/fish/*; do
		# the helpers all the programs' completions share
		case ${f#"$ROOT"/completions/} in
		bash/confab-common | zsh/_confab_* | fish/functions) continue ;;
		esac
		name=${f##*/}
		name=${name#_}
		name=${name%.1}
		name=${name%.fish}
		[ -f "$ROOT/cmd/$name.c" ] || stale+=" ${f#"$ROOT"/}"
	done
	[ -z "$stale" ] || { echo "stale:$stale"; return 1; }
}

@test "each man page's OPTIONS are exactly the options its program takes" {
	local prog want got bad=
	for prog in $(progs); do
		want=$(list_opts "$prog" | sort)
		[ -n "$want" ] || { echo "$prog: no --list-options"; return 1; }
		got=$(page_opts "$ROOT/man/$prog.1" | sort)
		[ "$got" = "$want" ] ||
			bad+=" $prog.1:$(diff <(echo "$want") <(echo "$got") | sed -n 's/^\([<>]\) / \1/p' | tr -d '\n')"
	done
	# "<" an option the page lacks, ">" one the program does not take
	[ -z "$bad" ] || { echo "man pages differ:$bad"; return 1; }
}

@test "the zsh and fish completions offer exactly the options each program takes" {
	local prog want got c bad=
	for prog in $(completed); do
		want=$(long_opts "$prog")
		c=$ROOT/completions/zsh/_$prog
		got=$(grep -oE -- "(^|[^a-z-])--[a-z][a-z-]*" "$c" | sed 's/^[^-]*--//' | sort -u)
		[ "$got" = "$want" ] || bad+=" zsh/_$prog:$(diff <(echo "$want") <(echo "$got") | sed -n 's/^\([<>]\) / \1/p' | tr -d '\n')"
		c=$ROOT/completions/fish/$prog.fish
		got=$(grep -oE -- "-l [a-z][a-z-]*" "$c" | sed 's/^-l //' | sort -u)
		[ "$got" = "$want" ] || bad+=" fish/$prog.fish:$(diff <(echo "$want") <(echo "$got") | sed -n 's/^\([<>]\) / \1/p' | tr -d '\n')"
		want=$(short_opts "$prog" | sort)
		got=$(grep -oE -- "\{-[A-Za-z]\+?,--[a-z-]+" "$ROOT/completions/zsh/_$prog" |
			sed -E 's/^\{-(.)\+?,--/\1 /' | sort -u)
		[ "$got" = "$want" ] || bad+=" zsh/_$prog:short($(echo $got))"
		got=$(grep -oE -- "-s [A-Za-z] -l [a-z-]+" "$ROOT/completions/fish/$prog.fish" |
			sed -E 's/^-s (.) -l /\1 /' | sort -u)
		[ "$got" = "$want" ] || bad+=" fish/$prog.fish:short($(echo $got))"
	done
	# "<" an option not completed, ">" one the program does not take
	[ -z "$bad" ] || { echo "completions differ:$bad"; return 1; }
}

@test "man pages have the sections, variables and exit statuses of the code" {
	local page sec var codes listed bad=
	codes=$(sed -nE 's/^[[:space:]]*CF_EX_[A-Z]+ = ([0-9]+),.*/\1/p' "$ROOT/include/confab.h")
	[ "$(echo "$codes" | wc -l)" -ge 8 ]
	for page in "$ROOT"/man/*.1; do
		for sec in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES \
			"EXIT STATUS" EXAMPLES "SEE ALSO"; do
			grep -qx "\.Sh $sec" "$page" || bad+=" ${page##*/}:$sec"
		done
		for var in CHAT_DB XDG_DATA_HOME XDG_CONFIG_HOME NO_COLOR HOME; do
			grep -qx "\.It Ev $var" "$page" || bad+=" ${page##*/}:$var"
		done
	done
	# The codes below 8 are every program's; the rest are the provider
	# layer's, listed by the pages of the programs that send.
	local common want prog
	common=$(awk '$1 < 8' <<< "$codes")
	for page in "$ROOT"/man/*.1 "$ROOT/man/confab.7"; do
		prog=${page##*/}
		prog=${prog%.*}
		want=$common
		if [ "${page##*/}" = confab.1 ]; then
			# the chat goes on after a provider's failure: only the
			# signals that end it
			want=$(printf '%s\n' $common 129 143)
		elif [ "$prog" = confab ] || grep -qE "cf_send_run|cf_turn_run|cf_turn_tools" "$ROOT/cmd/$prog.c"; then
			want=$codes
		elif grep -q "cf_activity_queue_open" "$ROOT/cmd/$prog.c"; then
			# a busy store: what it was given waits in a queue
			want=$(printf '%s\n' $common 12)
		elif grep -q "cf_models_list" "$ROOT/cmd/$prog.c"; then
			# asks providers, sends nothing: no spool, no signal codes
			want=$(awk '$1 < 12' <<< "$codes")
		fi
		listed=$(awk '/^\.Sh / { ex = ($0 == ".Sh EXIT STATUS") }
			ex && /^\.It [0-9]+$/ { print $2 }' "$page")
		[ "$listed" = "$want" ] || bad+=" ${page##*/}:exit-statuses($(echo $listed))"
	done
	[ -z "$bad" ] || { echo "missing or wrong:$bad"; return 1; }
}

@test "every man page's EXAMPLES run and exit 0" {
	local page name cmd n
	for page in "$ROOT"/man/*.[157]; do
		name=${page##*/}
		export CHAT_DB="$BATS_TEST_TMPDIR/$name/chat.db"
		export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/$name/config"
		mkdir -p "$BATS_TEST_TMPDIR/$name/work" "$XDG_CONFIG_HOME/confab"
		cd "$BATS_TEST_TMPDIR/$name/work"
		fixture
		if [ "$name" = confab.5 ]; then
			first_block "$page" > "$XDG_CONFIG_HOME/confab/config"
			grep -q '^\[' "$XDG_CONFIG_HOME/confab/config"
		fi
		n=0
		while IFS= read -r cmd; do
			n=$((n + 1))
			if [ "$name" = confab.1 ]; then
				# the interactive program: on a terminal, told to /quit
				run bash -c 'printf "/quit\n" | script -qec "$1" /dev/null' _ "$cmd"
			else
				run bash -o pipefail -c "$cmd" </dev/null
			fi
			if [ "$status" -ne 0 ]; then
				echo "$name: \$ $cmd"
				echo "exited $status: $output"
				return 1
			fi
		done < <(examples "$page")
		[ "$n" -gt 0 ] || { echo "$name: no examples found"; return 1; }
	done
}

@test "man pages format without warnings (groff)" {
	command -v groff >/dev/null || skip "groff is not installed"
	local page out bad=
	for page in "$ROOT"/man/*.[157]; do
		out=$(groff -mdoc -ww -z -Tutf8 "$page" 2>&1)
		[ -z "$out" ] || bad+=$'\n'"${page##*/}: $out"
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

@test "man pages lint clean (mandoc)" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -T lint -W warning "$ROOT"/man/*.[157]
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "bash: chat-ls --st completes --starred" {
	run bash_complete chat-ls --st
	[ "$status" -eq 0 ]
	[[ $'\n'"$output"$'\n' == *$'\n--starred\n'* ]]
	[[ $output != *--tag* ]]
}

@test "bash: --provider completes the built-in and the configured providers" {
	config <<-'EOF'
	[groq]
	type = openai
	[anthropic]
	model = claude-sonnet-4
	EOF
	# the built-in ones as the programs name them
	local builtin
	builtin=$(chat-new -p no-such-provider 2>&1 >/dev/null |
		sed -n 's/.*known providers are \([a-z, ]*\).*/\1/p' | tr -d ,)
	[ -n "$builtin" ]
	run bash_complete chat-new --provider ''
	[ "$status" -eq 0 ]
	for p in $builtin groq; do
		[[ $'\n'"$output"$'\n' == *$'\n'"$p"$'\n'* ]] || { echo "no $p in: $output"; return 1; }
	done
	run bash_complete chat-set -p g
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "gemini groq " ]
}

@test "bash: - and -- complete exactly the options each program takes" {
	local prog want got
	for prog in $(completed); do
		want=$(long_opts "$prog" | sed 's/^/--/')
		got=$(bash_complete "$prog" -- | sort -u)
		[ "$got" = "$want" ] || { echo "$prog --: want: $(echo $want)"; echo "got: $(echo $got)"; return 1; }
		want=$( (long_opts "$prog" | sed 's/^/--/'; short_opts "$prog" | sed 's/ .*//; s/^/-/') | sort -u)
		got=$(bash_complete "$prog" - | sort -u)
		[ "$got" = "$want" ] || { echo "$prog -: want: $(echo $want)"; echo "got: $(echo $got)"; return 1; }
	done
}

@test "bash: --db completes files, session arguments complete names" {
	cd "$BATS_TEST_TMPDIR"
	touch other.db
	run bash_complete chat-ls --db oth
	[ "$status" -eq 0 ]
	[ "$output" = other.db ]
	chat-new -n 'my review' >/dev/null
	chat-new -n notes >/dev/null
	run bash_complete chat-show my
	[ "$status" -eq 0 ]
	[ "$output" = 'my\ review' ]
}

@test "zsh and fish completions parse" {
	local f ran=0
	if command -v zsh >/dev/null; then
		for f in "$ROOT"/completions/zsh/_*; do
			zsh -n "$f" || { echo "zsh: $f"; return 1; }
			case ${f##*/} in
			_confab_*) want="#autoload" ;;
			*) want="#compdef ${f##*/_}" ;;
			esac
			[ "$(head -1 "$f")" = "$want" ] ||
				{ echo "no $want line: $f"; return 1; }
		done
		ran=1
	fi
	if command -v fish >/dev/null; then
		for f in "$ROOT"/completions/fish/*.fish "$ROOT"/completions/fish/functions/*.fish; do
			fish --no-execute "$f" || { echo "fish: $f"; return 1; }
		done
		ran=1
	fi
	[ "$ran" = 1 ] || skip "neither zsh nor fish is installed"
}

@test "fish: options and providers complete" {
	command -v fish >/dev/null || skip "fish is not installed"
	config <<-'EOF'
	[groq]
	type = openai
	EOF
	# the shared helpers autoload from confab's functions folder
	local fp="set -p fish_function_path '$ROOT/completions/fish/functions'"
	run fish --no-config -c "$fp; source '$ROOT/completions/fish/chat-ls.fish'; complete -C 'chat-ls --st'"
	[ "$status" -eq 0 ]
	[[ $output == *--starred* ]]
	run fish --no-config -c "$fp; source '$ROOT/completions/fish/chat-new.fish'; complete -C 'chat-new --provider '"
	[ "$status" -eq 0 ]
	[[ $output == *groq* && $output == *anthropic* ]]
}
