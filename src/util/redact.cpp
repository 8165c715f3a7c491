#include <natty/util/redact.hpp>
#include <natty/util/url.hpp>

namespace natty {
namespace {

// Userinfo is everything between the scheme and the item's last '@' (a host has none), so a
// password holding '/', '?', '#' or ':' is masked whole.
std::string redact_one(std::string_view url) {
    const auto scheme_end = url.find("://");
    const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto at = url.rfind('@');
    if (at == std::string_view::npos || at < authority_start) {
        return std::string(url);
    }
    const std::string_view userinfo = url.substr(authority_start, at - authority_start);
    const auto colon = userinfo.find(':');
    std::string result(url.substr(0, authority_start));
    result += colon == std::string_view::npos ? std::string("***")
                                               : std::string(userinfo.substr(0, colon)) + ":***";
    result += url.substr(at);
    return result;
}

} // namespace

std::string mask_secret(std::string_view secret) {
    return secret.empty() ? std::string() : std::string(k_secret_mask);
}

std::string redact_url(std::string_view urls) {
    const auto items = split_server_list(urls);
    std::string result;
    for (std::size_t i = 0; i < items.size(); ++i) {
        result += (i > 0 ? "," : "") + redact_one(items[i]);
    }
    return result;
}

} // namespace natty
