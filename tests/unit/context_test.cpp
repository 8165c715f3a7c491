#include <natty/context/context.hpp>
#include <natty/context/go_context.hpp>
#include <natty/context/settings.hpp>
#include <natty/context/store.hpp>
#include <natty/error.hpp>
#include <natty/util/atomic_file.hpp>
#include <natty/util/environment.hpp>

#include "sandbox.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace natty;
using natty::test::mode_of;
using natty::test::slurp;
namespace fs = std::filesystem;

namespace {

// A scratch directory for one test case.
struct ScratchDir {
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "natty-unit-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, ec);
        fs::remove_all(path, ec);
    }
    fs::path path;
};

ContextSelection with_context(ContextData data) {
    ContextSelection s;
    s.name = "prod";
    s.data = std::move(data);
    return s;
}

} // namespace

TEST_CASE("context names are validated", "[context]") {
    for (const char* good : {"prod", "a", "my-ctx_1.2", "UPPER"}) {
        CHECK_NOTHROW(validate_context_name(good));
    }
    for (const char* bad : {"", "..", "../x", "a/b", "a\\b", ".hidden", "a..b", "sp ace",
                            "new\nline"}) {
        INFO(bad);
        CHECK_THROWS_AS(validate_context_name(bad), UsageError);
    }
    CHECK_THROWS_AS(validate_context_name(std::string(65, 'a')), UsageError);
}

TEST_CASE("context TOML round-trips every field, including awkward characters", "[context]") {
    ContextData data;
    data.description = "My \"NATS\" server\twith \\ and ünïcode";
    data.url = "nats://1.2.3.4,tls://h:4443";
    data.user = "matchmaker";
    data.password = "p\"a\\ss\nword";
    data.token = "tok";
    data.ca = "/Users/rj/Library/Application Support/mkcert/rootCA.pem";
    data.cert = "~/c.pem";
    data.key = "$HOME/k.pem";
    data.creds = "c";
    data.nkey = "n";
    data.inbox_prefix = "_I";
    data.jetstream_domain = "d";
    data.jetstream_api_prefix = "p";
    CHECK(parse_context_toml(to_toml(data), "x.toml") == data);
    CHECK(to_toml(ContextData{}).find('=') == std::string::npos);
}

TEST_CASE("corrupt context TOML names file, line and column but not the secret", "[context]") {
    try {
        parse_context_toml("url = \"nats://x\"\npassword = \"s3cret\n", "prod.toml");
        FAIL("accepted");
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind("prod.toml:2:", 0) == 0);
        CHECK(msg.find("s3cret") == std::string::npos);
        CHECK(e.code() == ExitCode::config);
    }
    CHECK_THROWS_AS(parse_context_toml("colour = \"red\"\n", "x.toml"), ConfigError);
    CHECK_THROWS_AS(parse_context_toml("url = 5\n", "x.toml"), ConfigError);
    CHECK_THROWS_AS(parse_context_toml(std::string("\x00\xff\xfe garbage", 12), "x.toml"),
                    ConfigError);
}

TEST_CASE("a Go CLI context imports whatever types its fields have", "[context]") {
    // value("tls_first", false) threw type_error for a string, ending the whole import.
    const auto odd = natty::import_go_context(
        R"({"url":"nats://h","tls_first":"yes","user":5,"password":null})", "odd");
    REQUIRE(odd);
    CHECK(odd->data.url == "nats://h");
    CHECK(odd->data.user.empty());
    CHECK(odd->warnings.empty());
    const auto first = natty::import_go_context(R"({"tls_first":true})", "first");
    REQUIRE(first);
    REQUIRE(first->warnings.size() == 1);
    CHECK(first->warnings.front().find("tls_first") != std::string::npos);
    CHECK_FALSE(natty::import_go_context("[1]", "list"));
    CHECK_FALSE(natty::import_go_context("{\"url\":", "cut"));
}

TEST_CASE("a context file that is not valid UTF-8 is refused before toml11 reads it",
          "[context][hostile]") {
    // toml11 3.7 read past the end of its buffer on a truncated character ending a string.
    for (const char* text : {"url = '\xC3'", "url = \"\xC3\"", "# \xFF\nurl = \"x\"",
                             "url = \"nats://h\"\npassword = \"pw\xED\xA0\x80\"\n"}) {
        INFO(text);
        try {
            parse_context_toml(text, "bad.toml");
            FAIL("accepted");
        } catch (const ConfigError& e) {
            const std::string msg = e.what();
            CHECK(msg.rfind("bad.toml:", 0) == 0);
            CHECK(msg.find("not valid UTF-8") != std::string::npos);
            CHECK(msg.find("pw") == std::string::npos);
        }
    }
    CHECK(parse_context_toml("description = \"caf\xC3\xA9 \xF0\x9F\x98\x80\"\n", "ok.toml")
              .description
          == "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

namespace {

std::string repeat(std::string_view piece, std::size_t times) {
    std::string out;
    out.reserve(piece.size() * times);
    for (std::size_t i = 0; i < times; ++i) {
        out += piece;
    }
    return out;
}

// The one-line ConfigError a hostile file must give instead of exhausting the stack in toml11.
void require_nesting_rejected(const std::string& text) {
    try {
        parse_context_toml(text, "deep.toml");
        FAIL("accepted");
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        CHECK(msg.rfind("deep.toml:", 0) == 0);
        CHECK(msg.find("nested") != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
        CHECK(e.code() == ExitCode::config);
    }
}

} // namespace

TEST_CASE("deeply nested arrays are rejected before toml11 recurses", "[context][hostile]") {
    require_nesting_rejected("url = " + repeat("[", 100000) + "\n");
}

TEST_CASE("deeply nested inline tables are rejected before toml11 recurses",
          "[context][hostile]") {
    require_nesting_rejected("url = " + repeat("{a=", 100000) + "\n");
}

TEST_CASE("a dotted key with too many parts is rejected before toml11 recurses",
          "[context][hostile]") {
    require_nesting_rejected("a" + repeat(".a", 100000) + " = \"x\"\n");
    require_nesting_rejected("[a" + repeat(".a", 100000) + "]\n");
    require_nesting_rejected("url = {a" + repeat(" . \"a\"", 100000) + " = 1}\n");
}

TEST_CASE("brackets, braces and dots in strings and comments are not nesting", "[context]") {
    const std::string deep = repeat("[{.", 200);
    const std::string text = "# " + deep + "\n" +                                        //
                             "description = \"" + deep + "\\\" " + deep + "\" # " + deep + "\n" +
                             "url = '" + deep + "'\n" +                                  //
                             "user = \"\"\"\n" + deep + "\"\" \\\"\"\" " + deep + "\"\"\"\n" +
                             "token = '''" + deep + "\n'' " + deep + "'''\n" +           //
                             "jetstream_domain = \"a.b\"\n";
    const ContextData data = parse_context_toml(text, "strings.toml");
    CHECK(data.description == deep + "\" " + deep);
    CHECK(data.url == deep);
    CHECK(data.user == deep + "\"\" \"\"\" " + deep);
    CHECK(data.token == deep + "\n'' " + deep);
    CHECK(data.jetstream_domain == "a.b");
}

TEST_CASE("nesting within the limit still reaches toml11", "[context]") {
    // 64 levels parse; the error is then that "url" is not a string.
    CHECK_THROWS_WITH(parse_context_toml("url = " + repeat("[", 64) + repeat("]", 64) + "\n",
                                         "ok.toml"),
                      Catch::Contains("\"url\" must be a string"));
}

TEST_CASE("merge overwrites only the fields that are given", "[context]") {
    ContextData base;
    base.url = "nats://a";
    base.user = "u";
    ContextData update;
    update.user = "v";
    merge_context(base, update);
    CHECK(base.url == "nats://a");
    CHECK(base.user == "v");
}

TEST_CASE("settings precedence is flag > env > context > default", "[settings]") {
    ContextData ctx;
    ctx.url = "nats://ctx:1";
    ctx.user = "ctxuser";
    ctx.password = "ctxpw";
    ctx.ca = "/ctx/ca.pem";
    ConnectionFlags flags;
    Environment env({{"NATS_URL", "nats://env:2"}, {"NATS_USER", "envuser"}});

    SECTION("context values are used when nothing overrides them") {
        const auto s = resolve_settings(ConnectionFlags{}, Environment{}, with_context(ctx));
        CHECK(s.values.url == "nats://ctx:1");
        CHECK(s.origin("url") == "context \"prod\"");
        CHECK(s.tls_required());
    }
    SECTION("env beats context") {
        const auto s = resolve_settings(flags, env, with_context(ctx));
        CHECK(s.values.url == "nats://env:2");
        CHECK(s.origin("url") == "env NATS_URL");
        CHECK(s.values.user == "envuser");
        CHECK(s.values.password == "ctxpw");
    }
    SECTION("flags beat env") {
        flags.values.url = "nats://flag:3";
        const auto s = resolve_settings(flags, env, with_context(ctx));
        CHECK(s.values.url == "nats://flag:3");
        CHECK(s.origin("url") == "flag --server");
    }
    SECTION("defaults apply last") {
        const auto s = resolve_settings(ConnectionFlags{}, Environment{}, ContextSelection{});
        CHECK(s.values.url == k_default_server);
        CHECK(s.origin("url") == "default");
        CHECK(s.timeout == std::chrono::seconds(5));
        CHECK_FALSE(s.tls_required());
    }
    SECTION("timeout comes from the flag, then NATS_TIMEOUT") {
        flags.timeout = "250ms";
        CHECK(resolve_settings(flags, Environment({{"NATS_TIMEOUT", "2s"}}), {}).timeout ==
              std::chrono::milliseconds(250));
        CHECK(resolve_settings(ConnectionFlags{}, Environment({{"NATS_TIMEOUT", "2s"}}), {})
                  .timeout == std::chrono::seconds(2));
        flags.timeout = "soon";
        CHECK_THROWS_AS(resolve_settings(flags, Environment{}, {}), UsageError);
        // A zero timeout names where it came from.
        CHECK_THROWS_WITH(resolve_settings(ConnectionFlags{}, Environment({{"NATS_TIMEOUT", "0"}}),
                                           {}),
                          "NATS_TIMEOUT must be greater than zero");
    }
    SECTION("a user without a password is a token, as in the Go CLI") {
        flags.values.user = "s3cret-token";
        const auto s = resolve_settings(flags, Environment{}, ContextSelection{});
        CHECK(s.values.user.empty());
        CHECK(s.values.token == "s3cret-token");
    }
    SECTION("a tls:// URL makes TLS mandatory") {
        flags.values.url = "tls://h:4222";
        CHECK(resolve_settings(flags, Environment{}, ContextSelection{}).tls_required());
    }
    SECTION("paths expand ~ and $VAR") {
        flags.values.ca = "~/ca.pem";
        flags.values.cert = "${CERTS}/c.pem";
        flags.values.key = "$CERTS/k.pem";
        const auto s = resolve_settings(flags, Environment({{"HOME", "/home/u"}, {"CERTS", "/c"}}),
                                        ContextSelection{});
        CHECK(s.values.ca == "/home/u/ca.pem");
        CHECK(s.values.cert == "/c/c.pem");
        CHECK(s.values.key == "/c/k.pem");
    }
    SECTION("an invalid URL list is rejected while resolving, before any connect") {
        flags.values.url = "http://nope";
        CHECK_THROWS_AS(resolve_settings(flags, Environment{}, ContextSelection{}), UsageError);
    }
}

TEST_CASE("context store writes private files and tracks selection", "[store]") {
    ScratchDir dir;
    std::vector<std::string> warnings;
    ContextStore store(dir.path / "natty", [&](const std::string& w) { warnings.push_back(w); });
    ContextData data;
    data.url = "nats://a";
    data.password = "pw";
    const mode_t old_umask = ::umask(0);
    store.save("prod", data);
    ::umask(old_umask);
    CHECK(mode_of(dir.path / "natty") == 0700);
    CHECK(mode_of(dir.path / "natty" / "context") == 0700);
    CHECK(mode_of(store.path_of("prod")) == 0600);
    CHECK(store.load("prod") == data);
    CHECK(store.names() == std::vector<std::string>{"prod"});

    store.save("dev", data);
    store.select("prod");
    store.select("dev");
    CHECK(store.selected() == "dev");
    CHECK(store.previous() == "prod");
    store.unselect();
    CHECK_FALSE(store.selected());
    CHECK_THROWS_AS(store.select("nope"), ConfigError);
    CHECK_THROWS_AS(store.load("nope"), ConfigError);

    SECTION("a loose file mode is warned about on read and fixed on write") {
        fs::permissions(store.path_of("prod"), fs::perms::group_read | fs::perms::others_read,
                        fs::perm_options::add);
        store.load("prod");
        REQUIRE(warnings.size() == 1);
        CHECK(warnings[0].find("0644") != std::string::npos);
        store.save("prod", data);
        CHECK(mode_of(store.path_of("prod")) == 0600);
    }
    SECTION("a symlinked context file is never written through") {
        const fs::path target = dir.path / "target.toml";
        std::ofstream(target) << "untouched";
        fs::remove(store.path_of("prod"));
        fs::create_symlink(target, store.path_of("prod"));
        CHECK_THROWS_AS(store.save("prod", data), ConfigError);
        CHECK(slurp(target) == "untouched");
    }
}

TEST_CASE("an atomic write that fails leaves the old file and no temp file", "[atomic]") {
    ScratchDir dir;
    const fs::path file = dir.path / "f.toml";
    write_file_atomic(file, "old", 0600);
    // A file-size limit makes the write fail midway, for root too (unlike permissions).
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 1024;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    CHECK_THROWS_AS(write_file_atomic(file, std::string(1 << 20, 'n'), 0600), ConfigError);
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);
    CHECK(slurp(file) == "old");
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) {
        ++entries;
    }
    CHECK(entries == 1);
    CHECK_THROWS_AS(write_file_atomic(dir.path / "missing" / "f", "x", 0600), ConfigError);
}

TEST_CASE("an atomic write replaces content completely", "[atomic]") {
    ScratchDir dir;
    const fs::path file = dir.path / "f.toml";
    write_file_atomic(file, std::string(100000, 'a'), 0600);
    write_file_atomic(file, "short", 0600);
    CHECK(slurp(file) == "short");
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) {
        ++entries;
    }
    CHECK(entries == 1);
}
