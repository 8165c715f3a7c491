// printable() (what natty shows of server- and user-supplied text on a terminal) and
// json_escaped() (what natty hands nats.c to paste into its CONNECT JSON).

#include "fuzz_support.hpp"

#include <natty/util/json_escape.hpp>
#include <natty/util/printable.hpp>

#include <nlohmann/json.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

void check_printable(std::string_view input) {
    const std::string shown = printable(input);
    const auto codes = fuzz::decode_utf8(shown);
    require(codes.has_value(), "printable() output is valid UTF-8");
    for (const char32_t code : *codes) {
        require(!fuzz::is_control(code), "printable() output has no control characters");
    }
    require(printable(shown) == shown, "printable() is idempotent");
    const auto input_codes = fuzz::decode_utf8(input);
    if (input_codes) {
        bool clean = true;
        for (const char32_t code : *input_codes) {
            clean = clean && !fuzz::is_control(code);
        }
        require(!clean || shown == input, "printable() keeps clean UTF-8 text as it is");
    }
}

void check_json_escaped(std::string_view input) {
    const std::string escaped = json_escaped(input);
    require(fuzz::is_valid_utf8(escaped), "json_escaped() output is valid UTF-8");
    const auto parsed = nlohmann::json::parse("\"" + escaped + "\"", nullptr, false);
    require(parsed.is_string(), "json_escaped() output is the body of a JSON string");
    if (fuzz::is_valid_utf8(input)) {
        require(parsed.get<std::string>() == input, "json_escaped() round-trips valid UTF-8");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    check_printable(input);
    check_json_escaped(input);
    return 0;
}
