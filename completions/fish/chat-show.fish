# fish completion for chat-show(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-show -f
complete -c chat-show -s n -l last -x -d 'Only the last N messages'
complete -c chat-show -s f -l follow -d 'Then print messages as they are added'
complete -c chat-show -s M -l message -x -d 'Only this message'
complete -c chat-show -l json -d 'Print records even on a terminal'
complete -c chat-show -l plain -d 'On a terminal, the content as written, not rendered'
complete -c chat-show -l history -d 'Every version of edited messages, and who reacted'
complete -c chat-show -l code -d 'Only the fenced code of the replies'
complete -c chat-show -l db -r -F -d 'The database'
complete -c chat-show -l db-read -x -d 'A PostgreSQL replica to read from'
complete -c chat-show -s h -l help -d 'Show the help'
complete -c chat-show -l version -d 'Show the version'
complete -c chat-show -a '(__confab_records .name)' -d 'Session'
