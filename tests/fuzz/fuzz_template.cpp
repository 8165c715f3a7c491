// Templates ({{Count}} {{Random 1 10}} ...) in bodies, subjects, header values and reply
// answers: compiled once, rendered per message.

#include "fuzz_support.hpp"

#include <natty/error.hpp>
#include <natty/util/template.hpp>

using namespace natty;
using natty::fuzz::require;

namespace {

// Each {{Random MIN MAX}} renders up to 1 MiB, so a few KB of them ask for a gigabyte on
// purpose: such inputs are compiled but not rendered.
constexpr std::size_t k_max_rendered_randoms = 4;

std::size_t count_of(std::string_view text, std::string_view word) {
    std::size_t n = 0;
    for (auto at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
        ++n;
    }
    return n;
}

std::optional<Template> compile(std::string_view text, TemplateFeatures features) {
    try {
        return Template::compile(text, "body", features);
    } catch (const UsageError& e) {
        require(std::string_view(e.what()).find("body") != std::string_view::npos,
                "a template error names where the template came from");
        return std::nullopt;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    require(Template::literal(text).render({}) == text, "a literal renders as its text");

    const auto plain = compile(text, {});
    const auto full = compile(text, {true, true});
    require(!plain || full, "what compiles without {{Request}} and {{N}} compiles with them");
    if (!full) {
        return 0;
    }
    require(full->source() == text, "a template keeps its source");
    require(full->is_constant() == (text.find("{{") == std::string_view::npos),
            "a template is constant exactly when it has no {{");
    if (count_of(text, "Random") > k_max_rendered_randoms) {
        return 0;
    }
    const std::vector<std::string_view> tokens = {"orders", "new", "eu"};
    const TemplateValues values{42, "the request", &tokens};
    const std::string rendered = full->render(values);
    if (full->is_constant()) {
        require(rendered == text, "a constant template renders as its text");
    }
    if (plain) {
        (void)plain->render(TemplateValues{});
    }
    return 0;
}
