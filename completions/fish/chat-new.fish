# fish completion for chat-new(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-new -f
complete -c chat-new -l template -x -a '(__confab_templates)' -d 'Start from this template'
complete -c chat-new -s n -l name -x -d 'Session name'
complete -c chat-new -s p -l provider -x -a '(__confab_providers)' -d 'Provider'
complete -c chat-new -s m -l model -x -d 'Model'
complete -c chat-new -s S -l system -x -d 'System prompt'
complete -c chat-new -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-new -l max-tokens -x -d 'Most tokens in a reply'
complete -c chat-new -l context-window -x -d 'Earlier messages sent with each request'
complete -c chat-new -l auto-context -d 'Attach recent activity to each message'
complete -c chat-new -l no-auto-context -d 'Do not attach recent activity'
complete -c chat-new -l send-history -d 'Send the context window automatically'
complete -c chat-new -l no-send-history -d 'Do not send the context window automatically'
complete -c chat-new -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Add a tag'
complete -c chat-new -l json -d 'Print records even on a terminal'
complete -c chat-new -l db -r -F -d 'The database'
complete -c chat-new -s h -l help -d 'Show the help'
complete -c chat-new -l version -d 'Show the version'
