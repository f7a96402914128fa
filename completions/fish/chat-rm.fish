# fish completion for chat-rm(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-rm -f
complete -c chat-rm -s f -l force -d 'Do not ask'
complete -c chat-rm -s m -l message -d 'Delete the messages named, not sessions'
complete -c chat-rm -l json -d 'Print records even on a terminal'
complete -c chat-rm -l db -r -F -d 'The database'
complete -c chat-rm -s h -l help -d 'Show the help'
complete -c chat-rm -l version -d 'Show the version'
complete -c chat-rm -n 'not __fish_seen_argument -s m -l message' -a '(__confab_records .name)' -d 'Session'
