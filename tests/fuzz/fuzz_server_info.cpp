// What natty reads from a server itself, in the probe behind `server check connection`,
// `rtt --probe` and connect diagnostics: the INFO greeting's JSON (tls_required,
// tls_available, tls_verify) and the reason of a -ERR answering CONNECT. nats.c's own parser
// is not natty's and is not fuzzed here.

#include "fuzz_support.hpp"

#include <natty/net/protocol.hpp>
#include <natty/util/printable.hpp>

#include <nlohmann/json.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

// The INFO flag as the JSON says it, independently of info_flag().
bool flag_is_true(std::string_view json, const char* key) {
    const auto info = nlohmann::json::parse(json, nullptr, false);
    if (!info.is_object()) {
        return false;
    }
    const auto it = info.find(key);
    return it != info.end() && it->is_boolean() && it->get<bool>();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line = fuzz::as_text(data, size);
    if (const auto json = net::info_json(line)) {
        require(line.substr(0, 5) == "INFO " && line.substr(5) == *json,
                "the INFO JSON is the line after \"INFO \"");
        for (const char* key : {"tls_required", "tls_available", "tls_verify"}) {
            require(net::info_flag(*json, key) == flag_is_true(*json, key),
                    "an INFO flag is set only by a JSON true");
        }
    }
    if (net::is_err_line(line)) {
        const std::string reason = net::err_reason(line);
        require(reason.find('\'') == std::string::npos, "a -ERR reason has no quotes");
        require(printable(reason).find_first_of("\r\n") == std::string::npos,
                "a -ERR reason is shown as one line");
    }
    return 0;
}
