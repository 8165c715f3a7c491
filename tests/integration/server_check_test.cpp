// `natty server check ...` and `natty server tls` against real servers: the Nagios grammar, every
// output format, thresholds forced to fire, and each connection failure provoked for real.
#include "nats_server.hpp"
#include "pki.hpp"
#include "sandbox.hpp"

#include <natty/nats/handle.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when sanitizers are on.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <sstream>

using namespace natty::test;
namespace fs = std::filesystem;
namespace nn = natty::nats;

namespace {

constexpr int k_ok = 0;
constexpr int k_warning = 1;
constexpr int k_critical = 2;
constexpr int k_unknown = 3;

// A measured duration as Go prints it, e.g. "37.14225ms", "412µs", "1.2s".
const std::string k_go_duration = "[0-9]+(\\.[0-9]+)?(ns|µs|us|ms|s)";

RunResult check(const Sandbox& sandbox, std::vector<std::string> args) {
    args.insert(args.begin(), "--no-context");
    return sandbox.natty(args, RunOptions{.timeout = std::chrono::seconds(30)});
}

bool matches(const std::string& text, const std::string& pattern) {
    return std::regex_search(text, std::regex(pattern));
}

// Keeps a SIGSTOPped server resumable whatever a failing assertion does.
struct PauseGuard {
    NatsServer& server;
    explicit PauseGuard(NatsServer& s) : server(s) { server.pause(); }
    ~PauseGuard() { server.resume(); }
    PauseGuard(const PauseGuard&) = delete;
    PauseGuard& operator=(const PauseGuard&) = delete;
};

struct TlsServer {
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    std::unique_ptr<NatsServer> server;

    enum class Cert { good, expired, wrong_host, short_lived };

    // `js_limit` caps JetStream server-wide (max_memory_store and max_file_store), as the seed's
    // server does, with no account limits.
    explicit TlsServer(Cert cert = Cert::good,
                       bool jetstream = false,
                       std::optional<std::int64_t> js_limit = std::nullopt) {
        TlsConfig tls{pki.server_cert, pki.server_key, std::nullopt};
        if (cert == Cert::expired) {
            tls = {pki.expired_cert, pki.expired_key, std::nullopt};
        } else if (cert == Cert::wrong_host) {
            tls = {pki.wrong_host_cert, pki.wrong_host_key, std::nullopt};
        } else if (cert == Cert::short_lived) {
            tls = {pki.short_cert, pki.short_key, std::nullopt};
        }
        server = NatsServer::start(ServerOptions{.jetstream = jetstream || js_limit.has_value(),
                                                 .js_max_memory = js_limit,
                                                 .js_max_file = js_limit,
                                                 .users = {{"matchmaker", "s3cret-pw", {}, {}}},
                                                 .tls = tls},
                                   dir.path() / "server");
    }
    std::string url() const { return server->url_for_host("localhost"); }
    std::vector<std::string> flags(const std::string& password = "s3cret-pw") const {
        return {"-s",
                url(),
                "--tlsca",
                pki.ca_cert.string(),
                "--user",
                "matchmaker",
                "--password",
                password};
    }
};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A nats.c connection for setting up test data (streams, buckets, responders).
nn::ConnectionHandle connect_raw(const std::string& url) {
    return nn::make<nn::ConnectionHandle>("test connect", natsConnection_ConnectTo, url.c_str());
}

// The same over TLS as the TlsServer's user, verifying against its CA.
nn::ConnectionHandle connect_raw(const TlsServer& tls) {
    auto opts = nn::make<nn::OptionsHandle>("test options", natsOptions_Create);
    const std::string url = tls.url();
    REQUIRE(natsOptions_SetURL(opts.get(), url.c_str()) == NATS_OK);
    REQUIRE(natsOptions_SetSecure(opts.get(), true) == NATS_OK);
    REQUIRE(natsOptions_LoadCATrustedCertificates(opts.get(), tls.pki.ca_cert.c_str()) == NATS_OK);
    REQUIRE(natsOptions_SetUserInfo(opts.get(), "matchmaker", "s3cret-pw") == NATS_OK);
    return nn::make<nn::ConnectionHandle>("test connect", natsConnection_Connect, opts.get());
}

// Creates file stream FILL on fill.> and stores `count` messages of 8 KiB in it.
void fill_stream(natsConnection* nc, int count) {
    auto js = nn::make<nn::JetStreamHandle>("js", natsConnection_JetStream, nc, nullptr);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "FILL";
    const char* subjects[] = {"fill.>"};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    jsStreamInfo* raw_info = nullptr;
    REQUIRE(js_AddStream(&raw_info, js.get(), &cfg, nullptr, nullptr) == NATS_OK);
    const nn::StreamInfoHandle info(raw_info);
    const std::string payload(8192, 'x');
    for (int i = 0; i < count; ++i) {
        jsPubAck* raw_ack = nullptr;
        REQUIRE(js_Publish(&raw_ack,
                           js.get(),
                           "fill.data",
                           payload.data(),
                           static_cast<int>(payload.size()),
                           nullptr,
                           nullptr)
                == NATS_OK);
        const nn::PubAckHandle ack(raw_ack);
    }
}

} // namespace

TEST_CASE("check connection prints the Go CLI's Nagios line, then natty's phase timings",
          "[check]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto result = check(sandbox, {"-s", server->url(), "server", "check", "connection"});
    CHECK(result.exit_code == k_ok);
    const std::string port = std::to_string(server->port());
    const std::string secs = "[0-9]+\\.[0-9]{4}s";
    const std::string pattern = "^OK Connection OK:connected to nats://127\\.0\\.0\\.1:" + port
                                + " in " + k_go_duration + " OK:rtt time " + k_go_duration
                                + " OK:round trip took [0-9]+\\.[0-9]{6}s \\| "
                                  "connect_time="
                                + secs + ";0\\.5000;1\\.0000 rtt=" + secs
                                + ";0\\.5000;1\\.0000 "
                                  "request_time="
                                + secs + ";0\\.5000;1\\.0000 dns_time=" + secs + " tcp_time=" + secs
                                + " handshake_time=" + secs + "\n$";
    CHECK(matches(result.out, pattern));
    INFO(result.out);
    CHECK(result.err.empty());

    SECTION("the alias conn works the same") {
        const auto alias = check(sandbox, {"-s", server->url(), "server", "check", "conn"});
        CHECK(alias.exit_code == k_ok);
        CHECK(matches(alias.out, "^OK Connection OK:connected to"));
    }
}

TEST_CASE("check connection with credentials in the URL hides them and still times each phase",
          "[check]") {
    TempDir dir;
    auto server =
        NatsServer::start(ServerOptions{.users = {{"app", "url-s3cret", {}, {}}}}, dir.path());
    Sandbox sandbox;
    const std::string port = std::to_string(server->port());
    const auto result =
        check(sandbox,
              {"-s", "nats://app:url-s3cret@127.0.0.1:" + port, "server", "check", "connection"});
    INFO(result.out);
    CHECK(result.exit_code == k_ok);
    CHECK(contains(result.out, "OK:connected to nats://app:***@127.0.0.1:" + port + " in "));
    CHECK(matches(result.out, " tcp_time=[0-9.]+s handshake_time=[0-9.]+s\n$"));
    CHECK_FALSE(contains(result.out + result.err, "url-s3cret"));
}

TEST_CASE("check connection thresholds fire: warning, critical, and json says so", "[check]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto warn = check(sandbox,
                            {"-s",
                             server->url(),
                             "server",
                             "check",
                             "connection",
                             "--rtt-warn",
                             "1ns",
                             "--format",
                             "json"});
    CHECK(warn.exit_code == k_warning);
    const auto doc = nlohmann::json::parse(warn.out);
    CHECK(doc["status"] == "WARNING");
    CHECK(doc["check_name"] == "Connection");
    CHECK(doc["check_suite"] == "connections");
    REQUIRE(doc["warning"].size() == 1);
    CHECK(doc["warning"][0] == "rtt time exceeded 1e-09"); // Go's %v of the seconds
    std::vector<std::string> names;
    for (const auto& item : doc["perf_data"]) {
        names.push_back(item["name"]);
        CHECK(item["value"].get<double>() >= 0);
    }
    CHECK(names
          == std::vector<std::string>{
              "connect_time", "rtt", "request_time", "dns_time", "tcp_time", "handshake_time"});
    CHECK(doc["perf_data"][1]["warning"].get<double>() == Approx(1e-9));

    const auto crit = check(sandbox,
                            {"-s",
                             server->url(),
                             "server",
                             "check",
                             "connection",
                             "--connect-critical",
                             "1ns",
                             "--req-warn",
                             "1ns"});
    CHECK(crit.exit_code == k_critical);
    CHECK(matches(crit.out,
                  "^CRITICAL Connection Crit:connected to nats://127\\.0\\.0\\.1:[0-9]+, "
                  "connect time exceeded 1e-09 Warn:round trip request took "
                  "[0-9]+\\.[0-9]{6} "
                  "OK:rtt time "));
}

TEST_CASE("check connection: a 0 threshold turns that level off (the Go CLI fires instead)",
          "[check]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto result = check(sandbox,
                              {"-s",
                               server->url(),
                               "server",
                               "check",
                               "connection",
                               "--rtt-warn",
                               "0",
                               "--connect-critical",
                               "0",
                               "--req-warn",
                               "0",
                               "--req-critical",
                               "0"});
    INFO(result.out);
    CHECK(result.exit_code == k_ok);
    CHECK(matches(result.out,
                  "^OK Connection .* \\| connect_time=[0-9.]+s;0\\.5000; rtt=[0-9.]+s;;1\\.0000 "
                  "request_time=[0-9.]+s "));
}

TEST_CASE("check connection --format prometheus parses and always exits 0", "[check]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto result = check(sandbox,
                              {"-s",
                               server->url(),
                               "server",
                               "check",
                               "connection",
                               "--format",
                               "prometheus",
                               "--rtt-critical",
                               "1ns",
                               "--namespace",
                               "acme"});
    CHECK(result.exit_code == 0);
    std::istringstream lines(result.out);
    std::string line;
    int samples = 0;
    bool status_seen = false;
    const std::regex sample(
        "^[a-zA-Z_:][a-zA-Z0-9_:]*\\{item=\"Connection\"(,status=\"[A-Z]+\")?\\} "
        "-?[0-9.]+(e[-+][0-9]+)?$");
    while (std::getline(lines, line)) {
        if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
            continue;
        }
        INFO(line);
        CHECK(std::regex_match(line, sample));
        CHECK(line.rfind("acme_connections_", 0) == 0);
        ++samples;
        if (line.find("status_code") != std::string::npos) {
            status_seen = true;
            CHECK(line
                  == "acme_connections_status_code{item=\"Connection\",status=\"CRITICAL\"} 2");
        }
    }
    CHECK(samples == 7); // six timings + status_code
    CHECK(status_seen);
}

TEST_CASE("check --outfile writes atomically with mode 0600 and prints nothing", "[check]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path() / "server");
    Sandbox sandbox;
    const fs::path out_dir = dir.path() / "out";
    fs::create_directories(out_dir);
    const fs::path file = out_dir / "check.txt";
    {
        std::ofstream old(file);
        old << "old content that is much longer than one line would be, to catch truncation\n";
    }
    ::chmod(file.c_str(), 0644);
    const auto result =
        check(sandbox,
              {"-s", server->url(), "server", "check", "connection", "--outfile", file.string()});
    CHECK(result.exit_code == k_ok);
    CHECK(result.out.empty());
    std::ifstream in(file);
    std::stringstream content;
    content << in.rdbuf();
    CHECK(matches(content.str(), "^OK Connection OK:connected to .* \\| connect_time=.*\n$"));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    std::vector<std::string> entries;
    for (const auto& entry : fs::directory_iterator(out_dir)) {
        entries.push_back(entry.path().filename().string());
    }
    CHECK(entries == std::vector<std::string>{"check.txt"}); // no temp file left behind

    SECTION("an unwritable outfile is UNKNOWN (3) with a message, old file untouched") {
        const auto bad = check(sandbox,
                               {"-s",
                                server->url(),
                                "server",
                                "check",
                                "connection",
                                "--outfile",
                                (dir.path() / "missing" / "x").string()});
        CHECK(bad.exit_code == k_unknown);
        CHECK(contains(bad.err, "natty: error:"));
    }
}

TEST_CASE("a threshold that is not a duration is UNKNOWN before any connection", "[check]") {
    Sandbox sandbox;
    // Nothing listens on port 1: reaching it would be CRITICAL, so UNKNOWN proves no connect.
    const std::vector<std::string> base = {
        "-s", "nats://127.0.0.1:1", "server", "check", "connection", "--rtt-warn", "fast"};
    const auto nagios = check(sandbox, base);
    CHECK(nagios.exit_code == k_unknown);
    CHECK(matches(nagios.out, "^UNKNOWN Connection Unknown:.*--rtt-warn.*fast.*e\\.g\\. 500ms"));

    const auto json = check(sandbox, concat(base, {"--format", "json"}));
    CHECK(json.exit_code == k_unknown);
    CHECK(nlohmann::json::parse(json.out)["status"] == "UNKNOWN");

    const auto prom = check(sandbox, concat(base, {"--format", "prometheus"}));
    CHECK(prom.exit_code == 0);
    CHECK(contains(prom.out, "status_code{item=\"Connection\",status=\"UNKNOWN\"} 3"));

    const auto format = check(sandbox, {"server", "check", "connection", "--format", "xml"});
    CHECK(format.exit_code == k_unknown);
    CHECK(contains(format.out, "invalid --format \"xml\""));
}

TEST_CASE("check connection round-trips under --inbox-prefix for a user limited to it",
          "[check][errors]") {
    TempDir dir;
    auto server = NatsServer::start(
        ServerOptions{.users = {{"limited", "limited-pw", {"_MINE.>"}, {"_MINE.>"}}}}, dir.path());
    Sandbox sandbox;
    const std::vector<std::string> base = {
        "-s", server->url(), "--user", "limited", "--password", "limited-pw", "--timeout", "2s"};
    const auto ok =
        check(sandbox, concat(base, {"--inbox-prefix", "_MINE", "server", "check", "connection"}));
    INFO(ok.out);
    CHECK(ok.exit_code == k_ok);
    CHECK(contains(ok.out, " OK:round trip took "));

    const auto denied = check(sandbox, concat(base, {"server", "check", "connection"}));
    INFO(denied.out);
    CHECK(denied.exit_code == k_critical);
    CHECK(matches(denied.out,
                  "^CRITICAL Connection Crit:did not receive from _INBOX\\.[A-Za-z0-9]+: "
                  "Permissions Violation for Subscription to .* needs --inbox-prefix\\) "
                  "OK:connected to "));
}

TEST_CASE("check connection against a server that is down is CRITICAL naming refused and tcp",
          "[check][errors]") {
    // A bound but not listening socket refuses connections, and keeps the port from being handed
    // to a server of a test running in parallel (a stopped server's port could be).
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string url = "nats://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    Sandbox sandbox;
    const auto result =
        check(sandbox, {"-s", url, "--timeout", "1s", "server", "check", "connection"});
    ::close(fd);
    CHECK(result.exit_code == k_critical);
    CHECK(matches(result.out,
                  "^CRITICAL Connection Crit:connection failed: cannot connect to " + url
                      + ": connection refused \\(failed phase: tcp\\)\n$"));
}

TEST_CASE("check connection against a frozen server is CRITICAL within the timeout",
          "[check][errors]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto start = std::chrono::steady_clock::now();
    RunResult result;
    {
        PauseGuard paused(*server);
        result = check(sandbox,
                       {"-s",
                        server->url(),
                        "--timeout",
                        "1s",
                        "server",
                        "check",
                        "connection",
                        "--format",
                        "json"});
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    CHECK(result.exit_code == k_critical);
    const auto doc = nlohmann::json::parse(result.out);
    CHECK(doc["status"] == "CRITICAL");
    // The probe's own answer: nats.c is not left to wait out the timeout a second time.
    CHECK(contains(doc["critical"][0].get<std::string>(),
                   "timed out after 1s waiting for the server's INFO"));
    CHECK(doc["failed_phase"] == "handshake");
}

TEST_CASE("check connection with a wrong password is CRITICAL authorization, secret hidden",
          "[check][errors][tls]") {
    TlsServer tls;
    Sandbox sandbox;
    const auto result =
        check(sandbox,
              concat(tls.flags("wr0ng-pw"), {"--timeout", "1s", "server", "check", "connection"}));
    CHECK(result.exit_code == k_critical);
    CHECK(matches(result.out,
                  "^CRITICAL Connection Crit:connection failed: authorization "
                  "violation.*\\(failed phase: handshake\\)"));
    CHECK_FALSE(contains(result.out + result.err, "wr0ng-pw"));
}

TEST_CASE("check connection TLS failures name the cause and the certificate",
          "[check][errors][tls]") {
    Sandbox sandbox;
    SECTION("wrong CA") {
        TlsServer tls;
        auto flags = tls.flags();
        flags[3] = tls.pki.other_ca_cert.string();
        const auto result =
            check(sandbox, concat(flags, {"--timeout", "1s", "server", "check", "connection"}));
        CHECK(result.exit_code == k_critical);
        CHECK(matches(result.out,
                      "^CRITICAL Connection Crit:connection failed: TLS certificate "
                      "verification failed.*natty test CA.*failed phase: tls"));
    }
    SECTION("certificate for another host name") {
        TlsServer tls(TlsServer::Cert::wrong_host);
        const auto result = check(
            sandbox, concat(tls.flags(), {"--timeout", "1s", "server", "check", "connection"}));
        CHECK(result.exit_code == k_critical);
        CHECK(contains(result.out, "Crit:connection failed: TLS certificate verification failed"));
        CHECK(contains(result.out, "mismatch"));
    }
    SECTION("expired certificate") {
        TlsServer tls(TlsServer::Cert::expired);
        const auto result = check(
            sandbox, concat(tls.flags(), {"--timeout", "1s", "server", "check", "connection"}));
        CHECK(result.exit_code == k_critical);
        CHECK(contains(result.out, "Crit:connection failed: TLS certificate verification failed"));
        CHECK(contains(result.out, "expired"));
    }
    SECTION("TLS required by the server, plain URL and no CA") {
        TlsServer tls;
        const auto result = check(sandbox,
                                  {"-s",
                                   tls.server->url_for_host("localhost"),
                                   "--user",
                                   "matchmaker",
                                   "--password",
                                   "s3cret-pw",
                                   "--timeout",
                                   "1s",
                                   "server",
                                   "check",
                                   "connection"});
        CHECK(result.exit_code == k_critical);
        CHECK(contains(result.out, "Crit:connection failed: TLS certificate verification failed"));
        CHECK(contains(result.out, "no CA configured"));
    }
}

TEST_CASE("check connection over TLS with users reports tls_time and certificate expiry",
          "[check][tls]") {
    Sandbox sandbox;
    SECTION("a certificate valid for 30 days is OK with --tls-expiry-warn 7d") {
        TlsServer tls(TlsServer::Cert::good, true);
        const auto result = check(
            sandbox,
            concat(tls.flags(), {"server", "check", "connection", "--tls-expiry-warn", "7d"}));
        CHECK(result.exit_code == k_ok);
        CHECK(matches(result.out, "OK:TLS certificate expires in (29|30)d"));
        CHECK(matches(result.out,
                      " tls_time=[0-9.]+s handshake_time=[0-9.]+s "
                      "tls_expiry=[0-9.]+s;604800\\.0000;\n$"));
        // The tutorial's setup: TLS from a private CA, users, JetStream.
        const auto js = check(sandbox, concat(tls.flags(), {"server", "check", "jetstream"}));
        CHECK(js.exit_code == k_ok);
        CHECK(matches(js.out, "^OK JetStream OK:memory .* \\| memory=0B storage=0B"));
    }
    SECTION("a certificate expiring in 5 days warns at 30d and is critical at 7d") {
        TlsServer tls(TlsServer::Cert::short_lived);
        const auto warn = check(
            sandbox,
            concat(tls.flags(), {"server", "check", "connection", "--tls-expiry-warn", "30d"}));
        CHECK(warn.exit_code == k_warning);
        CHECK(matches(warn.out,
                      "Warn:TLS certificate expires in [45]d[0-9]+h \\(.*\\), within "
                      "30d0h"));
        const auto crit = check(sandbox,
                                concat(tls.flags(),
                                       {"server",
                                        "check",
                                        "connection",
                                        "--tls-expiry-warn",
                                        "30d",
                                        "--tls-expiry-critical",
                                        "7d"}));
        CHECK(crit.exit_code == k_critical);
        CHECK(contains(crit.out, "Crit:TLS certificate expires in"));
    }
}

TEST_CASE("check jetstream warns past 75% of the account storage limit", "[check][js]") {
    TempDir dir;
    const std::string accounts = R"(accounts {
    APP: {
        jetstream: { max_mem: 1048576, max_file: 1048576 }
        users: [ { user: "app", password: "app-pw" } ]
    }
}
)";
    auto server =
        NatsServer::start(ServerOptions{.jetstream = true, .extra_config = accounts}, dir.path());
    const std::string url = "nats://app:app-pw@127.0.0.1:" + std::to_string(server->port());
    Sandbox sandbox;
    const std::vector<std::string> flags = {"-s",
                                            server->url(),
                                            "--user",
                                            "app",
                                            "--password",
                                            "app-pw",
                                            "server",
                                            "check",
                                            "jetstream"};
    const auto empty = check(sandbox, flags);
    CHECK(empty.exit_code == k_ok);
    CHECK(contains(empty.out, "OK:storage using 0.0% of 1048576 bytes"));
    {
        auto nc = connect_raw(url);
        fill_stream(nc.get(), 104);
    }
    const auto warn = check(sandbox, flags);
    INFO(warn.out);
    CHECK(warn.exit_code == k_warning);
    CHECK(matches(warn.out,
                  "^WARNING JetStream Warn:storage using 8[0-9]\\.[0-9]% of 1048576 "
                  "bytes \\(threshold 75\\.0%\\) OK:memory using 0\\.0%"));
    CHECK(matches(warn.out, " storage_pct=8[0-9]%;75;90 "));
    // The account's own limit wins over a server cap given by flag.
    const auto account_wins = check(sandbox, concat(flags, {"--store-limit", "100MB"}));
    CHECK(account_wins.exit_code == k_warning);
    CHECK(matches(account_wins.out,
                  "Warn:storage using 8[0-9]\\.[0-9]% of 1048576 bytes "
                  "\\(threshold 75\\.0%\\) "));

    const auto crit = check(sandbox, concat(flags, {"--store-critical", "80", "--format", "json"}));
    CHECK(crit.exit_code == k_critical);
    CHECK(nlohmann::json::parse(crit.out)["status"] == "CRITICAL");

    const auto bad = check(sandbox, concat(flags, {"--mem-warn", "lots"}));
    CHECK(bad.exit_code == k_unknown);
    CHECK(contains(bad.out, "invalid --mem-warn \"lots\""));
}

TEST_CASE("check jetstream on the seed's setup measures against --store-limit, the server's cap",
          "[check][js][tls]") {
    // Like the seed: TLS from a private CA, users, JetStream capped server-wide
    // (max_file_store) with no account limits, so $JS.API.INFO reports the limits as -1.
    TlsServer tls(TlsServer::Cert::good, true, 1048576);
    Sandbox sandbox;
    const auto flags = concat(tls.flags(), {"server", "check", "jetstream"});
    const auto unknown_cap = check(sandbox, flags);
    CHECK(unknown_cap.exit_code == k_ok);
    CHECK(contains(unknown_cap.out,
                   "OK:storage 0 bytes used, no account limit (give --store-limit SIZE, the "
                   "server's max_file_store, to check against it)"));
    const auto capped = concat(flags, {"--store-limit", "1MiB", "--mem-limit", "1MiB"});
    const auto empty = check(sandbox, capped);
    CHECK(empty.exit_code == k_ok);
    CHECK(contains(empty.out,
                   "OK:storage using 0.0% of 1048576 bytes (limit from --store-limit, the "
                   "account has none)"));
    {
        auto nc = connect_raw(tls);
        fill_stream(nc.get(), 104);
    }
    const auto warn = check(sandbox, capped);
    INFO(warn.out);
    CHECK(warn.exit_code == k_warning);
    CHECK(matches(warn.out,
                  "^WARNING JetStream Warn:storage using 8[0-9]\\.[0-9]% of 1048576 bytes "
                  "\\(threshold 75\\.0%; limit from --store-limit, the account has none\\) "
                  "OK:memory using 0\\.0% of 1048576 bytes"));
    CHECK(matches(warn.out, " storage_pct=8[0-9]%;75;90 "));

    const auto zero = check(sandbox, concat(flags, {"--store-limit", "0"}));
    CHECK(zero.exit_code == k_unknown);
    CHECK(contains(zero.out, "Unknown:--store-limit must be more than 0 bytes"));
    const auto bad = check(sandbox, concat(flags, {"--mem-limit", "lots"}));
    CHECK(bad.exit_code == k_unknown);
    CHECK(contains(bad.out, "Unknown:--mem-limit: \"lots\" is not a size (use a byte count"));
}

TEST_CASE("check jetstream without JetStream is CRITICAL saying so", "[check][js]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    Sandbox sandbox;
    const auto result =
        check(sandbox, {"-s", server->url(), "--timeout", "1s", "server", "check", "js"});
    CHECK(result.exit_code == k_critical);
    CHECK(contains(result.out, "JetStream is not enabled"));
}

TEST_CASE("check kv: bucket, value count and key", "[check][kv]") {
    TempDir dir;
    auto server = NatsServer::start(ServerOptions{.jetstream = true}, dir.path());
    {
        auto nc = connect_raw(server->url());
        auto js = nn::make<nn::JetStreamHandle>("js", natsConnection_JetStream, nc.get(), nullptr);
        kvConfig cfg;
        kvConfig_Init(&cfg);
        cfg.Bucket = "CONFIG";
        cfg.History = 1;
        auto kv = nn::make<nn::KvStoreHandle>("kv", js_CreateKeyValue, js.get(), &cfg);
        REQUIRE(kvStore_PutString(nullptr, kv.get(), "a", "1") == NATS_OK);
        REQUIRE(kvStore_PutString(nullptr, kv.get(), "b", "2") == NATS_OK);
        REQUIRE(kvStore_Delete(kv.get(), "b") == NATS_OK);
        REQUIRE(kvStore_PutString(nullptr, kv.get(), "c", "3") == NATS_OK);
        REQUIRE(kvStore_Purge(kv.get(), "c", nullptr) == NATS_OK);
    }
    Sandbox sandbox;
    const std::vector<std::string> base = {"-s", server->url(), "server", "check", "kv"};
    const auto ok = check(sandbox, concat(base, {"--bucket", "CONFIG", "--key", "a"}));
    CHECK(ok.exit_code == k_ok);
    CHECK(matches(ok.out,
                  "^OK CONFIG OK:bucket CONFIG has [0-9]+ values OK:key a found at "
                  "revision 1 \\| values=[0-9]+ bytes=[0-9]+B replicas=1\n$"));

    const auto deleted = check(sandbox, concat(base, {"--bucket", "CONFIG", "--key", "b"}));
    CHECK(deleted.exit_code == k_critical);
    CHECK(contains(deleted.out, "Crit:key b is deleted (revision 3)"));
    const auto purged = check(sandbox, concat(base, {"--bucket", "CONFIG", "--key", "c"}));
    CHECK(purged.exit_code == k_critical);
    CHECK(contains(purged.out, "Crit:key c is purged (revision 5)"));

    const auto missing_key = check(sandbox, concat(base, {"--bucket", "CONFIG", "--key", "zz"}));
    CHECK(missing_key.exit_code == k_critical);
    CHECK(contains(missing_key.out, "Crit:key zz not found"));

    const auto many = check(sandbox, concat(base, {"--bucket", "CONFIG", "--values-warn", "1"}));
    CHECK(many.exit_code == k_warning);
    CHECK(matches(many.out, "Warn:bucket CONFIG has [0-9]+ values \\(threshold 1\\)"));

    const auto none = check(sandbox, concat(base, {"--bucket", "NOPE"}));
    CHECK(none.exit_code == k_critical);
    CHECK(none.out == "CRITICAL NOPE Crit:bucket NOPE not found\n");

    const auto bad_key = check(sandbox, concat(base, {"--bucket", "CONFIG", "--key", "a b"}));
    CHECK(bad_key.exit_code == k_unknown);
    CHECK(contains(bad_key.out, "Unknown:invalid --key: key \"a b\""));

    const auto usage = check(sandbox, base);
    CHECK(usage.exit_code == k_unknown);
    CHECK(contains(usage.out, "--bucket is required"));
}

namespace {

// Replies "pong <body>" to every request.
void answer(natsConnection* nc, natsSubscription* /*sub*/, natsMsg* raw, void* /*closure*/) {
    const nn::MessageHandle msg(raw);
    const std::string body =
        "pong "
        + std::string(natsMsg_GetData(raw), static_cast<std::size_t>(natsMsg_GetDataLength(raw)));
    if (natsMsg_GetReply(raw) != nullptr) {
        natsConnection_Publish(
            nc, natsMsg_GetReply(raw), body.data(), static_cast<int>(body.size()));
    }
}

} // namespace

TEST_CASE("check request talks to a real responder and checks its reply", "[check][request]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    auto nc = connect_raw(server->url());
    natsSubscription* raw_sub = nullptr;
    REQUIRE(natsConnection_Subscribe(&raw_sub, nc.get(), "svc.ping", answer, nullptr) == NATS_OK);
    const nn::SubscriptionHandle sub(raw_sub);
    REQUIRE(natsConnection_FlushTimeout(nc.get(), 2000) == NATS_OK);

    Sandbox sandbox;
    const std::vector<std::string> base = {
        "-s", server->url(), "--timeout", "1s", "server", "check", "request"};
    const auto ok = check(
        sandbox,
        concat(base, {"--subject", "svc.ping", "--payload", "hi", "--match-payload", "^pong hi$"}));
    CHECK(ok.exit_code == k_ok);
    CHECK(matches(ok.out, "^OK Request OK:Valid response \\| time=[0-9]+\\.[0-9]{4}s\n$"));

    const auto mismatch =
        check(sandbox, concat(base, {"--subject", "svc.ping", "--match-payload", "^nope"}));
    CHECK(mismatch.exit_code == k_critical);
    CHECK(contains(mismatch.out, "Crit:response does not match regular expression ^nope"));

    const auto slow =
        check(sandbox, concat(base, {"--subject", "svc.ping", "--response-warn", "1ns"}));
    CHECK(slow.exit_code == k_warning);
    CHECK(matches(slow.out, "Warn:response time exceeded 1ns \\| time=[0-9.]+s;0\\.0000;\n$"));

    const auto nobody = check(sandbox, concat(base, {"--subject", "svc.none"}));
    CHECK(nobody.exit_code == k_critical);
    CHECK(contains(nobody.out, "Crit:no responders on svc.none"));

    const auto regex =
        check(sandbox, concat(base, {"--subject", "svc.ping", "--match-payload", "(unclosed"}));
    CHECK(regex.exit_code == k_unknown);
    CHECK(contains(regex.out, "invalid --match-payload"));

    const auto subject = check(sandbox, concat(base, {"--subject", "svc ping"}));
    CHECK(subject.exit_code == k_unknown);
    CHECK(contains(subject.out, "invalid --subject \"svc ping\": it contains a space"));
}

namespace {

// Takes every request and never replies.
void ignore(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* raw, void* /*closure*/) {
    const nn::MessageHandle msg(raw);
}

} // namespace

TEST_CASE("check request without a reply is CRITICAL naming the timeout and a denied publish",
          "[check][request]") {
    TempDir dir;
    auto server = NatsServer::start(
        ServerOptions{.users = {{"svc", "svc-pw", {}, {}},
                                {"inbox", "inbox-pw", {"_INBOX.>"}, {"_INBOX.>"}}}},
        dir.path());
    auto nc =
        connect_raw("nats://svc:svc-pw@" + server->url().substr(std::string("nats://").size()));
    natsSubscription* raw_sub = nullptr;
    REQUIRE(natsConnection_Subscribe(&raw_sub, nc.get(), "svc.silent", ignore, nullptr) == NATS_OK);
    const nn::SubscriptionHandle sub(raw_sub);
    REQUIRE(natsConnection_FlushTimeout(nc.get(), 2000) == NATS_OK);

    Sandbox sandbox;
    const std::vector<std::string> request = {
        "--timeout", "1s", "server", "check", "request", "--subject", "svc.silent"};
    const auto silent = check(
        sandbox, concat({"-s", server->url(), "--user", "svc", "--password", "svc-pw"}, request));
    CHECK(silent.exit_code == k_critical);
    CHECK(silent.out == "CRITICAL Request Crit:no response on svc.silent within 1s\n");

    const auto denied =
        check(sandbox,
              concat({"-s", server->url(), "--user", "inbox", "--password", "inbox-pw"}, request));
    INFO(denied.out);
    CHECK(denied.exit_code == k_critical);
    CHECK(matches(denied.out,
                  "^CRITICAL Request Crit:no response on svc\\.silent within 1s: "
                  "Permissions Violation for Publish to .*svc\\.silent.*\n$"));
}

TEST_CASE("server tls shows the verified chain, JSON and PEM, and flags expiry",
          "[tls][server-tls]") {
    Sandbox sandbox;
    SECTION("a good certificate") {
        TlsServer tls;
        const std::vector<std::string> base = {
            "--no-context", "-s", tls.url(), "--tlsca", tls.pki.ca_cert.string(), "server", "tls"};
        const auto text = sandbox.natty(base);
        CHECK(text.exit_code == 0);
        CHECK(contains(text.out, "Verification against CA " + tls.pki.ca_cert.string() + ": OK"));
        CHECK(matches(text.out, "Subject: CN=localhost"));
        CHECK(matches(text.out, "Issuer: CN=natty test CA"));
        CHECK(matches(text.out, "SANs: DNS:localhost, IP:127\\.0\\.0\\.1"));
        CHECK(matches(text.out, "Days left: (29|30)\n"));
        CHECK(matches(text.out, "Key type: EC "));

        const auto json = sandbox.natty(concat(base, {"--json"}));
        CHECK(json.exit_code == 0);
        const auto doc = nlohmann::json::parse(json.out);
        CHECK(doc["verified"] == true);
        CHECK(contains(doc["chain"][0]["subject"].get<std::string>(), "CN=localhost"));
        CHECK(contains(doc["chain"][0]["issuer"].get<std::string>(), "CN=natty test CA"));
        CHECK(doc["chain"][0]["days_left"].get<int>() >= 29);
        // The chain as verified ends at the CA from --tlsca, which the server never sends.
        REQUIRE(doc["chain"].size() == 2);
        CHECK(contains(doc["chain"][1]["subject"].get<std::string>(), "CN=natty test CA"));
        CHECK(doc["chain"][1]["is_ca"] == true);
        CHECK(contains(text.out, "Certificate 2 (CA)"));

        const auto pem = sandbox.natty(concat(base, {"--pem"}));
        CHECK(pem.exit_code == 0);
        CHECK(pem.out.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);

        const auto later = sandbox.natty(concat(base, {"--expire-warn", "7d"}));
        CHECK(later.exit_code == 0);
        const auto soon = sandbox.natty(concat(base, {"--expire-warn", "60d"}));
        CHECK(soon.exit_code == 1);
        CHECK(contains(soon.err, "within --expire-warn 60d"));
    }
    SECTION("a certificate from another CA still shows, then exits 6") {
        TlsServer tls;
        const auto result = sandbox.natty({"--no-context",
                                           "-s",
                                           tls.url(),
                                           "--tlsca",
                                           tls.pki.other_ca_cert.string(),
                                           "server",
                                           "tls"});
        CHECK(result.exit_code == 6);
        CHECK(contains(result.out, "FAILED"));
        CHECK(contains(result.out, "Subject: CN=localhost"));
        CHECK(contains(result.err, "does not verify"));
    }
    SECTION("a plain server is a TLS error") {
        TempDir dir;
        auto server = NatsServer::start({}, dir.path());
        const auto result = sandbox.natty({"--no-context", "-s", server->url(), "server", "tls"});
        CHECK(result.exit_code == 6);
        CHECK(contains(result.err, "does not offer TLS"));
    }
}
