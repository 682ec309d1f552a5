// A throwaway database like the live one, outside it, on its own connection, always removed: where verify builds.
// SPDX-License-Identifier: Apache-2.0
#include "engine/scratch_database.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "database/connection_target.hpp"
#include "database/redact.hpp"
#include "engine/abandoned_scratches.hpp"
#include "engine/named_scratch.hpp"
#include "engine/scratch_sql.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

using named_scratch::empty_named;
using named_scratch::kept_by_named;
using named_scratch::named_contents;
using scratch_sql::first_value;
using scratch_sql::marker_table;
using scratch_sql::quoted_mysql;
using scratch_sql::quoted_postgresql;

// The advisory lock verify runs take in a named PostgreSQL scratch (advisory locks are per database): "mh_scrat".
constexpr std::int64_t named_scratch_lock_key = 0x6d685f7363726174;

std::uint32_t random_suffix() {
    std::random_device random;
    return random();
}

// Takes the named scratch's advisory lock within `seconds` (0: one try), polled so that no session setting changes.
bool take_advisory_lock(const odbc::Connection& connection, std::uint32_t seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        const auto taken = first_value(connection, "SELECT pg_try_advisory_lock(?)", {named_scratch_lock_key});
        if (taken == "1" || taken == "t" || taken == "true") return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// 64-bit FNV-1a: a fixed short name for a named lock from a database name of any length.
std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::string named_lock(const std::string& database_name) {
    return fmt::format("migration_host_scratch_{:016x}", fnv1a(database_name));
}

}  // namespace

std::unique_ptr<odbc::Connection> ScratchDatabase::connect(const std::string& connection_string,
                                                           const std::string& what) const {
    try {
        auto connection =
            std::make_unique<odbc::Connection>(*environment_, connection_string, settings_.login_timeout_seconds);
        connection->set_statement_timeout(settings_.statement_timeout);
        return connection;
    } catch (const odbc::Error& error) {
        throw HostError(ExitCode::cannot_connect, fmt::format("verify: cannot open {}: {}", what, error.what()));
    }
}

std::unique_ptr<ScratchDatabase> ScratchDatabase::create(const odbc::Environment& environment,
                                                         const odbc::Connection& live_connection,
                                                         const DatabaseInfo& live, const ScratchSettings& settings) {
    std::unique_ptr<ScratchDatabase> scratch(new ScratchDatabase());
    scratch->environment_ = &environment;
    scratch->settings_ = settings;
    scratch->dialect_ = live.dialect;
    if (live.dialect != schema::Dialect::sqlite && live.dialect != schema::Dialect::mysql && live.dialect != schema::Dialect::postgresql) {
        throw HostError(ExitCode::refused,
                        fmt::format("verify cannot build a scratch database on {} (dialect {}): it knows SQLite, "
                                    "MySQL/MariaDB and PostgreSQL",
                                    live.dbms_name, live.dialect));
    }
    if (settings.named_connection_string) {
        if (live.dialect == schema::Dialect::sqlite) {
            throw HostError(ExitCode::usage,
                            "--scratch-dsn serves MySQL/MariaDB and PostgreSQL: on SQLite verify builds in a "
                            "temporary file of its own, which needs no privilege (TMPDIR chooses its directory)");
        }
        scratch->kind_ = Kind::named_database;
        scratch->open_named(live_connection, live);
    } else if (live.dialect == schema::Dialect::sqlite) {
        scratch->kind_ = Kind::temporary_file;
        scratch->create_temporary_file();
    } else {
        scratch->kind_ = Kind::created_database;
        scratch->create_database(live);
    }
    scratch->database_ = describe_database(*scratch->connection_);
    spdlog::debug("verify: building the expected schema in the {}", scratch->description_);
    return scratch;
}

void ScratchDatabase::create_temporary_file() {
    remove_abandoned_directories();
    // The pid and its start time: a later verify removes the directory once this process is provably gone.
    const pid_t pid = getpid();
    std::string pattern = (std::filesystem::temp_directory_path() /
                           fmt::format("migration-host-verify-{}-{}-XXXXXX", pid, process_start_time(pid).value_or(0)))
                              .string();
    if (mkdtemp(pattern.data()) == nullptr) {
        throw HostError(
            ExitCode::step_failed,
            fmt::format("verify: cannot create a temporary directory for its scratch database ({})", pattern));
    }
    directory_ = pattern;
    owns_ = true;
    const std::string file = pattern + "/expected.sqlite";
    description_ = "temporary SQLite file " + file;
    connection_ = connect(ConnectionTarget::parse(settings_.live_connection_string).with_database(file).connection_string(),
                          "the second connection for its scratch database");
}

void ScratchDatabase::create_database(const DatabaseInfo& live) {
    const bool mysql = dialect_ == schema::Dialect::mysql;
    std::string create;
    if (mysql) {
        connection_ = connect(settings_.live_connection_string, "the second connection for its scratch database");
        const odbc::Connection& connection = *connection_;
        remove_abandoned_scratches(&connection, live);
        build_session_ = first_value(connection, "SELECT CONNECTION_ID()");
        name_ = fmt::format("migration_host_verify_{}_{:08x}", build_session_, random_suffix());
        // Held until the connection closes: while it is, no other verify takes the database for abandoned.
        if (first_value(connection, "SELECT GET_LOCK(?, 0)", {name_}) != "1") {
            throw HostError(ExitCode::step_failed,
                            fmt::format("verify: cannot take the lock {} for its scratch", name_));
        }
        // The live database's defaults, so that a table a step creates without naming a character set gets the one
        // it got there.
        const auto defaults = connection.query(
            "SELECT default_character_set_name, default_collation_name FROM information_schema.schemata WHERE "
            "schema_name = ?",
            {live.database_name});
        create = "CREATE DATABASE " + quoted_mysql(name_);
        if (!defaults.empty() && defaults.front().at(0) && defaults.front().at(1)) {
            create += fmt::format(" CHARACTER SET {} COLLATE {}", *defaults.front().at(0), *defaults.front().at(1));
        }
    } else {
        server_connection_ =
            connect(settings_.live_connection_string, "the second connection for its scratch database");
        const odbc::Connection& server = *server_connection_;
        remove_abandoned_scratches(&server, live);
        const auto session = server.query(
            "SELECT pid, floor(extract(epoch FROM backend_start))::bigint FROM pg_catalog.pg_stat_activity WHERE pid "
            "= pg_backend_pid()");
        if (session.empty()) throw HostError(ExitCode::step_failed, "verify: cannot read its own backend's pid");
        name_ = fmt::format("migration_host_verify_{}_{}_{:08x}", session.front().at(0).value_or("0"),
                            session.front().at(1).value_or("0"), random_suffix());
        // From template1 (what the live database most likely came from, extensions included) where the live
        // database's encoding and locale are template1's; else from template0 with the live ones (a copy of template1
        // cannot change them).
        const std::string settings_sql =
            "SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype FROM pg_catalog.pg_database WHERE "
            "datname = ";
        const auto live_settings = server.query(settings_sql + "current_database()");
        const auto template_settings = server.query(settings_sql + "'template1'");
        create = "CREATE DATABASE " + quoted_postgresql(name_);
        if (!live_settings.empty() && (template_settings.empty() || live_settings != template_settings)) {
            const auto& row = live_settings.front();
            create += fmt::format(" TEMPLATE template0 ENCODING '{}' LC_COLLATE '{}' LC_CTYPE '{}'",
                                  row.at(0).value_or("UTF8"), row.at(1).value_or("C"), row.at(2).value_or("C"));
        }
    }
    const odbc::Connection& creator = mysql ? *connection_ : *server_connection_;
    const auto created = creator.try_execute(create);
    if (const auto* refused = std::get_if<odbc::Diagnostic>(&created)) {
        const std::string grant = mysql ? "grant this user CREATE and DROP on `migration_host_verify_%`.*"
                                        : "grant this user CREATEDB (ALTER ROLE ... CREATEDB)";
        throw HostError(ExitCode::step_failed,
                        fmt::format("verify builds the expected schema in a scratch database, and the server refused "
                                    "to create one ({}: {}): {}, or name an empty database it may use with "
                                    "--scratch-dsn; the database was not touched",
                                    create, refused->to_string(), grant));
    }
    owns_ = true;
    description_ = "scratch database " + name_;
    if (mysql) {
        connection_->execute("USE " + quoted_mysql(name_));
    } else {
        connection_ = connect(ConnectionTarget::parse(settings_.live_connection_string).with_database(name_).connection_string(),
                              "a connection to its scratch database " + name_);
    }
    build_session_ = first_value(*connection_, mysql ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
}

void ScratchDatabase::open_named(const odbc::Connection& live_connection, const DatabaseInfo& live) {
    connection_ = connect(*settings_.named_connection_string, "the scratch database --scratch-dsn names");
    const odbc::Connection& connection = *connection_;
    const DatabaseInfo named = describe_database(connection);
    name_ = named.database_name;
    description_ = fmt::format("scratch database {} (--scratch-dsn)", name_);
    if (named.dialect != live.dialect) {
        throw HostError(ExitCode::refused,
                        fmt::format("--scratch-dsn names a {} database, and the database verify checks is {}: the "
                                    "scratch must be of the same kind",
                                    named.dbms_name, live.dbms_name));
    }
    // The live database itself, reached by any name: a lock only this host holds, seen from the scratch's side
    // (MySQL), or the live session seen among the scratch database's (PostgreSQL).
    bool same = false;
    if (dialect_ == schema::Dialect::mysql) {
        const std::string probe = fmt::format("migration_host_verify_probe_{:08x}", random_suffix());
        if (first_value(live_connection, "SELECT GET_LOCK(?, 0)", {probe}) == "1") {
            same = first_value(connection, "SELECT IS_USED_LOCK(?)", {probe}) ==
                       first_value(live_connection, "SELECT CONNECTION_ID()") &&
                   name_ == live.database_name;
            static_cast<void>(first_value(live_connection, "SELECT RELEASE_LOCK(?)", {probe}));
        }
    } else {
        const auto session = live_connection.query(
            "SELECT pid, floor(extract(epoch FROM backend_start))::bigint FROM pg_catalog.pg_stat_activity WHERE pid "
            "= pg_backend_pid()");
        if (!session.empty()) {
            const std::int64_t pid = std::strtoll(session.front().at(0).value_or("0").c_str(), nullptr, 10);
            const std::int64_t start = std::strtoll(session.front().at(1).value_or("0").c_str(), nullptr, 10);
            same = first_value(connection,
                               "SELECT COUNT(*) FROM pg_catalog.pg_stat_activity WHERE pid = ? AND pid <> "
                               "pg_backend_pid() AND datname = current_database() AND (backend_start IS NULL OR "
                               "floor(extract(epoch FROM backend_start))::bigint = ?)",
                               {pid, start}) != "0";
        }
    }
    if (same) {
        throw HostError(ExitCode::refused,
                        fmt::format("--scratch-dsn names {}, which is the database verify checks: verify never builds "
                                    "there; name an empty database of its own",
                                    name_));
    }
    lock_named();
    build_session_ =
        first_value(connection, dialect_ == schema::Dialect::mysql ? "SELECT CONNECTION_ID()" : "SELECT pg_backend_pid()");
    if (table_exists(connection, named, marker_table)) {
        // The lock is this run's, so the verify that marked it is gone: what it built is left over.
        spdlog::info("verify: the {} holds what an interrupted verify built there; removing it", description_);
        std::vector<std::string> kept;
        if (dialect_ == schema::Dialect::postgresql) {
            for (const auto& row : connection.query(fmt::format("SELECT kept FROM {}", marker_table))) {
                kept.push_back(row.at(0).value_or(""));
            }
        }
        if (const auto failure = empty_named(connection, dialect_, name_, kept)) {
            throw HostError(ExitCode::step_failed,
                            fmt::format("verify cannot empty the {} of what an interrupted verify built there ({}); "
                                        "empty it by hand",
                                        description_, *failure));
        }
    }
    const auto contents = named_contents(connection, dialect_, name_);
    if (!contents.empty()) {
        std::vector<std::string> shown(contents.begin(), contents.begin() + std::min<std::size_t>(contents.size(), 5));
        throw HostError(
            ExitCode::refused,
            fmt::format("the {} is not empty: it holds {}{}; verify builds only in an empty database, and "
                        "removes all it built there afterwards (name an empty one)",
                        description_, fmt::join(shown, ", "),
                        contents.size() > shown.size() ? fmt::format(" and {} more", contents.size() - shown.size())
                                                       : std::string()));
    }
    if (dialect_ == schema::Dialect::postgresql) kept_ = kept_by_named(connection);
    connection.execute(fmt::format("CREATE TABLE {} (kept VARCHAR(255))", marker_table));
    owns_ = true;
    for (const auto& kept : kept_) {
        connection.execute(fmt::format("INSERT INTO {} (kept) VALUES (?)", marker_table), {kept});
    }
}

// Verify runs that name the same scratch take turns: a named lock on the server (MySQL/MariaDB) or an advisory
// lock in the scratch database (PostgreSQL), held by the build connection until it closes.
void ScratchDatabase::lock_named() {
    const odbc::Connection& connection = *connection_;
    const odbc::WithoutStatementTimeout unbounded(connection);
    bool locked = false;
    if (dialect_ == schema::Dialect::mysql) {
        locked = first_value(connection, "SELECT GET_LOCK(?, ?)",
                             {named_lock(name_), static_cast<std::int64_t>(settings_.lock_timeout_seconds)}) == "1";
    } else {
        locked = take_advisory_lock(connection, settings_.lock_timeout_seconds);
    }
    if (!locked) {
        throw HostError(ExitCode::refused,
                        fmt::format("the {} is in use by another verify (waited {} s, --lock-timeout)", description_,
                                    settings_.lock_timeout_seconds));
    }
}

std::string ScratchDatabase::left_behind() const {
    switch (kind_) {
        case Kind::temporary_file:
            return fmt::format("the temporary directory {} is left behind (the next verify removes it)", directory_);
        case Kind::created_database:
            return fmt::format(
                "the {} is left behind (the next verify removes it); the database itself was not "
                "touched",
                description_);
        case Kind::named_database:
            break;
    }
    return fmt::format(
        "what verify built in the {} is left there (the next verify with it removes it); the database "
        "itself was not touched",
        description_);
}

void ScratchDatabase::drop() noexcept {
    if (removed_ || !owns_) return;
    removed_ = true;
    try {
        switch (kind_) {
            case Kind::temporary_file: {
                connection_.reset();
                std::error_code error;
                std::filesystem::remove_all(directory_, error);
                if (error) spdlog::warn("verify: cannot remove {}: {}", directory_, error.message());
                return;
            }
            case Kind::created_database:
                if (name_.empty()) return;
                if (dialect_ == schema::Dialect::mysql) {
                    if (!connection_) return;
                    // A step that failed inside a transaction leaves it open.
                    connection_->rollback();
                    const auto result = connection_->try_execute("DROP DATABASE IF EXISTS " + quoted_mysql(name_));
                    if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
                        spdlog::warn("verify: cannot drop its {} ({}); the next verify removes it", description_,
                                     error->to_string());
                    }
                    return;
                }
                // A database cannot be dropped from a session in it: that one ends first.
                connection_.reset();
                if (server_connection_) {
                    const auto drop_sql = "DROP DATABASE IF EXISTS " + quoted_postgresql(name_);
                    auto result = server_connection_->try_execute(drop_sql + " WITH (FORCE)");
                    if (const auto* error = std::get_if<odbc::Diagnostic>(&result);
                        error && error->sqlstate == "42601") {
                        result = server_connection_->try_execute(drop_sql);  // before PostgreSQL 13
                    }
                    if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
                        spdlog::warn("verify: cannot drop its {} ({}); the next verify removes it", description_,
                                     error->to_string());
                    }
                }
                return;
            case Kind::named_database:
                if (!connection_) return;
                connection_->rollback();
                if (const auto failure = empty_named(*connection_, dialect_, name_, kept_)) {
                    spdlog::warn(
                        "verify: cannot remove all it built in the {} ({}); the next verify with it removes "
                        "it",
                        description_, *failure);
                }
                return;
        }
    } catch (const std::exception& error) {
        spdlog::warn("verify: cannot remove its {}: {}", description_, redact_secrets(error.what()));
    }
}

std::string ScratchDatabase::remove_from_elsewhere() noexcept {
    if (removed_ || !owns_) return "";
    removed_ = true;
    try {
        switch (kind_) {
            case Kind::temporary_file: {
                std::error_code error;
                std::filesystem::remove_all(directory_, error);
                if (error) return fmt::format("cannot remove {}: {}", directory_, error.message());
                return "removed its scratch, the temporary directory " + directory_;
            }
            case Kind::created_database: {
                if (name_.empty()) return "";
                const auto other = connect(settings_.live_connection_string, "a connection to remove its scratch");
                std::variant<std::int64_t, odbc::Diagnostic> result;
                if (dialect_ == schema::Dialect::mysql) {
                    // Ends the step's session, which would hold the database's tables until its statement ends.
                    if (!build_session_.empty()) static_cast<void>(other->try_execute("KILL " + build_session_));
                    result = other->try_execute("DROP DATABASE IF EXISTS " + quoted_mysql(name_));
                } else {
                    const auto drop_sql = "DROP DATABASE IF EXISTS " + quoted_postgresql(name_);
                    result = other->try_execute(drop_sql + " WITH (FORCE)");
                    if (const auto* error = std::get_if<odbc::Diagnostic>(&result);
                        error && error->sqlstate == "42601") {
                        // Before PostgreSQL 13: the step's backend is ended by hand, and given a moment to go.
                        static_cast<void>(
                            other->try_execute("SELECT pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
                                               "WHERE datname = ? AND pid <> pg_backend_pid()",
                                               {name_}));
                        result = other->try_execute(drop_sql);
                    }
                }
                if (const auto* error = std::get_if<odbc::Diagnostic>(&result)) {
                    return fmt::format("cannot drop its {} ({}); the next verify removes it", description_,
                                       error->to_string());
                }
                return "removed its " + description_;
            }
            case Kind::named_database: {
                const auto other =
                    connect(*settings_.named_connection_string, "a connection to empty its scratch database");
                const odbc::WithoutStatementTimeout unbounded(*other);
                bool locked = false;
                if (dialect_ == schema::Dialect::mysql) {
                    if (!build_session_.empty()) static_cast<void>(other->try_execute("KILL " + build_session_));
                    locked = first_value(*other, "SELECT GET_LOCK(?, 10)", {named_lock(name_)}) == "1";
                } else {
                    if (!build_session_.empty()) {
                        static_cast<void>(other->try_execute("SELECT pg_terminate_backend(" + build_session_ + ")"));
                    }
                    locked = take_advisory_lock(*other, 10);
                }
                // Another verify that took the lock first finds this one's marker and empties the scratch itself.
                if (!locked) return fmt::format("left what it built in the {} to the next verify", description_);
                if (const auto failure = empty_named(*other, dialect_, name_, kept_)) {
                    return fmt::format("cannot remove all it built in the {} ({})", description_, *failure);
                }
                return "removed all it built in the " + description_;
            }
        }
    } catch (const std::exception& error) {
        return fmt::format("cannot remove its {}: {}", description_, redact_secrets(error.what()));
    }
    return "";
}

ScratchDatabase::~ScratchDatabase() {
    drop();
}

}  // namespace migration_host
