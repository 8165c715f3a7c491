// Context files (<config>/natty/context/<name>.toml): parse_context_toml() on any text, and what
// it accepts must survive natty's own writer, to_toml(), unchanged.

#include "fuzz_support.hpp"

#include <natty/context/context.hpp>
#include <natty/error.hpp>
#include <natty/util/environment.hpp>

using namespace natty;
using natty::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    ContextData parsed;
    try {
        parsed = parse_context_toml(text, "fuzz.toml");
    } catch (const ConfigError& e) {
        require(std::string_view(e.what()).rfind("fuzz.toml", 0) == 0,
                "a context file error names the file");
        return 0;
    }
    const std::string written = to_toml(parsed);
    try {
        require(parse_context_toml(written, "written.toml") == parsed,
                "to_toml() output parses back to the same context");
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        require(false, "to_toml() output of a parsed context is a valid context file");
    }
    const ContextData empty;
    ContextData merged = empty;
    merge_context(merged, parsed);
    require(merged == parsed, "merging into an empty context copies every set field");
    (void)check_context(parsed, Environment{});
    return 0;
}
