# fish completion for chat-merge(1), part of confab.

# __confab_records is autoloaded from confab's vendor_functions.d.

complete -c chat-merge -f
complete -c chat-merge -s i -l interleave -d "Place them among the target's by time"
complete -c chat-merge -l remove-source -d 'Delete the source once it is merged'
complete -c chat-merge -l json -d 'Print records even on a terminal'
complete -c chat-merge -l db -r -F -d 'The database'
complete -c chat-merge -s h -l help -d 'Show the help'
complete -c chat-merge -l version -d 'Show the version'
complete -c chat-merge -a '(__confab_records .name)' -d 'Session'
