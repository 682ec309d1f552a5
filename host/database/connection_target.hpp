// Where the host connects, parsed once: the ODBC connection string, its attributes, its driver, what to display.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migration_host {

// The embedded default, in the current directory: SQLite through Debian's SQLite3 ODBC driver.
inline constexpr const char* default_sqlite_file = "migration-host.sqlite";

// The ODBC drivers the host knows by name (Debian's SQLite3, MariaDB Connector/ODBC, psqlODBC); any other driver
// is `other`, and everything about it is left to the driver.
enum class DriverKind { sqlite3, mariadb, postgresql, other };

// A connection string, or a DSN name as the string "DSN=name", with its attributes read once. Every layer that needs
// to know something about where the host connects asks this type; nothing parses a connection string again.
class ConnectionTarget {
public:
    // The SQLite file `file` through the SQLite3 driver; embedded_default() is default_sqlite_file in the current
    // directory.
    static ConnectionTarget sqlite_file(const std::filesystem::path& file);
    static ConnectionTarget embedded_default();
    // A --dsn value: a connection string when it holds '=', else the name of an odbc.ini data source. Throws
    // HostError(usage) "invalid <named_by>: ..." for a string ODBC cannot carry (connection_string_problem).
    static ConnectionTarget parse(std::string_view dsn, std::string_view named_by = "--dsn");

    // What SQLDriverConnect is given.
    const std::string& connection_string() const noexcept { return text_; }
    // For messages and logs: every password hidden (redact_connection_string).
    std::string redacted() const;
    // The data source named by DSN=, if any.
    const std::optional<std::string>& dsn_name() const noexcept { return dsn_; }
    DriverKind driver() const noexcept { return driver_; }
    // The driver as the string names it (DRIVER=), else as its DSN's odbc.ini section does (Driver=); nullopt for
    // neither.
    std::optional<std::string> driver_name() const;
    // Every key the string gives, as written (blanks trimmed), in order.
    std::vector<std::string> keys() const;

    // The value of `key` (any case; the first one given counts, as with the drivers) in the string, braces
    // removed; nullopt when the string does not give it.
    std::optional<std::string> attribute(std::string_view key) const;
    // attribute(), else the key in the DSN's odbc.ini section (any case, as the driver reads it).
    std::optional<std::string> setting(std::string_view key) const;
    // For the SQLite3 driver: the database file the string or its DSN names ("" for none); nullopt for any other
    // driver.
    std::optional<std::string> sqlite_database_file() const;

    // Copies with one change. with_password appends PWD={...} ('}' doubled), so that ';', '{', '}', '=' and blanks
    // in the password are read as part of it; with_database replaces every DATABASE attribute (any case) by one
    // naming `database`; with_leading_attribute puts key=value first, where it wins over the same key later on.
    ConnectionTarget with_password(std::string_view password) const;
    ConnectionTarget with_database(std::string_view database) const;
    ConnectionTarget with_leading_attribute(std::string_view key, std::string_view value) const;

private:
    struct Attribute {
        std::string key;    // as written, blanks trimmed
        std::string value;  // braces removed, "}}" read as '}'
        std::string text;   // the whole attribute as written, without its ';'
    };

    explicit ConnectionTarget(std::string text);

    std::string text_;
    std::vector<Attribute> attributes_;
    std::optional<std::string> dsn_;
    DriverKind driver_ = DriverKind::other;
};

// Why ODBC cannot be given this connection string (longer than 32767 bytes, the most SQLDriverConnect takes, or
// holding a NUL byte, where the driver would stop reading), or nullopt when it can. Never quotes the string.
std::optional<std::string> connection_string_problem(std::string_view connection_string);

}  // namespace migration_host
