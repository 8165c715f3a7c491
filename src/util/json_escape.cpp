#include <natty/util/json_escape.hpp>
#include <natty/util/utf8.hpp>

namespace natty {

void append_json_escaped(std::string& out, std::string_view text) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::size_t run = 0; // start of the pending run of bytes that are copied as they are
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (byte >= 0x80) {
            if (const std::size_t length = utf8_sequence_length(text.substr(i)); length != 0) {
                i += length;
                continue;
            }
        }
        out.append(text.data() + run, i - run);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (byte >= 0x80) {
                out += "\xEF\xBF\xBD"; // U+FFFD for a byte that is not valid UTF-8
            } else {
                out += "\\u00";
                out += k_hex[byte >> 4];
                out += k_hex[byte & 15];
            }
        }
        run = ++i;
    }
    out.append(text.data() + run, text.size() - run);
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    append_json_escaped(out, text);
    out += '"';
}

std::string json_escaped(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_json_escaped(out, text);
    return out;
}

} // namespace natty
