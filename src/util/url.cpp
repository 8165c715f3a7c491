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

// Why one URL of a list is invalid; parse_server_list names the list.
struct BadUrl {
    std::string why;
};

[[noreturn]] void bad_url(std::string_view /*url*/, const std::string& why) {
    throw BadUrl{why};
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
    // As Go's url.Parse: the authority ends at the first '/', '?' or '#', and userinfo at the
    // last '@' before it ("nats://h:1/x@y" is a path, not a user "h" on host "y").
    if (const auto end = rest.find_first_of("/?#"); end != std::string_view::npos) {
        if (trim(rest.substr(end)) != "/") {
            bad_url(raw, "a server URL has no path, query or fragment");
        }
        rest = rest.substr(0, end);
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

std::vector<ServerUrl> parse_server_list(std::string_view list) {
    std::vector<ServerUrl> urls;
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = list.find(',', start);
        const std::string_view item = trim(list.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        try {
            if (!item.empty()) {
                urls.push_back(parse_one(item));
            }
        } catch (const BadUrl& e) {
            // The whole list, redacted as a list: a password holding a comma (which no URL
            // list can carry) must not show its first part as a URL of its own.
            throw UsageError("invalid server URL in \"" + redact_url(list) + "\": " + e.why,
                             "use nats://host:port or tls://host:port, comma-separated for "
                             "several; give a password holding ',', '/', '?' or '#' with "
                             "--password");
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    if (urls.empty()) {
        throw UsageError("no server URL given", "use -s nats://host:port");
    }
    return urls;
}

} // namespace natty
