// Where the host connects, parsed once: the ODBC connection string, its attributes, its driver, what to display.
// SPDX-License-Identifier: Apache-2.0
#include "database/connection_target.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "database/odbc.hpp"
#include "database/redact.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

std::string lower_case(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

bool same_key(std::string_view a, std::string_view b) {
    return lower_case(trimmed(a)) == lower_case(trimmed(b));
}

// The driver a DRIVER value (a name from odbcinst.ini or a library path) stands for, judged by its name and its
// library's file name.
DriverKind driver_kind(const std::string& driver) {
    const std::string library = driver.find('/') == std::string::npos
                                    ? odbc::profile_string(driver, "Driver", "odbcinst.ini").value_or(driver)
                                    : driver;
    const std::string names = lower_case(driver) + " " + lower_case(std::filesystem::path(library).filename().string());
    if (names.find("sqlite3") != std::string::npos) return DriverKind::sqlite3;
    if (names.find("maodbc") != std::string::npos || names.find("mariadb") != std::string::npos ||
        names.find("mysql") != std::string::npos) {
        return DriverKind::mariadb;
    }
    if (names.find("psqlodbc") != std::string::npos || names.find("postgres") != std::string::npos) {
        return DriverKind::postgresql;
    }
    return DriverKind::other;
}

}  // namespace

ConnectionTarget::ConnectionTarget(std::string text) : text_(std::move(text)) {
    std::size_t start = 0;
    while (start < text_.size()) {
        // An attribute runs to the next ';' outside braces ({...}, "}}" standing for '}').
        std::size_t end = start;
        bool braced = false;
        while (end < text_.size()) {
            const char c = text_[end];
            if (braced && c == '}') {
                if (end + 1 < text_.size() && text_[end + 1] == '}') {
                    end += 2;
                    continue;
                }
                braced = false;
            } else if (!braced && c == '{') {
                braced = true;
            } else if (!braced && c == ';') {
                break;
            }
            ++end;
        }
        const std::string_view attribute(text_.data() + start, end - start);
        start = end + 1;
        const auto equals = attribute.find('=');
        if (equals == std::string_view::npos) continue;
        Attribute parsed;
        parsed.key = trimmed(attribute.substr(0, equals));
        parsed.text = std::string(attribute);
        std::string_view value = attribute.substr(equals + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (!value.empty() && value.front() == '{') {
            for (std::size_t i = 1; i < value.size(); ++i) {
                if (value[i] != '}') {
                    parsed.value += value[i];
                } else if (i + 1 < value.size() && value[i + 1] == '}') {
                    parsed.value += '}';
                    ++i;
                } else {
                    break;
                }
            }
        } else {
            parsed.value = trimmed(value);
        }
        attributes_.push_back(std::move(parsed));
    }
    dsn_ = attribute("DSN");
    if (const auto driver = attribute("DRIVER")) {
        driver_ = driver_kind(*driver);
    } else if (dsn_) {
        if (const auto named = odbc::profile_string(*dsn_, "Driver", "odbc.ini")) driver_ = driver_kind(*named);
    }
}

ConnectionTarget ConnectionTarget::sqlite_file(const std::filesystem::path& file) {
    return ConnectionTarget("DRIVER=SQLite3;DATABASE=" + file.string());
}

ConnectionTarget ConnectionTarget::embedded_default() {
    return sqlite_file(std::filesystem::current_path() / default_sqlite_file);
}

ConnectionTarget ConnectionTarget::parse(std::string_view dsn, std::string_view named_by) {
    std::string text = dsn.find('=') != std::string_view::npos ? std::string(dsn) : "DSN=" + std::string(dsn);
    if (const auto problem = connection_string_problem(text)) {
        throw HostError(ExitCode::usage, fmt::format("invalid {}: {}", named_by, *problem));
    }
    return ConnectionTarget(std::move(text));
}

std::string ConnectionTarget::redacted() const {
    return redact_connection_string(text_);
}

std::optional<std::string> ConnectionTarget::driver_name() const {
    if (auto driver = attribute("DRIVER")) return driver;
    if (!dsn_) return std::nullopt;
    return odbc::profile_string(*dsn_, "Driver", "odbc.ini");
}

std::vector<std::string> ConnectionTarget::keys() const {
    std::vector<std::string> keys;
    keys.reserve(attributes_.size());
    for (const auto& attribute : attributes_) keys.push_back(attribute.key);
    return keys;
}

std::optional<std::string> ConnectionTarget::attribute(std::string_view key) const {
    for (const auto& attribute : attributes_) {
        if (same_key(attribute.key, key)) return attribute.value;
    }
    return std::nullopt;
}

std::optional<std::string> ConnectionTarget::setting(std::string_view key) const {
    if (auto value = attribute(key)) return value;
    if (!dsn_) return std::nullopt;
    return odbc::profile_string(*dsn_, std::string(key), "odbc.ini");
}

std::optional<std::string> ConnectionTarget::sqlite_database_file() const {
    if (driver_ != DriverKind::sqlite3) return std::nullopt;
    return setting("Database").value_or("");
}

ConnectionTarget ConnectionTarget::with_password(std::string_view password) const {
    std::string result = text_;
    if (!result.empty() && result.back() != ';') result += ';';
    result += "PWD={";
    for (const char c : password) {
        result += c;
        if (c == '}') result += '}';
    }
    result += '}';
    return ConnectionTarget(std::move(result));
}

ConnectionTarget ConnectionTarget::with_database(std::string_view database) const {
    std::string kept;
    for (const auto& attribute : attributes_) {
        if (!same_key(attribute.key, "DATABASE")) kept += attribute.text + ";";
    }
    return ConnectionTarget(kept + "DATABASE=" + std::string(database));
}

ConnectionTarget ConnectionTarget::with_leading_attribute(std::string_view key, std::string_view value) const {
    return ConnectionTarget(std::string(key) + "=" + std::string(value) + ";" + text_);
}

std::optional<std::string> connection_string_problem(std::string_view connection_string) {
    if (connection_string.size() > odbc::max_connection_string_bytes) {
        return fmt::format("the connection string is {} bytes long; ODBC carries at most {}", connection_string.size(),
                           odbc::max_connection_string_bytes);
    }
    if (connection_string.find('\0') != std::string_view::npos) {
        return std::string("the connection string holds a NUL byte, where the driver would stop reading it");
    }
    return std::nullopt;
}

}  // namespace migration_host
