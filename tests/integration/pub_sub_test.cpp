#include "nats_server.hpp"
#include "process.hpp"
#include "sandbox.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

using namespace natty::test;
using namespace std::chrono_literals;

namespace {

// natty with stdout and stderr on a pseudo-terminal whose other end the test reads, so natty
// sees a terminal (isatty) without script(1). stdin is /dev/null.
class PtyChild {
public:
    PtyChild(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
        m_master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m_master < 0 || ::grantpt(m_master) != 0 || ::unlockpt(m_master) != 0) {
            throw std::runtime_error(std::string("cannot open a pseudo-terminal: ")
                                     + std::strerror(errno));
        }
        const char* name = ::ptsname(m_master);
        const int slave = name == nullptr ? -1 : ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
            throw std::runtime_error(std::string("cannot open the pseudo-terminal's slave: ")
                                     + std::strerror(errno));
        }
        detail::ExecSpec spec{argv, detail::child_env(env), std::nullopt};
        try {
            m_pid = detail::fork_exec(spec, -1, slave, slave);
        } catch (...) {
            ::close(slave);
            throw;
        }
        ::close(slave); // the child holds the only copy: its exit ends the output
    }
    PtyChild(const PtyChild&) = delete;
    PtyChild& operator=(const PtyChild&) = delete;
    ~PtyChild() {
        if (m_pid > 0) {
            ::kill(-m_pid, SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
        }
        ::close(m_master);
    }

    // Reads until `needle` has been written, the terminal closes or `timeout` is up.
    bool read_until(const std::string& needle, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!contains(m_out, needle)) {
            if (!read_some(deadline)) {
                return contains(m_out, needle);
            }
        }
        return true;
    }

    // Reads everything to the end and reaps the child: its exit code, or -1 when it did not
    // finish within `timeout` (it is then killed).
    int wait(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (read_some(deadline)) {
        }
        int status = 0;
        while (::waitpid(m_pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return -1; // the destructor kills and reaps it
            }
            std::this_thread::sleep_for(10ms);
        }
        m_pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    // What natty wrote to the terminal ("\n" arrives as "\r\n").
    const std::string& output() const { return m_out; }

private:
    // One read; false once the terminal is closed (EIO: every slave descriptor is closed) or
    // time is up.
    bool read_some(std::chrono::steady_clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd pfd{m_master, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0) {
            return errno == EINTR;
        }
        if (ready == 0) {
            return false;
        }
        char buf[4096];
        const ssize_t n = ::read(m_master, buf, sizeof buf);
        if (n < 0) {
            return errno == EINTR || errno == EAGAIN;
        }
        m_out.append(buf, static_cast<std::size_t>(n));
        return n > 0;
    }

    int m_master = -1;
    pid_t m_pid = -1;
    std::string m_out;
};

} // namespace

TEST_CASE("pub and sub round-trip text with headers in stable order", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"orders.>", "--count", "2"});
    auto pub = sandbox.natty(with_server(*server,
                                  {"pub",
                                   "orders.new",
                                   "hello {{Count}}",
                                   "--count",
                                   "2",
                                   "-H",
                                   "Zeta:last",
                                   "-H",
                                   "Alpha: first "}));
    REQUIRE(pub.exit_code == 0);
    CHECK(std::regex_search(pub.err, std::regex("Published 7 bytes to \"orders.new\"")));
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out
          == "[#1] Received on \"orders.new\"\nAlpha: first\nZeta: last\n\nhello 1\n\n"
             "[#2] Received on \"orders.new\"\nAlpha: first\nZeta: last\n\nhello 2\n\n");
}

TEST_CASE("binary bodies survive exactly in --raw and as base64 in --json", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const std::string binary("\x00\x01\xff\xfe bin\n", 9);
    auto raw = start_sub(sandbox, *server, {"bin", "--count", "1", "--raw"});
    auto json = start_sub(sandbox, *server, {"bin", "--count", "1", "--json"});
    RunOptions stdin_body;
    stdin_body.stdin_data = binary;
    auto pub = sandbox.natty(with_server(*server, {"pub", "bin", "-H", "K:v"}), stdin_body);
    REQUIRE(pub.exit_code == 0);
    auto raw_result = raw->wait(10s);
    REQUIRE(raw_result.exit_code == 0);
    CHECK(raw_result.out == binary);
    auto json_result = json->wait(10s);
    REQUIRE(json_result.exit_code == 0);
    const auto doc = nlohmann::json::parse(json_result.out);
    CHECK(doc["subject"] == "bin");
    CHECK(doc["encoding"] == "base64");
    CHECK(doc["data_b64"] == "AAH//iBiaW4K");
    CHECK(doc["size"] == 9);
    CHECK(doc["headers"]["K"] == nlohmann::json::array({"v"}));
}

TEST_CASE("sub --json writes one parseable object per message", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"a.*", "b", "--json", "--count", "3"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "a.x", "one"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "b", "two", "--reply", "r.1"})).exit_code == 0);
    const std::string tricky = "{\"n\":3}\t\\ \x01 \xc3\xa9";
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "a.y", tricky})).exit_code == 0);
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 3);
    std::vector<std::string> subjects;
    for (const auto& line : lines) {
        const auto doc = nlohmann::json::parse(line);
        subjects.push_back(doc["subject"]);
        CHECK(std::regex_match(doc["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
        if (doc["subject"] == "a.y") {
            CHECK(doc["data"] == tricky);
        }
        if (doc["subject"] == "b") {
            CHECK(doc["reply"] == "r.1");
            CHECK(doc["data"] == "two");
        }
    }
    CHECK(subjects == std::vector<std::string>{"a.x", "b", "a.y"});
}

TEST_CASE("oversized payloads are refused with the server's max_payload", "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.max_payload = 1024;
    auto server = NatsServer::start(options, dir.path());
    auto result = sandbox.natty(with_server(*server, {"pub", "big", std::string(2000, 'x')}));
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("max_payload of 1,024 bytes"));
    CHECK_THAT(result.err, Catch::Contains("nothing was sent"));
}

TEST_CASE("publishing or subscribing without permission fails with exit 5", "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.users.push_back(
        User{"limited", "secret-pw", {"allowed.>", "_INBOX.>"}, {"allowed.>", "_INBOX.>"}});
    auto server = NatsServer::start(options, dir.path());
    const std::string url = "nats://limited:secret-pw@127.0.0.1:" + std::to_string(server->port());
    auto ok = sandbox.natty({"-s", url, "pub", "allowed.x", "fine"});
    CHECK(ok.exit_code == 0);
    auto denied = sandbox.natty({"-s", url, "pub", "denied.x", "nope"});
    CHECK(denied.exit_code == 5);
    CHECK_THAT(denied.err, Catch::Contains("Permissions Violation"));
    CHECK_THAT(denied.err, !Catch::Contains("secret-pw"));
    auto many = sandbox.natty({"-s", url, "pub", "denied.x", "nope", "--count", "50"});
    CHECK(many.exit_code == 5);
    RunOptions quick;
    quick.timeout = 10s;
    auto sub = sandbox.natty({"-s", url, "sub", "denied.>"}, quick);
    CHECK_FALSE(sub.timed_out);
    CHECK(sub.exit_code == 5);
    CHECK_THAT(sub.err, Catch::Contains("Permissions Violation"));
}

TEST_CASE("queue group members split the messages", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto a = start_sub(sandbox, *server, {"work", "--queue", "q", "--raw", "--wait", "1s"});
    auto b = start_sub(sandbox, *server, {"work", "--queue", "q", "--raw", "--wait", "1s"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "work", "{{Count}}", "--count", "200"})).exit_code
            == 0);
    auto ra = a->wait(15s);
    auto rb = b->wait(15s);
    REQUIRE(ra.exit_code == 0);
    REQUIRE(rb.exit_code == 0);
    const auto la = lines_of(ra.out);
    const auto lb = lines_of(rb.out);
    CHECK(la.size() + lb.size() == 200);
    CHECK_FALSE(la.empty());
    CHECK_FALSE(lb.empty());
}

TEST_CASE("SIGINT prints a summary and exits 130", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"s.>"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "s.a", "12345", "--count", "3"})).exit_code == 0);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "s.b", "x"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("[#4]", 10s));
    sub->signal(SIGINT);
    auto result = sub->wait(10s);
    CHECK(result.exit_code == 130);
    CHECK(std::regex_search(
        result.err, std::regex(R"(Received 4 messages \(16 B\) in [0-9.]+m?s on 2 subjects)")));
    CHECK_THAT(result.err, Catch::Contains("s.a: 3 messages, 15 B"));
    CHECK_THAT(result.err, Catch::Contains("s.b: 1 message, 1 B"));
}

TEST_CASE("100 000 messages published in bulk all reach `sub '>' > file`, in order",
          "[messaging][volume]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const auto file = dir.path() / "out.txt";
    const std::string cmd = "exec '" + natty_bin() + "' -s " + server->url()
                            + " sub '>' --count 100000 > '" + file.string() + "'";
    RunOptions opts;
    opts.env = sandbox.env();
    auto sub = Child::spawn({"/bin/sh", "-c", cmd}, opts);
    REQUIRE(sub->wait_for_output("Subscribing", 10s, true));
    auto pub = sandbox.natty(
        with_server(*server, {"pub", "bulk", "message {{Count}}", "--count", "100000"}));
    REQUIRE(pub.exit_code == 0);
    CHECK(std::regex_search(pub.err, std::regex("Published 100,000 messages")));
    auto result = sub->wait(60s);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err, !Catch::Contains("dropped"));
    // The default view: "[#n] Received on "bulk"", the body, a blank line.
    std::ifstream in(file);
    std::uint64_t expected = 1;
    std::uint64_t bad = 0;
    for (std::string header, body, blank;
         std::getline(in, header) && std::getline(in, body) && std::getline(in, blank);
         ++expected) {
        const std::string n = std::to_string(expected);
        if (header != "[#" + n + "] Received on \"bulk\"" || body != "message " + n
            || !blank.empty()) {
            ++bad;
        }
    }
    CHECK(expected - 1 == 100000);
    CHECK(bad == 0);
}

TEST_CASE("a reader that stops ends sub cleanly with exit 0", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    const std::string cmd = "'" + natty_bin() + "' -s " + server->url()
                            + " sub head --raw | head -3; echo \"status=${PIPESTATUS:-}\"";
    RunOptions opts;
    opts.env = sandbox.env();
    auto pipeline = Child::spawn({"/bin/bash", "-c", "set -o pipefail; " + cmd}, opts);
    REQUIRE(pipeline->wait_for_output("Subscribing", 10s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "head", "m{{Count}}", "--count", "5"})).exit_code
            == 0);
    auto result = pipeline->wait(10s);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    CHECK(result.out.substr(0, 9) == "m1\nm2\nm3\n");
    CHECK_THAT(result.err, !Catch::Contains("error"));
}

TEST_CASE("sub reconnects across a server restart and keeps counting", "[messaging][fault]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"r", "--count", "2", "--raw"});
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "r", "before"})).exit_code == 0);
    REQUIRE(sub->wait_for_output("before", 10s));
    server->restart();
    REQUIRE(sub->wait_for_output("reconnected", 15s, true));
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "r", "after"})).exit_code == 0);
    auto result = sub->wait(15s);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "before\nafter\n");
    CHECK_THAT(result.err, Catch::Contains("disconnected"));
}

TEST_CASE("pub --send-on newline sends one message per stdin line", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_sub(sandbox, *server, {"lines", "--raw", "--count", "3"});
    RunOptions opts;
    // CRLF line ends lose their CR too, as with the Go CLI.
    opts.stdin_data = "alpha\r\nbeta {{Count}}\ngamma\r";
    auto pub = sandbox.natty(with_server(*server, {"pub", "lines", "--send-on", "newline"}), opts);
    REQUIRE(pub.exit_code == 0);
    auto result = sub->wait(10s);
    REQUIRE(result.exit_code == 0);
    CHECK(result.out == "alpha\nbeta 2\ngamma\n");
}

TEST_CASE("sub --wait ends with exit 0 after a quiet period", "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto result = sandbox.natty(with_server(*server, {"sub", "quiet", "--wait", "300ms"}));
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
}

TEST_CASE("JetStream: pub -J prints the ack and sub --stream prints sequences",
          "[messaging][jetstream]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.jetstream = true;
    auto server = NatsServer::start(options, dir.path());
    auto created =
        sandbox.natty(with_server(*server,
                           {"request",
                            "$JS.API.STREAM.CREATE.ORDERS",
                            R"({"name":"ORDERS","subjects":["js.>"],"storage":"memory"})",
                            "--raw"}));
    REQUIRE(created.exit_code == 0);
    auto pub = sandbox.natty(with_server(*server, {"pub", "-J", "js.new", "o{{Count}}", "--count", "2"}));
    REQUIRE(pub.exit_code == 0);
    CHECK(pub.out
          == "Stored in Stream: ORDERS Sequence: 1\nStored in Stream: ORDERS Sequence: 2\n");
    auto none = sandbox.natty(with_server(*server, {"pub", "-J", "nostream.x", "y"}));
    CHECK(none.exit_code == 7);
    auto sub = sandbox.natty(
        with_server(*server, {"sub", "--stream", "ORDERS", "js.>", "--all", "--count", "2"}));
    REQUIRE(sub.exit_code == 0);
    CHECK(std::regex_search(
        sub.out,
        std::regex(
            R"(\[#1\] Received JetStream message: stream: ORDERS seq: 1 / subject: js.new / time: \d{4}-)")));
    CHECK(std::regex_search(
        sub.out, std::regex(R"(\[#2\] Received JetStream message: stream: ORDERS seq: 2 )")));
    auto last = sandbox.natty(
        with_server(*server, {"sub", "--stream", "ORDERS", "--last", "--count", "1", "--json"}));
    REQUIRE(last.exit_code == 0);
    const auto doc = nlohmann::json::parse(last.out);
    CHECK(doc["stream_seq"] == 2);
    CHECK(doc["data"] == "o2");
}

TEST_CASE("binary bodies are summarised, not dumped, when stdout is a terminal",
          "[messaging][tty]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    PtyChild sub({natty_bin(), "-s", server->url(), "sub", "tty", "--count", "1"}, sandbox.env());
    REQUIRE(sub.read_until("Subscribing", 10s));
    RunOptions body;
    body.stdin_data = std::string("\x00\x01\x02\xff binary", 10);
    REQUIRE(sandbox.natty(with_server(*server, {"pub", "tty"}), body).exit_code == 0);
    CHECK(sub.wait(10s) == 0);
    CHECK_THAT(sub.output(),
               Catch::Contains("<binary body, 10 bytes: use --raw, --json or --dump"));
    CHECK_THAT(sub.output(), !Catch::Contains("binary\r\n"));
}

TEST_CASE("bulk pub writes one summary line and no progress bar when stderr is piped",
          "[messaging]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto pub = sandbox.natty(with_server(*server, {"pub", "bulk", "x", "--count", "500"}));
    REQUIRE(pub.exit_code == 0);
    CHECK_THAT(pub.err, !Catch::Contains("\r"));
    CHECK(std::regex_match(pub.err,
                           std::regex("Published 500 messages \\(500 B\\) to \"bulk\" in "
                                      "[0-9.]+(µs|ms|s) \\([0-9]+ msgs/s\\)\n")));
}

namespace {

// The number in a summary line such as "Received 1,264,850 messages", or -1 when absent.
long long count_after(const std::string& text, const std::string& label) {
    std::smatch m;
    if (!std::regex_search(text, m, std::regex(label + " ([0-9,]+) messages?"))) {
        return -1;
    }
    std::string digits = m[1];
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    return std::stoll(digits);
}

// `natty sub slow` writing into a FIFO whose reader never reads; the reader's pid is written to
// <dir>/reader.pid. The shell execs natty, so signalling the child signals natty.
std::unique_ptr<Child>
start_stalled_sub(const Sandbox& sandbox, const NatsServer& server, const TempDir& dir) {
    const std::string fifo = (dir.path() / "out.fifo").string();
    const std::string cmd = "mkfifo '" + fifo + "' && { sleep 120 < '" + fifo + "' & echo $! > '"
                            + (dir.path() / "reader.pid").string() + "'; } && exec '"
                            + natty_bin() + "' -s " + server.url() + " sub slow > '" + fifo
                            + "'";
    RunOptions opts;
    opts.env = sandbox.env();
    auto sub = Child::spawn({"/bin/sh", "-c", cmd}, opts);
    REQUIRE(sub->wait_for_output("Subscribing", 10s, true));
    return sub;
}

// Publishes more than natty can hold (1,000,000 pending in nats.c plus its own queue) while
// its stdout is stalled, so nats.c has to drop messages.
void flood_until_drops(const Sandbox& sandbox, const NatsServer& server, Child& sub) {
    auto pub = sandbox.natty(
        with_server(server, {"pub", "slow", "m{{Count}}", "--count", "1500000", "-q"}));
    REQUIRE(pub.exit_code == 0);
    REQUIRE(sub.wait_for_output("slow consumer", 30s, true));
}

} // namespace

TEST_CASE("Ctrl-C ends sub even when stdout is not being read, and counts the drops",
          "[messaging][signals][volume]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_stalled_sub(sandbox, *server, dir);
    flood_until_drops(sandbox, *server, *sub);
    sub->signal(SIGINT);
    auto result = sub->wait(30s);
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 130);
    CHECK_THAT(result.err, Catch::Contains("stdout is not being read"));
    const long long received = count_after(result.err, "Received");
    const long long dropped = count_after(result.err, "Dropped");
    INFO(result.err);
    CHECK(received > 0);
    CHECK(dropped > 0);
    CHECK(received + dropped <= 1500000);
}

TEST_CASE("slow-consumer drops are reported when the reader of a stalled stdout goes away",
          "[messaging][volume]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto sub = start_stalled_sub(sandbox, *server, dir);
    flood_until_drops(sandbox, *server, *sub);
    std::ifstream pid_file(dir.path() / "reader.pid");
    pid_t reader = 0;
    REQUIRE(pid_file >> reader);
    REQUIRE(reader > 0);
    ::kill(reader, SIGTERM);
    auto result = sub->wait(30s);
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    INFO(result.err);
    CHECK(count_after(result.err, "warning:") > 0);
    CHECK_THAT(result.err, Catch::Contains("dropped because natty could not keep up"));
}

TEST_CASE("bulk pub draws a progress bar when stderr is a terminal", "[messaging][tty]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    PtyChild pub({natty_bin(), "-s", server->url(), "pub", "bar", "x", "--count", "5000"},
                 sandbox.env());
    CHECK(pub.wait(30s) == 0);
    CHECK(std::regex_search(pub.output(), std::regex(R"(\r\[#{30}\] 5,000/5,000 [0-9]+ msgs/s)")));
    CHECK_THAT(pub.output(), Catch::Contains("Published 5,000 messages"));
}

TEST_CASE("pub says how far it got when the server goes away mid-run", "[messaging][fault]") {
    TempDir dir;
    Sandbox sandbox;
    auto server = NatsServer::start({}, dir.path());
    auto pub = sandbox.spawn_natty(
        with_server(*server, {"pub", "blip", "m{{Count}}", "--count", "20", "--sleep", "200ms"}));
    REQUIRE(pub->wait_for_output("Published", 10s, true));
    server->kill9();
    auto result = pub->wait(20s);
    INFO(result.err);
    CHECK(result.exit_code == 4);
    CHECK(std::regex_search(result.err,
                            std::regex(R"(connection lost after [0-9]+ messages?; the last of them )"
                                       R"(may not have reached the server)")));
}

TEST_CASE("a connection the server closes says why instead of just \"Connection Closed\"",
          "[messaging][errors]") {
    TempDir dir;
    Sandbox sandbox;
    ServerOptions options;
    options.extra_config = "max_subscriptions: 1\n";
    auto server = NatsServer::start(options, dir.path());
    RunOptions quick;
    quick.timeout = 10s;
    auto result = sandbox.natty(with_server(*server, {"sub", "a", "b"}), quick);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 4);
    CHECK_THAT(result.err,
               Catch::Contains("the connection to the server was closed: maximum subscriptions "
                               "exceeded"));
}
