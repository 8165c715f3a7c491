#pragma once

// Shared by the context commands (context.cpp, context_edit.cpp, context_import.cpp); private
// to src/commands.

#include <natty/commands/runtime.hpp>
#include <natty/context/context.hpp>

#include <string>

namespace natty {

// Prints the named context as it would be used with no flags and no NATS_* overrides.
void show_context(Runtime& runtime, const std::string& name);

// Throws ConfigError listing every problem of the context; nothing is saved then.
void require_valid(const ContextData& data, Runtime& runtime, const std::string& name);

} // namespace natty
