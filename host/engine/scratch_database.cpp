// A throwaway database like the live one, on its own connection, always dropped: where verify builds its expectation.
// SPDX-License-Identifier: Apache-2.0
#include "engine/scratch_database.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "database/redact.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

std::string upper_trimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return result;
}

// migration_host_verify_<8 hex digits>: the host's own prefix (never taken for a plugin's table or database), and
// random, so that two verify runs against one server never share a scratch.
std::string scratch_name() {
    std::random_device random;
    return fmt::format("migration_host_verify_{:08x}", random());
}

std::unique_ptr<odbc::Connection> connect(const odbc::Environment& environment, const std::string& connection_string,
                                          std::uint32_t login_timeout_seconds,
                                          const odbc::StatementTimeout& statement_timeout) {
    try {
        auto connection = std::make_unique<odbc::Connection>(environment, connection_string, login_timeout_seconds);
        connection->set_statement_timeout(statement_timeout);
        return connection;
    } catch (const odbc::Error& error) {
        throw HostError(
            ExitCode::cannot_connect,
            fmt::format("verify: cannot open the second connection for its scratch database: {}", error.what()));
    }
}

}  // namespace

std::string with_database_attribute(const std::string& connection_string, const std::string& database) {
    std::string kept;
    std::size_t start = 0;
    while (start < connection_string.size()) {
        // An attribute runs to the next ';' outside braces ({...}, "}}" standing for '}').
        std::size_t end = start;
        bool braced = false;
        while (end < connection_string.size()) {
            const char c = connection_string[end];
            if (braced && c == '}') {
                if (end + 1 < connection_string.size() && connection_string[end + 1] == '}') {
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
        const std::string_view attribute(connection_string.data() + start, end - start);
        const auto equals = attribute.find('=');
        const bool is_database =
            equals != std::string_view::npos && upper_trimmed(attribute.substr(0, equals)) == "DATABASE";
        if (!is_database && !upper_trimmed(attribute).empty()) kept += std::string(attribute) + ";";
        start = end + 1;
    }
    return kept + "DATABASE=" + database;
}

std::unique_ptr<ScratchDatabase> ScratchDatabase::create(const odbc::Environment& environment,
                                                         const std::string& connection_string, const DatabaseInfo& live,
                                                         std::uint32_t login_timeout_seconds,
                                                         const odbc::StatementTimeout& statement_timeout) {
    std::unique_ptr<ScratchDatabase> scratch(new ScratchDatabase());
    scratch->dialect_ = live.dialect;
    if (live.dialect == "sqlite") {
        std::string pattern = (std::filesystem::temp_directory_path() / "migration-host-verify-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw HostError(
                ExitCode::step_failed,
                fmt::format("verify: cannot create a temporary directory for its scratch database ({})", pattern));
        }
        scratch->directory_ = pattern;
        const std::string file = pattern + "/expected.sqlite";
        scratch->description_ = "temporary SQLite file " + file;
        scratch->connection_ = connect(environment, with_database_attribute(connection_string, file),
                                       login_timeout_seconds, statement_timeout);
    } else if (live.dialect == "mysql" || live.dialect == "postgresql") {
        const bool mysql = live.dialect == "mysql";
        scratch->connection_ = connect(environment, connection_string, login_timeout_seconds, statement_timeout);
        const odbc::Connection& connection = *scratch->connection_;
        const std::string name = scratch_name();
        std::string create;
        if (mysql) {
            // The live database's defaults, so that a table a step creates without naming a character set gets
            // the one it got there.
            const auto defaults = connection.query(
                "SELECT default_character_set_name, default_collation_name FROM information_schema.schemata WHERE "
                "schema_name = ?",
                {live.database_name});
            create = fmt::format("CREATE DATABASE `{}`", name);
            if (!defaults.empty() && defaults.front().at(0) && defaults.front().at(1)) {
                create += fmt::format(" CHARACTER SET {} COLLATE {}", *defaults.front().at(0), *defaults.front().at(1));
            }
        } else {
            create = fmt::format("CREATE SCHEMA \"{}\"", name);
        }
        const auto created = connection.try_execute(create);
        if (const auto* refused = std::get_if<odbc::Diagnostic>(&created)) {
            throw HostError(
                ExitCode::step_failed,
                mysql
                    ? fmt::format(
                          "verify builds the expected schema in a scratch database, and the server refused "
                          "to create one ({}: {}): grant this user CREATE and DROP on `migration_host_verify_%`.*"
                          " (or run verify as a user who has them); the database was not touched",
                          create, refused->to_string())
                    : fmt::format("verify builds the expected schema in a scratch schema, and the server refused to "
                                  "create one ({}: {}): grant this user CREATE ON DATABASE \"{}\" (or run verify as a "
                                  "user who has it); the database was not touched",
                                  create, refused->to_string(), live.database_name));
        }
        scratch->name_ = name;
        scratch->description_ = fmt::format("scratch {} {}", mysql ? "database" : "schema", name);
        connection.execute(mysql ? fmt::format("USE `{}`", name) : fmt::format("SET search_path TO \"{}\"", name));
    } else {
        throw HostError(ExitCode::refused,
                        fmt::format("verify cannot build a scratch database on {} (dialect {}): it knows SQLite, "
                                    "MySQL/MariaDB and PostgreSQL",
                                    live.dbms_name, live.dialect));
    }
    scratch->database_ = describe_database(*scratch->connection_);
    spdlog::debug("verify: expected schema built in the {}", scratch->description_);
    return scratch;
}

std::string ScratchDatabase::left_behind() const {
    if (dialect_ == "sqlite") return fmt::format("the temporary directory {} is left behind", directory_);
    return fmt::format("the {} is left behind (drop it by hand); the database itself was not touched", description_);
}

void ScratchDatabase::drop() noexcept {
    if (dialect_ == "sqlite") {
        connection_.reset();
        std::error_code error;
        std::filesystem::remove_all(directory_, error);
        if (error) spdlog::warn("verify: cannot remove {}: {}", directory_, error.message());
        return;
    }
    if (name_.empty() || !connection_) return;
    // A step that failed inside a transaction leaves it open (PostgreSQL refuses every later statement in it).
    connection_->rollback();
    const std::string drop = dialect_ == "mysql" ? fmt::format("DROP DATABASE IF EXISTS `{}`", name_)
                                                 : fmt::format("DROP SCHEMA IF EXISTS \"{}\" CASCADE", name_);
    const auto result = connection_->try_execute(drop);
    if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
        spdlog::warn("verify: cannot drop its {} ({}); drop it by hand", description_, error->to_string());
    }
}

ScratchDatabase::~ScratchDatabase() {
    drop();
}

}  // namespace migration_host
