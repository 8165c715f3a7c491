// `context import`: one of the Go CLI's JSON context files (~/.config/nats/context/*.json)
// read as a natty context, which is then saved as TOML and must load back unchanged.

#include "fuzz_support.hpp"

#include <natty/context/context.hpp>
#include <natty/context/go_context.hpp>
#include <natty/error.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

bool starts_with_resolver(std::string_view value) {
    for (std::string_view scheme : {"op://", "nsc://", "env://", "data:", "file://"}) {
        if (value.rfind(scheme, 0) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto imported = import_go_context(fuzz::as_text(data, size), "prod");
    if (!imported) {
        return 0;
    }
    for (const auto& warning : imported->warnings) {
        require(warning.find_first_of("\r\n") == std::string::npos, "a warning is one line");
    }
    for (const auto& field : context_fields()) {
        if (field.secret) {
            require(!starts_with_resolver(imported->data.*field.member),
                    "a Go resolver reference is never imported as a secret");
        }
    }
    try {
        require(parse_context_toml(to_toml(imported->data), "prod.toml") == imported->data,
                "an imported context loads back as it was saved");
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        require(false, "an imported context is saved as a valid context file");
    }
    return 0;
}
