#include <natty/error.hpp>
#include <natty/util/command_line.hpp>

#include <string>

namespace natty {
namespace {

constexpr std::string_view k_operators = "|&;<>()";

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}

class Splitter {
public:
    Splitter(std::string_view text, bool templates, std::string_view what)
        : m_text(text), m_templates(templates), m_what(what) {}

    std::vector<std::string> split() {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (is_blank(c)) {
                end_word();
                ++m_pos;
            } else if (c == '\'') {
                single_quoted();
            } else if (c == '"') {
                double_quoted();
            } else if (c == '\\') {
                escaped();
            } else if (!take_template()) {
                unquoted(c);
            }
        }
        end_word();
        return std::move(m_words);
    }

private:
    void end_word() {
        if (m_in_word) {
            m_words.push_back(std::move(m_word));
            m_word.clear();
            m_in_word = false;
        }
    }

    void add(std::string_view text) {
        m_word += text;
        m_in_word = true;
    }

    // A {{...}} action, copied whole; false when there is none here.
    bool take_template() {
        if (!m_templates || m_text.compare(m_pos, 2, "{{") != 0) {
            return false;
        }
        const std::size_t close = m_text.find("}}", m_pos + 2);
        if (close == std::string_view::npos) {
            return false; // not an action; the template compiler names the problem
        }
        add(m_text.substr(m_pos, close + 2 - m_pos));
        m_pos = close + 2;
        return true;
    }

    void single_quoted() {
        const std::size_t close = m_text.find('\'', m_pos + 1);
        if (close == std::string_view::npos) {
            fail("unterminated ' (single quote)", "close the quote");
        }
        add(m_text.substr(m_pos + 1, close - m_pos - 1));
        m_pos = close + 1;
    }

    void double_quoted() {
        ++m_pos;
        m_in_word = true;
        while (m_pos < m_text.size() && m_text[m_pos] != '"') {
            const char c = m_text[m_pos];
            if (c == '\\' && m_pos + 1 < m_text.size()
                && std::string_view("$`\"\\\n").find(m_text[m_pos + 1]) != std::string_view::npos) {
                if (m_text[m_pos + 1] != '\n') {
                    m_word += m_text[m_pos + 1];
                }
                m_pos += 2;
            } else if (c == '$' || c == '`') {
                refuse_expansion(c);
            } else if (!take_template()) {
                m_word += c;
                ++m_pos;
            }
        }
        if (m_pos >= m_text.size()) {
            fail("unterminated \" (double quote)", "close the quote");
        }
        ++m_pos;
    }

    void escaped() {
        if (m_pos + 1 >= m_text.size()) {
            fail("it ends with a backslash", "remove it, or write \\\\ for a backslash");
        }
        if (m_text[m_pos + 1] != '\n') {
            add(m_text.substr(m_pos + 1, 1));
        }
        m_pos += 2;
    }

    void unquoted(char c) {
        if (k_operators.find(c) != std::string_view::npos || (c == '#' && !m_in_word)) {
            fail(
                std::string("an unquoted ") + c + " is shell syntax, and no shell runs the command",
                "quote it to pass it on as an argument, or run a shell: --command \"sh -c '...'\"");
        }
        if (c == '$' || c == '`') {
            refuse_expansion(c);
        }
        add(m_text.substr(m_pos, 1));
        ++m_pos;
    }

    [[noreturn]] void refuse_expansion(char c) {
        fail(std::string(c == '$' ? "$" : "`")
                 + " would be expanded by a shell, and no shell runs "
                   "the command",
             "write \\" + std::string(1, c)
                 + " or put it in '...' to pass it on, or run a shell: "
                   "--command \"sh -c '...'\"");
    }

    [[noreturn]] void fail(const std::string& problem, const std::string& hint) {
        throw UsageError(std::string(m_what) + " \"" + std::string(m_text) + "\": " + problem,
                         hint);
    }

    std::string_view m_text;
    bool m_templates;
    std::string_view m_what;
    std::size_t m_pos = 0;
    std::vector<std::string> m_words;
    std::string m_word;
    bool m_in_word = false;
};

} // namespace

std::vector<std::string>
split_command_line(std::string_view text, bool templates, std::string_view what) {
    return Splitter(text, templates, what).split();
}

} // namespace natty
