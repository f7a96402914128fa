// commands.js: confab's slash commands (lib/repl_cmd.c's table), their
// arguments and help as confab words them.  `web` says whether the page
// does it; the rest answer that they are not in the browser.
export const COMMANDS = [
	['/help', '[COMMAND]', 'the commands, or what one does', true],
	['/clear', '', 'a new context: later messages are sent without the ones before (nothing is deleted)', true],
	['/export', 'FORMAT', 'download this session as markdown, json, text, html, pdf or docx', true],
	['/branch', '[MESSAGE]', "a new session of this one's messages, up to MESSAGE (id or prefix; default all); the chat goes on in it", true],
	['/merge', 'SOURCE', "append SOURCE's messages to this session", false],
	['/model', 'MODEL', 'the model for the next replies', true],
	['/provider', 'PROVIDER', 'the provider for the next replies', true],
	['/system', '[TEXT]', 'the system prompt; without TEXT, none', true],
	['/temperature', '[T]', "0 to 2; without T, the provider's default", true],
	['/max-tokens', 'N', 'most tokens in a reply', true],
	['/context-window', 'N', 'earlier messages sent with each request', true],
	['/context', '[15m|2h|today]', 'attach a summary of recent activity events to the next message', false],
	['/attach', '', 'attach files to the next message (the file picker)', true],
	['/detach', '', 'attach nothing to the next message', true],
	['/show', '[N]', "this session's messages, or its last N", false],
	['/cost', '', "what this session's replies used and cost", false],
	['/rename', 'NAME', 'rename this session', true],
	['/tag', '[-]TAG...', 'add tags; -TAG removes one', true],
	['/option', '[KEY=VALUE...]', 'provider options every message sends', false],
	['/star', '', 'star this session, or unstar it', true],
	['/archive', '', 'archive this session, or bring it back', true],
	['/new', '[NAME]', 'a new session in a new tab', true],
	['/template', 'NAME', 'a new session from a template', false],
	['/save-template', 'NAME', "save this session's settings as a template", false],
	['/switch', 'N', 'go to tab N', true],
	['/diff', 'SESSION', 'this session against SESSION', false],
	['/sessions', '', 'the open tabs', false],
	['/search', 'WORDS', "search the sessions' messages and names", true],
	['/open', 'N', 'open result N of the last search', false],
	['/multi', '', 'a message of several lines (here: Shift+Enter)', false],
	['/edit', '[MESSAGE]', 'change a stored message (here: its Edit button)', true],
	['/retry', '', 'ask again for the last reply, the earlier one kept in its edits', true],
	['/react', '[-]EMOJI', 'your reaction on the last message; -EMOJI takes it off', true],
	['/note', 'TEXT', 'a note on the last message (never sent to a model)', true],
	['/rm', '[MESSAGE]', 'delete the last message, or MESSAGE', true],
	['/quit', '', 'leave', false],
	['/plugin', '[NAME [COMMAND ARGS...]]', "run a plugin's command", false],
].map(([name, args, help, web]) => ({ name, args, help, web }));

export function findCommand(name) {
	return COMMANDS.find((c) => c.name === name) ||
		(COMMANDS.filter((c) => c.name.startsWith(name)).length === 1
			? COMMANDS.find((c) => c.name.startsWith(name)) : null);
}
