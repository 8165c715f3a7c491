#include <natty/context/connect.hpp>

namespace natty {
namespace {

// The host every URL names, or "" when they differ or one is an IP address.
std::string common_hostname(const std::vector<ServerUrl>& urls) {
    std::string host;
    for (const auto& url : urls) {
        if (url.host_is_ip() || (!host.empty() && host != url.host)) {
            return {};
        }
        host = url.host;
    }
    return host;
}

} // namespace

nats::ConnectSpec connect_spec(const Settings& settings, bool reconnect) {
    const auto urls = settings.servers();
    const auto& v = settings.values;
    nats::ConnectSpec spec;
    for (const auto& url : urls) {
        spec.servers.push_back(url.str());
    }
    spec.user = v.user;
    spec.password = v.password;
    spec.token = v.token;
    spec.creds_file = v.creds;
    spec.nkey_seed_file = v.nkey;
    spec.cert_file = v.cert;
    spec.key_file = v.key;
    spec.ca_file = v.ca;
    spec.tls_required = settings.tls_required();
    spec.expected_hostname = common_hostname(urls);
    spec.timeout = settings.timeout;
    spec.name = settings.connection_name;
    spec.inbox_prefix = v.inbox_prefix;
    spec.jetstream_domain = v.jetstream_domain;
    spec.jetstream_api_prefix = v.jetstream_api_prefix;
    spec.reconnect = reconnect;
    spec.trace = settings.trace;
    return spec;
}

net::ProbeOptions probe_options(const Settings& settings) {
    const auto& v = settings.values;
    net::ProbeOptions options;
    options.timeout = settings.timeout;
    options.ca_file = v.ca;
    options.cert_file = v.cert;
    options.key_file = v.key;
    options.force_tls = settings.tls_required();
    options.protocol_handshake = v.creds.empty() && v.nkey.empty();
    options.user = v.user;
    options.password = v.password;
    options.token = v.token;
    options.connection_name = settings.connection_name + " (probe)";
    return options;
}

} // namespace natty
