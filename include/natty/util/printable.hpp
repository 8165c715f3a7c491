#pragma once

#include <string>
#include <string_view>

namespace natty {

// `text` made safe to show on a terminal as one line: control characters (C0, DEL and C1)
// become visible escapes (\n, \r, \t, \x1b, \u009b), each byte of invalid UTF-8 becomes
// U+FFFD, and valid UTF-8 passes through. For text natty did not write itself (server errors,
// subjects, file names, flags) on its way to stderr or a human-readable line.
std::string printable(std::string_view text);

} // namespace natty
