#pragma once

#include <natty/io.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace natty::output {

// One JSON document for one-shot results (--json): pretty, two-space indent, newline.
void write_json(Io& io, const nlohmann::json& doc);

// One compact JSON object per line for streams (sub, kv watch).
void write_json_line(Io& io, const nlohmann::json& doc);

// Adds a payload to `obj`: as "data" when it is valid UTF-8, else as "data_b64" with
// "encoding":"base64" (nlohmann::json would throw on invalid UTF-8).
void put_payload(nlohmann::json& obj, std::string_view bytes);

// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t n);
// "1 message", "1,234 messages".
std::string count_of(std::uint64_t n, std::string_view noun);
// 1023 -> "1023 B", 1536 -> "1.5 KiB" (binary units, one decimal).
std::string human_bytes(std::uint64_t n);

std::string base64_encode(std::string_view bytes);

// Left-aligned columns separated by two spaces; the first row is the header. Cells are shown
// printable() (control characters escaped), as are Columns' values.
class Table {
public:
    explicit Table(std::vector<std::string> header) { m_rows.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
    void render(Io& io) const;

private:
    std::vector<std::vector<std::string>> m_rows;
};

// "  Label: value" rows with labels right-aligned to the longest, like the Go CLI's info views.
class Columns {
public:
    void add(std::string label, std::string value) {
        m_rows.emplace_back(std::move(label), std::move(value));
    }
    void render(Io& io) const;

private:
    std::vector<std::pair<std::string, std::string>> m_rows;
};

} // namespace natty::output
