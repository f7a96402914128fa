#!/usr/bin/env bats
# chat-models: each protocol's models endpoint (against fakeprov), the
# records with their prices, the cache (used, expired, refreshed, a
# fallback when the provider fails), the errors as one key-free line.

load helper

setup() {
	common_setup
	cd "$BATS_TEST_TMPDIR"   # the files the tests write
	export XDG_CACHE_HOME="$BATS_TEST_TMPDIR/cache"
	CACHE=$XDG_CACHE_HOME/confab/models
}

teardown() {
	fake_stop
}

# Every built-in pointed at fakeprov, with keys.
use_fake() {
	config <<-EOF
	[anthropic]
	base-url = $FAKE_URL
	[openai]
	base-url = $FAKE_URL/v1
	[gemini]
	base-url = $FAKE_URL
	[ollama]
	base-url = $FAKE_URL
	EOF
	export ANTHROPIC_API_KEY=sk-ant-test-secret-0001 OPENAI_API_KEY=sk-oai-test-secret-0002
	export GEMINI_API_KEY=gem-test-secret-0003
}

requests() { fake_requests | wc -l; }

# A model's prices as pricing.json lists them, as chat-models shows them.
prices_of() {
	jq -c --arg m "$1" '.models[$m] | del(.provider)' "$ROOT/share/confab/pricing.json"
}

@test "each protocol: its endpoint, its key where it belongs, one record a model, priced" {
	fake_start
	use_fake
	run -0 --separate-stderr chat-models
	[ -z "$stderr" ]
	[ "$(jq -sc 'map([.provider, .model])' <<< "$output")" = \
		'[["anthropic","claude-sonnet-4-5-20250929"],["anthropic","claude-haiku-4-5-20251001"],["openai","gpt-4o"],["openai","fakeprov-model"],["gemini","gemini-2.5-flash"],["ollama","fakeprov:latest"]]' ]
	# each record's fields
	[ "$(jq -sc '.[0]' <<< "$output")" = '{"provider":"anthropic","model":"claude-sonnet-4-5-20250929","created":"2025-09-29T00:00:00Z","displayName":"Claude Sonnet 4.5","prices":'"$(prices_of claude-sonnet-4-5)"',"cached":false}' ]
	[ "$(jq -sc '.[2]' <<< "$output")" = '{"provider":"openai","model":"gpt-4o","created":"2024-05-10T18:50:49.000Z","prices":'"$(prices_of gpt-4o)"',"cached":false}' ]
	[ "$(jq -sc '.[3].prices' <<< "$output")" = null ]
	[ "$(jq -sc '.[4]' <<< "$output")" = '{"provider":"gemini","model":"gemini-2.5-flash","displayName":"Gemini 2.5 Flash","contextWindow":1048576,"maxOutputTokens":65536,"prices":'"$(prices_of gemini-2.5-flash)"',"cached":false}' ]
	[ "$(jq -sc '.[5]' <<< "$output")" = '{"provider":"ollama","model":"fakeprov:latest","modified":"2026-01-01T00:00:00Z","prices":null,"cached":false}' ]
	# the requests: Anthropic's headers, OpenAI's bearer, Gemini's key in a header only
	run -0 fake_requests
	[ "${#lines[@]}" -eq 4 ]
	[ "$(jq -sc 'map([.method, .path])' <<< "$output")" = '[["GET","/v1/models"],["GET","/v1/models"],["GET","/v1beta/models"],["GET","/api/tags"]]' ]
	[ "$(jq -sr '.[0].headers["x-api-key"]' <<< "$output")" = sk-ant-test-secret-0001 ]
	[ "$(jq -sr '.[0].headers["anthropic-version"]' <<< "$output")" = 2023-06-01 ]
	[ "$(jq -sr '.[1].headers.authorization' <<< "$output")" = "Bearer sk-oai-test-secret-0002" ]
	[ "$(jq -sr '.[2].headers["x-goog-api-key"]' <<< "$output")" = gem-test-secret-0003 ]
	[[ "$(jq -sr '.[2].query' <<< "$output")" != *gem-test* ]]
	# the embedding model, which generates nothing, is not listed
	[[ "$(chat-models -p gemini)" != *embedding* ]]
}

@test "the second run is the cache's: no request, cached true, the file 0600 and keyless" {
	fake_start
	use_fake
	chat-models -p openai > /dev/null
	[ "$(requests)" -eq 1 ]
	run -0 --separate-stderr chat-models -p openai
	[ -z "$stderr" ]
	[ "$(requests)" -eq 1 ]
	[ "$(jq -sc 'map([.model, .cached])' <<< "$output")" = '[["gpt-4o",true],["fakeprov-model",true]]' ]
	[ "$(jq -c .prices <<< "${lines[0]}")" = ''"$(prices_of gpt-4o)"'' ]
	[ "$(stat -c %a "$CACHE/openai.json")" = 600 ]
	[ "$(jq -r .baseUrl "$CACHE/openai.json")" = "$FAKE_URL/v1" ]
	not grep -q secret "$CACHE/openai.json"
}

@test "a cache older than a day is fetched again; --refresh fetches a fresh one" {
	fake_start
	use_fake
	chat-models -p anthropic > /dev/null
	touch -d '25 hours ago' "$CACHE/anthropic.json"
	run -0 chat-models -p anthropic
	[ "$(requests)" -eq 2 ]
	[ "$(jq -sc 'map(.cached) | unique' <<< "$output")" = '[false]' ]
	# fresh again now
	chat-models -p anthropic > /dev/null
	[ "$(requests)" -eq 2 ]
	run -0 chat-models --refresh -p anthropic
	[ "$(requests)" -eq 3 ]
	[ "$(jq -sc 'map(.cached) | unique' <<< "$output")" = '[false]' ]
}

@test "a 500 with a stale cache: the cache, a note on one line, status 0" {
	fake_start status=200 "status=500 text=the%20model%20list%20is%20down"
	use_fake
	chat-models -p gemini > /dev/null
	touch -d '3 days ago' "$CACHE/gemini.json"
	run -0 --separate-stderr chat-models -p gemini
	[ "$(jq -c '[.model, .cached]' <<< "$output")" = '["gemini-2.5-flash",true]' ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "chat-models: gemini: the model list is down (INTERNAL) (HTTP 500); the cached list of 3 days ago is shown" ]
	[ "$(requests)" -eq 2 ]
}

@test "a 401 without a cache: exit 9, the provider's own message, no key anywhere" {
	fake_start "status=401 text=Incorrect%20API%20key%20provided%3A%20sk-oai-test-secret-0002"
	use_fake
	run -9 --separate-stderr chat-models -p openai
	one_error chat-models
	[[ "$stderr" == "chat-models: openai: Incorrect API key provided: "*"(HTTP 401)" ]]
	[[ "$stderr" != *secret-0002* ]]
	[[ "$stderr" != *test-secret* ]]
	[ ! -e "$CACHE/openai.json" ]
}

@test "without --provider one provider's failure leaves the others; the status is its" {
	fake_start status=200 status=503
	use_fake
	run -8 --separate-stderr chat-models
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "chat-models: openai: "*"HTTP 503"* ]]
	[ "$(jq -sc 'map(.provider) | unique' <<< "$output")" = '["anthropic","gemini","ollama"]' ]
}

@test "unknown provider exit 2; no key exit 9; echo offline; no arguments" {
	run -2 --separate-stderr chat-models -p nosuch
	one_error chat-models
	[[ "$stderr" == *"unknown provider 'nosuch'"* ]]
	run -9 --separate-stderr chat-models -p anthropic
	one_error chat-models
	[[ "$stderr" == *ANTHROPIC_API_KEY* ]]
	run -0 chat-models -p echo
	[ "$(jq -c '[.provider, .model, .prices, .cached]' <<< "$output")" = '["echo","echo",null,false]' ]
	run -2 --separate-stderr chat-models extra
	one_error chat-models
}

@test "nothing configured: exit 7 and one line saying what to set" {
	# Ollama is asked only if it answers, at its default address
	if curl -s -m 1 -o /dev/null http://127.0.0.1:11434/; then
		skip "an Ollama answers on 127.0.0.1:11434"
	fi
	run -7 --separate-stderr chat-models
	one_error chat-models
	[[ "$stderr" == "chat-models: no provider: set ANTHROPIC_API_KEY"* ]]
}

@test "a config section of type openai is a provider of its own, with its own cache" {
	fake_start
	config <<-EOF
	[local]
	type = openai
	base-url = $FAKE_URL/v1
	EOF
	run -0 chat-models -p local
	[ "$(jq -sc 'map([.provider, .model])' <<< "$output")" = '[["local","gpt-4o"],["local","fakeprov-model"]]' ]
	[ -f "$CACHE/local.json" ]
	# the same name at another address is not that list
	sed -i "s|^base-url = .*|base-url = $FAKE_URL/other/v1|" "$XDG_CONFIG_HOME/confab/config"
	run -0 chat-models -p local
	[ "$(requests)" -eq 2 ]
}

@test "on a terminal: a table" {
	fake_start
	use_fake
	tty_run chat-models -p gemini
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PROVIDER*MODEL*CONTEXT*INPUT* ]]
	[[ "${lines[1]}" == "gemini "*"gemini-2.5-flash"*"1.05M"*"0.3"*"2.5"* ]]
	[ "${#lines[@]}" -eq 2 ]
}

@test "prices: what the list gives, each kind it names, dated ids at their family's price" {
	fake_start
	use_fake
	cat > prices.json <<-'EOF'
	{"models": {"gpt-4o": {"input": 2.5, "output": 10, "cacheRead": 1.25},
	            "claude-sonnet-4-5": {"input": 3, "output": 15, "cacheRead": 0.3,
	                                  "cacheWrite5m": 3.75, "cacheWrite1h": 6}}}
	EOF
	export CONFAB_PRICING=$PWD/prices.json
	run -0 chat-models -p openai
	[ "$(jq -sc 'map(.prices)' <<< "$output")" = '[{"input":2.5,"output":10,"cacheRead":1.25},null]' ]
	run -0 chat-models -p anthropic
	[ "$(jq -c .prices <<< "${lines[0]}")" = '{"input":3,"output":15,"cacheRead":0.3,"cacheWrite5m":3.75,"cacheWrite1h":6}' ]
	[ "$(jq -c .prices <<< "${lines[1]}")" = null ]
	# the cache keeps no prices: a new list needs no refresh
	not grep -q input "$CACHE/openai.json"
}

@test "a base URL with a user and password: neither in the cache, which is still used" {
	fake_start
	config <<-EOF
	[openai]
	base-url = http://bob:hunter2pass@${FAKE_URL#http://}/v1
	EOF
	export OPENAI_API_KEY=sk-oai-test-secret-0002
	run -0 chat-models -p openai
	[ "${#lines[@]}" -eq 2 ]
	not grep -q hunter2pass "$CACHE/openai.json"
	not grep -q bob "$CACHE/openai.json"
	[ "$(jq -r .baseUrl "$CACHE/openai.json")" = "$FAKE_URL/v1" ]
	run -0 chat-models -p openai
	[ "$(jq -sc 'map(.cached) | unique' <<< "$output")" = '[true]' ]
	[ "$(requests)" -eq 1 ]
}

@test "a list that does not end: a page token that comes again, or pages without end, stop; a note; not cached" {
	# Gemini's next page is always "same": the second page says it again
	printf '%s' '{"models":[{"name":"models/gemini-x","supportedGenerationMethods":["generateContent"]}],"nextPageToken":"same"}' > same.json
	# Anthropic's last_id differs on every page: it stops at 50 pages
	for i in $(seq 60); do
		printf '{"data":[{"id":"claude-%d"}],"has_more":true,"last_id":"claude-%d"}' $i $i > "a$i.json"
	done
	fake_start "body=$PWD/same.json" "body=$PWD/same.json" \
		$(for i in $(seq 60); do echo "body=$PWD/a$i.json"; done)
	use_fake
	run -0 --separate-stderr chat-models -p gemini
	[ "$(requests)" -eq 2 ]
	[ "$(jq -sc 'map(.model)' <<< "$output")" = '["gemini-x"]' ]
	[ "$stderr" = "chat-models: gemini: the models list does not end (a page token came again): what came is shown, not cached" ]
	[ ! -e "$CACHE/gemini.json" ]
	run -0 --separate-stderr chat-models -p anthropic
	[ "$(requests)" -eq 52 ]
	[ "${#lines[@]}" -eq 50 ]
	[ "$(jq -r .query <<< "$(fake_requests | tail -1)")" = "limit=1000&after_id=claude-49" ]
	[ "$stderr" = "chat-models: anthropic: the models list does not end (more than 50 pages): what came is shown, not cached" ]
	[ ! -e "$CACHE/anthropic.json" ]
}

@test "a cache file holding what is no model: those entries left out, the provider the one asked" {
	fake_start
	use_fake
	chat-models -p openai > /dev/null
	jq -c '.models = [1, "x", null, {"model": 5}, {"created": "2024"},
		{"model": "gpt-4o", "provider": "zzz", "cached": "yes", "prices": 7}]' \
		"$CACHE/openai.json" > c.json
	mv c.json "$CACHE/openai.json"
	run -0 --separate-stderr chat-models -p openai
	[ "$output" = '{"provider":"openai","model":"gpt-4o","prices":'"$(prices_of gpt-4o)"',"cached":true}' ]
	[ "$(requests)" -eq 1 ]
}

@test "a FIFO where the cache file is: not waited on, the list fetched and cached in its place" {
	fake_start
	use_fake
	mkdir -p "$CACHE"
	mkfifo "$CACHE/openai.json"
	run -0 --separate-stderr timeout 10 chat-models -p openai
	[ "$(jq -sc 'map(.model)' <<< "$output")" = '["gpt-4o","fakeprov-model"]' ]
	[ "$(requests)" -eq 1 ]
	[ -f "$CACHE/openai.json" ]
	[ "$(stat -c %a "$CACHE/openai.json")" = 600 ]
}

@test "a provider's error with control characters, C1 ones too: one line, none of them" {
	fake_start "status=500 text=bad%1B%5B31m%C2%9B2Jred%07%0Anext%C2%85end%C3%A9"
	use_fake
	run -8 --separate-stderr chat-models -p openai
	one_error chat-models
	[[ "$stderr" != *$'\e'* ]]
	[[ "$stderr" != *$'\xc2\x9b'* ]]
	[[ "$stderr" != *$'\xc2\x85'* ]]
	[[ "$stderr" == *"red"*"next"*"endé"* ]]
}
