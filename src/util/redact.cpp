#include <natty/util/redact.hpp>

namespace natty {
namespace {

std::string redact_one(std::string_view url) {
    const auto scheme_end = url.find("://");
    const std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", authority_start);
    const std::string_view authority =
        url.substr(authority_start, authority_end == std::string_view::npos
                                        ? std::string_view::npos
                                        : authority_end - authority_start);
    const auto at = authority.rfind('@');
    if (at == std::string_view::npos) {
        return std::string(url);
    }
    const std::string_view userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    std::string replaced = colon == std::string_view::npos
                               ? std::string("***")
                               : std::string(userinfo.substr(0, colon)) + ":***";
    std::string result(url.substr(0, authority_start));
    result += replaced;
    result += url.substr(authority_start + at);
    return result;
}

} // namespace

std::string mask_secret(std::string_view secret) {
    return secret.empty() ? std::string() : std::string(k_secret_mask);
}

std::string redact_url(std::string_view urls) {
    std::string result;
    std::size_t start = 0;
    while (true) {
        const auto comma = urls.find(',', start);
        result += redact_one(urls.substr(start, comma == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : comma - start));
        if (comma == std::string_view::npos) {
            break;
        }
        result += ',';
        start = comma + 1;
    }
    return result;
}

} // namespace natty
