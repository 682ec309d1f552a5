// Header-only C++17 helpers for plugin authors: declare a plugin and its steps in a few lines, with exceptions kept off the C ABI.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/plugin.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace migration_host::sdk {

// A host call that failed; what() is the host's message (SQLSTATE, native
// code, driver text for SQL errors).
class HostCallError : public std::runtime_error {
public:
    HostCallError(int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
    int32_t status() const noexcept { return status_; }

private:
    int32_t status_;
};

// One result row: nullopt for SQL NULL. The views are valid only during the
// row callback.
using RowView = std::vector<std::optional<std::string_view>>;

// A value bound to a `?` marker (ABI 1.2): text the database converts to the
// column's type, or nullopt for SQL NULL.
using Value = std::optional<std::string>;
using Values = std::vector<Value>;

// The host API for one step call, with C++ types and exceptions.
class Host {
public:
    Host(const mh_host_api* api, mh_host_context* context) : api_(api), context_(context) {}

    // Executes one statement; throws HostCallError when the database rejects it, or (MH_E_INVALID, before the host
    // sees it) when it holds a NUL byte, as for every statement and bound value below.
    void exec(std::string_view sql) const {
        refuse_nul("sql_exec", sql, "the statement");
        const std::string statement(sql);  // the C API wants NUL-terminated text
        const int32_t status = api_->sql_exec(context_, statement.c_str());
        if (status != MH_OK) throw HostCallError(status, api_->error_last(context_));
    }

    // Runs a query, calling on_row(const RowView&) for each row in order.
    template <typename OnRow>
    void query(std::string_view sql, OnRow&& on_row) const {
        refuse_nul("query_run", sql, "the statement");
        const std::string statement(sql);
        Relay<OnRow> relay{&on_row, nullptr};
        const int32_t status = api_->query_run(context_, statement.c_str(), &relay_row<OnRow>, &relay);
        if (relay.failure) std::rethrow_exception(relay.failure);
        if (status != MH_OK) throw HostCallError(status, api_->error_last(context_));
    }

    // True when the host offers bound parameters (ABI 1.2 or later).
    bool has_parameters() const noexcept { return MH_STRUCT_HAS(api_, mh_host_api, query_run_params); }

    // Executes one statement with `values` bound to its `?` markers (ABI 1.2).
    // On an older host throws HostCallError(MH_E_UNSUPPORTED) saying so,
    // before anything is executed.
    void exec(std::string_view sql, const Values& values) const {
        require_parameters("sql_exec_params");
        refuse_nul("sql_exec_params", sql, "the statement");
        const std::string statement(sql);
        const auto pointers = value_pointers("sql_exec_params", values);
        const int32_t status = api_->sql_exec_params(context_, statement.c_str(), pointers.data(),
                                                     static_cast<uint32_t>(pointers.size()));
        if (status != MH_OK) throw HostCallError(status, api_->error_last(context_));
    }

    // Runs a query with `values` bound, calling on_row(const RowView&) per row (ABI 1.2).
    template <typename OnRow>
    void query(std::string_view sql, const Values& values, OnRow&& on_row) const {
        require_parameters("query_run_params");
        refuse_nul("query_run_params", sql, "the statement");
        const std::string statement(sql);
        const auto pointers = value_pointers("query_run_params", values);
        Relay<OnRow> relay{&on_row, nullptr};
        const int32_t status = api_->query_run_params(context_, statement.c_str(), pointers.data(),
                                                      static_cast<uint32_t>(pointers.size()), &relay_row<OnRow>,
                                                      &relay);
        if (relay.failure) std::rethrow_exception(relay.failure);
        if (status != MH_OK) throw HostCallError(status, api_->error_last(context_));
    }

    // "sqlite", "mysql", "postgresql" or another DBMS's lower-case name.
    std::string_view dialect() const { return api_->dialect_name(context_); }
    std::string_view dbms_version() const { return api_->dbms_version(context_); }
    std::string_view database_name() const { return api_->database_name(context_); }
    // NULL offline; see mh_host_api.odbc_connection for the rules.
    void* odbc_connection() const { return api_->odbc_connection(context_); }

    // A NUL byte in `message` is written as "\0": a log line is no reason to fail a step, nor to lose its end.
    void log(int32_t level, std::string_view message) const {
        std::string text;
        text.reserve(message.size());
        for (const char c : message) {
            if (c == '\0') {
                text += "\\0";
            } else {
                text += c;
            }
        }
        api_->log_write(context_, level, text.c_str());
    }
    void info(std::string_view message) const { log(MH_LOG_INFO, message); }
    void warn(std::string_view message) const { log(MH_LOG_WARN, message); }
    void error(std::string_view message) const { log(MH_LOG_ERROR, message); }

    // True when the host takes progress reports (ABI 1.4 or later).
    bool has_progress() const noexcept { return MH_STRUCT_HAS(api_, mh_host_api, progress_report); }
    // Says that `done` of `total` `unit` (total 0: unknown) of the step's long work are done; see
    // mh_host_api.progress_report. Cheap enough to call once per row. On a host older than 1.4 it does nothing, so
    // a step never needs to check: progress is something to show, never something a step depends on.
    void progress(std::uint64_t done, std::uint64_t total, const char* unit = "rows") const noexcept {
        if (has_progress()) api_->progress_report(context_, done, total, unit);
    }

    const mh_host_api* api() const noexcept { return api_; }
    mh_host_context* context() const noexcept { return context_; }

private:
    template <typename OnRow>
    struct Relay {
        std::remove_reference_t<OnRow>* on_row;
        std::exception_ptr failure;
    };

    template <typename OnRow>
    static int32_t relay_row(const char* const* values, const uint32_t* lengths, uint32_t count, void* user) {
        auto* relay = static_cast<Relay<OnRow>*>(user);
        try {
            RowView row(count);
            for (uint32_t i = 0; i < count; ++i) {
                if (values[i] != nullptr) row[i] = std::string_view(values[i], lengths[i]);
            }
            (*relay->on_row)(row);
            return MH_OK;
        } catch (...) {
            // Carried across the C call and rethrown by query(), not swallowed.
            relay->failure = std::current_exception();
            return MH_E_ABORTED;
        }
    }

public:
    // Throws HostCallError(MH_E_UNSUPPORTED) naming `what` unless the host offers
    // bound parameters: a step that needs them calls it first, before changing anything.
    void require_parameters(const char* what) const {
        if (has_parameters()) return;
        throw HostCallError(MH_E_UNSUPPORTED,
                            std::string("this step needs bound parameters (") + what +
                                ", ABI 1.2) but the host offers ABI " + std::to_string(api_->abi_major) + "." +
                                std::to_string(api_->abi_minor) + "; upgrade migration-host");
    }

private:
    // The C API takes NUL-terminated text, so a NUL byte inside a statement or a value would silently end it there:
    // the host would run a statement's prefix, or store a value's. Only this side holds the real length, so the
    // text is refused here, before the host sees any of it. The message says where the NUL is, never the text
    // (a value may be a secret).
    static void refuse_nul(const char* function, std::string_view text, const std::string& what) {
        const std::size_t nul = text.find('\0');
        if (nul == std::string_view::npos) return;
        throw HostCallError(MH_E_INVALID, std::string(function) + ": " + what + " holds a NUL byte at offset " +
                                              std::to_string(nul) + " of " + std::to_string(text.size()) +
                                              " (the C API would end it there): refused, the statement was not run");
    }

    static std::vector<const char*> value_pointers(const char* function, const Values& values) {
        std::vector<const char*> pointers;
        pointers.reserve(values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const Value& value = values[i];
            if (value) {
                refuse_nul(function, *value,
                           "bound value " + std::to_string(i + 1) + " of " + std::to_string(values.size()));
            }
            pointers.push_back(value ? value->c_str() : nullptr);
        }
        return pointers;
    }

    const mh_host_api* api_;
    mh_host_context* context_;
};

// The SDK guard: runs body(Host&) and turns any exception into a status code
// and a message the host copies. One of the two places where exceptions
// become status codes (the other is the host's top level).
template <typename Body>
int32_t guard(const mh_host_api* api, mh_host_context* context, Body&& body) noexcept {
    if (api == nullptr || context == nullptr) return MH_E_INVALID;
    try {
        Host host(api, context);
        std::invoke(std::forward<Body>(body), host);
        return MH_OK;
    } catch (const HostCallError& error) {
        api->error_set(context, error.what());
        return error.status();
    } catch (const std::exception& error) {
        api->error_set(context, error.what());
        return MH_E_FAILED;
    } catch (...) {
        api->error_set(context, "unknown C++ exception in plugin step");
        return MH_E_FAILED;
    }
}

// Adapts `void fn(Host&)` to the C step signature, through the guard:
// sdk::step<&my_upgrade>.
template <void (*Function)(Host&)>
int32_t step(const mh_host_api* api, mh_host_context* context) noexcept {
    return guard(api, context, Function);
}

// Builds an mh_migration in readable steps, at compile time:
//   constexpr mh_migration m = sdk::Migration("cinder", 1, "001_cinder_init").upgrade(sdk::step<&up>);
class Migration {
public:
    constexpr Migration(const char* track, int64_t version, const char* name)
        : value_{sizeof(mh_migration), 0, track, version, name, nullptr, 0, 0, nullptr, nullptr, nullptr, nullptr} {}

    constexpr Migration upgrade(mh_step_fn function) const {
        Migration copy = *this;
        copy.value_.upgrade = function;
        return copy;
    }
    constexpr Migration downgrade(mh_step_fn function) const {
        Migration copy = *this;
        copy.value_.downgrade = function;
        return copy;
    }
    // No downgrade; `why` is shown when one is asked for.
    constexpr Migration irreversible(const char* why) const {
        Migration copy = *this;
        copy.value_.flags |= MH_MIGRATION_IRREVERSIBLE;
        copy.value_.downgrade = nullptr;
        copy.value_.downgrade_refusal = why;
        return copy;
    }
    // `requirements` is a static array of "track@version" strings.
    template <std::size_t N>
    constexpr Migration requires_versions(const char* const (&requirements)[N]) const {
        Migration copy = *this;
        copy.value_.requirements = requirements;
        copy.value_.requirement_count = static_cast<uint32_t>(N);
        return copy;
    }
    // The upgrade may be run again from its start where an earlier attempt stopped partway: it checks what is
    // already done (MH_MIGRATION_RESTARTABLE, ABI 1.3).
    constexpr Migration restartable() const {
        Migration copy = *this;
        copy.value_.flags |= MH_MIGRATION_RESTARTABLE;
        return copy;
    }
    // A checksum the plugin vouches for (see mh_migration.checksum).
    constexpr Migration checksum(const char* value) const {
        Migration copy = *this;
        copy.value_.checksum = value;
        return copy;
    }
    constexpr mh_migration build() const { return value_; }

private:
    mh_migration value_;
};

// True when a plugin built against this header can serve the host.
constexpr bool host_is_compatible(uint32_t host_abi_major, uint32_t /*host_abi_minor*/) {
    // Minor versions only append members that this plugin checks for with
    // MH_STRUCT_HAS, so any minor version of the same major will do.
    return host_abi_major == MH_ABI_VERSION_MAJOR;
}

template <std::size_t N>
constexpr mh_plugin_descriptor make_descriptor(const char* id, const char* name, const char* version,
                                               const char* description,
                                               const mh_migration* const (&migrations)[N]) {
    return mh_plugin_descriptor{sizeof(mh_plugin_descriptor),
                                MH_PLUGIN_MAGIC,
                                MH_ABI_VERSION_MAJOR,
                                MH_ABI_VERSION_MINOR,
                                id,
                                name,
                                version,
                                description,
                                migrations,
                                static_cast<uint32_t>(N),
                                0};
}

}  // namespace migration_host::sdk

// Defines the plugin's exported entry function, returning `descriptor` (an
// object with static storage) to any compatible host. Use once per library,
// at namespace scope.
#define MIGRATION_HOST_PLUGIN(descriptor)                                                                    \
    MH_PLUGIN_ENTRY(host_abi_major, host_abi_minor) {                                                        \
        return ::migration_host::sdk::host_is_compatible(host_abi_major, host_abi_minor) ? &(descriptor)     \
                                                                                         : nullptr;          \
    }
