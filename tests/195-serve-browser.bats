#!/usr/bin/env bats
# chat-serve's page in Debian's chromium, driven by playwright-core
# (tests/browser/page.test.mjs), against a real chat-serve whose replies
# come from the fake provider: logging in by the printed URL, a reply seen
# streaming, branching, a PDF export downloaded, search, tabs, an XSS corpus
# that runs nothing, no CSP violation, 360 px, the keyboard alone.
# Screenshots go to build/test-artifacts/browser/.  Each test here runs the
# page tests whose names start with its word, against a server of its own.

load helper
load serve

setup() {
	common_setup
	[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "no chromium (make deps installs Debian's)"
	[ -f "$ROOT/tests/browser/node_modules/playwright-core/package.json" ] ||
		skip "no playwright-core: make deps (npm ci --prefix tests/browser)"
	ARTIFACTS=$ROOT/build/test-artifacts/browser
	mkdir -p "$ARTIFACTS"
	export ARTIFACTS
}

teardown() {
	serve_teardown
	fake_stop
}

# browser NAME [fakeprov script lines...]: the page tests named NAME* in
# chromium, the replies as the script says (then fakeprov's default).
browser() {
	local name=$1
	shift
	fake_start "$@"
	export ANTHROPIC_BASE_URL=$FAKE_URL ANTHROPIC_API_KEY=sk-ant-test-browser
	config <<- EOF
	provider = anthropic
	model = claude-browser-test
	EOF
	serve_start
	[ -n "$SERVE_LOGIN" ]
	[ ! -d "$ROOT/lib/grammars/c" ] || export HL_GRAMMARS=1
	run node --test --test-reporter=tap --test-name-pattern="^$name" "$ROOT/tests/browser/page.test.mjs"
	# the page tests' own lines, as comments bats passes on (skipped ones left out)
	printf '%s\n' "$output" | grep -v -e '^ *at ' -e '# SKIP' -e '^# Subtest' -e '^ *\(---\|\.\.\.\|duration_ms:.*\)$' | sed 's/^/# /' >&3 || true
	[ "$status" -eq 0 ] || { tail -n 30 "$SERVE_LOG"; return 1; }
	# the pattern ran something
	[[ "$output" =~ \#\ pass\ [1-9] ]]
}

# A reply of words in small pieces, a write every 150 ms: seen half-done.
SLOW='text=This%20is%20a%20slowly%20streamed%20reply,%20in%20small%20pieces,%20so%20that%20the%20page%20shows%20it%20growing. piece=4 delay=150'

# fakeprov's text= is percent-decoded: a corpus like page.test.mjs's,
# encoded, each reply one delta, so a page that parsed deltas as HTML
# would be handed every payload whole.
xss_replies() {
	node -e '
		const x = ["<script>window.__xss = \"script\"</script>",
			"<img src=x onerror=\"window.__xss = 1\">",
			"[click](javascript:window.__xss=2)",
			"<a href=\"javascript:window.__xss=3\">a</a>",
			"<svg onload=\"window.__xss = 4\"></svg>",
			"<iframe src=\"javascript:window.__xss=5\"></iframe>",
			"![pic](x\" onerror=\"window.__xss=6)",
			"<details open ontoggle=\"window.__xss=7\">x</details>",
			"<style>body{display:none}</style>",
			"\"><script>alert(1)</script>"];
		for (const s of x) console.log("text=" + encodeURIComponent(s) + " piece=4096");'
}

@test "login: the printed URL logs the browser in once; without it the page says how" {
	browser 'login|unauthorized'
}

@test "stream: a reply is seen growing, as plain text, then rendered" {
	browser stream "$SLOW"
}

@test "order: a reply's record before its last deltas stays whole, buttons and all" {
	browser order
}

@test "retry twice: a retry of a retry still streaming takes its place, one node" {
	browser 'retry twice'
}

@test "retry elsewhere: a page watching the session sees the retry stream in, then its record" {
	browser 'retry elsewhere' 'text=the%20first%20answer' 'text=the%20second%20answer,%20slowly piece=4 delay=100'
}

@test "branch: from a message, into a new tab" {
	browser branch
}

@test "tabs: two conversations, by click, Alt+digit and arrows" {
	browser tabs
}

@test "export: a PDF from the dialog, downloaded, read back by pdftotext" {
	command -v pdftotext > /dev/null || skip "no pdftotext (poppler-utils)"
	browser export
}

@test "search: the sidebar's search finds a session by its messages" {
	browser search
}

@test "xss: a corpus in messages, replies and a name runs nothing" {
	mapfile -t replies < <(xss_replies)
	browser xss "${replies[@]}"
}

@test "csp: string code and inline scripts refused and reported" {
	browser csp
}

@test "narrow: 360 px wide, no sideways scroll, the message box usable" {
	browser narrow
}

@test "keyboard: written, sent, a command completed, help, without the mouse" {
	browser keyboard
}

@test "marks: react, note, edit, copy and retry from a message's buttons" {
	browser marks
}

@test "settings: the dialog and the slash commands change the session" {
	browser settings
}

@test "attach: by the picker and by drop, the files reach the provider" {
	browser attach
	fake_requests | grep -q picked-file-words
	fake_requests | grep -q dropped-file-words
}

@test "highlight: code colored by the server's highlighter, the page's colors" {
	[ -d "$ROOT/lib/grammars/c" ] || skip "no tree-sitter grammars (make deps fetches them)"
	browser highlight
}

@test "theme: the system's scheme, and the toggle" {
	browser theme
}

@test "terminal: chat-send in another process, seen on the page" {
	browser terminal
}

@test "firstload: bytes and time to interactive, printed for make bench" {
	browser firstload
}
