#include <natty/error.hpp>
#include <natty/util/template.hpp>

#include <catch2/catch.hpp>

#include <regex>

using namespace natty;

namespace {

std::string render(std::string_view text,
                   std::uint64_t count = 1,
                   TemplateFeatures f = {},
                   std::string_view request = {},
                   const std::vector<std::string_view>* tokens = nullptr) {
    TemplateValues values;
    values.count = count;
    values.request = request;
    values.tokens = tokens;
    return Template::compile(text, "body", f).render(values);
}

} // namespace

TEST_CASE("plain text is constant and renders unchanged") {
    const auto t = Template::compile("hello { world } }}", "body");
    CHECK(t.is_constant());
    CHECK(t.render({}) == "hello { world } }}");
}

TEST_CASE("Count, Cnt and the dotted forms render the 1-based message number") {
    CHECK(render("n={{Count}}", 7) == "n=7");
    CHECK(render("n={{Cnt}}", 3) == "n=3");
    CHECK(render("{{.Count}}-{{ .Count }}", 12) == "12-12");
    CHECK_FALSE(Template::compile("{{Count}}", "body").is_constant());
}

TEST_CASE("time templates have the documented shapes") {
    CHECK(std::regex_match(render("{{Unix}}"), std::regex("[0-9]{10,}")));
    CHECK(std::regex_match(render("{{UnixNano}}"), std::regex("[0-9]{19,}")));
    CHECK(std::regex_match(render("{{Time}}"), std::regex("([1-9]|1[0-2]):[0-5][0-9](AM|PM)")));
    CHECK(std::regex_match(render("{{TimeStamp}}"),
                           std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                                      "(Z|[+-][0-9]{2}:[0-9]{2})")));
}

TEST_CASE("ID is a fresh 22-character identifier per render") {
    const auto t = Template::compile("{{ID}}", "body");
    const auto a = t.render({});
    const auto b = t.render({});
    CHECK(std::regex_match(a, std::regex("[A-Za-z0-9]{22}")));
    CHECK(a != b);
}

TEST_CASE("Random renders an alphanumeric string with length in range") {
    const auto t = Template::compile("{{Random 3 5}}", "body");
    for (int i = 0; i < 50; ++i) {
        const auto s = t.render({});
        CHECK(std::regex_match(s, std::regex("[A-Za-z0-9]{3,5}")));
    }
    CHECK(render("{{Random 4 4}}").size() == 4);
    CHECK_THROWS_AS(Template::compile("{{Random 5 3}}", "body"), UsageError);
    CHECK_THROWS_AS(Template::compile("{{Random 5}}", "body"), UsageError);
    CHECK_THROWS_AS(Template::compile("{{Random a b}}", "body"), UsageError);
}

TEST_CASE("unknown or malformed templates are usage errors naming them") {
    CHECK_THROWS_WITH(Template::compile("x {{Bogus}}", "subject"),
                      Catch::Contains("unknown template {{Bogus}} in subject"));
    CHECK_THROWS_WITH(Template::compile("x {{Count", "body"),
                      Catch::Contains("unclosed template action"));
    CHECK_THROWS_AS(Template::compile("{{}}", "body"), UsageError);
    CHECK_THROWS_AS(Template::compile("{{Count 1}}", "body"), UsageError);
    try {
        Template::compile("{{Nope}}", "body");
    } catch (const UsageError& e) {
        CHECK(e.hint().find("--no-templates") != std::string::npos);
    }
}

TEST_CASE("a template error is one printable line whatever the template holds") {
    // A NUL ended what() before " in body".
    CHECK_THROWS_WITH(
        Template::compile(std::string("{{Bad\0x}}\n", 10), "body"),
        Catch::Contains("unknown template {{Bad\\x00x}} in body \"{{Bad\\x00x}}\\n\""));
}

TEST_CASE("an error quotes at most 64 bytes of a long template") {
    const std::string body = "{{Bogus}}" + std::string(100000, 'x');
    try {
        Template::compile(body, "body from stdin");
        FAIL("no error");
    } catch (const UsageError& e) {
        const std::string what = e.what();
        CHECK_THAT(what, Catch::Contains("unknown template {{Bogus}} in body from stdin"));
        CHECK_THAT(what, Catch::EndsWith(std::string(55, 'x') + "...\""));
        CHECK(what.size() < 200);
    }
}

TEST_CASE("{{Random}} actions cannot add up to more than a server could take") {
    std::string many;
    for (int i = 0; i < 64; ++i) {
        many += "{{Random 0 1048576}}";
    }
    CHECK_NOTHROW(Template::compile(many, "body")); // 64 MiB exactly
    CHECK_THROWS_WITH(Template::compile(many + "{{Random 0 1}}", "body"),
                      Catch::Contains("{{Random}} actions that together render more than 64 MiB"));
}

TEST_CASE("Request and subject tokens only where enabled") {
    CHECK_THROWS_AS(Template::compile("{{Request}}", "body"), UsageError);
    CHECK_THROWS_AS(Template::compile("{{1}}", "body"), UsageError);
    const std::vector<std::string_view> tokens{"svc", "time", "utc"};
    const TemplateFeatures reply{true, true};
    CHECK(render("got {{Request}}", 1, reply, "ping") == "got ping");
    CHECK(render("{{0}}/{{2}}/{{9}}", 1, reply, {}, &tokens) == "svc/utc/");
}

TEST_CASE("literal templates never interpret braces") {
    const auto t = Template::literal("{{Bogus}}");
    CHECK(t.is_constant());
    CHECK(t.render({}) == "{{Bogus}}");
}
