// `natty context ...` end to end: the real binary, real servers, a private XDG_CONFIG_HOME.
#include "nats_server.hpp"
#include "pki.hpp"
#include "sandbox.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>

using namespace natty::test;
namespace fs = std::filesystem;

namespace {

// A server configured like the tutorial's: TLS from a private CA, user/password accounts,
// JetStream with 100 MB limits.
struct SeedServer {
    TempDir dir;
    Pki pki = Pki::create(dir.path() / "pki");
    std::unique_ptr<NatsServer> server = NatsServer::start(
        ServerOptions{.jetstream = true,
                      .js_max_memory = 104857600,
                      .js_max_file = 104857600,
                      .users = {{"matchmaker", "matchmaker", {}, {}},
                                {"gameserver", "gameserver", {}, {}},
                                {"webhook", "webhook", {}, {}}},
                      .tls = TlsConfig{pki.server_cert, pki.server_key, std::nullopt}},
        dir.path() / "server");

    std::string url() const { return server->url_for_host("localhost"); }
};

std::vector<std::string> seed_save_args(const SeedServer& s, const std::string& name) {
    return {"context",
            "save",
            "--server=" + s.url(),
            "--description=My NATS server",
            "--user=matchmaker",
            "--password=matchmaker",
            "--tlsca=" + s.pki.ca_cert.string(),
            "--select",
            name};
}

} // namespace

TEST_CASE("context save with the tutorial's flags connects over TLS with user and password",
          "[context][tls]") {
    SeedServer seed;
    Sandbox sandbox;
    const auto saved = sandbox.natty(seed_save_args(seed, "bevygap"));
    INFO(saved.err);
    REQUIRE(saved.exit_code == 0);
    CHECK(contains(saved.out, "Saved context \"bevygap\" and selected it"));
    CHECK_FALSE(contains(saved.out, "matchmaker\n"));
    CHECK(contains(saved.out, "********"));
    CHECK(mode_of(sandbox.config_dir() / "natty") == 0700);
    CHECK(mode_of(sandbox.config_dir() / "natty" / "context") == 0700);
    CHECK(mode_of(sandbox.context_file("bevygap")) == 0600);
    CHECK(slurp(sandbox.config_dir() / "natty" / "context.txt") == "bevygap\n");

    const auto info = sandbox.natty({"context", "info", "--connect"});
    INFO(info.err);
    CHECK(info.exit_code == 0);
    CHECK(contains(info.out, "Connection: OK, connected to " + seed.url()));
    CHECK(contains(info.out, "context \"bevygap\""));

    const auto json = sandbox.natty({"context", "info", "--json", "--connect"});
    REQUIRE(json.exit_code == 0);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc["name"] == "bevygap");
    CHECK(doc["selected"] == true);
    CHECK(doc["password"] == "********");
    CHECK(doc["tls_required"] == true);
    CHECK(doc["connection"]["ok"] == true);
    CHECK(doc["origins"]["url"] == "context \"bevygap\"");
    CHECK(doc["user"] == "matchmaker");

    const auto secrets = sandbox.natty({"context", "info", "--json", "--show-secrets"});
    CHECK(nlohmann::json::parse(secrets.out)["password"] == "matchmaker");
}

TEST_CASE("context info --connect with --trace logs the connection, never the password",
          "[context]") {
    TempDir dir;
    auto server = NatsServer::start({.users = {{"u", "tr4ce-pw", {}, {}}}}, dir.path());
    Sandbox sandbox;
    const auto result = sandbox.natty({"--trace", "-s", server->url(), "--user", "u",
                                       "--password", "tr4ce-pw", "context", "info", "--connect"});
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.err, ">>> connecting to " + server->url()));
    CHECK(contains(result.err, ">>> connected to "));
    CHECK_FALSE(contains(result.out + result.err, "tr4ce-pw"));
}

TEST_CASE("context edit validates the edited copy and removes it", "[context]") {
    Sandbox sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://a:1", "--password",
                           "s3cret", "--user", "u"})
                .exit_code == 0);
    const std::string before = slurp(sandbox.context_file("prod"));

    SECTION("a valid edit replaces the context") {
        RunOptions options;
        options.env = {{"EDITOR", "sed -i s#nats://a:1#nats://b:2#"}};
        const auto edited = sandbox.natty({"context", "edit", "prod"}, options);
        INFO(edited.err);
        REQUIRE(edited.exit_code == 0);
        CHECK(contains(slurp(sandbox.context_file("prod")), "nats://b:2"));
    }
    SECTION("a broken edit leaves the context untouched and does not echo the secret") {
        RunOptions options;
        options.env = {{"EDITOR", "sed -i s/s3cret\\\"/s3cret/"}};
        const auto edited = sandbox.natty({"context", "edit", "prod"}, options);
        CHECK(edited.exit_code == 3);
        CHECK(contains(edited.err, "unchanged"));
        CHECK_FALSE(contains(edited.err, "s3cret"));
        CHECK(slurp(sandbox.context_file("prod")) == before);
    }
    SECTION("SIGTERM stops the editor, keeps the context and removes the copy") {
        RunOptions options;
        options.env = {{"EDITOR", "exec sleep 60;"}};
        auto child = sandbox.spawn_natty({"context", "edit", "prod"}, options);
        const auto edit_dirs = [&] {
            std::size_t count = 0;
            for (const auto& entry : fs::directory_iterator(sandbox.dir())) {
                count += contains(entry.path().filename().string(), "natty-edit") ? 1U : 0U;
            }
            return count;
        };
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (edit_dirs() == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        REQUIRE(edit_dirs() == 1);
        child->signal(SIGTERM);
        const auto result = child->wait(std::chrono::seconds(20));
        CHECK(result.exit_code == 143); // SIGTERM
        CHECK(contains(result.err, "context \"prod\" is unchanged"));
        CHECK(slurp(sandbox.context_file("prod")) == before);
    }
    SECTION("no editor is a configuration error with a way out") {
        const auto edited = sandbox.natty({"context", "edit", "prod"});
        CHECK(edited.exit_code == 3);
        CHECK(contains(edited.err, "EDITOR"));
    }
    for (const auto& entry : fs::directory_iterator(sandbox.dir())) {
        CHECK_FALSE(contains(entry.path().filename().string(), "natty-edit"));
    }
}

TEST_CASE("validate reports each context and fails on a bad one", "[context]") {
    SeedServer seed;
    Sandbox sandbox;
    REQUIRE(sandbox.natty(seed_save_args(seed, "good")).exit_code == 0);
    REQUIRE(sandbox.natty({"context", "save", "nofile", "--server", "nats://h:1"}).exit_code == 0);
    std::ofstream(sandbox.context_file("nofile"), std::ios::app) << "ca = \"/nonexistent/ca.pem\"\n";
    const auto result = sandbox.natty({"context", "validate", "--connect"});
    CHECK(result.exit_code == 3);
    CHECK(contains(result.out, "good: OK, connected to"));
    CHECK(contains(result.out, "nofile: ERROR ca: cannot read /nonexistent/ca.pem"));
    CHECK(sandbox.natty({"context", "validate", "good"}).exit_code == 0);
}

TEST_CASE("the no-context flag needs neither HOME nor XDG_CONFIG_HOME", "[context]") {
    TempDir dir;
    auto server = NatsServer::start({}, dir.path());
    const std::vector<std::string> no_home{"env", "-u", "HOME", "-u", "XDG_CONFIG_HOME",
                                           natty_bin()};
    auto args = no_home;
    args.insert(args.end(), {"--no-context", "-s", server->url(), "context", "info", "--connect"});
    const auto result = run(args);
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.out, "Connection: OK"));
    args = no_home;
    args.insert(args.end(), {"-s", server->url(), "context", "info"});
    const auto without_flag = run(args);
    CHECK(without_flag.exit_code == 3);
    CHECK(contains(without_flag.err, "neither XDG_CONFIG_HOME nor HOME is set"));
}

TEST_CASE("hostile deeply nested context files are config errors, not crashes", "[context]") {
    Sandbox sandbox;
    REQUIRE(sandbox.natty({"context", "save", "good", "--server", "nats://a:1"}).exit_code == 0);
    const std::map<std::string, std::string> shapes = {
        {"arrays", "url = " + std::string(100000, '[') + "\n"},
        {"tables", [] {
             std::string text = "url = ";
             for (int i = 0; i < 100000; ++i) {
                 text += "{a=";
             }
             return text + "\n";
         }()},
        {"keys", [] {
             std::string text = "a";
             for (int i = 0; i < 100000; ++i) {
                 text += ".a";
             }
             return text + " = \"x\"\n";
         }()},
    };
    for (const auto& [name, text] : shapes) {
        std::ofstream(sandbox.context_file(name)) << text;
        fs::permissions(sandbox.context_file(name),
                        fs::perms::owner_read | fs::perms::owner_write);
    }

    // ls lists every context and warns once per unreadable file (natty-context(1)).
    const auto ls = sandbox.natty({"context", "ls"});
    INFO(ls.err);
    CHECK(ls.exit_code == 0);
    CHECK(contains(ls.out, "good"));
    CHECK(lines_of(ls.err).size() == shapes.size());
    for (const auto& [name, text] : shapes) {
        INFO(name);
        CHECK(contains(ls.out, name));
        CHECK(contains(ls.err, "natty: warning: " + sandbox.context_file(name).string() + ":1:"));

        const auto validate = sandbox.natty({"context", "validate", name});
        CHECK(validate.exit_code == 3);
        CHECK(contains(validate.out, sandbox.context_file(name).string() + ":1:"));
        CHECK(contains(validate.out, "nested deeper than 64 levels"));

        const auto by_path = sandbox.natty(
            {"--context", sandbox.context_file(name).string(), "context", "info"});
        CHECK(by_path.exit_code == 3);
        const auto lines = lines_of(by_path.err);
        REQUIRE_FALSE(lines.empty());
        CHECK(lines[0].rfind("natty: error: " + sandbox.context_file(name).string() + ":1:", 0) ==
              0);
        CHECK(lines.size() <= 2); // the error and at most one hint
    }
}

TEST_CASE("the context option takes a path to a .toml file", "[context]") {
    Sandbox sandbox;
    const fs::path file = sandbox.dir() / "elsewhere.toml";
    std::ofstream(file) << "url = \"nats://from-file:7\"\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    const auto doc = nlohmann::json::parse(
        sandbox.natty({"--context", file.string(), "context", "info", "--json"}).out);
    CHECK(doc["url"] == "nats://from-file:7");
    CHECK(doc["name"] == "elsewhere");
    // Relative to the working directory, without a slash.
    const auto relative =
        sandbox.natty({"--context", "elsewhere.toml", "context", "info", "--json"},
                      RunOptions{.cwd = sandbox.dir()});
    INFO(relative.err);
    REQUIRE(relative.exit_code == 0);
    CHECK(nlohmann::json::parse(relative.out)["url"] == "nats://from-file:7");
    // A selected stored context of the same name is a different context.
    REQUIRE(sandbox.natty({"context", "save", "elsewhere", "--server", "nats://stored:1",
                           "--select"})
                .exit_code == 0);
    const auto from_file = nlohmann::json::parse(
        sandbox.natty({"--context", file.string(), "context", "info", "--json"}).out);
    CHECK(from_file["url"] == "nats://from-file:7");
    CHECK(from_file["selected"] == false);
    CHECK(nlohmann::json::parse(sandbox.natty({"context", "info", "--json"}).out)["selected"] ==
          true);
}

TEST_CASE("shell completion candidates come from the command tree", "[context][completion]") {
    Sandbox sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://a:1"}).exit_code == 0);
    CHECK(contains(sandbox.natty({"__complete", "con"}).out, "context\n"));
    const auto subs = sandbox.natty({"__complete", "context", "s"}).out;
    CHECK(contains(subs, "save\n"));
    CHECK(contains(subs, "select\n"));
    CHECK(sandbox.natty({"__complete", "--context", ""}).out == "prod\n");
    CHECK(sandbox.natty({"__complete", "--tlsca", ""}).out == "__files__\n");
    CHECK(contains(sandbox.natty({"__complete", "context", "info", "--j"}).out, "--json\n"));
    const auto bash = run({"bash", "-c",
                           "source \"$1\"; COMP_WORDS=(\"$2\" context sel); COMP_CWORD=2; _natty; "
                           "printf '%s\\n' \"${COMPREPLY[@]}\"",
                           "bash", std::string(NATTY_SOURCE_DIR) + "/completions/natty.bash",
                           natty_bin()},
                          RunOptions{.env = sandbox.env()});
    CHECK(bash.out == "select\n");
}
