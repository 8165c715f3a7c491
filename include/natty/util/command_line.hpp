#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace natty {

// Splits a command line into program arguments by the POSIX shell's quoting rules, for a
// command natty runs itself (no shell is involved):
// - blanks (space, tab, newline) separate words;
// - 'single quotes' keep everything inside as it is;
// - "double quotes" keep everything but \$ \` \" \\ (the character) and \<newline> (removed);
// - outside quotes, \c is c, and \<newline> is removed.
// What a shell would do but natty cannot is refused rather than passed on silently: an
// unquoted | & ; < > ( ), or # at the start of a word, and $ or ` outside single quotes
// (expansions). *, ?, [ and ~ are not expanded: they reach the program as typed.
// With `templates`, a {{...}} action is kept whole (blanks inside it do not split), so each
// word can be rendered on its own: a rendered value can never add words.
// Throws UsageError naming `what` for an unterminated quote or a refused character.
std::vector<std::string>
split_command_line(std::string_view text, bool templates, std::string_view what);

} // namespace natty
