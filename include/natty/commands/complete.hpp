#pragma once

#include <natty/commands/runtime.hpp>

#include <string>
#include <vector>

namespace natty {

// Shell completion candidates for a partial command line, computed from the CLI11 tree itself
// so completions never drift from --help. `words` are the words after "natty", the last one
// being the word under the cursor (possibly empty). Prints one candidate per line, or
// "__files__" when the shell should complete file names.
void run_complete(CLI::App& app, const std::vector<std::string>& words, Runtime& runtime);

} // namespace natty
