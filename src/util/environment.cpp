#include <natty/util/environment.hpp>

#include <cctype>

extern char** environ; // NOLINT: the process environment, read once in from_process()

namespace natty {

Environment Environment::from_process() {
    std::map<std::string, std::string, std::less<>> vars;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string_view kv(*entry);
        const auto eq = kv.find('=');
        if (eq != std::string_view::npos) {
            vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        }
    }
    return Environment(std::move(vars));
}

Environment Environment::with(std::string name, std::string value) const {
    Environment copy(*this);
    copy.m_vars.insert_or_assign(std::move(name), std::move(value));
    return copy;
}

std::vector<std::string> Environment::entries() const {
    std::vector<std::string> out;
    out.reserve(m_vars.size());
    for (const auto& [name, value] : m_vars) {
        out.push_back(name + "=" + value);
    }
    return out;
}

std::string Environment::get(std::string_view name) const {
    const auto it = m_vars.find(name);
    return it == m_vars.end() ? std::string() : it->second;
}

Environment Environment::without_prefix(std::string_view prefix) const {
    auto vars = m_vars;
    std::erase_if(vars, [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
    return Environment(std::move(vars));
}

std::string expand_path(std::string_view path, const Environment& env) {
    std::string result;
    std::size_t i = 0;
    if (!path.empty() && path[0] == '~' && (path.size() == 1 || path[1] == '/')) {
        result = env.get("HOME");
        i = 1;
    }
    while (i < path.size()) {
        if (path[i] != '$' || i + 1 >= path.size()) {
            result += path[i++];
            continue;
        }
        std::size_t start = i + 1;
        std::size_t end = start;
        bool braced = path[start] == '{';
        if (braced) {
            end = path.find('}', start);
            if (end == std::string_view::npos) {
                result += path.substr(i);
                break;
            }
            result += env.get(path.substr(start + 1, end - start - 1));
            i = end + 1;
            continue;
        }
        while (end < path.size() &&
               (std::isalnum(static_cast<unsigned char>(path[end])) != 0 || path[end] == '_')) {
            ++end;
        }
        if (end == start) {
            result += path[i++];
            continue;
        }
        result += env.get(path.substr(start, end - start));
        i = end;
    }
    return result;
}

} // namespace natty
