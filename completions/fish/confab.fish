# fish completion for confab(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c confab -f
complete -c confab -l new -d 'Open a new session'
complete -c confab -l template -x -a '(__confab_templates)' -d 'A new session from this template'
complete -c confab -s n -l name -x -d 'The new session\'s name'
complete -c confab -s p -l provider -x -a '(__confab_providers)' -d 'Provider'
complete -c confab -s m -l model -x -d 'Model'
complete -c confab -s S -l system -x -d 'System prompt'
complete -c confab -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c confab -l max-tokens -x -d 'Most tokens in a reply'
complete -c confab -l context-window -x -d 'Earlier messages sent with each request'
complete -c confab -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Add a tag'
complete -c confab -l plain -d 'Show replies as the model wrote them'
complete -c confab -l db -r -F -d 'The database'
complete -c confab -s h -l help -d 'Show the help'
complete -c confab -l version -d 'Show the version'
complete -c confab -a '(__confab_records .name)' -d 'Session'
