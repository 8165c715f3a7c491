# bash completion for natty. Candidates come from the binary (`natty __complete WORDS...`),
# which reads its own command tree, so this file never goes out of date.
_natty() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local candidates
    candidates=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    if [[ $candidates == __files__ ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -F _natty natty
