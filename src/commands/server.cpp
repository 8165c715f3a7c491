// `natty server`: registers `server check <kind>` and `server tls`. The checks run in
// server_check_*.cpp on the shared runner of server_check.cpp; `server tls` in server_tls.cpp.

#include <natty/commands/server.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace natty {
namespace {

constexpr const char* k_check_footer =
    R"(Exit codes (Nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (a bad flag or
configuration); --format prometheus always exits 0.)";

// The output flags every check kind has: --format, --outfile, --namespace.
void add_output_flags(CLI::App* cmd, CheckOutputOptions& o) {
    cmd->add_option(
           "--format", o.format, "Output format: nagios (default), json, prometheus or text")
        ->type_name("FORMAT");
    cmd->add_option("--outfile",
                    o.outfile,
                    "Write the result to FILE (atomically, mode 0600) instead of stdout")
        ->type_name("FILE");
    cmd->add_option(
           "--namespace", o.name_space, "Prometheus metric namespace (default nats_server_check)")
        ->type_name("NAME");
}

void setup_check_connection(CLI::App* check, Runtime& runtime) {
    auto conn_opts = std::make_shared<ConnectionCheckOptions>();
    auto* conn = check->add_subcommand(
        "connection",
        "Connect, PING and round-trip a message; report where the time went, e.g.\n"
        "  natty server check connection --rtt-warn 100ms --format json");
    conn->alias("conn");
    conn->footer(k_check_footer);
    add_output_flags(conn, conn_opts->output);
    conn->add_option("--connect-warn",
                     conn_opts->connect_warn,
                     "Warn when connecting takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--connect-critical",
                     conn_opts->connect_critical,
                     "Critical when connecting takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--rtt-warn",
                     conn_opts->rtt_warn,
                     "Warn when the PING/PONG round trip takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--rtt-critical",
                     conn_opts->rtt_critical,
                     "Critical when the PING/PONG round trip takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--req-warn",
                     conn_opts->req_warn,
                     "Warn when the message round trip takes this long (default 500ms, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--req-critical",
                     conn_opts->req_critical,
                     "Critical when the message round trip takes this long (default 1s, 0 = off)")
        ->type_name("DURATION");
    conn->add_option("--tls-expiry-warn",
                     conn_opts->tls_expiry_warn,
                     "Warn when the server certificate expires within this time, e.g. 30d")
        ->type_name("DURATION");
    conn->add_option("--tls-expiry-critical",
                     conn_opts->tls_expiry_critical,
                     "Critical when the server certificate expires within this time, e.g. 7d")
        ->type_name("DURATION");
    conn->callback([conn_opts, &runtime] { run_check_connection(*conn_opts, runtime); });
}

void setup_check_kv(CLI::App* check, Runtime& runtime) {
    auto kv_opts = std::make_shared<KvCheckOptions>();
    auto* kv = check->add_subcommand(
        "kv",
        "Check a KV bucket exists, its value count and optionally a key, e.g.\n"
        "  natty server check kv --bucket CONFIG --key feature.x --values-warn 1000");
    kv->footer(k_check_footer);
    add_output_flags(kv, kv_opts->output);
    kv->add_option("--bucket", kv_opts->bucket, "Bucket to check (required)")->type_name("BUCKET");
    kv->add_option("--key", kv_opts->key, "Key that must exist and not be deleted")
        ->type_name("KEY");
    kv->add_option("--values-warn",
                   kv_opts->values_warn,
                   "Warn at this many values, -1 = off (default); critical < warn inverts")
        ->type_name("N");
    kv->add_option("--values-critical",
                   kv_opts->values_critical,
                   "Critical at this many values, -1 = off (default)")
        ->type_name("N");
    kv->callback([kv_opts, &runtime] { run_check_kv(*kv_opts, runtime); });
}

void setup_check_jetstream(CLI::App* check, Runtime& runtime) {
    auto js_opts = std::make_shared<JetStreamCheckOptions>();
    auto* js = check->add_subcommand(
        "jetstream",
        "Check JetStream memory and storage use against the account limits, e.g.\n"
        "  natty server check jetstream --store-warn 80 --store-critical 95");
    js->alias("js");
    js->footer(k_check_footer);
    add_output_flags(js, js_opts->output);
    js->add_option("--mem-warn",
                   js_opts->mem_warn,
                   "Warn at this percentage of the memory limit (default 75, -1 = off)")
        ->type_name("PCT");
    js->add_option("--mem-critical",
                   js_opts->mem_critical,
                   "Critical at this percentage of the memory limit (default 90, -1 = off)")
        ->type_name("PCT");
    js->add_option("--store-warn",
                   js_opts->store_warn,
                   "Warn at this percentage of the storage limit (default 75, -1 = off)")
        ->type_name("PCT");
    js->add_option("--store-critical",
                   js_opts->store_critical,
                   "Critical at this percentage of the storage limit (default 90, -1 = off)")
        ->type_name("PCT");
    js->add_option("--mem-limit",
                   js_opts->mem_limit,
                   "Memory cap to measure against when the account has no limit: the server's\n"
                   "max_memory_store, e.g. 100MB (K/M/G powers of 1024)")
        ->type_name("SIZE");
    js->add_option("--store-limit",
                   js_opts->store_limit,
                   "Storage cap to measure against when the account has no limit: the server's\n"
                   "max_file_store, e.g. 100MB (K/M/G powers of 1024)")
        ->type_name("SIZE");
    js->callback([js_opts, &runtime] { run_check_jetstream(*js_opts, runtime); });
}

void setup_check_request(CLI::App* check, Runtime& runtime) {
    auto req_opts = std::make_shared<RequestCheckOptions>();
    auto* req = check->add_subcommand(
        "request",
        "Send a request to a real service and check the reply, e.g.\n"
        "  natty server check request --subject svc.ping --match-payload '^pong'");
    req->alias("req");
    req->footer(k_check_footer);
    add_output_flags(req, req_opts->output);
    req->add_option("--subject", req_opts->subject, "Subject to send the request to (required)")
        ->type_name("SUBJECT");
    req->add_option("--payload", req_opts->payload, "Request body (default empty)")
        ->type_name("TEXT");
    req->add_option("--match-payload",
                    req_opts->match_payload,
                    "Regular expression (ECMAScript) the reply body must contain")
        ->type_name("REGEX");
    req->add_option("--response-warn",
                    req_opts->response_warn,
                    "Warn when the reply takes this long, e.g. 200ms (default off)")
        ->type_name("DURATION");
    req->add_option("--response-critical",
                    req_opts->response_critical,
                    "Critical when the reply takes this long (default off; --timeout bounds it)")
        ->type_name("DURATION");
    req->callback([req_opts, &runtime] { run_check_request(*req_opts, runtime); });
}

void setup_server_tls(CLI::App* server, Runtime& runtime) {
    auto tls_opts = std::make_shared<ServerTlsOptions>();
    auto* tls = server->add_subcommand(
        "tls",
        "Show the server's TLS certificate chain and whether it verifies, e.g.\n"
        "  natty --tlsca ca.pem -s tls://nats.example:4222 server tls --expire-warn 30d");
    tls->add_flag("--pem", tls_opts->pem, "Print the certificate chain as PEM");
    tls->add_flag("-j,--json", tls_opts->json, "JSON output");
    tls->add_option("--expire-warn",
                    tls_opts->expire_warn,
                    "Exit 1 when the server certificate expires within this time, e.g. 30d")
        ->type_name("DURATION");
    tls->footer("Exit codes: 0 verified and not expiring, 1 expires within --expire-warn, "
                "2 usage,\n4 cannot connect, 6 no TLS or verification failed.");
    tls->callback([tls_opts, &runtime] { run_server_tls(*tls_opts, runtime); });
}

} // namespace

void setup_server(CLI::App& app, Runtime& runtime) {
    auto* server = app.add_subcommand("server", "Check and inspect NATS servers");
    server->require_subcommand(1);

    auto* check =
        server->add_subcommand("check", "Health checks for Nagios/Icinga, Prometheus or humans");
    check->require_subcommand(1);
    check->footer(k_check_footer);
    setup_check_connection(check, runtime);
    setup_check_kv(check, runtime);
    setup_check_jetstream(check, runtime);
    setup_check_request(check, runtime);

    setup_server_tls(server, runtime);
}

} // namespace natty
