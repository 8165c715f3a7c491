#pragma once

#include <string>
#include <string_view>

namespace natty {

// The fixed-width mask shown instead of a password or token (never its length).
inline constexpr std::string_view k_secret_mask = "********";

// Returns k_secret_mask for a non-empty secret and "" for an empty one.
std::string mask_secret(std::string_view secret);

// Redacts credentials in a URL or comma-separated URL list: "nats://u:p@h:1" -> "nats://u:***@h:1",
// "nats://token@h" -> "nats://***@h". Anything else is returned unchanged.
std::string redact_url(std::string_view urls);

} // namespace natty
