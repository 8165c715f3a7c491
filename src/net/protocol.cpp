#include <natty/net/protocol.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace natty::net {

std::optional<std::string> info_json(std::string_view line) {
    if (line.rfind("INFO ", 0) != 0) {
        return std::nullopt;
    }
    return std::string(line.substr(5));
}

bool info_flag(std::string_view json, std::string_view key) {
    const auto info = nlohmann::json::parse(json, nullptr, false);
    if (!info.is_object()) {
        return false;
    }
    // Not value(key, false): it throws type_error for "tls_required":"yes" or 1.
    const auto it = info.find(std::string(key));
    return it != info.end() && it->is_boolean() && it->get<bool>();
}

bool is_err_line(std::string_view line) {
    return line.rfind("-ERR", 0) == 0;
}

std::string err_reason(std::string_view line) {
    std::string reason = line.size() > 5 ? std::string(line.substr(5)) : std::string("-ERR");
    reason.erase(std::remove(reason.begin(), reason.end(), '\''), reason.end());
    return reason;
}

} // namespace natty::net
