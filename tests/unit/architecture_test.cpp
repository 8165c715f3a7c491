// The layer rules of ARCHITECTURE.md, checked on the source tree itself: which layer may include
// which, that only the nats layer touches nats.c, and the size limit on source files.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path k_root = NATTY_SOURCE_DIR;

// What each layer may include from natty (its own layer is always allowed). Mirrors the table
// in ARCHITECTURE.md; change both together.
const std::map<std::string, std::set<std::string>>& allowed_includes() {
    static const std::map<std::string, std::set<std::string>> rules = {
        {"error", {}},
        {"util", {"error"}},
        {"io", {"error", "util"}},
        {"nats", {"error", "util"}},
        {"net", {"error", "util"}},
        {"context", {"error", "util", "nats", "net"}},
        {"diagnose", {"error", "util", "nats", "net", "context"}},
        {"output", {"error", "util", "io", "nats"}},
        {"commands", {"error", "util", "io", "nats", "net", "context", "diagnose", "output"}},
        {"main", {"error", "util", "io", "nats", "commands"}},
    };
    return rules;
}

// The layer a source file or a natty header belongs to: "include/natty/nats/x.hpp" and
// "src/nats/x.cpp" are "nats"; error.hpp and io.hpp are layers of their own.
std::string layer_of(const fs::path& relative) {
    std::vector<std::string> parts;
    for (const auto& part : relative) {
        parts.push_back(part.string());
    }
    if (parts.size() >= 2 && parts[0] == "include" && parts[1] == "natty") {
        parts.erase(parts.begin(), parts.begin() + 2);
    } else if (!parts.empty() && parts[0] == "src") {
        parts.erase(parts.begin());
    }
    if (parts.size() == 1) {
        const std::string stem = fs::path(parts[0]).stem().string();
        return stem == "main" ? "main" : stem; // error, io, main
    }
    return parts.empty() ? "" : parts[0];
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The code with comments, string and character literals blanked out, so identifiers in
// messages ("NATS_URL") and prose are not mistaken for calls.
std::string code_only(const std::string& text) {
    std::string out = text;
    enum class State { code, line_comment, block_comment, string, character, raw };
    State state = State::code;
    std::string raw_end;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const char c = out[i];
        const char next = i + 1 < out.size() ? out[i + 1] : '\0';
        switch (state) {
        case State::code:
            if (c == '/' && next == '/') {
                state = State::line_comment;
            } else if (c == '/' && next == '*') {
                state = State::block_comment;
            } else if (c == 'R' && next == '"' &&
                       (i == 0 || !(std::isalnum(static_cast<unsigned char>(out[i - 1])) ||
                                    out[i - 1] == '_'))) {
                const auto open = out.find('(', i + 2);
                raw_end = ")" + out.substr(i + 2, open - (i + 2)) + "\"";
                state = State::raw;
                i = open;
            } else if (c == '"') {
                state = State::string;
            } else if (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(
                                                   out[i - 1])))) { // not a digit separator
                state = State::character;
            }
            continue;
        case State::line_comment:
            if (c == '\n') {
                state = State::code;
            } else {
                out[i] = ' ';
            }
            continue;
        case State::block_comment:
            if (c == '*' && next == '/') {
                state = State::code;
                ++i;
            } else if (c != '\n') {
                out[i] = ' ';
            }
            continue;
        case State::string:
        case State::character:
            if (c == '\\') {
                out[i] = ' ';
                if (i + 1 < out.size()) {
                    out[++i] = ' ';
                }
            } else if ((state == State::string && c == '"') ||
                       (state == State::character && c == '\'')) {
                state = State::code;
            } else if (c != '\n') {
                out[i] = ' ';
            }
            continue;
        case State::raw:
            if (out.compare(i, raw_end.size(), raw_end) == 0) {
                i += raw_end.size() - 1;
                state = State::code;
            } else if (c != '\n') {
                out[i] = ' ';
            }
            continue;
        }
    }
    return out;
}

struct SourceFile {
    fs::path relative;
    std::string layer;
    std::string text;
};

std::vector<SourceFile> project_sources() {
    std::vector<SourceFile> files;
    for (const char* top : {"src", "include"}) {
        for (const auto& entry : fs::recursive_directory_iterator(k_root / top)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) {
                continue;
            }
            const fs::path relative = fs::relative(entry.path(), k_root);
            files.push_back({relative, layer_of(relative), read_file(entry.path())});
        }
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.relative < b.relative; });
    return files;
}

// Each `#include <natty/...>` of the file, as the layer it names.
std::vector<std::pair<std::string, std::string>> natty_includes(const SourceFile& file) {
    static const std::regex include(R"(#\s*include\s*<(natty/[^>]+)>)");
    std::vector<std::pair<std::string, std::string>> found;
    for (std::sregex_iterator it(file.text.begin(), file.text.end(), include), end; it != end;
         ++it) {
        const std::string header = (*it)[1].str();
        found.emplace_back(header, layer_of(fs::path("include") / header));
    }
    return found;
}

} // namespace

TEST_CASE("the source tree is found and every file belongs to a known layer") {
    const auto files = project_sources();
    REQUIRE(files.size() > 40);
    for (const auto& file : files) {
        INFO(file.relative.string());
        CHECK(allowed_includes().count(file.layer) == 1);
    }
}

TEST_CASE("each layer includes only the layers below it") {
    for (const auto& file : project_sources()) {
        const auto rule = allowed_includes().find(file.layer);
        if (rule == allowed_includes().end()) {
            continue; // reported by the test above
        }
        for (const auto& [header, layer] : natty_includes(file)) {
            INFO(file.relative.string() << " includes <" << header << ">");
            CHECK((layer == file.layer || rule->second.count(layer) == 1));
        }
    }
}

TEST_CASE("only the nats layer includes nats.c's headers") {
    static const std::regex nats_header(R"(#\s*include\s*[<"]nats/)");
    for (const auto& file : project_sources()) {
        if (file.layer == "nats") {
            continue;
        }
        INFO(file.relative.string());
        CHECK_FALSE(std::regex_search(file.text, nats_header));
    }
}

TEST_CASE("no nats.c function, type or constant is named outside the nats layer") {
    // nats.c's public names: natsConnection_Publish, nats_Open, js_Subscribe, kvStore_Get,
    // NATS_TIMEOUT, natsStatus, jsErrCode, natsMsg, ... (identifiers, not text in strings).
    static const std::regex nats_c_name(
        R"(\b(nats[A-Z]\w*|nats_[A-Z]\w*|js_[A-Z]\w*|js[A-Z][a-z]\w*|kv[A-Z][a-z]+_\w+|)"
        R"(kv(Store|Entry|Watcher|Status|KeysList|EntryList|Config|Operation)\b|NATS_[A-Z_]+\b))");
    std::size_t scanned = 0;
    for (const auto& file : project_sources()) {
        if (file.layer == "nats") {
            continue;
        }
        ++scanned;
        const std::string code = code_only(file.text);
        std::smatch match;
        INFO(file.relative.string());
        if (std::regex_search(code, match, nats_c_name)) {
            FAIL_CHECK(file.relative.string() << " names nats.c's " << match.str());
        }
    }
    CHECK(scanned > 20);
}

TEST_CASE("the nats.c name check sees calls and ignores strings and comments") {
    CHECK(code_only("natsConnection_Flush(nc); // natsMsg\n").find("natsMsg") ==
          std::string::npos);
    CHECK(code_only("x(\"NATS_URL\"); y(R\"(js_Publish)\");").find("NATS_URL") ==
          std::string::npos);
    CHECK(code_only("x(\"NATS_URL\"); y(R\"(js_Publish)\");").find("js_Publish") ==
          std::string::npos);
    CHECK(code_only("auto n = 1'000; natsMsg* m;").find("natsMsg") != std::string::npos);
}

TEST_CASE("no source file is over 650 lines") {
    for (const auto& file : project_sources()) {
        const auto lines = std::count(file.text.begin(), file.text.end(), '\n');
        INFO(file.relative.string() << ": " << lines << " lines");
        CHECK(lines <= 650);
    }
}
