// -H Key:Value flags as pub, request and reply compile and render them
// (messaging::compile_headers and render_headers): split on the first ':', trimmed, the key
// validated, the value a template (or literal with --no-templates) that must render to one
// line. Those two live in src/commands/messaging.cpp, which needs nats.c; this target drives
// the same pure steps in the same order. Several flags are separated by NUL bytes.

#include "fuzz_support.hpp"

#include <natty/error.hpp>
#include <natty/util/subject.hpp>
#include <natty/util/template.hpp>

#include <algorithm>

using namespace natty;
using natty::fuzz::require;

namespace {

struct Header {
    std::string key;
    Template value;
};

bool is_trim_char(char c) {
    return c == ' ' || c == '\t';
}

// As compile_headers: throws UsageError for a flag pub would refuse.
std::vector<Header> compile(const std::vector<std::string_view>& flags, bool templates) {
    std::vector<Header> out;
    for (const auto flag : flags) {
        auto [key, value] = parse_header_flag(flag, "-H");
        require(!header_key_problem(key), "a parsed header key is valid");
        require(flag.find(':') != std::string_view::npos, "a parsed header flag has a ':'");
        require(value.empty() || (!is_trim_char(value.front()) && !is_trim_char(value.back())),
                "a parsed header value is trimmed");
        Template t = templates ? Template::compile(value, "header " + key)
                               : Template::literal(value);
        if (t.is_constant() && header_value_problem(value)) {
            throw UsageError("invalid -H header");
        }
        out.push_back(Header{key, std::move(t)});
    }
    return out;
}

// As render_headers: values checked when rendered from a template, grouped by key in order.
void render(const std::vector<Header>& headers) {
    const std::vector<std::string_view> tokens = {"orders", "new"};
    const TemplateValues values{7, "request", &tokens};
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    for (const auto& h : headers) {
        std::string value = h.value.render(values);
        if (!h.value.is_constant() && header_value_problem(value)) {
            continue; // render_headers refuses this message
        }
        require(value.find_first_of("\r\n") == std::string::npos,
                "a header value that is sent has no CR or LF");
        const std::string line = h.key + ": " + value + "\r\n";
        require(line.find("\r\n") == line.size() - 2, "a header is one wire line");
        const auto it = std::find_if(
            out.begin(), out.end(), [&](const auto& entry) { return entry.first == h.key; });
        if (it == out.end()) {
            out.emplace_back(h.key, std::vector<std::string>{std::move(value)});
        } else {
            it->second.push_back(std::move(value));
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto flags = fuzz::split(fuzz::as_text(data, size), '\0');
    for (const bool templates : {true, false}) {
        try {
            render(compile(flags, templates));
        } catch (const UsageError&) {
        }
    }
    return 0;
}
