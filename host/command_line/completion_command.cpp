// The completion command: prints the bash or zsh completion script, which the packages also install.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <cstdio>

#include "command_line/cli.hpp"
#include "command_line/completion_script.hpp"
#include "command_line/settings.hpp"

namespace migration_host {

ExitCode run_completion(const Invocation& invocation) {
    const std::string& shell = invocation.arguments.front();
    std::string script;
    if (shell == "bash") {
        script = bash_completion_script();
    } else if (shell == "zsh") {
        script = zsh_completion_script();
    } else {
        throw usage_error(fmt::format("no completion for the shell '{}': expected bash or zsh", shell));
    }
    // As it is, like config's text: a script, which redaction or escaping would change.
    std::fputs(script.c_str(), stdout);
    return ExitCode::success;
}

}  // namespace migration_host
