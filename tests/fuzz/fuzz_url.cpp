// Server URL lists (-s/--server, NATS_URL, a context's url) and their redaction.

#include "fuzz_support.hpp"

#include <natty/error.hpp>
#include <natty/util/redact.hpp>
#include <natty/util/url.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

bool same(const ServerUrl& a, const ServerUrl& b) {
    return a.scheme == b.scheme && a.user == b.user && a.password == b.password
           && a.has_userinfo == b.has_userinfo && a.host == b.host && a.port == b.port;
}

void check_url(const ServerUrl& url) {
    require(url.scheme == "nats" || url.scheme == "tls", "the scheme is nats or tls");
    require(url.port >= 1 && url.port <= 65535, "the port is 1-65535");
    require(!url.host.empty(), "the host is not empty");
    for (const char c : url.host) {
        const auto byte = static_cast<unsigned char>(c);
        require(byte > 0x20 && c != ',' && c != '/' && c != '@',
                "the host has no space, control character, ',', '/' or '@'");
    }
    require(url.has_userinfo || (url.user.empty() && url.password.empty()),
            "only a URL with userinfo has credentials");
    if (!url.has_userinfo) {
        require(url.redacted() == url.str(), "a URL without credentials is shown as is");
    }
    std::vector<ServerUrl> again;
    try {
        again = parse_server_list(url.str());
    } catch (const UsageError&) {
        require(false, "ServerUrl::str() parses again");
    }
    require(again.size() == 1 && same(again.front(), url), "ServerUrl::str() parses to itself");
    (void)url.host_is_ip();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    (void)redact_url(input);
    std::vector<ServerUrl> urls;
    try {
        urls = parse_server_list(input);
    } catch (const UsageError&) {
        return 0;
    }
    require(!urls.empty(), "a list that parses has a URL");
    for (const auto& url : urls) {
        check_url(url);
    }
    return 0;
}
