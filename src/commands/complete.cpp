#include <natty/commands/complete.hpp>

#include <CLI/CLI.hpp>

#include <set>

namespace natty {
namespace {

// Options whose value is a file: the shell completes paths for them.
bool takes_file(std::string_view option) {
    return option == "--tlsca" || option == "--tlscert" || option == "--tlskey" ||
           option == "--creds" || option == "--nkey" || option == "--outfile" ||
           option == "--from" || option == "--csv";
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& word) {
    for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == word) {
            return sub;
        }
        const auto& aliases = sub->get_aliases();
        if (std::find(aliases.begin(), aliases.end(), word) != aliases.end()) {
            return sub;
        }
    }
    return nullptr;
}

const CLI::Option* find_option(const std::vector<const CLI::App*>& chain, std::string_view word) {
    for (const CLI::App* app : chain) {
        for (const CLI::Option* opt : app->get_options()) {
            for (const auto& name : opt->get_lnames()) {
                if (word == "--" + name) {
                    return opt;
                }
            }
            for (const auto& name : opt->get_snames()) {
                if (word == "-" + name) {
                    return opt;
                }
            }
        }
    }
    return nullptr;
}

} // namespace

void run_complete(CLI::App& app, const std::vector<std::string>& words, Runtime& runtime) {
    std::vector<const CLI::App*> chain{&app};
    const std::string current = words.empty() ? std::string() : words.back();
    const std::string previous = words.size() >= 2 ? words[words.size() - 2] : std::string();
    for (std::size_t i = 0; i + 1 < words.size(); ++i) {
        if (const CLI::App* sub = find_subcommand(chain.back(), words[i])) {
            chain.push_back(sub);
        }
    }
    Io& io = runtime.io();
    if (const CLI::Option* opt = find_option(chain, previous);
        opt != nullptr && opt->get_type_size() > 0) {
        if (takes_file(previous)) {
            io.out << "__files__\n";
        } else if (previous == "--context") {
            for (const auto& name : runtime.store().names()) {
                io.out << name << "\n";
            }
        }
        io.flush_out();
        return;
    }
    std::set<std::string> candidates;
    const CLI::App* leaf = chain.back();
    const bool context_name_expected =
        chain.size() >= 3 && chain[1]->get_name() == "context" &&
        std::set<std::string>{"select", "info", "rm", "copy", "edit", "validate", "save"}.count(
            leaf->get_name()) > 0;
    if (current.rfind('-', 0) == 0) {
        for (const CLI::App* app_in_chain : chain) {
            for (const CLI::Option* opt : app_in_chain->get_options()) {
                if (opt->get_group().empty()) {
                    continue;
                }
                for (const auto& name : opt->get_lnames()) {
                    candidates.insert("--" + name);
                }
                for (const auto& name : opt->get_snames()) {
                    candidates.insert("-" + name);
                }
            }
        }
    } else {
        for (const CLI::App* sub : leaf->get_subcommands([](const CLI::App*) { return true; })) {
            if (!sub->get_group().empty()) {
                candidates.insert(sub->get_name());
            }
        }
        if (context_name_expected) {
            for (const auto& name : runtime.store().names()) {
                candidates.insert(name);
            }
        }
    }
    for (const auto& candidate : candidates) {
        if (candidate.rfind(current, 0) == 0) {
            io.out << candidate << "\n";
        }
    }
    io.flush_out();
}

} // namespace natty
