# fish completion for chat-set(1), part of confab.

# __confab_providers and __confab_records are autoloaded from confab's
# vendor_functions.d.

complete -c chat-set -f
complete -c chat-set -s n -l name -x -d 'Rename'
complete -c chat-set -s p -l provider -x -a '(__confab_providers)' -d 'Provider'
complete -c chat-set -s m -l model -x -d 'Model'
complete -c chat-set -s S -l system -x -d 'System prompt'
complete -c chat-set -l temperature -x -d 'Sampling temperature, 0 to 2'
complete -c chat-set -l max-tokens -x -d 'Most tokens in a reply'
complete -c chat-set -l context-window -x -d 'Earlier messages sent with each request'
complete -c chat-set -l auto-context -d 'Attach recent activity to each message'
complete -c chat-set -l no-auto-context -d 'Do not attach recent activity'
complete -c chat-set -l send-history -d 'Send the context window automatically'
complete -c chat-set -l no-send-history -d 'Do not send the context window automatically'
complete -c chat-set -s t -l tag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Add a tag'
complete -c chat-set -s u -l untag -x -a '(__confab_records ".metadata.tags[]" | sort -u)' -d 'Remove a tag'
complete -c chat-set -s o -l option -x -d 'A provider option every message sends, KEY=VALUE'
complete -c chat-set -l star -d 'Star'
complete -c chat-set -l unstar -d 'Unstar'
complete -c chat-set -l archive -d 'Archive'
complete -c chat-set -l unarchive -d 'Bring back from the archive'
complete -c chat-set -l share -x -d 'Let a PostgreSQL role see and change it'
complete -c chat-set -l unshare -x -d 'No longer share with a role'
complete -c chat-set -l private -d 'Only its owner and shares see it'
complete -c chat-set -l public -d 'Every role of the database sees it'
complete -c chat-set -l json -d 'Print records even on a terminal'
complete -c chat-set -l db -r -F -d 'The database'
complete -c chat-set -s h -l help -d 'Show the help'
complete -c chat-set -l version -d 'Show the version'
complete -c chat-set -a '(__confab_records .name)' -d 'Session'
