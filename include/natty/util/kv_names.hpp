#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace natty {

// Why `key` is not a valid KV key (ADR-8: [-/_=.a-zA-Z0-9]+, no leading, trailing or double
// dot), or "" when it is valid. Backslash is rejected although nats.c accepts it (Go interop).
std::string kv_key_problem(std::string_view key);
// Like kv_key_problem but for watch/keys filters, which may use `*` and `>` tokens.
std::string kv_filter_problem(std::string_view filter);
// Why `name` is not a valid bucket name ([a-zA-Z0-9_-]+), or "".
std::string kv_bucket_problem(std::string_view name);
// "1024", "1KB", "1MiB", "1.5GB"...: K/M/G/T with or without B or iB are powers of 1024, as in
// the Go CLI; "-1" or "unlimited" gives -1. Throws UsageError naming `what`.
std::int64_t parse_size(std::string_view text, std::string_view what);

} // namespace natty
