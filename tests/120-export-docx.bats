#!/usr/bin/env bats
# chat-export -f docx: a WordprocessingML package that unzip, xmllint and
# pandoc read back, with every message's text and its Markdown as Word's
# own structures (styles, hyperlinks, numbering, tables).

load helper

# One message with every construct the renderer knows.
rich() {
	cat <<'EOF'
# Plan

Some **bold text**, *italic words*, a [link to example](https://example.com/a?b=1&c=2), and `inline code`.

```c
int main(void) {
    return 0;
}
```

- first bullet
- second bullet
  - nested bullet

3. three
4. four

> quoted line

---

| Name | Value |
|------|-------|
| alpha | `1` |
| beta | 2 |

<div>raw html</div>
EOF
}

setup() {
	common_setup
	S=$(new_session --name 'Docx <review> & notes' -p echo -m echo-1)
	rich | chat-add -s "$S" --time 2026-01-02T03:04:05Z > /dev/null
	chat-add -s "$S" -r assistant -m claude-x --time 2026-01-02T03:05:06Z \
		'Done: see **above**.' > /dev/null
	X="$BATS_TEST_TMPDIR/x.docx"
}

# Exports session $1 (default $S) to $X.
export_docx() {
	run -0 --separate-stderr chat-export -f docx "${1:-$S}" -o "$X"
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ -s "$X" ]
}

# One part of $X on stdout (a name, not one of unzip's wildcards).
part() {
	unzip -p "$X" "${1//[/\\[}"
}

# The package is sound: unzip tests it and every part is well-formed XML.
sound() {
	run -0 unzip -t "$X"
	[[ "$output" == *"No errors detected in compressed data of $X."* ]]
	# nothing after the end of the central directory (a zip with no
	# comment ends with its 22-byte record)
	[ "$(tail -c 22 "$X" | head -c 4 | od -An -tx1 | tr -d ' ')" = 504b0506 ]
	local d="$BATS_TEST_TMPDIR/parts" f
	rm -rf "$d"
	mkdir "$d"
	unzip -q "$X" -d "$d"
	[ "$(find "$d" -type f | wc -l)" -eq 10 ]
	while IFS= read -r f; do
		xmllint --noout "$f"
	done < <(find "$d" -type f)
}

# The document's text through pandoc, without the line of session facts
# under the title (it holds the session's creation time).
plain() {
	pandoc -f docx -t plain --wrap=none "$X" | tail -n +3
}

@test "the parts, [Content_Types].xml first" {
	export_docx
	run -0 unzip -Z1 "$X"
	[ "$output" = '[Content_Types].xml
_rels/.rels
docProps/core.xml
docProps/app.xml
word/document.xml
word/_rels/document.xml.rels
word/styles.xml
word/numbering.xml
word/settings.xml
word/fontTable.xml' ]
	run -0 unzip -l "$X"
	[[ "$output" == *" word/document.xml"* ]]
	[[ "$output" == *" 10 files"* ]]
}

@test "unzip -t passes and every part is well-formed XML" {
	export_docx
	sound
	for p in word/document.xml word/styles.xml word/numbering.xml; do
		part "$p" | xmllint --noout -
	done
	# the content types name every part the package holds
	run -0 part '[Content_Types].xml'
	for p in /word/document.xml /word/styles.xml /word/numbering.xml \
		/word/settings.xml /word/fontTable.xml /docProps/core.xml /docProps/app.xml; do
		[[ "$output" == *"<Override PartName=\"$p\""* ]]
	done
}

@test "pandoc reads every message's text, in order" {
	export_docx
	run -0 plain
	[ "$output" = 'User 2026-01-02 03:04 UTC

Plan

Some bold text, italic words, a link to example, and inline code.

    int main(void) {
        return 0;
    }

-   first bullet

-   second bullet

    -   nested bullet

3.  three

4.  four

  quoted line

  -----------------------------------------------------------------------
  Name                                Value
  ----------------------------------- -----------------------------------
  alpha                               1

  beta                                2
  -----------------------------------------------------------------------

    <div>raw html</div>

Assistant · claude-x 2026-01-02 03:05 UTC

Done: see above.' ]
}

@test "pandoc's markdown: bold, italic, the link's URL, code, lists, quote, table" {
	export_docx
	run -0 pandoc -f docx -t markdown --wrap=none "$X"
	grep -Fx 'Some **bold text**, *italic words*, a [link to example](https://example.com/a?b=1&c=2), and `inline code`.' <<<"$output"
	grep -Fx '## Plan' <<<"$output"
	grep -Fx '# User 2026-01-02 03:04 UTC' <<<"$output"
	grep -Fx '    int main(void) {' <<<"$output"
	grep -Fx '        return 0;' <<<"$output"
	grep -Fx -- '-   first bullet' <<<"$output"
	grep -Fx -- '    -   nested bullet' <<<"$output"
	grep -Fx '3.  three' <<<"$output"
	grep -Fx '4.  four' <<<"$output"
	grep -Fx '> quoted line' <<<"$output"
	grep -Eqx ' +\*\*Name\*\* +\*\*Value\*\*' <<<"$output"
	grep -Eqx ' +alpha +`1`' <<<"$output"
	grep -Fx 'Done: see **above**.' <<<"$output"
}

@test "title, core properties and the session's facts" {
	export_docx
	run -0 part docProps/core.xml
	[[ "$output" == *'<dc:title>Docx &lt;review&gt; &amp; notes</dc:title>'* ]]
	[[ "$output" =~ \<dcterms:created\ xsi:type=\"dcterms:W3CDTF\"\>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\</dcterms:created\> ]]
	run -0 part docProps/app.xml
	[[ "$output" == *'<Application>confab '* ]]
	run -0 part word/document.xml
	[[ "$output" == *'<w:body><w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t xml:space="preserve">Docx &lt;review&gt; &amp; notes</w:t></w:r></w:p>'* ]]
	run -0 pandoc -s -f docx -t plain --wrap=none "$X"
	created=$(chat-ls --all --json | jq -r .created)
	grep -Fx "${created:0:10} ${created:11:5} UTC · echo · echo-1" <<<"$output"
}

@test "each message is a Heading1 with its role, model and time; its headings go below" {
	export_docx
	run -0 part word/document.xml
	[ "$(grep -o '<w:pStyle w:val="Heading1"/>' <<<"$output" | wc -l)" -eq 2 ]
	[[ "$output" == *'<w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">User</w:t></w:r>'* ]]
	[[ "$output" == *'<w:t xml:space="preserve">Assistant</w:t></w:r><w:r><w:rPr>'*'<w:t xml:space="preserve"> · claude-x  2026-01-02 03:05 UTC</w:t></w:r></w:p>'* ]]
	[[ "$output" == *'<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">Plan</w:t></w:r></w:p>'* ]]
	# a user's message names no model, even with one
	chat-add -s "$S" -m some-model --time 2026-01-02T03:06:00Z hi > /dev/null
	export_docx
	run -0 plain
	grep -Fx 'User 2026-01-02 03:06 UTC' <<<"$output"
	[[ "$output" != *some-model* ]]
}

@test "message headings one to six become Heading2 to Heading4" {
	T=$(new_session --name heads)
	printf '# one\n\n## two\n\n### three\n\n#### four\n\n###### six\n' | chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/document.xml
	for h in 'Heading2">one' 'Heading3">two' 'Heading4">three' 'Heading4">four' 'Heading4">six'; do
		[[ "$output" == *"<w:pStyle w:val=\"${h%%\"*}\"/></w:pPr><w:r><w:t xml:space=\"preserve\">${h#*>}</w:t>"* ]]
	done
}

@test "bold, italic and inline code are runs; a link is a w:hyperlink with an external relationship" {
	export_docx
	run -0 part word/document.xml
	[[ "$output" == *'<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">bold text</w:t></w:r>'* ]]
	[[ "$output" == *'<w:r><w:rPr><w:i/><w:iCs/></w:rPr><w:t xml:space="preserve">italic words</w:t></w:r>'* ]]
	[[ "$output" == *'<w:r><w:rPr><w:rStyle w:val="VerbatimChar"/></w:rPr><w:t xml:space="preserve">inline code</w:t></w:r>'* ]]
	[[ "$output" == *'<w:hyperlink r:id="rId4" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t xml:space="preserve">link to example</w:t></w:r></w:hyperlink>'* ]]
	run -0 part word/_rels/document.xml.rels
	[[ "$output" == *'<Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/a?b=1&amp;c=2" TargetMode="External"/>'* ]]
	[ "$(grep -o '<Relationship ' <<<"$output" | wc -l)" -eq 4 ]
}

@test "link targets are URIs: spaces, non-ASCII and quotes percent-encoded" {
	T=$(new_session --name links)
	printf '%s\n' '[a](<http://h/a b/ü?q="x"&y=1>) [empty]() [frag](#top) ![pic](http://h/p.png) <https://auto.example/x>' |
		chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/_rels/document.xml.rels
	targets=$(grep -o 'Target="[^"]*" TargetMode="External"' <<<"$output")
	[ "$targets" = 'Target="http://h/a%20b/%C3%BC?q=%22x%22&amp;y=1" TargetMode="External"
Target="http://h/p.png" TargetMode="External"
Target="https://auto.example/x" TargetMode="External"' ]
	run -0 pandoc -f docx -t markdown --wrap=none "$X"
	grep -Fx '[a](http://h/a%20b/%C3%BC?q=%22x%22&y=1) empty frag [pic](http://h/p.png) <https://auto.example/x>' <<<"$output"
}

@test "only web and mail addresses become links: file:, javascript: and the rest are text" {
	T=$(new_session --name unsafe-links)
	printf '%s\n' '[share](file://attacker/share/x.docx) [js](javascript:alert(1)) [vb](VBScript:msgbox) [d](data:text/html,hi) [s](search-ms:query=x) <file:///etc/passwd> ![pic](file://h/p.png) [web](https://example.org/) [mail](MAILTO:a@example.org)' |
		chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/_rels/document.xml.rels
	targets=$(grep -o 'Target="[^"]*" TargetMode="External"' <<<"$output")
	[ "$targets" = 'Target="https://example.org/" TargetMode="External"
Target="MAILTO:a@example.org" TargetMode="External"' ]
	run -1 grep -ciE 'file:|javascript:|vbscript:|data:|search-ms:' <<<"$output"
	[ "$output" = 0 ]
	run -0 part word/document.xml
	[ "$(grep -o '<w:hyperlink ' <<<"$output" | wc -l)" -eq 2 ]
	# the addresses are printed all the same, as plain text
	run -0 pandoc -f docx -t markdown --wrap=none "$X"
	grep -Fx 'share (file://attacker/share/x.docx) js (javascript:alert(1)) vb (VBScript:msgbox) d (data:text/html,hi) s (search-ms:query=x) file:///etc/passwd pic (file://h/p.png) [web](https://example.org/) [mail](MAILTO:a@example.org)' <<<"$output"
}

@test "a code block keeps its lines and spaces in the monospace style" {
	export_docx
	run -0 part word/document.xml
	[[ "$output" == *'<w:p><w:pPr><w:pStyle w:val="SourceCode"/></w:pPr><w:r><w:t xml:space="preserve">int main(void) {</w:t><w:br/><w:t xml:space="preserve">    return 0;</w:t><w:br/><w:t xml:space="preserve">}</w:t></w:r></w:p>'* ]]
	run -0 part word/styles.xml
	[[ "$output" == *'<w:style w:type="paragraph" w:styleId="SourceCode"><w:name w:val="Source Code"/>'*'<w:shd w:val="clear" w:color="auto" w:fill="F5F5F5"/>'*'<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>'* ]]
	run -0 part word/fontTable.xml
	[[ "$output" == *'<w:font w:name="Consolas"><w:altName w:val="DejaVu Sans Mono"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>'* ]]
	# tabs are Word's tabs
	T=$(new_session --name tabs)
	printf '```\na\tb\n```\n' | chat-add -s "$T" > /dev/null
	export_docx "$T"
	[[ "$(part word/document.xml)" == *'<w:t xml:space="preserve">a</w:t><w:tab/><w:t xml:space="preserve">b</w:t>'* ]]
}

@test "the styles the document uses are all defined" {
	export_docx
	run -0 part word/styles.xml
	for id in Normal Title Heading1 Heading2 Heading3 Heading4 SourceCode VerbatimChar \
		Quote ListParagraph Hyperlink TableText Rule SessionInfo; do
		[[ "$output" == *"w:styleId=\"$id\""* ]]
	done
	styles=$output
	run -0 part word/document.xml
	used=$(grep -o 'Style w:val="[^"]*"' <<<"$output" | sort -u | sed 's/.*val="//; s/"//')
	[ -n "$used" ]
	for id in $used; do
		[[ "$styles" == *"w:styleId=\"$id\""* ]]
	done
}

@test "lists: bullets share numId 1, a numbered list gets its own numId starting at 3, nested levels" {
	export_docx
	run -0 part word/document.xml
	[[ "$output" == *'<w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr><w:ind w:left="720" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">first bullet</w:t>'* ]]
	[[ "$output" == *'<w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr><w:ind w:left="1440" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">nested bullet</w:t>'* ]]
	[[ "$output" == *'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr><w:ind w:left="720" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">three</w:t>'* ]]
	run -0 part word/numbering.xml
	[[ "$output" == *'<w:abstractNum w:abstractNumId="0">'*'<w:numFmt w:val="bullet"/>'* ]]
	[[ "$output" == *'<w:abstractNum w:abstractNumId="1">'*'<w:lvl w:ilvl="8"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%9."/>'* ]]
	[[ "$output" == *'<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="3"/></w:lvlOverride></w:num></w:numbering>' ]]
}

@test "each numbered list restarts; lists nest deeper than Word's nine levels" {
	T=$(new_session --name lists)
	{
		printf '1. a\n2. b\n\npara\n\n1. c\n\n'
		for i in $(seq 0 11); do printf '%*s- deep%d\n' $((i * 2)) '' "$i"; done
	} | chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/numbering.xml
	[ "$(grep -o '<w:startOverride w:val="1"/>' <<<"$output" | wc -l)" -eq 2 ]
	run -0 part word/document.xml
	[[ "$output" == *'<w:numId w:val="2"/></w:numPr><w:ind w:left="720" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">b</w:t>'* ]]
	[[ "$output" == *'<w:numId w:val="3"/></w:numPr><w:ind w:left="720" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">c</w:t>'* ]]
	[[ "$output" == *'<w:ilvl w:val="8"/><w:numId w:val="1"/></w:numPr><w:ind w:left="5760" w:hanging="360"/></w:pPr><w:r><w:t xml:space="preserve">deep11</w:t>'* ]]
	run -0 pandoc -f docx -t plain --wrap=none "$X"
	grep -Fx '1.  c' <<<"$output"
	for i in $(seq 0 11); do grep -Eq "^ *-   deep$i\$" <<<"$output"; done
}

@test "a pipe table is a w:tbl with borders, a header row and a filled grid" {
	T=$(new_session --name table)
	printf '| a | b | c |\n|---|:-:|--:|\n| 1 | 2 | 3 |\n| only |\n' | chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/document.xml
	[ "$(grep -o '<w:tbl>' <<<"$output" | wc -l)" -eq 1 ]
	[ "$(grep -o '<w:tr>' <<<"$output" | wc -l)" -eq 3 ]
	[ "$(grep -o '<w:tc>' <<<"$output" | wc -l)" -eq 9 ]
	[ "$(grep -o '<w:gridCol w:w="3008"/>' <<<"$output" | wc -l)" -eq 3 ]
	[[ "$output" == *'<w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/>'*'<w:insideV w:val="single"'*'</w:tblBorders>'* ]]
	[[ "$output" == *'<w:tr><w:trPr><w:tblHeader/></w:trPr>'*'<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">a</w:t></w:r>'* ]]
	run -0 pandoc -f docx -t markdown --wrap=none "$X"
	grep -Eqx ' *\*\*a\*\* +\*\*b\*\* +\*\*c\*\*' <<<"$output"
	grep -Eqx ' *1 +2 +3' <<<"$output"
	grep -Eqx ' *only *' <<<"$output"
}

@test "gfm: a table's alignments, CJK, a code span's pipe and struck text; pandoc reads them back" {
	T=$(new_session --name gfm)
	printf '%s\n' '| 名前 | qty | note |' '|:--|--:|:-:|' '| 中文字 | 10 | `a\|b` |' \
		'| kiwi | 2 | ~~old~~ [new](https://example.com/n) |' | chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/document.xml
	[ "$(grep -o '<w:tr>' <<<"$output" | wc -l)" -eq 3 ]
	[ "$(grep -o '<w:jc w:val="right"/>' <<<"$output" | wc -l)" -eq 3 ]
	[ "$(grep -o '<w:jc w:val="center"/>' <<<"$output" | wc -l)" -eq 3 ]
	[[ "$output" == *'<w:rPr><w:strike/></w:rPr><w:t xml:space="preserve">old</w:t>'* ]]
	run -0 pandoc -f docx -t html "$X"
	grep -qxF '<th><strong>名前</strong></th>' <<<"$output"
	grep -qxF '<td>中文字</td>' <<<"$output"
	grep -qxF '<td><code>a|b</code></td>' <<<"$output"
	grep -qxF '<td><del>old</del> <a href="https://example.com/n">new</a></td>' <<<"$output"
}

@test "gfm: task items and bare addresses; pandoc reads the boxes back as tasks" {
	T=$(new_session --name tasks)
	printf '%s\n' '- [ ] write the tests' '- [x] ~~break~~ fix the build' '' \
		'Docs at www.example.com and https://example.org/x, mail a@example.com.' |
		chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 pandoc -f docx -t gfm "$X"
	grep -qxE -- '- +\[ \] write the tests' <<<"$output"
	grep -qxE -- '- +\[x\] ~~break~~ fix the build' <<<"$output"
	run -0 pandoc -f docx -t html --wrap=none "$X"
	grep -qF '<a href="http://www.example.com">www.example.com</a>' <<<"$output"
	grep -qF '<a href="mailto:a@example.com">a@example.com</a>' <<<"$output"
	# the address is not printed again after its text
	not grep -qF 'www.example.com (http' <<<"$output"
}

@test "block quotes, thematic breaks and raw HTML" {
	export_docx
	run -0 part word/document.xml
	[[ "$output" == *'<w:p><w:pPr><w:pStyle w:val="Quote"/><w:ind w:left="720"/></w:pPr><w:r><w:t xml:space="preserve">quoted line</w:t></w:r></w:p>'* ]]
	[[ "$output" == *'<w:p><w:pPr><w:pStyle w:val="Rule"/></w:pPr></w:p>'* ]]
	[[ "$output" == *'<w:t xml:space="preserve">&lt;div&gt;raw html&lt;/div&gt;</w:t>'* ]]
	run -0 part word/styles.xml
	[[ "$output" == *'<w:style w:type="paragraph" w:styleId="Rule">'*'<w:pBdr><w:bottom w:val="single"'* ]]
}

@test "markup and control characters: <script> and \\x01 still make a valid file" {
	T=$(new_session --name $'bad\x01 <name>')
	printf 'Hi <script>alert("x&y")</script> & \x01\x02\x1b[31m red\x7f \xc2\x85end\n\n```\nraw\x0bcode\x0c\n```\n\n| a\x01 | b |\n|---|---|\n| <b> | c\x1f |\n' |
		chat-add -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 part word/document.xml
	[[ "$output" == *'<w:t xml:space="preserve">Hi </w:t></w:r><w:r><w:t xml:space="preserve">&lt;script&gt;</w:t></w:r><w:r><w:t xml:space="preserve">alert("x&amp;y")</w:t></w:r><w:r><w:t xml:space="preserve">&lt;/script&gt;</w:t></w:r><w:r><w:t xml:space="preserve"> &amp; [31m red end</w:t>'* ]]
	# no control character at all, and no C1 control (U+0085)
	[ "$(LC_ALL=C grep -c $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' <<<"$output")" -eq 0 ]
	[ "$(LC_ALL=C grep -c $'\xc2\x85' <<<"$output")" -eq 0 ]
	run -0 part docProps/core.xml
	[[ "$output" == *'<dc:title>bad &lt;name&gt;</dc:title>'* ]]
	run -0 plain
	grep -Fx 'Hi <script>alert("x&y")</script> & [31m red end' <<<"$output"
	grep -Fx '    rawcode' <<<"$output"
	grep -Eqx ' *<b> +c' <<<"$output"
}

@test "emoji, CJK and right-to-left text survive" {
	T=$(new_session --name 'ünï 漢字')
	chat-add -s "$T" --time 2026-01-02T03:04:05Z $'Emoji 😀👍🏽 CJK 漢字かな한글\n\nRTL שלום עולם مرحبا بالعالم' > /dev/null
	export_docx "$T"
	sound
	run -0 plain
	[ "$output" = 'User 2026-01-02 03:04 UTC

Emoji 😀👍🏽 CJK 漢字かな한글

RTL שלום עולם مرحبا بالعالم' ]
	[[ "$(part docProps/core.xml)" == *'<dc:title>ünï 漢字</dc:title>'* ]]
}

@test "an empty message is its heading alone; a session with no messages is a title" {
	T=$(new_session --name empty)
	chat-add -s "$T" --time 2026-01-02T03:04:05Z < /dev/null > /dev/null
	chat-add -s "$T" --time 2026-01-02T03:04:06Z '   ' > /dev/null
	export_docx "$T"
	sound
	run -0 plain
	[ "$output" = 'User 2026-01-02 03:04 UTC

User 2026-01-02 03:04 UTC' ]
	U=$(new_session --name nothing)
	export_docx "$U"
	sound
	run -0 part word/document.xml
	[ "$(grep -o '<w:p>' <<<"$output" | wc -l)" -eq 2 ]
	[[ "$output" == *'<w:t xml:space="preserve">nothing</w:t>'* ]]
}

@test "docx to stdout and through a pipe is the -o file, byte for byte" {
	export_docx
	run -0 bash -c 'chat-export -f docx "$1" > "$2"' _ "$S" "$BATS_TEST_TMPDIR/stdout.docx"
	cmp "$X" "$BATS_TEST_TMPDIR/stdout.docx"
	run -0 bash -c 'chat-export -f docx "$1" | cat > "$2"' _ "$S" "$BATS_TEST_TMPDIR/pipe.docx"
	cmp "$X" "$BATS_TEST_TMPDIR/pipe.docx"
	# -o x.docx picks the format by itself
	run -0 chat-export "$S" -o "$BATS_TEST_TMPDIR/by-name.docx"
	cmp "$X" "$BATS_TEST_TMPDIR/by-name.docx"
}

@test "a full disk is an error, not a short file" {
	run -1 --separate-stderr bash -c 'chat-export -f docx "$1" > /dev/full' _ "$S"
	[ -z "$output" ]
	[ "$stderr" = 'chat-export: writing stdout: No space left on device' ]
}

@test "US letter pages with --paper letter, A4 otherwise" {
	export_docx
	[[ "$(part word/document.xml)" == *'<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'* ]]
	run -0 chat-export -f docx --paper letter "$S" -o "$X"
	[[ "$(part word/document.xml)" == *'<w:sectPr><w:pgSz w:w="12240" w:h="15840"/>'* ]]
}

@test "several hundred messages: all of them, in order, each list and link its own" {
	T=$(new_session --name many)
	for i in $(seq 0 299); do
		jq -nc --arg i "$i" '{type: "message", role: (if ($i|tonumber) % 2 == 0 then "user" else "assistant" end),
			content: "Message \($i) with a [link](https://example.com/\($i))\n\n1. one\n2. two\n"}'
	done | chat-add --records -s "$T" > /dev/null
	export_docx "$T"
	sound
	run -0 pandoc -f docx -t plain --wrap=none "$X"
	[ "$(grep '^Message ' <<<"$output" | sed 's/ with.*//')" = "$(seq 0 299 | sed 's/^/Message /')" ]
	[ "$(grep -c '^1\.  one$' <<<"$output")" -eq 300 ]
	run -0 part word/_rels/document.xml.rels
	[[ "$output" == *'<Relationship Id="rId303" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/299" TargetMode="External"/></Relationships>' ]]
	run -0 part word/numbering.xml
	[ "$(grep -o '<w:num ' <<<"$output" | wc -l)" -eq 301 ]
}

@test "inside archives: several sessions each a sound docx" {
	T=$(new_session --name other)
	chat-add -s "$T" 'second **session**' > /dev/null
	run -0 chat-export -f docx "$S" "$T" -o "$BATS_TEST_TMPDIR/all.zip"
	d="$BATS_TEST_TMPDIR/all"
	mkdir "$d"
	unzip -q "$BATS_TEST_TMPDIR/all.zip" -d "$d"
	[ "$(find "$d" -name '*.docx' | wc -l)" -eq 2 ]
	X="$d/other.docx"
	sound
	run -0 pandoc -f docx -t markdown --wrap=none "$X"
	grep -Fx 'second **session**' <<<"$output"
}
