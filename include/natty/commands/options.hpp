#pragma once

// Range-checked numeric flags for every command. CLI11 2.1 converts numbers with strtoll/strtoull
// in base 0 and no overflow check: "99999999999999999999" saturates, "-1" wraps to 2^64-1 in an
// unsigned, and "010" is 8. These checks read the text themselves, before any conversion.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class Validator;
}

namespace natty {

// The inclusive bounds of a numeric flag; both must fit the type of the variable it fills.
struct NumberRange {
    std::int64_t min = 0;
    std::uint64_t max = 0;
};

// Why `text` is not a decimal whole number within `range` ("must be a whole number from 1 to
// 64, not \"0\""), or nullopt when it is. Accepts an optional '-' and digits, nothing else.
std::optional<std::string> number_problem(std::string_view text, NumberRange range);

// A CLI11 validator for `option->transform(...)` (not `check`, which may not rewrite the text):
// a failure is a CLI11 ValidationError, which run_cli prints as one line "natty: error: --flag:
// must be a whole number from MIN to MAX, not ..." and exits 2, before any command runs.
// Passing text is rewritten as plain decimal, so CLI11's conversion cannot read "010" as octal.
CLI::Validator whole_number(NumberRange range);

} // namespace natty
