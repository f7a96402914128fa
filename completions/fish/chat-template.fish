# fish completion for chat-template(1), part of confab.

# __confab_providers, __confab_records and __confab_templates are
# autoloaded from confab's vendor_functions.d.

complete -c chat-template -f
complete -c chat-template -n __fish_use_subcommand -a save -d 'Save a template'
complete -c chat-template -n __fish_use_subcommand -a ls -d 'List the templates'
complete -c chat-template -n __fish_use_subcommand -a show -d 'Show a template'
complete -c chat-template -n __fish_use_subcommand -a rm -d 'Remove templates of yours'
complete -c chat-template -n '__fish_seen_subcommand_from save show rm' -a '(__confab_templates)' -d 'Template'
complete -c chat-template -l from -x -a '(__confab_records .name)' -d 'Save: start from this session'
complete -c chat-template -l with-messages -d 'Save: with the session\'s messages'
complete -c chat-template -l message -x -a 'user: assistant: system:' -d 'Save: an opening message, ROLE:TEXT'
complete -c chat-template -l description -x -d 'Save: what the template is for'
complete -c chat-template -s f -l force -d 'Save: replace a template of yours'
complete -c chat-template -s p -l provider -x -a '(__confab_providers)' -d 'Provider'
complete -c chat-template -s m -l model -x -d 'Model'
complete -c chat-template -s S -l system -x -d 'System prompt'
complete -c chat-template -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-template -l max-tokens -x -d 'Most tokens in a reply'
complete -c chat-template -l context-window -x -d 'Earlier messages sent with each request'
complete -c chat-template -l auto-context -d 'Attach recent activity to each message'
complete -c chat-template -l no-auto-context -d 'Do not attach recent activity'
complete -c chat-template -l send-history -d 'Send the context window automatically'
complete -c chat-template -l no-send-history -d 'Do not send the context window automatically'
complete -c chat-template -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Add a tag'
complete -c chat-template -l json -d 'Print records even on a terminal'
complete -c chat-template -l db -r -F -d 'The database --from reads'
complete -c chat-template -s h -l help -d 'Show the help'
complete -c chat-template -l version -d 'Show the version'
