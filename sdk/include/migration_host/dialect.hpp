// Header-only dialect identity: the three SQL dialects the SDK renders for, and their names as the host gives them.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. schema.hpp includes it with the rest of the SDK.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace migration_host::schema {

enum class Dialect { sqlite, mysql, postgresql };

// "sqlite", "mysql" or "postgresql" (SQLAlchemy's dialect names); nullopt otherwise.
inline std::optional<Dialect> dialect_from_name(std::string_view name) {
    if (name == "sqlite") return Dialect::sqlite;
    if (name == "mysql") return Dialect::mysql;
    if (name == "postgresql") return Dialect::postgresql;
    return std::nullopt;
}

// dialect_from_name for steps that only know these three: throws
// std::invalid_argument naming the dialect otherwise (the SDK guard turns that
// into the step's error message).
inline Dialect require_dialect(std::string_view name) {
    if (const auto dialect = dialect_from_name(name)) return *dialect;
    throw std::invalid_argument("this step supports sqlite, mysql and postgresql, not '" + std::string(name) + "'");
}

// The inverse of dialect_from_name.
inline std::string_view dialect_name(Dialect dialect) {
    switch (dialect) {
        case Dialect::sqlite: return "sqlite";
        case Dialect::mysql: return "mysql";
        case Dialect::postgresql: return "postgresql";
    }
    return "unknown";
}

}  // namespace migration_host::schema
