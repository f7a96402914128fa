# fish completion for chat-send(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-send -f
complete -c chat-send -s s -l session -x -a '(__confab_records .name)' -d 'The session'
complete -c chat-send -l new -d 'Start a new session'
complete -c chat-send -l clear -d 'This message starts a new context'
complete -c chat-send -l edit -x -d 'Make this user message the text and go on from it'
complete -c chat-send -l retry -d 'Ask again for the last reply'
complete -c chat-send -s p -l provider -x -a '(__confab_providers)' -d 'Provider for this message'
complete -c chat-send -s m -l model -x -d 'Model for this message'
complete -c chat-send -s S -l system -x -d 'System prompt for this message'
complete -c chat-send -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-send -l max-tokens -x -d 'Most tokens in the reply'
complete -c chat-send -s o -l option -x -d 'A provider option, KEY=VALUE'
complete -c chat-send -l schema -r -F -d 'The reply is JSON matching this JSON Schema'
complete -c chat-send -s a -l attach -r -F -d 'Attach a text file or an image'
complete -c chat-send -l context -x -a '15m 30m 1h 2h today yesterday' -d 'Attach the activity events of a window'
complete -c chat-send -l context-kind -x -a 'error command file test note escalation' -d 'With --context, only this kind'
complete -c chat-send -l context-again -d 'With --context, events sent before too'
complete -c chat-send -l fallback -x -a '(__confab_providers)' -d 'PROVIDER[:MODEL] to try when the others fail'
complete -c chat-send -l no-stream -d 'Ask for the whole reply at once'
complete -c chat-send -l allow-tool -x -d 'The model may run this plugin tool (NAME or PLUGIN:TOOL)'
complete -c chat-send -l allow-tools -d 'The model may run every plugin tool'
complete -c chat-send -l stdin -d 'Standard input after the words'
complete -c chat-send -l retries -x -d 'Retries on 429, 5xx and connection failures'
complete -c chat-send -l retry-time -x -d 'Most time the retries may take'
complete -c chat-send -l timeout -x -d 'Give up after this long without a byte'
complete -c chat-send -l json -d 'Delta records, then the message record'
complete -c chat-send -l plain -d 'On a terminal too, the bytes as they came'
complete -c chat-send -l thinking -d "The reply's thinking in plain output too"
complete -c chat-send -l code -d 'Only the fenced code of the reply'
complete -c chat-send -l db -r -F -d 'The database'
complete -c chat-send -s h -l help -d 'Show the help'
complete -c chat-send -l version -d 'Show the version'
