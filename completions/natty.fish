# fish completion for natty. Candidates come from the binary (`natty __complete WORDS...`),
# which reads its own command tree, so this file never goes out of date.
function __natty_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -l candidates (natty __complete $tokens[2..-1] 2>/dev/null)
    if test "$candidates" = __files__
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $candidates
    end
end
complete -c natty -f -a '(__natty_complete)'
