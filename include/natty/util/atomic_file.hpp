#pragma once

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace natty {

// Replaces `path` with `content` atomically: a temp file in the same directory is written,
// fsync'd, chmod'ed to `mode` and renamed over the target, then the directory is fsync'd.
// Refuses to replace a symlink. On failure the old file is untouched and no temp file remains.
// Throws ConfigError.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode);

// Creates `dir` and its parents; the last component gets `mode`, and an existing one is chmod'ed
// to `mode` if it is looser. Refuses a symlink as the last component. Throws ConfigError.
void ensure_private_dir(const std::filesystem::path& dir, mode_t mode = 0700);

} // namespace natty
