// Shared by the bad plugins: a well-formed migration bad@1 whose step creates bad_marker, and a descriptor around it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <migration_host/plugin.h>

namespace bad {

// Leaves a table behind, so a test can see whether a step's work stayed in the database.
inline int32_t create_marker(const mh_host_api* host, mh_host_context* ctx) {
    return host->sql_exec(ctx, "CREATE TABLE bad_marker (id INTEGER)");
}

inline int32_t drop_marker(const mh_host_api* host, mh_host_context* ctx) {
    return host->sql_exec(ctx, "DROP TABLE bad_marker");
}

// True on the step's real run; false when the host renders it offline (checksums), where a bad step behaves so
// that its misbehaviour happens with the database in the middle of the step.
inline bool online(const mh_host_api* host, mh_host_context* ctx) {
    return host->odbc_connection(ctx) != nullptr;
}

constexpr mh_migration migration(mh_step_fn upgrade, const char* track = "bad", int64_t version = 1,
                                 const char* name = "001_bad") {
    return mh_migration{sizeof(mh_migration), 0,       track,  version, name, nullptr, 0, 0, upgrade,
                        drop_marker,          nullptr, nullptr};
}

template <unsigned N>
constexpr mh_plugin_descriptor descriptor(const char* id, const mh_migration* const (&migrations)[N]) {
    return mh_plugin_descriptor{sizeof(mh_plugin_descriptor),
                                MH_PLUGIN_MAGIC,
                                MH_ABI_VERSION_MAJOR,
                                MH_ABI_VERSION_MINOR,
                                id,
                                "Bad plugin (test)",
                                "1.0.0",
                                nullptr,
                                migrations,
                                N,
                                0};
}

}  // namespace bad

// The entry function, returning `expression` whatever the host's ABI version.
#define BAD_PLUGIN_ENTRY(expression)                                                                   \
    extern "C" MH_EXPORT const mh_plugin_descriptor* migration_host_plugin_entry(uint32_t, uint32_t) { \
        return (expression);                                                                           \
    }
