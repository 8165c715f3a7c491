#pragma once

#include <natty/context/context.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace natty {

// What `context import` takes from one of the Go CLI's JSON context files.
struct GoContextImport {
    ContextData data;
    // One complete "natty: warning: context ..." line per setting that was not imported.
    std::vector<std::string> warnings;
};

// Reads the Go CLI's JSON context `text` for the natty context `name` (named in the warnings).
// Returns nullopt when the text is not a JSON object. Settings the Go CLI resolves at connect
// time (op://, nsc://, env://, data:, file:// for secrets) are left out with a warning, as are
// settings natty does not support. Never throws, whatever the text.
std::optional<GoContextImport> import_go_context(std::string_view text, const std::string& name);

} // namespace natty
