#include <natty/error.hpp>
#include <natty/util/redact.hpp>
#include <natty/util/url.hpp>

#include <arpa/inet.h>
#include <algorithm>
#include <cctype>
#include <charconv>

namespace natty {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
        s.remove_suffix(1);
    }
    return s;
}

[[noreturn]] void bad_url(std::string_view url, const std::string& why) {
    throw UsageError("invalid server URL \"" + redact_url(url) + "\": " + why,
                     "use nats://host:port or tls://host:port, comma-separated for several");
}

// The host and optional port after scheme and userinfo: "host", "host:port", "[v6]:port".
void parse_host_and_port(std::string_view raw, std::string_view rest, ServerUrl& url) {
    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) {
            bad_url(raw, "unterminated IPv6 address");
        }
        url.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                bad_url(raw, "unexpected text after the IPv6 address");
            }
            port_text = rest.substr(1);
        }
    } else {
        const auto colon = rest.rfind(':');
        if (colon != std::string_view::npos && rest.find(':') != colon) {
            bad_url(raw, "an IPv6 address must be written in brackets, e.g. [::1]:4222");
        }
        url.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = rest.substr(colon + 1);
        }
    }
    if (url.host.empty()) {
        bad_url(raw, "no host");
    }
    for (char c : url.host) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == ',' ||
            static_cast<unsigned char>(c) < 0x20) {
            bad_url(raw, "the host contains a space or control character");
        }
        if (c == '[' || c == ']') {
            // "[[::1]" would be host "[::1", written back as an unterminated address.
            bad_url(raw, "the host contains a bracket; write an IPv6 address as [::1]");
        }
    }
    if (!port_text.empty() || (rest.size() > 0 && rest.back() == ':')) {
        int port = 0;
        const auto [ptr, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
            port > 65535) {
            bad_url(raw, "port must be a number from 1 to 65535");
        }
        url.port = port;
    }
}

ServerUrl parse_one(std::string_view raw) {
    ServerUrl url;
    std::string_view rest = raw;
    const auto scheme_end = rest.find("://");
    if (scheme_end != std::string_view::npos) {
        url.scheme = std::string(rest.substr(0, scheme_end));
        for (auto& c : url.scheme) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        rest.remove_prefix(scheme_end + 3);
    } else {
        url.scheme = "nats";
    }
    if (url.scheme != "nats" && url.scheme != "tls") {
        bad_url(raw, "unsupported scheme \"" + url.scheme + "\" (use nats:// or tls://)");
    }
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        url.has_userinfo = true;
        std::string_view userinfo = rest.substr(0, at);
        rest.remove_prefix(at + 1);
        if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            url.user = std::string(userinfo.substr(0, colon));
            url.password = std::string(userinfo.substr(colon + 1));
        } else {
            url.password = std::string(userinfo);
        }
    }
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        if (trim(rest.substr(slash)) != "/") {
            bad_url(raw, "a server URL has no path");
        }
        rest = rest.substr(0, slash);
    }
    parse_host_and_port(raw, rest, url);
    return url;
}

} // namespace

std::string ServerUrl::str() const {
    std::string out = scheme + "://";
    if (has_userinfo) {
        // A token with a ':' keeps a leading ':', or it would read back as user:password.
        if (user.empty()) {
            out += password.find(':') == std::string::npos ? password : ":" + password;
        } else {
            out += user + ":" + password;
        }
        out += "@";
    }
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return out + ":" + std::to_string(port);
}

std::string ServerUrl::redacted() const {
    return redact_url(str());
}

bool ServerUrl::host_is_ip() const {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

namespace {

// Whether a list item can be a whole URL without credentials: its authority ends in a host or
// in ":<digits>" (a port), not in ":<letters>" (the start of user:password cut at a comma).
bool ends_in_port_or_host(std::string_view item) {
    const auto scheme_end = item.find("://");
    const std::string_view authority =
        scheme_end == std::string_view::npos ? item : item.substr(scheme_end + 3);
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos || authority.find(']', colon) != std::string_view::npos) {
        return true;
    }
    const std::string_view port = trim(authority.substr(colon + 1));
    return std::all_of(port.begin(), port.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

} // namespace

std::vector<std::string_view> split_server_list(std::string_view urls) {
    std::vector<std::string_view> items;
    std::size_t start = 0;
    std::size_t item_start = 0;
    while (true) {
        const auto comma = urls.find(',', start);
        const auto end = comma == std::string_view::npos ? urls.size() : comma;
        const std::string_view item = urls.substr(item_start, end - item_start);
        const std::string_view next =
            comma == std::string_view::npos ? std::string_view() : urls.substr(comma + 1);
        const std::string_view next_item = next.substr(0, next.find(','));
        const bool joins_next = comma != std::string_view::npos
                                && item.find('@') == std::string_view::npos
                                && !ends_in_port_or_host(item)
                                && next_item.find('@') != std::string_view::npos
                                && next_item.find("://") == std::string_view::npos;
        if (!joins_next) {
            items.push_back(item);
            if (comma == std::string_view::npos) {
                return items;
            }
            item_start = comma + 1;
        }
        start = comma + 1;
    }
}

std::vector<ServerUrl> parse_server_list(std::string_view list) {
    std::vector<ServerUrl> urls;
    for (const auto raw : split_server_list(list)) {
        if (const std::string_view item = trim(raw); !item.empty()) {
            urls.push_back(parse_one(item));
        }
    }
    if (urls.empty()) {
        throw UsageError("no server URL given", "use -s nats://host:port");
    }
    return urls;
}

} // namespace natty
