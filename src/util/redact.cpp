#include <natty/util/redact.hpp>

#include <vector>

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

// The list split on commas, except that an item without '@' is joined with the items after it
// up to the next one that has an '@' and no scheme of its own, so a password holding commas
// ("nats://bob:se,cr,et@h") is masked whole. That can hide a schemeless host written before a
// URL with credentials ("a:1,u:p@b" shows as "a:***@b"): too much hidden, never too little.
std::vector<std::string_view> redaction_items(std::string_view urls) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto comma = urls.find(',', start);
        parts.push_back(urls.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    const auto has = [](std::string_view part, std::string_view what) {
        return part.find(what) != std::string_view::npos;
    };
    std::vector<std::string_view> items;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::size_t last = i;
        if (!has(parts[i], "@")) {
            for (std::size_t k = i + 1; k < parts.size() && !has(parts[k], "://"); ++k) {
                if (has(parts[k], "@")) {
                    last = k;
                    break;
                }
            }
        }
        const auto begin = static_cast<std::size_t>(parts[i].data() - urls.data());
        const auto end =
            static_cast<std::size_t>(parts[last].data() - urls.data()) + parts[last].size();
        items.push_back(urls.substr(begin, end - begin));
        i = last;
    }
    return items;
}

} // namespace

std::string mask_secret(std::string_view secret) {
    return secret.empty() ? std::string() : std::string(k_secret_mask);
}

std::string redact_url(std::string_view urls) {
    const auto items = redaction_items(urls);
    std::string result;
    for (std::size_t i = 0; i < items.size(); ++i) {
        result += (i > 0 ? "," : "") + redact_one(items[i]);
    }
    return result;
}

} // namespace natty
