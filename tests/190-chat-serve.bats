#!/usr/bin/env bats
# chat-serve's daemon (lib/serve.c): options and --check, loopback by
# default and TLS or --insecure-public for anything else, the bearer token
# and the one-time login, cookies and CSRF, no CORS, the Host check, error
# records and status codes, body limits, the page's static files and what
# they refuse, the common headers, the request log, SIGTERM, the
# connection cap and the idle timeout.  The routes of the other serve
# files have suites of their own; this one uses paths no route takes
# (/api/chat/nothing), serve.c's own routes (/login, /api/chat/login) and
# the page.

load helper
load serve

setup() {
	common_setup
	WEB=$BATS_TEST_TMPDIR/web
	mkdir -p "$WEB/static/sub"
	echo '<!doctype html><title>t</title>' > "$WEB/index.html"
	echo 'export const x = 1;' > "$WEB/static/app.js"
	echo 'body{}' > "$WEB/static/sub/app.css"
	echo secret > "$WEB/static/.hidden"
	echo 'outside the page' > "$BATS_TEST_TMPDIR/secret.txt"
	ln -s ../../secret.txt "$WEB/static/out.txt"
	export CONFAB_WEB_DIR=$WEB
}

# SIGTERM, so that under CHAT_SERVE=build/asan/chat-serve its report at
# exit (leaks included) fails the test; a server that does not stop is
# killed, and fails it too
teardown() {
	local st=0
	serve_stop || st=$?
	serve_teardown
	return "$st"
}

# status of a curl request: -o /dev/null, the code on stdout
code() {
	curl -sS -o /dev/null -w '%{http_code}' "$@"
}

UNAUTH='{"type":"error","status":401,"message":"unauthorized"}'

# body and status of a curl request on one line: "BODY CODE"
body_code() {
	curl -sS -w ' %{http_code}' "$@" | tr -d '\n'
}

@test "--help, --list-options and a bad option" {
	run -0 chat-serve --help
	[[ $output == "usage: chat-serve [options]"* ]]
	[[ $output == *--insecure-public* && $output == *--tls-cert* ]]
	[[ $output != *--turn* ]]
	run -0 chat-serve --list-options
	[[ $output == *"--listen=ARG"* ]]
	run -2 --separate-stderr chat-serve --bogus
	[[ ${stderr_lines[0]} == "chat-serve: "* ]]
	run -2 --separate-stderr chat-serve extra
	[[ ${stderr_lines[0]} == "chat-serve: unexpected argument 'extra'"* ]]
}

@test "--check: a good config and store pass; a bad key, a bad address or a bad store fail with one line" {
	chat-new -n s > /dev/null
	run -0 --separate-stderr chat-serve --check
	[ -z "$output" ] && [ -z "$stderr" ]
	# --check binds nothing and makes no token
	[ ! -e "$XDG_CONFIG_HOME/confab/serve-token" ]
	config <<-'EOF'
	serve-timeout = soon
	EOF
	run -7 --separate-stderr chat-serve --check
	one_error chat-serve
	[[ $stderr == *"serve-timeout is 'soon'"* ]]
	config <<-'EOF'
	serve-body-max = 2x
	EOF
	run -7 --separate-stderr chat-serve --check
	one_error chat-serve
	config <<-'EOF'
	serve-body-max = 4k
	serve-upload-max = 30M
	serve-max-connections = 10
	serve-timeout = 5
	serve-listen = 127.0.0.1:9
	EOF
	run -0 chat-serve --check
	run -2 --separate-stderr chat-serve --check --listen nonsense
	one_error chat-serve
	run -2 --separate-stderr chat-serve --check --listen 127.0.0.1:70000
	one_error chat-serve
	run -2 --separate-stderr chat-serve --check --tls-cert x.pem
	one_error chat-serve
	# the store: a path that is not there, a file that is not a store
	run -6 --separate-stderr chat-serve --check --db "$BATS_TEST_TMPDIR/none.db"
	one_error chat-serve
	[ ! -e "$BATS_TEST_TMPDIR/none.db" ]
	echo 'not sqlite' > "$BATS_TEST_TMPDIR/junk.db"
	run -6 --separate-stderr chat-serve --check --db "$BATS_TEST_TMPDIR/junk.db"
	one_error chat-serve
}

@test "loopback by default; a public address needs TLS or --insecure-public" {
	config <<-'EOF'
	serve-listen = 127.0.0.1:0
	EOF
	chat-serve --quiet 2> "$BATS_TEST_TMPDIR/log" &
	SERVE_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q 'listening on' "$BATS_TEST_TMPDIR/log" && break
		sleep 0.1
	done
	grep -qE '^chat-serve: listening on http://127\.0\.0\.1:[0-9]+$' "$BATS_TEST_TMPDIR/log"
	serve_stop
	# --check says what a start would: no socket is opened here
	run -2 --separate-stderr chat-serve --check --listen 0.0.0.0:8088
	one_error chat-serve
	[[ $stderr == *"not a loopback address"*"--insecure-public"* ]]
	run -2 --separate-stderr chat-serve --check --listen '[::]:8088'
	one_error chat-serve
	run -0 chat-serve --check --listen 0.0.0.0:8088 --insecure-public
	run -0 chat-serve --check --listen '[::1]:8088'
}

@test "the token is made 0600 in a 0700 folder on first start and read after" {
	serve_start
	[ "$(stat -c %a "$XDG_CONFIG_HOME/confab/serve-token")" = 600 ]
	[ "$(stat -c %a "$XDG_CONFIG_HOME/confab")" = 700 ]
	[[ $SERVE_TOKEN =~ ^[0-9a-f]{64}$ ]]
	first=$SERVE_TOKEN
	serve_stop
	serve_start
	[ "$SERVE_TOKEN" = "$first" ]
	[ "$(code "$SERVE_URL/api/chat/nothing" -H "Authorization: Bearer $first")" = 404 ]
	serve_stop
	# a token others can read is not used
	chmod 644 "$XDG_CONFIG_HOME/confab/serve-token"
	run -7 --separate-stderr chat-serve --listen 127.0.0.1:0
	one_error chat-serve
	[[ $stderr == *"can be read by others"* ]]
	chmod 600 "$XDG_CONFIG_HOME/confab/serve-token"
	echo short > "$XDG_CONFIG_HOME/confab/serve-token"
	run -7 --separate-stderr chat-serve --listen 127.0.0.1:0
	one_error chat-serve
}

@test "bearer: right passes; wrong, missing, another scheme all get the same 401 body" {
	serve_start
	api GET /api/chat/nothing > "$BATS_TEST_TMPDIR/ok"
	[ "$API_STATUS" = 404 ]
	[ "$(jq -r .type "$BATS_TEST_TMPDIR/ok")" = error ]
	local h wrong
	# every digit another: never the token by chance
	wrong=$(tr 0-9a-f 1-9a-f0 <<< "$SERVE_TOKEN")
	for h in "Authorization: Bearer $wrong" "Authorization: Bearer ${SERVE_TOKEN}0" \
		"Authorization: Bearer ${SERVE_TOKEN:0:63}" "Authorization: bearer  $SERVE_TOKEN" \
		"Authorization: Bearer " "Authorization: Basic $SERVE_TOKEN" "X-None: 1" \
		"Cookie: confab_auth=$SERVE_TOKEN"; do
		run body_code -H "$h" "$SERVE_URL/api/chat/sessions"
		[ "$output" = "$UNAUTH 401" ] || { echo "$h: $output"; return 1; }
	done
	# a wrong token is not saved by a right cookie, nor a POST by the method
	run body_code -X POST -H "Authorization: Bearer x" "$SERVE_URL/api/chat/login"
	[ "$output" = "$UNAUTH 401" ]
}

@test "the login URL works once: cookies HttpOnly and SameSite=Strict, then 303 to /" {
	serve_start
	[[ $SERVE_LOGIN =~ ^http://127\.0\.0\.1:[0-9]+/login\?code=[0-9a-f]{64}$ ]]
	run -0 curl -sS -D - -o /dev/null -c "$BATS_TEST_TMPDIR/jar" "$SERVE_LOGIN"
	[[ ${lines[0]} == "HTTP/1.1 303"* ]]
	grep -qi '^Location: /.$' <<< "$output"
	grep -qiE '^Set-Cookie: confab_auth=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/.$' <<< "$output"
	grep -qiE '^Set-Cookie: confab_csrf=[0-9a-f]{64}; SameSite=Strict; Path=/.$' <<< "$output"
	! grep -qi 'Secure' <<< "$output"
	# the cookie lets GETs in
	[ "$(code -b "$BATS_TEST_TMPDIR/jar" "$SERVE_URL/api/chat/nothing")" = 404 ]
	# the code is spent
	run body_code "$SERVE_LOGIN"
	[ "$output" = "$UNAUTH 401" ]
	run body_code "$SERVE_URL/login"
	[ "$output" = "$UNAUTH 401" ]
	# the bearer asks for a new one, which works once too; the old one still not
	api POST /api/chat/login > "$BATS_TEST_TMPDIR/new"
	[ "$API_STATUS" = 200 ]
	url=$(jq -r .url "$BATS_TEST_TMPDIR/new")
	[[ $url == "$SERVE_URL/login?code="* ]]
	[ "$url" != "$SERVE_LOGIN" ]
	[ "$(code "$url")" = 303 ]
	[ "$(code "$url")" = 401 ]
	# a cookie cannot mint codes
	[ "$(code -X POST -b "$BATS_TEST_TMPDIR/jar" -H "X-Confab-CSRF: $(awk '$6 == "confab_csrf" {print $7}' "$BATS_TEST_TMPDIR/jar")" \
		"$SERVE_URL/api/chat/login")" = 401 ]
}

@test "CSRF: a cookie request that changes something needs X-Confab-CSRF, missing or wrong is 401" {
	serve_start
	curl -sS -o /dev/null -c "$BATS_TEST_TMPDIR/jar" "$SERVE_LOGIN"
	csrf=$(awk '$6 == "confab_csrf" {print $7}' "$BATS_TEST_TMPDIR/jar")
	[[ $csrf =~ ^[0-9a-f]{64}$ ]]
	local m
	for m in POST PUT DELETE PATCH; do
		run body_code -X "$m" -b "$BATS_TEST_TMPDIR/jar" "$SERVE_URL/api/chat/nothing"
		[ "$output" = "$UNAUTH 401" ] || { echo "$m none: $output"; return 1; }
		run body_code -X "$m" -b "$BATS_TEST_TMPDIR/jar" \
			-H "X-Confab-CSRF: ${csrf%?}x" "$SERVE_URL/api/chat/nothing"
		[ "$output" = "$UNAUTH 401" ] || { echo "$m wrong: $output"; return 1; }
		[ "$(code -X "$m" -b "$BATS_TEST_TMPDIR/jar" -H "X-Confab-CSRF: $csrf" \
			"$SERVE_URL/api/chat/nothing")" = 404 ]
	done
	# the CSRF value is not a credential by itself
	run body_code -X POST -H "X-Confab-CSRF: $csrf" "$SERVE_URL/api/chat/nothing"
	[ "$output" = "$UNAUTH 401" ]
	# bearer requests need none
	api DELETE /api/chat/nothing > /dev/null
	[ "$API_STATUS" = 404 ]
}

@test "no CORS: an Origin gets no Access-Control header, OPTIONS is 405" {
	serve_start
	run -0 curl -sS -D - -o /dev/null -H "Origin: http://evil.example" \
		-H "Authorization: Bearer $SERVE_TOKEN" "$SERVE_URL/api/chat/nothing"
	! grep -qi '^access-control' <<< "$output"
	run -0 curl -sS -D - -X OPTIONS -H "Origin: http://evil.example" \
		-H "Access-Control-Request-Method: POST" "$SERVE_URL/api/chat/sessions"
	[[ ${lines[0]} == "HTTP/1.1 405"* ]]
	! grep -qi '^access-control' <<< "$output"
	[[ ${lines[-1]} == '{"type":"error","status":405,'* ]]
}

@test "Host: on loopback only 127.0.0.1, localhost and [::1] with the port; else 400" {
	serve_start
	port=${SERVE_URL##*:}
	local h
	for h in "127.0.0.1:$port" "localhost:$port" "LocalHost:$port" "[::1]:$port"; do
		[ "$(code -H "Host: $h" "$SERVE_URL/index.html")" = 200 ] || { echo "$h"; return 1; }
	done
	for h in "evil.example:$port" "evil.example" "127.0.0.1" "127.0.0.1:1$port" "localhost.evil:$port"; do
		[ "$(code -H "Host: $h" "$SERVE_URL/index.html")" = 400 ] || { echo "$h"; return 1; }
		[ "$(code -H "Host: $h" -H "Authorization: Bearer $SERVE_TOKEN" \
			"$SERVE_URL/api/chat/nothing")" = 400 ] || { echo "$h"; return 1; }
	done
	# HTTP/1.0 without a Host
	[ "$(code -0 -H 'Host:' "$SERVE_URL/index.html")" = 400 ]
}

@test "error records: 404 for no route, 405 for another method, in the error format" {
	serve_start
	api GET /api/chat/nothing > "$BATS_TEST_TMPDIR/b"
	[ "$API_STATUS" = 404 ]
	jq -e '.type == "error" and .status == 404 and (.message | type) == "string"' "$BATS_TEST_TMPDIR/b"
	[ "$(jq -r keys_unsorted "$BATS_TEST_TMPDIR/b" | jq -c .)" = '["type","status","message"]' ]
	api GET /api/chat/login > "$BATS_TEST_TMPDIR/b"
	[ "$API_STATUS" = 405 ]
	jq -e '.status == 405' "$BATS_TEST_TMPDIR/b"
	api DELETE /login > "$BATS_TEST_TMPDIR/b"
	[ "$API_STATUS" = 405 ]
	# without credentials an API path says nothing about what is there
	run body_code -X DELETE "$SERVE_URL/api/chat/login"
	[ "$output" = "$UNAUTH 401" ]
	# outside the API and the page: 404, credentials or not
	[ "$(code "$SERVE_URL/favicon.ico")" = 404 ]
}

@test "bodies over serve-body-max are 413, by Content-Length or as they come" {
	config <<-'EOF'
	serve-body-max = 1k
	EOF
	serve_start
	head -c 1024 /dev/zero | tr '\0' a > "$BATS_TEST_TMPDIR/fits"
	head -c 1025 /dev/zero | tr '\0' a > "$BATS_TEST_TMPDIR/big"
	api POST /api/chat/login --data-binary @"$BATS_TEST_TMPDIR/fits" > /dev/null
	[ "$API_STATUS" = 200 ]
	api POST /api/chat/login --data-binary @"$BATS_TEST_TMPDIR/big" > "$BATS_TEST_TMPDIR/b"
	[ "$API_STATUS" = 413 ]
	jq -e '.type == "error" and .status == 413' "$BATS_TEST_TMPDIR/b"
	# without a Content-Length: read, counted, refused at its end
	api POST /api/chat/login -H 'Transfer-Encoding: chunked' \
		--data-binary @"$BATS_TEST_TMPDIR/big" > "$BATS_TEST_TMPDIR/b"
	[ "$API_STATUS" = 413 ]
	jq -e '.status == 413' "$BATS_TEST_TMPDIR/b"
	api POST /api/chat/login -H 'Transfer-Encoding: chunked' \
		--data-binary @"$BATS_TEST_TMPDIR/fits" > /dev/null
	[ "$API_STATUS" = 200 ]
	# a Content-Length over the bound is refused before any body is sent
	run -0 curl -sS -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $SERVE_TOKEN" \
		-H 'Content-Length: 99999999999' -H 'Expect: 100-continue' --max-time 20 "$SERVE_URL/api/chat/login"
	[ "$output" = 413 ]
}

@test "the page: /, /index.html and /static/ files with their types, ETag and 304" {
	serve_start
	[ "$(curl -sS "$SERVE_URL/")" = '<!doctype html><title>t</title>' ]
	run -0 curl -sS -D - -o /dev/null "$SERVE_URL/index.html"
	grep -qi '^Content-Type: text/html; charset=utf-8.$' <<< "$output"
	grep -qi '^Cache-Control: no-cache.$' <<< "$output"
	run -0 curl -sS -D - "$SERVE_URL/static/app.js"
	grep -qi '^Content-Type: text/javascript' <<< "$output"
	[ "${lines[-1]}" = 'export const x = 1;' ]
	etag=$(sed -n 's/^ETag: \(.*\).$/\1/Ip' <<< "$output")
	[ -n "$etag" ]
	[ "$(code -H "If-None-Match: $etag" "$SERVE_URL/static/app.js")" = 304 ]
	[ "$(code -H 'If-None-Match: "other"' "$SERVE_URL/static/app.js")" = 200 ]
	run -0 curl -sS -D - -o /dev/null "$SERVE_URL/static/sub/app.css"
	grep -qi '^Content-Type: text/css' <<< "$output"
	# HEAD: the headers only
	run -0 curl -sS -I "$SERVE_URL/static/app.js"
	[[ ${lines[0]} == "HTTP/1.1 200"* ]]
}

@test "the page refuses traversal, hidden files, links out of its folder and folders" {
	serve_start
	local p
	for p in /static/../secret.txt /static/sub/../../secret.txt /static/%2e%2e/secret.txt \
		/static/..%2fsecret.txt /static/.hidden /static/out.txt /static/sub /static/ \
		/static//app.js /static/nothing.js "/static/sub%2f..%2f..%2fsecret.txt" /static/%00 \
		/static/sub/./app.css; do
		run curl -sS --path-as-is -w ' %{http_code}' "$SERVE_URL$p"
		[[ $output == *' 404' || $output == *' 400' ]] || { echo "$p: $output"; return 1; }
		[[ $output != *outside* && $output != *secret ]] || { echo "$p: $output"; return 1; }
	done
}

@test "no page installed: the API still works, / says what is missing" {
	export CONFAB_WEB_DIR=$BATS_TEST_TMPDIR/no-web
	serve_start
	grep -q "no page" "$SERVE_LOG"
	run -0 curl -sS -w ' %{http_code}' "$SERVE_URL/"
	[[ $output == *'"status":404'*"not installed"*' 404' ]]
	api POST /api/chat/login > /dev/null
	[ "$API_STATUS" = 200 ]
}

@test "every response has the CSP and the other common headers; the API's are not stored" {
	serve_start
	local u
	for u in / /static/app.js /api/chat/nothing /nothing "/login?code=x"; do
		run -0 curl -sS -D - -o /dev/null "$SERVE_URL$u"
		grep -qF "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" <<< "$output" || { echo "$u"; return 1; }
		grep -qi '^X-Content-Type-Options: nosniff.$' <<< "$output"
		grep -qi '^Referrer-Policy: no-referrer.$' <<< "$output"
		grep -qi '^X-Frame-Options: DENY.$' <<< "$output"
	done
	run -0 curl -sS -D - -o /dev/null -H "Authorization: Bearer $SERVE_TOKEN" "$SERVE_URL/api/chat/nothing"
	grep -qi '^Cache-Control: no-store.$' <<< "$output"
	grep -qi '^Content-Type: application/json.$' <<< "$output"
}

@test "the request log: TIME METHOD PATH STATUS BYTES MS, no query, no token, nothing with --quiet" {
	serve_start
	api GET "/api/chat/nothing?q=private+words" > /dev/null
	curl -sS -o /dev/null "$SERVE_LOGIN"
	curl -sS -o /dev/null "$SERVE_URL/static/app.js"
	curl -sS -o /dev/null --path-as-is "$SERVE_URL/static/a%0ab"
	serve_stop
	grep -v '^chat-serve: ' "$SERVE_LOG" > "$BATS_TEST_TMPDIR/req"
	cat "$BATS_TEST_TMPDIR/req"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/req")" -eq 4 ]
	! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z [A-Z]+ /[^ ]* [0-9]{3} [0-9]+ [0-9]+$' \
		"$BATS_TEST_TMPDIR/req"
	grep -qE ' GET /api/chat/nothing 404 [0-9]+ [0-9]+$' "$BATS_TEST_TMPDIR/req"
	grep -qE ' GET /login 303 0 [0-9]+$' "$BATS_TEST_TMPDIR/req"
	grep -qE ' GET /static/app.js 200 20 [0-9]+$' "$BATS_TEST_TMPDIR/req"
	grep -qE ' GET /static/a%0ab 404 ' "$BATS_TEST_TMPDIR/req"
	! grep -q "$SERVE_TOKEN" "$SERVE_LOG"
	! grep -q private "$SERVE_LOG"
	code=${SERVE_LOGIN##*=}
	[ "$(grep -c "$code" "$SERVE_LOG")" = 1 ]   # the login line only
	serve_start --quiet
	api GET /api/chat/nothing > /dev/null
	serve_stop
	! grep -v '^chat-serve: ' "$SERVE_LOG"
}

@test "a port in use: one line, exit 1" {
	serve_start
	run -1 --separate-stderr chat-serve --listen "${SERVE_URL#http://}"
	one_error chat-serve
	[[ $stderr == *"cannot listen on ${SERVE_URL#http://}: Address already in use" ]]
}

@test "SIGTERM and SIGINT end it with 0" {
	serve_start
	s=0
	serve_stop || s=$?
	[ "$s" -eq 0 ]
	serve_start
	kill -INT "$SERVE_PID"
	s=0
	wait "$SERVE_PID" || s=$?
	SERVE_PID=
	[ "$s" -eq 0 ]
}

@test "TLS: HTTPS with a certificate, Secure cookies" {
	command -v openssl > /dev/null || skip "openssl is not installed"
	cd "$BATS_TEST_TMPDIR"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
		-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2> /dev/null
	run chat-serve --check --tls-cert cert.pem --tls-key key.pem
	[[ $output != *"has no TLS"* ]] || skip "this libmicrohttpd has no TLS"
	[ "$status" -eq 0 ]
	run -0 chat-serve --check --listen 0.0.0.0:8088 --tls-cert cert.pem --tls-key key.pem
	# --check tries them: a key that is not the certificate's, a file that is neither
	run -1 --separate-stderr chat-serve --check --tls-cert cert.pem --tls-key cert.pem
	one_error chat-serve
	[[ $stderr == *"not a PEM certificate and its key"* ]]
	echo junk > junk.pem
	run -1 --separate-stderr chat-serve --check --tls-cert junk.pem --tls-key key.pem
	one_error chat-serve
	run -2 --separate-stderr chat-serve --check --tls-cert none.pem --tls-key key.pem
	one_error chat-serve
	serve_start --tls-cert cert.pem --tls-key key.pem
	[[ $SERVE_URL == https://127.0.0.1:* ]]
	[[ $SERVE_LOGIN == https://* ]]
	[ "$(code --cacert cert.pem -H "Authorization: Bearer $SERVE_TOKEN" "$SERVE_URL/api/chat/nothing")" = 404 ]
	run -0 curl -sS --cacert cert.pem -D - -o /dev/null "$SERVE_LOGIN"
	grep -qiE '^Set-Cookie: confab_auth=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/; Secure.$' <<< "$output"
	# plain HTTP on the TLS port gets nothing useful
	run curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "http://${SERVE_URL#https://}/index.html"
	[ "$output" != 200 ]
}

# The connections chat-serve holds: its sockets on its port but the
# listening one (a PostgreSQL store's connections are sockets too).
held() {
	local hex inodes n=0 f l
	hex=$(printf '%04X' "${SERVE_URL##*:}")
	inodes=" $(awk -v p=":$hex" '$2 ~ p "$" && $4 != "0A" { print $10 }' /proc/net/tcp /proc/net/tcp6 | paste -sd ' ') "
	for f in /proc/"$SERVE_PID"/fd/*; do
		l=$(readlink "$f") || continue
		[[ $l == socket:\[*\] ]] || continue
		l=${l#socket:[}
		[[ $inodes == *" ${l%]} "* ]] && n=$((n + 1))
	done
	echo "$n"
}

@test "serve-max-connections: no more connections than that are held; the next waits its turn" {
	config <<-'EOF'
	serve-max-connections = 2
	EOF
	serve_start
	port=${SERVE_URL##*:}
	[ "$(held)" -eq 0 ]
	exec 4<> "/dev/tcp/127.0.0.1/$port" 5<> "/dev/tcp/127.0.0.1/$port"
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(held)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(held)" -eq 2 ]
	# a third waits in the listening queue, not held, until one goes
	exec 6<> "/dev/tcp/127.0.0.1/$port"
	printf 'GET /index.html HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&6
	# (without a cap it would be taken within a few milliseconds)
	for ((i = 0; i < 10; i++)); do
		[ "$(held)" -le 2 ] || { echo "held $(held)"; return 1; }
		sleep 0.1
	done
	[ "$(ss -Htln "( sport = :$port )" | awk '{print $2}')" -ge 1 ]
	exec 4>&-
	run timeout 30 cat <&6
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "HTTP/1.1 200"* ]]
	[ "$(held)" -le 2 ]
	exec 5>&- 6>&-
	[ "$(code --max-time 20 "$SERVE_URL/index.html")" = 200 ]
}

@test "serve-timeout: an idle connection and a half-sent request are dropped" {
	config <<-'EOF'
	serve-timeout = 1
	EOF
	serve_start
	port=${SERVE_URL##*:}
	exec 4<> "/dev/tcp/127.0.0.1/$port"
	# EOF: the server closed it (timeout's 124 would say it did not)
	run timeout 30 cat <&4
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# slowloris: half a request, then silence
	exec 6<> "/dev/tcp/127.0.0.1/$port"
	printf 'GET /index.html HTTP/1.1\r\nHost: 127.0.0.1' >&6
	run timeout 30 cat <&6
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	exec 4>&- 6>&-
	[ "$(code --max-time 20 "$SERVE_URL/index.html")" = 200 ]
}
