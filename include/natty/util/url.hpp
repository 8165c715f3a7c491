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

// Parses "a,b:4223,tls://c" into URLs, split on commas and each read as Go's url.Parse reads
// it: userinfo ends at the last '@' of the authority, which ends at the first '/', '?' or '#'
// (so a password holding ',', '/', '?' or '#' is given with --password, not in the URL). Throws UsageError naming the bad entry.
std::vector<ServerUrl> parse_server_list(std::string_view list);

} // namespace natty
