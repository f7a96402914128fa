#!/usr/bin/env bats
# chat-new: every option, the defaults (built in, then the config, then the
# options), the record it prints, and every way it refuses.

load helper

UUID7='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TIME='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'

# The number of sessions in the store (0 when there is no store at all).
sessions() {
	if store_exists; then
		store_sql 'SELECT count(*) FROM sessions'
	else
		echo 0
	fi
}

# Runs chat-new with the arguments; $output is the record, $status its code.
new() {
	run -0 --separate-stderr chat-new "$@"
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
}

# jq over the record in $output, compact.
q() {
	jq -c "$1" <<<"$output"
}

# ---- the record ----

@test "prints one session record with the fields of the data model, in order" {
	new --name first
	[ "$(q 'keys_unsorted')" = '["type","id","name","created","lastUpdated","provider","model","settings","metadata","parentSessionId","branchPoint"]' ]
	[ "$(q '.settings | keys_unsorted')" = '["temperature","maxTokens","systemPrompt","autoContext","contextWindow","sendHistory"]' ]
	[ "$(q '.metadata | keys_unsorted')" = '["messageCount","totalTokens","tags","starred","archived","reactions"]' ]
	[ "$(q .type)" = '"session"' ]
	[ "$(q .name)" = '"first"' ]
	[ "$(q .metadata)" = '{"messageCount":0,"totalTokens":0,"tags":[],"starred":false,"archived":false,"reactions":[]}' ]
	[ "$(q .parentSessionId)" = null ]
	[ "$(q .branchPoint)" = null ]
}

@test "the id is a UUIDv7 and the times are RFC 3339 UTC with milliseconds" {
	before=$(date -u +%s%3N)
	new
	after=$(date -u +%s%3N)
	id=$(jq -r .id <<<"$output")
	created=$(jq -r .created <<<"$output")
	updated=$(jq -r .lastUpdated <<<"$output")
	[[ "$id" =~ $UUID7 ]]
	[[ "$created" =~ $TIME ]]
	[[ "$updated" =~ $TIME ]]
	[ "$created" = "$updated" ]
	ms=$(date -u -d "$created" +%s%3N)
	[ "$before" -le "$ms" ]
	[ "$ms" -le "$after" ]
	# the id's first 48 bits are its moment of making, in ms since 1970
	idms=$((16#$(tr -d - <<<"$id" | cut -c1-12)))
	[ "$before" -le "$idms" ]
	[ "$idms" -le "$ms" ]
}

@test "the printed record is the stored one" {
	new --name stored -t x
	id=$(jq -r .id <<<"$output")
	printed=$output
	[ "$(store_sql "SELECT name, tags FROM sessions WHERE id = '$id'")" = 'stored|["x"]' ]
	run -0 chat-ls --json
	[ "$output" = "$printed" ]
}

@test "ids created in a row sort in creation order" {
	for i in 1 2 3 4 5 6; do
		new_session --name "s$i" >> "$BATS_TEST_TMPDIR/ids"
	done
	[ "$(wc -l < "$BATS_TEST_TMPDIR/ids")" -eq 6 ]
	run -0 sort -c "$BATS_TEST_TMPDIR/ids"
	[ "$(sort -u "$BATS_TEST_TMPDIR/ids" | wc -l)" -eq 6 ]
	# and the store agrees: by id is by creation
	run -0 store_sql 'SELECT group_concat(name) FROM (SELECT name FROM sessions ORDER BY id) AS t'
	[ "$output" = s1,s2,s3,s4,s5,s6 ]
}

# ---- built-in defaults ----

@test "without options or config: built-in defaults" {
	new
	[ "$(q .name)" = '"untitled"' ]
	[ "$(q .provider)" = null ]
	[ "$(q .model)" = null ]
	[ "$(q .settings)" = '{"temperature":null,"maxTokens":4096,"systemPrompt":null,"autoContext":false,"contextWindow":50,"sendHistory":false}' ]
	[ "$(q .metadata.tags)" = '[]' ]
}

# ---- each option ----

@test "--name and -n" {
	new --name 'my review'
	[ "$(q .name)" = '"my review"' ]
	new -n short
	[ "$(q .name)" = '"short"' ]
}

@test "--name keeps unicode and quotes as given" {
	new --name 'héllo "wörld" — 日本'
	[ "$(q .name)" = '"héllo \"wörld\" — 日本"' ]
}

@test "--name '' is refused" {
	run -2 --separate-stderr chat-new --name ''
	one_error chat-new
	[[ "$stderr" == *"--name"* ]]
	[ "$(sessions)" -eq 0 ]
}

@test "--provider takes each built-in provider" {
	for p in anthropic openai gemini ollama echo; do
		new --provider "$p"
		[ "$(q .provider)" = "\"$p\"" ]
	done
	new -p echo
	[ "$(q .provider)" = '"echo"' ]
	[ "$(sessions)" -eq 6 ]
}

@test "--provider refuses an unknown provider and names the known ones" {
	run -2 --separate-stderr chat-new --provider nosuch
	one_error chat-new
	[ "$stderr" = "chat-new: invalid --provider 'nosuch': known providers are anthropic, openai, gemini, ollama, openai-responses, echo (see 'chat-new --help')" ]
	[ "$(sessions)" -eq 0 ]
	no_store
}

@test "--provider is case-sensitive" {
	run -2 --separate-stderr chat-new --provider Anthropic
	one_error chat-new
	[ "$(sessions)" -eq 0 ]
}

@test "--provider takes a provider defined in the config ([groq] type = openai)" {
	run -2 --separate-stderr chat-new --provider groq
	one_error chat-new
	config <<-'EOF'
	[groq]
	type = openai
	EOF
	new --provider groq
	[ "$(q .provider)" = '"groq"' ]
	[ "$(q .model)" = null ]
	[ "$(sessions)" -eq 1 ]
}

@test "--model and -m" {
	new --model claude-test
	[ "$(q .model)" = '"claude-test"' ]
	new -m other
	[ "$(q .model)" = '"other"' ]
}

@test "--model '' is refused" {
	run -2 --separate-stderr chat-new --model ''
	one_error chat-new
	[ "$(sessions)" -eq 0 ]
}

@test "--system and -S set the system prompt, newlines kept" {
	new --system $'Be terse.\nAnswer in French.'
	[ "$(q .settings.systemPrompt)" = '"Be terse.\nAnswer in French."' ]
	new -S x
	[ "$(q .settings.systemPrompt)" = '"x"' ]
}

@test "--temperature takes 0, 2 and values between" {
	new --temperature 0
	[ "$(q .settings.temperature)" = 0 ]
	new --temperature 2
	[ "$(q .settings.temperature)" = 2 ]
	new --temperature 0.7
	[ "$(q .settings.temperature)" = 0.7 ]
	new --temperature 1.25
	[ "$(q .settings.temperature)" = 1.25 ]
	[ "$(store_sql "SELECT temperature FROM sessions WHERE name = 'untitled' ORDER BY n DESC LIMIT 1")" = 1.25 ]
}

@test "--temperature refuses values outside 0..2 and junk" {
	for t in -0.1 2.01 3 -1 abc 1x ' ' nan inf 1e9; do
		run -2 --separate-stderr chat-new --temperature "$t"
		one_error chat-new
		[ "${stderr_lines[0]}" = "chat-new: invalid --temperature '$t': must be a number from 0 to 2 (see 'chat-new --help')" ]
	done
	no_store
}

@test "--temperature '' leaves the temperature unset" {
	new --temperature ''
	[ "$(q .settings.temperature)" = null ]
}

@test "--max-tokens" {
	new --max-tokens 1
	[ "$(q .settings.maxTokens)" = 1 ]
	new --max-tokens 200000
	[ "$(q .settings.maxTokens)" = 200000 ]
}

@test "--max-tokens refuses 0, negatives, fractions and junk" {
	for n in 0 -5 1.5 abc '' 12k; do
		run -2 --separate-stderr chat-new --max-tokens "$n"
		one_error chat-new
		[ "${stderr_lines[0]}" = "chat-new: invalid --max-tokens '$n': must be a whole number above 0 (see 'chat-new --help')" ]
	done
	no_store
}

@test "--context-window takes 0 and more" {
	new --context-window 0
	[ "$(q .settings.contextWindow)" = 0 ]
	new --context-window 12
	[ "$(q .settings.contextWindow)" = 12 ]
}

@test "--context-window refuses negatives and junk" {
	for n in -1 x 2.5 ''; do
		run -2 --separate-stderr chat-new --context-window "$n"
		one_error chat-new
		[[ "${stderr_lines[0]}" == "chat-new: invalid --context-window '$n': "* ]]
	done
	no_store
}

@test "--auto-context and --no-auto-context; the last one wins" {
	new --auto-context
	[ "$(q .settings.autoContext)" = true ]
	new --no-auto-context
	[ "$(q .settings.autoContext)" = false ]
	new --no-auto-context --auto-context
	[ "$(q .settings.autoContext)" = true ]
	new --auto-context --no-auto-context
	[ "$(q .settings.autoContext)" = false ]
}

@test "--tag is repeatable, keeps order and drops duplicates" {
	new --tag work -t review --tag work -t 'c++'
	[ "$(q .metadata.tags)" = '["work","review","c++"]' ]
	id=$(jq -r .id <<<"$output")
	[ "$(store_sql "SELECT tags FROM sessions WHERE id = '$id'")" = '["work","review","c++"]' ]
}

@test "--tag refuses empty tags and tags with commas or newlines" {
	for t in '' 'a,b' $'a\nb'; do
		run -2 --separate-stderr chat-new --tag ok --tag "$t"
		[ -z "$output" ]
		[[ "${stderr_lines[0]}" == "chat-new: invalid --tag "* ]]
	done
	no_store
}

@test "all options together" {
	new -n all -p anthropic -m claude-x -S sys --temperature 0.3 \
		--max-tokens 99 --context-window 7 --auto-context -t a -t b
	[ "$(q '[.name, .provider, .model]')" = '["all","anthropic","claude-x"]' ]
	[ "$(q .settings)" = '{"temperature":0.3,"maxTokens":99,"systemPrompt":"sys","autoContext":true,"contextWindow":7,"sendHistory":false}' ]
	[ "$(q .metadata.tags)" = '["a","b"]' ]
}

# ---- output for people and for pipes ----

@test "--json prints a record even on a terminal" {
	run -0 on_tty chat-new --json --name ontty
	out=${output//$'\r'/}
	[ "$(jq -r .name <<<"$out")" = ontty ]
	[ "$(jq -r .type <<<"$out")" = session ]
	[ "$(sessions)" -eq 1 ]
}

@test "on a terminal without --json: a table for people" {
	export NO_COLOR=1
	run -0 on_tty "chat-new --name 'for people' -m some-model -t t1"
	out=${output//$'\r'/}
	id=$(store_sql 'SELECT id FROM sessions')
	[ "${#id}" -eq 36 ]
	[[ "$out" != *'{'* ]]
	[ "$(wc -l <<<"$out")" -eq 2 ]
	head=$(head -1 <<<"$out")
	row=$(tail -1 <<<"$out")
	[[ "$head" == ID*NAME*MODEL*MSGS*UPDATED*TAGS* ]]
	[[ "$row" == "${id:0:8}"* ]]
	[[ "$row" == *"for people"*some-model*" 0 "*"just now"*t1* ]]
	# NO_COLOR: no escape sequences
	[[ "$out" != *$'\e'* ]]
}

@test "on a terminal the table is colored unless NO_COLOR" {
	run -0 on_tty chat-new --name colored
	[[ "$output" == *$'\e['* ]]
	[[ "$output" == *colored* ]]
}

@test "a closed stdout ends quietly with success, and the session is made" {
	mkfifo "$BATS_TEST_TMPDIR/go"
	# the reader closes the pipe before chat-new writes to it
	{ read -r _ < "$BATS_TEST_TMPDIR/go"; chat-new --name piped 2> "$BATS_TEST_TMPDIR/err"; echo $? > "$BATS_TEST_TMPDIR/rc"; } |
		{ exec <&-; echo go > "$BATS_TEST_TMPDIR/go"; }
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	[ "$(store_sql 'SELECT name FROM sessions')" = piped ]
}

@test "chat-new | head -c0 exits 0 without a message" {
	run -0 bash -c 'chat-new 2>"$1" | head -c0; exit "${PIPESTATUS[0]}"' _ "$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "a write error is reported: exit 1, one line" {
	run -1 --separate-stderr bash -c 'chat-new > /dev/full'
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "chat-new: write error"* ]]
}

# ---- the config: [defaults] under the options ----

@test "the config's [defaults] replace the built-in defaults" {
	config <<-'EOF'
	# a comment
	; another

	[defaults]
	provider = openai
	model = gpt-test
	system = "Be brief."
	temperature = 0.5
	max-tokens = 1000
	context-window = 8
	auto-context = yes
	tags = work, later
	EOF
	new
	[ "$(q '[.provider, .model]')" = '["openai","gpt-test"]' ]
	[ "$(q .settings)" = '{"temperature":0.5,"maxTokens":1000,"systemPrompt":"Be brief.","autoContext":true,"contextWindow":8,"sendHistory":false}' ]
	[ "$(q .metadata.tags)" = '["work","later"]' ]
}

@test "keys before any section are defaults too" {
	config <<-'EOF'
	max-tokens = 77
	[anthropic]
	model = claude-cfg
	EOF
	new
	[ "$(q .settings.maxTokens)" = 77 ]
	[ "$(q .model)" = null ]
}

@test "options override the config's defaults" {
	config <<-'EOF'
	[defaults]
	provider = openai
	model = gpt-test
	system = cfg
	temperature = 0.5
	max-tokens = 1000
	context-window = 8
	auto-context = true
	tags = work
	EOF
	new -p gemini -m gem -S opt --temperature 1.5 --max-tokens 5 \
		--context-window 2 --no-auto-context -t mine -t work
	[ "$(q '[.provider, .model]')" = '["gemini","gem"]' ]
	[ "$(q .settings)" = '{"temperature":1.5,"maxTokens":5,"systemPrompt":"opt","autoContext":false,"contextWindow":2,"sendHistory":false}' ]
	# option tags are added to the config's, without duplicates
	[ "$(q .metadata.tags)" = '["work","mine"]' ]
}

@test "auto-context in the config takes true/false, yes/no, on/off, 1/0" {
	for v in true yes on 1; do
		printf 'auto-context = %s\n' "$v" | config
		new
		[ "$(q .settings.autoContext)" = true ]
	done
	for v in false no off 0; do
		printf 'auto-context = %s\n' "$v" | config
		new
		[ "$(q .settings.autoContext)" = false ]
	done
}

@test "[anthropic] model gives the model when the provider is anthropic" {
	config <<-'EOF'
	[anthropic]
	model = claude-from-config
	[openai]
	model = gpt-from-config
	EOF
	new --provider anthropic
	[ "$(q .model)" = '"claude-from-config"' ]
	new --provider openai
	[ "$(q .model)" = '"gpt-from-config"' ]
	# --model wins
	new --provider anthropic --model mine
	[ "$(q .model)" = '"mine"' ]
	# a provider with no model in the config: none
	new --provider gemini
	[ "$(q .model)" = null ]
	# no provider: no provider's model
	new
	[ "$(q '[.provider, .model]')" = '[null,null]' ]
}

@test "the default provider from [defaults] picks up its section's model" {
	config <<-'EOF'
	[defaults]
	provider = anthropic
	[anthropic]
	model = claude-from-config
	EOF
	new
	[ "$(q '[.provider, .model]')" = '["anthropic","claude-from-config"]' ]
}

@test "--provider drops the default model meant for the default provider" {
	config <<-'EOF'
	[defaults]
	provider = openai
	model = gpt-default
	[anthropic]
	model = claude-from-config
	EOF
	new
	[ "$(q '[.provider, .model]')" = '["openai","gpt-default"]' ]
	new --provider anthropic
	[ "$(q '[.provider, .model]')" = '["anthropic","claude-from-config"]' ]
	new --provider gemini
	[ "$(q '[.provider, .model]')" = '["gemini",null]' ]
}

@test "a config-defined provider as the default, with its model" {
	config <<-'EOF'
	provider = groq
	[groq]
	type = openai
	model = llama-x
	EOF
	new
	[ "$(q '[.provider, .model]')" = '["groq","llama-x"]' ]
}

@test "the config is read from \$XDG_CONFIG_HOME, else ~/.config" {
	mkdir -p "$HOME/.config/confab"
	echo 'max-tokens = 11' > "$HOME/.config/confab/config"
	unset XDG_CONFIG_HOME
	new
	[ "$(q .settings.maxTokens)" = 11 ]
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	echo 'max-tokens = 22' | config
	new
	[ "$(q .settings.maxTokens)" = 22 ]
}

# ---- a broken config: exit 7, nothing made ----

@test "a malformed config line ends with exit 7 naming file:line" {
	cfg="$XDG_CONFIG_HOME/confab/config"
	config <<-'EOF'
	[defaults]
	model = ok

	this line has no equals sign
	EOF
	run -7 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: $cfg:4: expected 'key = value'" ]
	no_store
}

@test "a malformed section header ends with exit 7 naming file:line" {
	cfg="$XDG_CONFIG_HOME/confab/config"
	printf 'model = x\n[anthropic\nmodel = y\n' | config
	run -7 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: $cfg:2: malformed section header" ]
	printf '# c\n[bad name]\n' | config
	run -7 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: $cfg:2: malformed section name" ]
	printf 'bad key = 1\n' | config
	run -7 --separate-stderr chat-new
	one_error chat-new
	[[ "$stderr" == "chat-new: $cfg:1: malformed key"* ]]
	no_store
}

@test "a malformed config is an error even when options give every value" {
	printf '[x\n' | config
	run -7 --separate-stderr chat-new -p echo -m m --temperature 1
	one_error chat-new
	[[ "$stderr" == *"/confab/config:1: "* ]]
	no_store
}

@test "invalid values in the config end with exit 7 naming the file" {
	cfg="$XDG_CONFIG_HOME/confab/config"
	while IFS='|' read -r line what; do
		printf '%s\n' "$line" | config
		run -7 --separate-stderr chat-new
		one_error chat-new
		[[ "$stderr" == "chat-new: $cfg: invalid $what"* ]]
	done <<-'EOF'
	temperature = 3|temperature '3'
	temperature = warm|temperature 'warm'
	max-tokens = 0|max-tokens '0'
	max-tokens = many|max-tokens 'many'
	context-window = -1|context-window '-1'
	auto-context = maybe|auto-context 'maybe'
	provider = nosuch|provider 'nosuch'
	model = ""|model ''
	EOF
	no_store
}

@test "a config that is a folder is an error (exit 7)" {
	mkdir -p "$XDG_CONFIG_HOME/confab/config"
	run -7 --separate-stderr chat-new
	one_error chat-new
	[ "$stderr" = "chat-new: $XDG_CONFIG_HOME/confab/config: Is a directory" ]
	no_store
}

# ---- usage errors: exit 2, nothing made ----

@test "an unexpected argument is a usage error" {
	run -2 --separate-stderr chat-new extra
	one_error chat-new
	[ "$stderr" = "chat-new: unexpected argument 'extra' (see 'chat-new --help')" ]
	no_store
}

@test "an unknown option is a usage error" {
	run -2 --separate-stderr chat-new --bogus
	[ -z "$output" ]
	[ "$stderr" = "chat-new: unknown option '--bogus' (see 'chat-new --help')" ]
	run -2 --separate-stderr chat-new -x
	[ -z "$output" ]
	[ "$stderr" = "chat-new: unknown option '-x' (see 'chat-new --help')" ]
	run -2 --separate-stderr chat-new --name
	[ -z "$output" ]
	[ "$stderr" = "chat-new: option '--name' needs a value (see 'chat-new --help')" ]
	run -2 --separate-stderr chat-new -n
	[ "$stderr" = "chat-new: option '-n' needs a value (see 'chat-new --help')" ]
	run -2 --separate-stderr chat-new --json=yes
	[ "$stderr" = "chat-new: option '--json' takes no value (see 'chat-new --help')" ]
	# the program's own name, however it was called
	run -2 --separate-stderr "$ROOT/bin/chat-new" --bogus
	[ "$stderr" = "chat-new: unknown option '--bogus' (see 'chat-new --help')" ]
	no_store
}

@test "--help and --version" {
	run -0 --separate-stderr chat-new --help
	[ "${lines[0]}" = "usage: chat-new [options]" ]
	[[ "$output" == *"--temperature"* ]]
	[ -z "$stderr" ]
	run -0 chat-new -h
	[ "${lines[0]}" = "usage: chat-new [options]" ]
	run -0 --separate-stderr chat-new --version
	[[ "$output" =~ ^chat-new\ \(confab\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	no_store
}
