# fish completion helper shared by every confab program (part of confab).
# Template names, the user's and the shipped ones, as chat-template lists
# them.
function __confab_templates
    chat-template ls --json </dev/null 2>/dev/null |
        string replace -rf '^\{"type":"template","name":"([^"]*)".*' '$1'
end
