# fish completion for chat-export(1), part of confab.

# __confab_records is autoloaded from confab's vendor_functions.d.

complete -c chat-export -f
complete -c chat-export -s f -l format -x -a 'markdown json plaintext html pdf docx' -d 'The format'
complete -c chat-export -s o -l output -r -F -d 'Write to FILE (.zip, .tar.gz, .tar.zst: an archive)'
complete -c chat-export -l archive -x -a 'zip tar.gz tar.zst' -d 'An archive even for one session'
complete -c chat-export -l metadata -d 'Markdown: session and message metadata'
complete -c chat-export -l no-metadata -d 'JSON: roles, content and times only'
complete -c chat-export -l timestamps -d "Markdown: each message's time in its heading"
complete -c chat-export -l header-level -x -a '1 2 3 4 5' -d "Markdown: the title's heading level"
complete -c chat-export -l code-lang -x -d 'The language of code blocks that name none'
complete -c chat-export -l width -x -d 'Plaintext: wrap at N columns'
complete -c chat-export -l paper -x -a 'a4 letter' -d 'PDF: the paper size'
complete -c chat-export -l history -d 'Every version of edited messages, oldest first'
complete -c chat-export -l db -r -F -d 'The database'
complete -c chat-export -l db-read -x -d 'A PostgreSQL replica to read from'
complete -c chat-export -s h -l help -d 'Show the help'
complete -c chat-export -l version -d 'Show the version'
complete -c chat-export -a '(__confab_records .name)' -d 'Session'
