#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace natty {

// One server URL from a -s/--server list, normalised: scheme defaults to nats, port to 4222.
struct ServerUrl {
    std::string scheme; // "nats" or "tls"
    std::string user;
    std::string password; // or token when user is empty and has_userinfo is true
    bool has_userinfo = false;
    std::string host; // without brackets for IPv6
    int port = 4222;

    // "scheme://[userinfo@]host:port", suitable for nats.c.
    std::string str() const;
    // As str() with credentials replaced by ***.
    std::string redacted() const;
    bool host_is_ip() const;
};

// Splits a server list on commas, except that a comma inside a password stays in its item: an
// item that ends in "user:pass" rather than a host or port joins the next one when that has an
// '@' but no scheme ("nats://bob:se,cret@h" is one URL, "a:1,u:p@b" two). A token holding a
// comma cannot be told from a host: give it with --token instead.
std::vector<std::string_view> split_server_list(std::string_view list);

// Parses "a,b:4223,tls://c" into URLs. Throws UsageError naming the bad entry.
std::vector<ServerUrl> parse_server_list(std::string_view list);

} // namespace natty
