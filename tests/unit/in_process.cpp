#include "in_process.hpp"

#include <natty/commands/app.hpp>
#include <natty/io.hpp>

#include <map>
#include <sstream>

namespace natty::test {

RunResult InProcess::natty(const std::vector<std::string>& args, const RunOptions& options) const {
    std::map<std::string, std::string, std::less<>> vars;
    for (const auto& [key, value] : m_sandbox.env(options.env)) {
        vars[key] = value;
    }
    std::ostringstream out;
    std::ostringstream err;
    std::istringstream in(options.stdin_data);
    Io io(out, err, in);
    io.env = Environment(std::move(vars));
    RunResult result;
    result.exit_code = run_cli(args, io);
    result.out = out.str();
    result.err = err.str();
    return result;
}

} // namespace natty::test
