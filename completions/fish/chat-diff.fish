# fish completion for chat-diff(1), part of confab.

# __confab_records is autoloaded from confab's vendor_functions.d.

complete -c chat-diff -f
complete -c chat-diff -l stat -d 'Only a summary'
complete -c chat-diff -l from -x -d 'With MESSAGE: version N against the current one'
complete -c chat-diff -l plain -d 'No color, even on a terminal'
complete -c chat-diff -l json -d 'Records'
complete -c chat-diff -l db -r -F -d 'The database'
complete -c chat-diff -s h -l help -d 'Show the help'
complete -c chat-diff -l version -d 'Show the version'
complete -c chat-diff -a '(__confab_records .name)' -d 'Session'
