// Calls plugin code across the C ABI: an escaping exception becomes a reason, and exit() or a crash names the call.
// SPDX-License-Identifier: Apache-2.0
#include "plugins/plugin_call.hpp"

#include <cxxabi.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>

namespace migration_host {

struct PluginCallScope::State {
    std::string who;
    ExitCode exit_code = ExitCode::step_failed;
    std::string aftermath;
    // Written whole before the state is published, only read by the crash handler.
    std::string crash_prefix;  // "migration-host: error: <who> crashed ("
    std::string crash_suffix;  // "); <aftermath>\n"
};

namespace {

// The innermost scope, or null outside plugin code. Read by exit handlers and
// the crash handler, so it is a lock-free atomic.
std::atomic<PluginCallScope::State*> active_call{nullptr};
static_assert(std::atomic<PluginCallScope::State*>::is_always_lock_free);

constexpr std::array crash_signals = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
std::array<struct sigaction, crash_signals.size()> actions_before_plugin_code;

// One line: a file name or a plugin's text must not break it.
std::string one_line(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    return text;
}

void write_all(const char* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t written = ::write(STDERR_FILENO, data, size);
        if (written <= 0) return;
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

[[noreturn]] void end_process(const PluginCallScope::State& state, const std::string& what_happened) {
    // _exit skips stdio's flush: keep what earlier steps reported.
    std::fflush(stdout);
    const std::string line =
        fmt::format("migration-host: error: {} {}; {}\n", state.who, what_happened, state.aftermath);
    write_all(line.data(), line.size());
    ::_exit(static_cast<int>(state.exit_code));
}

void on_exit_from_plugin(int status, void*) {
    if (const auto* state = active_call.load()) {
        end_process(*state, fmt::format("called exit({}) instead of returning", status));
    }
}

void on_quick_exit_from_plugin() {
    if (const auto* state = active_call.load()) end_process(*state, "called quick_exit() instead of returning");
}

const char* signal_name(int signal) noexcept {
    switch (signal) {
        case SIGSEGV:
            return "SIGSEGV";
        case SIGBUS:
            return "SIGBUS";
        case SIGILL:
            return "SIGILL";
        case SIGFPE:
            return "SIGFPE";
        case SIGABRT:
            return "SIGABRT";
        default:
            return "signal";
    }
}

// Async-signal-safe: write(), sigaction() and raise() only. Gives the signal
// back to whoever handled it before (the default action, or a sanitizer).
void on_crash_in_plugin(int signal) {
    for (std::size_t i = 0; i < crash_signals.size(); ++i) {
        sigaction(crash_signals[i], &actions_before_plugin_code[i], nullptr);
    }
    if (const auto* state = active_call.load()) {
        write_all(state->crash_prefix.data(), state->crash_prefix.size());
        const char* name = signal_name(signal);
        std::size_t length = 0;
        while (name[length] != '\0') ++length;
        write_all(name, length);
        write_all(state->crash_suffix.data(), state->crash_suffix.size());
    }
    raise(signal);
}

// A crash from a stack overflow needs a stack of its own to be reported on.
void ensure_alternate_signal_stack() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;  // one is there
    static const std::size_t size = static_cast<std::size_t>(SIGSTKSZ) + 65536;
    static const std::unique_ptr<char[]> memory(new char[size]);
    stack_t stack{};
    stack.ss_sp = memory.get();
    stack.ss_size = size;
    sigaltstack(&stack, nullptr);
}

void install_crash_handlers() {
    struct sigaction action {};
    action.sa_handler = on_crash_in_plugin;
    action.sa_flags = SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < crash_signals.size(); ++i) {
        sigaction(crash_signals[i], &action, &actions_before_plugin_code[i]);
    }
}

std::string demangle(const char* name) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> readable(abi::__cxa_demangle(name, nullptr, nullptr, &status),
                                                         &std::free);
    return status == 0 && readable ? readable.get() : name;
}

}  // namespace

PluginCallScope::PluginCallScope(const std::string& who, ExitCode exit_code, const std::string& aftermath)
    : previous_(active_call.load()), state_(std::make_unique<State>()) {
    // Registered once, when plugin code first runs: exit handlers run in
    // reverse order, so this one runs before the host's own.
    static std::once_flag registered;
    std::call_once(registered, [] {
        on_exit(on_exit_from_plugin, nullptr);
        at_quick_exit(on_quick_exit_from_plugin);
    });
    state_->who = one_line(who);
    state_->exit_code = exit_code;
    state_->aftermath = one_line(aftermath);
    state_->crash_prefix = "migration-host: error: " + state_->who + " crashed (";
    state_->crash_suffix = "); " + state_->aftermath + "\n";
    // Installed at the first plugin call and kept: installing and restoring them around every call cost eleven
    // system calls per call (a fifth of `validate` over 20,000 steps). Outside plugin code the handler finds no
    // active call, gives the signal back to the previous action and re-raises it, so the host's own crashes (and
    // a sanitizer's reports) are handled as if it were not there.
    // The alternate stack is per thread.
    static thread_local const bool stack_ready = (ensure_alternate_signal_stack(), true);
    static_cast<void>(stack_ready);
    static std::once_flag handlers_installed;
    std::call_once(handlers_installed, install_crash_handlers);
    active_call.store(state_.get());
}

PluginCallScope::~PluginCallScope() { active_call.store(previous_); }

void end_process_if_unwinding_the_thread() {
    if (abi::__cxa_current_exception_type() != nullptr) return;
    const std::string what_happened =
        "ended the host's thread (pthread_exit, cancellation, or an exception of another language)";
    if (const auto* state = active_call.load()) end_process(*state, what_happened);
    std::abort();
}

std::string describe_escaped_exception() {
    try {
        throw;
    } catch (const std::exception& error) {
        const char* what = error.what();
        return fmt::format("threw an exception: {}", what != nullptr ? what : "");
    } catch (...) {
        const std::type_info* type = abi::__cxa_current_exception_type();
        return fmt::format("threw a non-standard exception ({})", type != nullptr ? demangle(type->name()) : "?");
    }
}

}  // namespace migration_host
