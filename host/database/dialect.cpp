// The kind of database behind a connection, chosen once, and what the host does differently on each kind.
// SPDX-License-Identifier: Apache-2.0
#include "database/dialect.hpp"

#include <migration_host/identifiers.hpp>

#include <algorithm>
#include <cctype>

namespace migration_host {

Dialect::Dialect(schema::Dialect known) : known_(known), name_(schema::dialect_name(known)) {}

Dialect Dialect::for_dbms(std::string_view dbms_name) {
    std::string lower(dbms_name);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower.find("sqlite") != std::string::npos) return schema::Dialect::sqlite;
    if (lower.find("mysql") != std::string::npos || lower.find("mariadb") != std::string::npos) {
        return schema::Dialect::mysql;
    }
    if (lower.find("postgres") != std::string::npos) return schema::Dialect::postgresql;
    return Dialect(std::nullopt, lower);
}

std::optional<Dialect> Dialect::named(std::string_view name) {
    if (const auto known = schema::dialect_from_name(name)) return Dialect(*known);
    return std::nullopt;
}

bool Dialect::transactional_ddl() const noexcept {
    return known_ == schema::Dialect::sqlite || known_ == schema::Dialect::postgresql;
}

Dialect::RunLockKind Dialect::run_lock() const noexcept {
    if (!known_) return RunLockKind::lease;
    switch (*known_) {
        case schema::Dialect::sqlite: return RunLockKind::file_lock;
        case schema::Dialect::mysql: return RunLockKind::named_lock;
        case schema::Dialect::postgresql: return RunLockKind::advisory_lock;
    }
    return RunLockKind::lease;
}

std::optional<std::string> Dialect::table_exists_query() const {
    if (!known_) return std::nullopt;
    switch (*known_) {
        case schema::Dialect::sqlite: return "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?";
        case schema::Dialect::mysql:
            return "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?";
        case schema::Dialect::postgresql:
            return "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                   "AND table_name = ?";
    }
    return std::nullopt;
}

std::string Dialect::quote(std::string_view identifier) const {
    if (known_) return schema::quote_identifier(identifier, *known_);
    std::string quoted = "\"";
    for (const char c : identifier) {
        quoted += c;
        if (c == '"') quoted += '"';
    }
    return quoted + "\"";
}

}  // namespace migration_host
