// Calls plugin code across the C ABI: an escaping exception becomes a reason, and exit() or a crash names the call.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "exit_codes.hpp"

namespace migration_host {

// While one lives, the process cannot end quietly inside plugin code: exit(),
// quick_exit() or the end of the host's thread prints one error line
// "<who> called exit(N) ...; <aftermath>" and ends the process with
// `exit_code`; SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT print
// "<who> crashed (SIGxxx); <aftermath>" and then take their usual course.
// `aftermath` says what the database is left with. Scopes nest (the innermost
// names the call); one thread calls plugins, as the ABI requires.
class PluginCallScope {
public:
    PluginCallScope(const std::string& who, ExitCode exit_code, const std::string& aftermath);
    PluginCallScope(const PluginCallScope&) = delete;
    PluginCallScope& operator=(const PluginCallScope&) = delete;
    ~PluginCallScope();

    struct State;  // defined where the exit and crash handlers read it

private:
    State* previous_;
    std::unique_ptr<State> state_;
};

// Call inside a catch (...) around plugin code. pthread_exit and thread
// cancellation unwind as an exception that no C++ type describes (as does an
// exception of another language): letting it go on would end the run with
// status 0 once the thread is gone, and swallowing it aborts. So this ends
// the process as the innermost scope's guard does.
void end_process_if_unwinding_the_thread();

// Why plugin code failed when an exception escaped it: "threw an exception:
// <what()>" or "threw a non-standard exception (<type>)". Call inside a catch.
std::string describe_escaped_exception();

// Runs `call` (plugin code) under a PluginCallScope. An exception escaping it is
// a plugin defect, translated here at the boundary into the reason returned;
// a thread exit through it ends the process as exit() would.
template <typename Call>
auto call_plugin(const std::string& who, ExitCode exit_code, const std::string& aftermath, Call&& call)
    -> std::variant<std::invoke_result_t<Call>, std::string> {
    using Result = std::variant<std::invoke_result_t<Call>, std::string>;
    const PluginCallScope scope(who, exit_code, aftermath);
    try {
        return Result(std::in_place_index<0>, std::invoke(std::forward<Call>(call)));
    } catch (...) {
        end_process_if_unwinding_the_thread();
        return Result(std::in_place_index<1>, describe_escaped_exception());
    }
}

}  // namespace migration_host
