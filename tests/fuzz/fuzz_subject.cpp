// Subjects (publish, subscribe), queue group names, header keys, KV keys, key filters and bucket
// names: every validator sees the same input, and what they accept must agree.

#include "fuzz_support.hpp"

#include <natty/error.hpp>
#include <natty/util/kv_names.hpp>
#include <natty/util/subject.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

bool has_space_or_control(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F) {
            return true;
        }
    }
    return false;
}

// The pattern with each `*` replaced by one token and a final `>` by two: a subject it matches.
std::string instance_of(std::string_view pattern) {
    std::string out;
    for (const auto token : subject_tokens(pattern)) {
        out += out.empty() ? "" : ".";
        out += token == "*" ? "one" : token == ">" ? "two.tokens" : std::string(token);
    }
    return out;
}

void check_subjects(std::string_view input) {
    const auto tokens = subject_tokens(input);
    std::string joined(tokens.front());
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        joined += ".";
        joined += tokens[i];
    }
    require(joined == input, "subject_tokens() joined with '.' gives the subject back");

    const bool publishable = !publish_subject_problem(input);
    const bool subscribable = !subscribe_subject_problem(input);
    require(!publishable || subscribable, "a publish subject is also a subscribe subject");
    if (publishable) {
        require(!has_space_or_control(input), "a publish subject has no space or control byte");
        require(input.find_first_of("*>") == std::string_view::npos,
                "a publish subject has no wildcard");
        require(input.size() <= k_max_subject_bytes, "a publish subject fits the limit");
        require(subject_matches(input, input), "a subject matches itself");
        require(!queue_name_problem(input), "a publish subject is a valid queue name");
    }
    if (subscribable) {
        require(!has_space_or_control(input), "a subscribe subject has no space or control byte");
        for (const auto token : subject_tokens(input)) {
            require(!token.empty(), "a subscribe subject has no empty token");
        }
        require(subject_matches(input, instance_of(input)),
                "a pattern matches its wildcards filled in");
    }
    bool refused = false;
    try {
        require_publish_subject(input, "subject");
    } catch (const UsageError& e) {
        refused = true;
        require(std::string_view(e.what()).find_first_of("\r\n") == std::string_view::npos,
                "the refusal is one line");
    }
    require(refused != publishable, "require_publish_subject() refuses exactly the problems");
}

void check_names(std::string_view input) {
    if (!queue_name_problem(input)) {
        require(!input.empty() && !has_space_or_control(input),
                "a queue name is not empty and has no space or control byte");
    }
    if (!header_key_problem(input)) {
        for (const char c : input) {
            const auto byte = static_cast<unsigned char>(c);
            require(byte > 0x20 && byte < 0x7F && c != ':',
                    "a header key is printable ASCII without ':'");
        }
    }
    const bool key_ok = kv_key_problem(input).empty();
    if (key_ok) {
        require(kv_filter_problem(input).empty(), "a KV key is also a key filter");
        require(input.size() > k_max_subject_bytes || !publish_subject_problem(input),
                "a KV key is a publish subject");
    }
    if (kv_filter_problem(input).empty()) {
        require(!subscribe_subject_problem(input) || input.size() > k_max_subject_bytes,
                "a KV key filter is a subscribe subject");
    }
    if (kv_bucket_problem(input).empty()) {
        require(!input.empty() && input.find_first_of(".*> ") == std::string_view::npos,
                "a bucket name is one token without wildcards");
        require(input.size() > k_max_subject_bytes || !publish_subject_problem(input),
                "a bucket name is a publish subject");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    check_subjects(input);
    check_names(input);
    return 0;
}
