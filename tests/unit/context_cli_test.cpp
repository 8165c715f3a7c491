// `natty context ...` in-process through run_cli(): the commands that need no server, each
// with a private HOME and XDG_CONFIG_HOME (tests/unit/in_process.hpp). The ones that connect
// or start an editor stay in tests/integration/context_test.cpp.

#include "in_process.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace natty::test;
namespace fs = std::filesystem;

TEST_CASE("flags beat NATS_* variables, which beat the context, and info says so", "[context]") {
    InProcess sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://ctx:1", "--user", "u",
                           "--password", "p", "--select"})
                .exit_code == 0);
    RunOptions with_env;
    with_env.env = {{"NATS_URL", "nats://env:2"}, {"NATS_USER", "envuser"}};
    auto doc = nlohmann::json::parse(sandbox.natty({"context", "info", "--json"}, with_env).out);
    CHECK(doc["url"] == "nats://env:2");
    CHECK(doc["origins"]["url"] == "env NATS_URL");
    CHECK(doc["user"] == "envuser");
    CHECK(doc["origins"]["password"] == "context \"prod\"");
    doc = nlohmann::json::parse(
        sandbox.natty({"-s", "nats://flag:3", "context", "info", "--json"}, with_env).out);
    CHECK(doc["url"] == "nats://flag:3");
    CHECK(doc["origins"]["url"] == "flag --server");
    doc = nlohmann::json::parse(sandbox.natty({"--no-context", "context", "info", "--json"}).out);
    CHECK(doc["url"] == "nats://127.0.0.1:4222");
    CHECK(doc["origins"]["url"] == "default");
}

TEST_CASE("context save merges into an existing context", "[context]") {
    InProcess sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://a:1", "--user", "u",
                           "--password", "p", "--description", "first"})
                .exit_code == 0);
    REQUIRE(sandbox.natty({"context", "save", "prod", "--description", "second"}).exit_code == 0);
    const auto doc = nlohmann::json::parse(
        sandbox.natty({"context", "info", "prod", "--json", "--show-secrets"}).out);
    CHECK(doc["description"] == "second");
    CHECK(doc["url"] == "nats://a:1");
    CHECK(doc["user"] == "u");
    CHECK(doc["password"] == "p");
}

TEST_CASE("select, previous, unselect and ls track the selection", "[context]") {
    InProcess sandbox;
    for (const char* name : {"alpha", "beta"}) {
        REQUIRE(sandbox.natty({"context", "save", name, "--server", "nats://h:1"}).exit_code == 0);
    }
    REQUIRE(sandbox.natty({"context", "select", "alpha"}).exit_code == 0);
    REQUIRE(sandbox.natty({"context", "select", "beta"}).exit_code == 0);
    CHECK(contains(sandbox.natty({"context", "ls"}).out, "beta *"));
    REQUIRE(sandbox.natty({"context", "previous"}).exit_code == 0);
    CHECK(contains(sandbox.natty({"context", "ls"}).out, "alpha *"));
    REQUIRE(sandbox.natty({"context", "-"}).exit_code == 0);
    CHECK(contains(sandbox.natty({"context", "ls"}).out, "beta *"));
    REQUIRE(sandbox.natty({"context", "-"}).exit_code == 0);
    CHECK(sandbox.natty({"context", "ls", "--names"}).out == "alpha\nbeta\n");
    const auto list = nlohmann::json::parse(sandbox.natty({"context", "ls", "--json"}).out);
    REQUIRE(list.size() == 2);
    CHECK(list[0]["name"] == "alpha");
    CHECK(list[0]["selected"] == true);
    CHECK(list[1]["selected"] == false);
    const auto unselected = sandbox.natty({"context", "unselect"});
    CHECK(contains(unselected.out, "Unselected context \"alpha\""));
    // The listing itself must succeed and name both contexts, so a missing "*" means
    // "nothing selected" and not "nothing printed".
    const auto after_unselect = sandbox.natty({"context", "ls"});
    REQUIRE(after_unselect.exit_code == 0);
    CHECK(contains(after_unselect.out, "alpha"));
    CHECK(contains(after_unselect.out, "beta"));
    CHECK_FALSE(contains(after_unselect.out, "*"));
    const auto no_tty = sandbox.natty({"context", "select"});
    CHECK(no_tty.exit_code == 2);
    CHECK(contains(no_tty.err, "known contexts: alpha, beta"));
}

TEST_CASE("rm needs -f for the selected context, and copy refuses to overwrite", "[context]") {
    InProcess sandbox;
    REQUIRE(sandbox.natty({"context", "save", "a", "--server", "nats://h:1", "--select"})
                .exit_code == 0);
    const auto refused = sandbox.natty({"context", "rm", "a"});
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "selected context"));
    CHECK(fs::exists(sandbox.context_file("a")));

    const auto copied = sandbox.natty({"context", "copy", "a", "b", "--user", "copyuser"});
    REQUIRE(copied.exit_code == 0);
    // Saved as given (at connect time a user without a password is used as a token).
    CHECK(contains(slurp(sandbox.context_file("b")), "user = \"copyuser\""));
    CHECK(contains(slurp(sandbox.context_file("b")), "url = \"nats://h:1\""));
    const auto again = sandbox.natty({"context", "copy", "a", "b"});
    CHECK(again.exit_code == 3);
    CHECK(contains(again.err, "already exists"));

    REQUIRE(sandbox.natty({"context", "rm", "-f", "a"}).exit_code == 0);
    CHECK_FALSE(fs::exists(sandbox.context_file("a")));
    CHECK_FALSE(fs::exists(sandbox.config_dir() / "natty" / "context.txt"));
    // Unselecting remembered "a" as previous, but it is gone: previous does not lead there.
    const auto previous = sandbox.natty({"context", "previous"});
    CHECK(previous.exit_code == 3);
    CHECK(contains(previous.err, "there is no previous context"));
    CHECK(sandbox.natty({"context", "rm", "b"}).exit_code == 0);
    CHECK(sandbox.natty({"context", "rm", "b"}).exit_code == 3);
}

TEST_CASE("import brings over the Go CLI's JSON contexts", "[context]") {
    InProcess sandbox;
    const fs::path go_dir = sandbox.config_dir() / "nats" / "context";
    fs::create_directories(go_dir);
    std::ofstream(go_dir / "prod.json") << R"({"description":"Go prod","url":"nats://p:4222",
        "user":"alice","password":"pw","ca":"/etc/ca.pem","nsc":"","user_jwt":"",
        "tls_first":false})";
    std::ofstream(go_dir / "jwt.json") << R"({"url":"nats://j","user_jwt":"eyJ..."})";
    std::ofstream(go_dir / "broken.json") << "{not json";
    // Values the Go CLI resolves at connect time must not become literal passwords or paths.
    std::ofstream(go_dir / "vault.json") << R"({"url":"nats://v","user":"bob",
        "password":"op://Private/nats/password","nkey":"file:///keys/bob.nk",
        "token":"env://NATS_BOB_TOKEN"})";
    const auto result = sandbox.natty({"context", "import"});
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(contains(result.out, "Imported 3 contexts, skipped 1"));
    CHECK(contains(result.err, "user_jwt"));
    CHECK(contains(result.err, "\"password\" uses the Go CLI's op:// resolver"));
    CHECK(contains(result.err, "\"token\" uses the Go CLI's env:// resolver"));
    const std::string vault = slurp(sandbox.context_file("vault"));
    CHECK(contains(vault, "user = \"bob\""));
    CHECK(contains(vault, "nkey = \"/keys/bob.nk\""));
    CHECK_FALSE(contains(vault, "password"));
    CHECK_FALSE(contains(vault, "token"));
    const auto doc = nlohmann::json::parse(
        sandbox.natty({"context", "info", "prod", "--json", "--show-secrets"}).out);
    CHECK(doc["description"] == "Go prod");
    CHECK(doc["user"] == "alice");
    CHECK(doc["password"] == "pw");
    CHECK(doc["ca"] == "/etc/ca.pem");
    CHECK(mode_of(sandbox.context_file("prod")) == 0600);
    const auto again = sandbox.natty({"context", "import", "prod"});
    CHECK(contains(again.err, "use --force"));
}

TEST_CASE("a context readable by others is warned about and fixed on save", "[context]") {
    InProcess sandbox;
    REQUIRE(sandbox.natty({"context", "save", "prod", "--server", "nats://a:1"}).exit_code == 0);
    fs::permissions(sandbox.context_file("prod"), fs::perms::group_read | fs::perms::others_read,
                    fs::perm_options::add);
    const auto info = sandbox.natty({"context", "info", "prod"});
    CHECK(info.exit_code == 0);
    CHECK(contains(info.err, "readable by others (mode 0644)"));
    REQUIRE(sandbox.natty({"context", "save", "prod", "--user", "x"}).exit_code == 0);
    CHECK(mode_of(sandbox.context_file("prod")) == 0600);
}

TEST_CASE("invalid context names are usage errors and create nothing", "[context]") {
    InProcess sandbox;
    for (const char* name : {"../escape", "a/b", "..", ".hidden", "sp ace"}) {
        INFO(name);
        const auto result = sandbox.natty({"context", "save", name, "--server", "nats://a:1"});
        CHECK(result.exit_code == 2);
        CHECK(contains(result.err, "invalid context name"));
    }
    CHECK_FALSE(fs::exists(sandbox.config_dir() / "natty" / "context"));
    CHECK_FALSE(fs::exists(sandbox.config_dir() / "escape.toml"));
}

TEST_CASE("inbox and JetStream prefixes that would break a protocol line are refused",
          "[context][security]") {
    InProcess sandbox;
    // nats.c pasted these into PUB lines as given: this one published "fromfile!" to "inj".
    const std::string injection = "d 0\r\n\r\nPUB inj 9\r\nfromfile!\r\nPUB z";
    const std::vector<std::vector<std::string>> flags = {
        {"--js-domain", injection}, {"--js-domain", "hub.eu"}, {"--js-api-prefix", "a b"},
        {"--js-api-prefix", "x.>"}, {"--inbox-prefix", "_IN.*"}, {"--inbox-prefix", "_IN."},
        {"--js-api-prefix", "a.."}};
    for (const auto& flag : flags) {
        INFO(flag[0] << " " << flag[1]);
        auto args = flag;
        args.insert(args.end(), {"-s", "nats://127.0.0.1:1", "kv", "ls"});
        const auto result = sandbox.natty(args);
        CHECK(result.exit_code == 2); // before connecting: port 1 would be exit 4
        CHECK(contains(result.err, "(from flag " + flag[0] + ")"));
        CHECK_FALSE(contains(result.err, "\r\n"));
    }
    // A prefix with its trailing dot is fine: this one gets as far as connecting.
    CHECK(sandbox.natty({"--js-api-prefix", "$JS.hub.API.", "-s", "nats://127.0.0.1:1", "kv", "ls"})
              .exit_code == 4);

    // From a shared context file it is a configuration error.
    fs::create_directories(sandbox.context_file("evil").parent_path());
    std::ofstream(sandbox.context_file("evil"))
        << "url = \"nats://127.0.0.1:1\"\njetstream_domain = \"d 0\\r\\nPUB inj 9\"\n";
    const auto from_file = sandbox.natty({"--context", "evil", "kv", "ls"});
    CHECK(from_file.exit_code == 3);
    CHECK(contains(from_file.err, "invalid JetStream domain"));
    CHECK(contains(from_file.err, "(from context \"evil\")"));
}
