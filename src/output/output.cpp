#include <natty/output/output.hpp>
#include <natty/util/printable.hpp>
#include <natty/util/utf8.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <ostream>

namespace natty::output {

// Strings from servers and users may hold bytes that are not UTF-8: they become U+FFFD
// instead of making dump() throw.
void write_json(Io& io, const nlohmann::json& doc) {
    io.out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    io.flush_out();
}

void write_json_line(Io& io, const nlohmann::json& doc) {
    io.out << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

namespace {

unsigned byte_at(std::string_view bytes, std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(bytes[i]));
}

} // namespace

std::string base64_encode(std::string_view bytes) {
    static constexpr char k_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    while (i + 2 < bytes.size()) {
        const unsigned n = (byte_at(bytes, i) << 16) | (byte_at(bytes, i + 1) << 8) |
                           byte_at(bytes, i + 2);
        out += k_alphabet[(n >> 18) & 63];
        out += k_alphabet[(n >> 12) & 63];
        out += k_alphabet[(n >> 6) & 63];
        out += k_alphabet[n & 63];
        i += 3;
    }
    if (i < bytes.size()) {
        unsigned n = byte_at(bytes, i) << 16;
        if (i + 1 < bytes.size()) {
            n |= byte_at(bytes, i + 1) << 8;
        }
        out += k_alphabet[(n >> 18) & 63];
        out += k_alphabet[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? k_alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

void put_payload(nlohmann::json& obj, std::string_view bytes) {
    if (natty::is_valid_utf8(bytes)) {
        obj["data"] = std::string(bytes);
    } else {
        obj["data_b64"] = base64_encode(bytes);
        obj["encoding"] = "base64";
    }
}

void Table::render(Io& io) const {
    // Cells hold names and descriptions from servers and files: shown, never obeyed.
    std::vector<std::vector<std::string>> rows;
    for (const auto& row : m_rows) {
        auto& shown = rows.emplace_back();
        for (const auto& cell : row) {
            shown.push_back(printable(cell));
        }
    }
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line += std::string(widths[i] - row[i].size() + 2, ' ');
            }
        }
        io.out << line << '\n';
    }
}

void Columns::render(Io& io) const {
    std::size_t width = 0;
    for (const auto& [label, value] : m_rows) {
        width = std::max(width, label.size());
    }
    for (const auto& [label, value] : m_rows) {
        io.out << "  " << std::string(width - label.size(), ' ') << label << ": "
               << printable(value) << '\n';
    }
}

std::string with_commas(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string count_of(std::uint64_t n, std::string_view noun) {
    return with_commas(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string human_bytes(std::uint64_t n) {
    static constexpr const char* k_units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(n);
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(k_units)) {
        value /= 1024;
        ++unit;
    }
    char buf[32];
    if (unit == 0) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f %s", value, k_units[unit]);
    }
    return buf;
}

} // namespace natty::output
