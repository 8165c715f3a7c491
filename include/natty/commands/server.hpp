#pragma once

#include <natty/commands/runtime.hpp>

#include <string>

namespace natty {

// Output flags shared by every `server check` kind.
struct CheckOutputOptions {
    std::string format = "nagios"; // nagios|json|prometheus|text
    std::string outfile;           // "" = stdout; else written atomically with mode 0600
    std::string name_space = "nats_server_check";
};

// `server check connection`: thresholds are kept as text so a bad one is reported as UNKNOWN.
struct ConnectionCheckOptions {
    CheckOutputOptions output;
    std::string connect_warn = "500ms", connect_critical = "1s";
    std::string rtt_warn = "500ms", rtt_critical = "1s";
    std::string req_warn = "500ms", req_critical = "1s";
    std::string tls_expiry_warn, tls_expiry_critical; // "" = not checked
};

struct KvCheckOptions {
    CheckOutputOptions output;
    std::string bucket;
    std::string key;
    std::string values_warn = "-1", values_critical = "-1"; // -1 = off
};

struct JetStreamCheckOptions {
    CheckOutputOptions output;
    std::string mem_warn = "75", mem_critical = "90"; // percent of the account limit, -1 = off
    std::string store_warn = "75", store_critical = "90";
    // Caps used when the account reports no limit (nats-server 2.9 reports -1 for an account
    // without its own limits and does not tell an ordinary user the server-wide ones).
    std::string mem_limit, store_limit; // sizes like 100MB; "" = not given
};

struct RequestCheckOptions {
    CheckOutputOptions output;
    std::string subject;
    std::string payload;
    std::string match_payload;                    // ECMAScript regex searched in the reply body
    std::string response_warn, response_critical; // "" = off
};

struct ServerTlsOptions {
    bool pem = false;
    bool json = false;
    std::string expire_warn; // "" = off
};

// Registers `natty server check ...` and `natty server tls`.
void setup_server(CLI::App& app, Runtime& runtime);

// Each check renders its result and ends with the Nagios exit code: 0 by returning, else by
// throwing SilentExit, which run_cli does not print.
void run_check_connection(const ConnectionCheckOptions& options, Runtime& runtime);
void run_check_kv(const KvCheckOptions& options, Runtime& runtime);
void run_check_jetstream(const JetStreamCheckOptions& options, Runtime& runtime);
void run_check_request(const RequestCheckOptions& options, Runtime& runtime);
void run_server_tls(const ServerTlsOptions& options, Runtime& runtime);

} // namespace natty
