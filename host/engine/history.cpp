// The append-only step history (migration_host_history): one row per step attempt, and what it says about dirty tracks.
// SPDX-License-Identifier: Apache-2.0
#include "engine/history.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <map>

#include "engine/utf8.hpp"
#include "engine/version_state.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

// Every column a history table must have, in the order rows are written and read, and whether it holds an integer
// (require_columns checks it): the declared ones but the journal's, which a table of an earlier release lacks until
// its first run on MySQL/MariaDB adds it.
const std::vector<ExpectedColumn> expected_columns = [] {
    std::vector<ExpectedColumn> columns = expected_columns_of(HistoryStore::table());
    columns.erase(std::remove_if(columns.begin(), columns.end(),
                                 [](const ExpectedColumn& column) {
                                     return std::string_view(column.name) == HistoryStore::journal_column;
                                 }),
                  columns.end());
    return columns;
}();

// "id, track, ...": the column list of the host's INSERT and SELECT.
const std::string columns = [] {
    std::string list;
    for (const auto& column : expected_columns) list += (list.empty() ? "" : ", ") + std::string(column.name);
    return list;
}();

constexpr std::string_view layout = "the table the host creates";

[[noreturn]] void refuse_history(const std::string& what) {
    throw HostError(ExitCode::refused,
                    fmt::format("{} {}: nothing was run; the table is the host's record of every step, correct or "
                                "delete that row by hand",
                                HistoryStore::table_name, what));
}

std::string shown(const std::optional<std::string>& value) {
    return value ? sql_literal(*value) : "NULL";
}

// Reads one history row strictly, naming the row and column in every refusal.
class RowReader {
public:
    explicit RowReader(const odbc::Row& row) : row_(row) {
        const auto id = row_.at(0) ? parse_stored_version(*row_.at(0)) : std::nullopt;
        if (!id) refuse_history(fmt::format("holds a row whose id is {}, not an integer", shown(row_.at(0))));
        id_ = *id;
    }
    std::int64_t id() const noexcept { return id_; }

    std::optional<std::int64_t> optional_integer(std::size_t column) const {
        const auto& value = row_.at(column);
        if (!value) return std::nullopt;
        const auto number = parse_stored_version(*value);
        if (!number) refuse(column, sql_literal(*value) + ", not an integer");
        return number;
    }
    // A version: present, an integer, not negative.
    std::int64_t version(std::size_t column) const {
        const auto number = optional_integer(column);
        if (!number) refuse(column, "NULL");
        if (*number < 0) refuse(column, std::to_string(*number) + ", a negative version");
        return *number;
    }
    std::string text(std::size_t column) const {
        if (!row_.at(column)) refuse(column, "NULL");
        return *row_.at(column);
    }
    // One of `allowed`, as the host writes them.
    std::string one_of(std::size_t column, const std::vector<std::string>& allowed) const {
        std::string value = text(column);
        if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
        std::string list;
        for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
        refuse(column, fmt::format("{}, none of {}", sql_literal(value), list));
    }

private:
    [[noreturn]] void refuse(std::size_t column, const std::string& problem) const {
        // The journal's column comes after the expected ones, where the table has it.
        const char* name =
            column < expected_columns.size() ? expected_columns[column].name : HistoryStore::journal_column;
        refuse_history(fmt::format("row id {}: {} is {}", id_, name, problem));
    }

    const odbc::Row& row_;
    std::int64_t id_ = 0;
};

}  // namespace

std::string storable_error(std::string_view text) {
    std::string result;
    result.reserve(std::min(text.size(), max_stored_error_bytes) + 3);
    std::size_t at = 0;
    while (at < text.size() && result.size() <= max_stored_error_bytes) {
        const utf8::Sequence sequence = utf8::decode(text, at);
        if (sequence.length == 0 || sequence.code_point == 0) {
            result += "\xef\xbf\xbd";  // U+FFFD for the one byte that is not UTF-8
            ++at;
            continue;
        }
        result.append(text.substr(at, sequence.length));
        at += sequence.length;
    }
    if (at == text.size() && result.size() <= max_stored_error_bytes) return result;
    const std::string marker = fmt::format(" [truncated: {} bytes in all]", text.size());
    std::size_t cut = max_stored_error_bytes - marker.size();
    // Back to the start of a character, so that the text stays valid UTF-8.
    while (cut > 0 && (static_cast<unsigned char>(result[cut]) & 0xc0U) == 0x80U) --cut;
    result.resize(cut);
    return result + marker;
}

std::string utc_now_iso8601() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::array<char, 32> buffer{};
    std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:03}Z", buffer.data(), millis);
}

RunBy current_run_by() {
    RunBy run_by;
    if (const passwd* entry = getpwuid(geteuid())) run_by.os_user = entry->pw_name;
    if (run_by.os_user.empty()) run_by.os_user = std::to_string(geteuid());
    std::array<char, 256> host{};
    if (gethostname(host.data(), host.size() - 1) == 0) run_by.host_name = host.data();
    return run_by;
}

std::string DirtyTrack::describe() const {
    return fmt::format("{}@{} {} {} at {} by {}{}", attempt.track, attempt.version, attempt.direction,
                       attempt.outcome == "started" ? "started and never finished" : "failed", attempt.started_at,
                       attempt.os_user + "@" + attempt.host_name, attempt.error.empty() ? "" : ": " + attempt.error);
}

const schema::Table& HistoryStore::table() {
    static const schema::Table declared = [] {
        using namespace schema;
        TableOptions options;
        // Error texts may hold any character; a latin1 database default must not mangle them.
        options.mysql_charset = "utf8mb4";
        // Plain types only, the same on every database; ids are assigned by the host under the run lock, so no
        // dialect's autoincrement is needed.
        return Table(table_name,
                     {
                         Column("id", Integer()).primary_key().autoincrement(false),
                         Column("track", String(250)).nullable(false),
                         Column("version", Integer()).nullable(false),
                         Column("direction", String(16)).nullable(false),
                         Column("from_version", Integer()).nullable(false),
                         Column("to_version", Integer()).nullable(false),
                         Column("plugin_id", String(250)),
                         Column("plugin_version", String(100)),
                         Column("library_path", Text()),
                         Column("checksum", String(100)),
                         Column("os_user", String(250)),
                         Column("host_name", String(250)),
                         Column("started_at", String(32)).nullable(false),
                         Column("finished_at", String(32)),
                         Column("duration_ms", Integer()),
                         Column("outcome", String(16)).nullable(false),
                         Column("error", Text()),
                         // The statement journal (MySQL/MariaDB; NULL elsewhere): added by ALTER TABLE to a table an
                         // earlier release created, so not among the columns a table must have.
                         Column(journal_column, Integer()),
                     },
                     options);
    }();
    return declared;
}

std::string HistoryStore::create_table_sql(const Dialect& dialect) {
    return host_table_sql(table(), dialect);
}

std::string HistoryStore::append_sql() {
    return fmt::format("INSERT INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", table_name,
                       columns);
}

std::string HistoryStore::finish_sql() {
    return fmt::format("UPDATE {} SET outcome = ?, finished_at = ?, duration_ms = ?, error = ? WHERE id = ?",
                       table_name);
}

std::string HistoryStore::journal_sql() {
    return fmt::format("UPDATE {} SET {} = ? WHERE id = ?", table_name, journal_column);
}

bool HistoryStore::create_table_if_missing() const {
    if (table_exists(connection_, database_, table_name)) return false;
    connection_.execute(create_table_sql(database_.dialect));
    return true;
}

bool HistoryStore::add_journal_column_if_missing() const {
    if (database_.dialect.transactional_ddl() || has_journal_column()) return false;
    connection_.execute(fmt::format("ALTER TABLE {} ADD COLUMN {} INTEGER", table_name, journal_column));
    return true;
}

bool HistoryStore::has_journal_column() const {
    const auto declared = require_columns(connection_, database_, table_name, expected_columns, layout);
    return declared.count(journal_column) > 0;
}

std::int64_t HistoryStore::next_id() const {
    if (!table_exists(connection_, database_, table_name)) return 1;
    return next_id_in_table();
}

std::int64_t HistoryStore::next_id_in_table() const {
    const auto rows = connection_.query(fmt::format("SELECT MAX(id) FROM {}", table_name));
    const auto& highest = rows.at(0).at(0);
    if (!highest) return 1;
    const auto id = parse_stored_version(*highest);
    if (!id) refuse_history(fmt::format("holds an id {}, not an integer", sql_literal(*highest)));
    if (*id == std::numeric_limits<std::int64_t>::max()) {
        throw HostError(ExitCode::refused, fmt::format("{}'s ids reach {}: no id is left for another row, so no step "
                                                       "may run; nothing was run",
                                                       table_name, *id));
    }
    return *id + 1;
}

std::int64_t HistoryStore::append(HistoryEntry entry) const {
    // The table is there (commands create it before their first step): asking the catalog again for every row was
    // a further round trip per step, and on PostgreSQL a catalog query heavier than the step's own DDL.
    entry.id = next_id_cache_ != nullptr && next_id_cache_->has_value() ? **next_id_cache_ : next_id_in_table();
    // Forgotten until the row is written: a failed INSERT (an aborted transaction, say) asks the table again.
    if (next_id_cache_ != nullptr) next_id_cache_->reset();
    const auto optional_text = [](const std::string& text) -> odbc::Parameter {
        if (text.empty()) return std::monostate{};
        return text;
    };
    odbc::Parameter duration = std::monostate{};
    if (entry.duration_ms) duration = *entry.duration_ms;
    std::vector<odbc::Parameter> values{
        entry.id, entry.track, entry.version, entry.direction, entry.from_version, entry.to_version,
        optional_text(entry.plugin_id), optional_text(entry.plugin_version),
        optional_text(entry.library_path), optional_text(entry.checksum), optional_text(entry.os_user), optional_text(entry.host_name),
        entry.started_at, optional_text(entry.finished_at), duration, entry.outcome,
        optional_text(storable_error(entry.error))};
    if (entry.statements_done) {
        // The journal starts with the row: 0 (or where a resumed step starts) tells a row of this host's from one
        // that keeps no journal (NULL).
        values.emplace_back(*entry.statements_done);
        connection_.execute(fmt::format("INSERT INTO {} ({}, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                        "?, ?, ?)",
                                        table_name, columns, journal_column),
                            values);
    } else {
        connection_.execute(append_sql(), values);
    }
    // At the top of the range next_id_in_table refuses the next row; a row rolled back with its step leaves a gap,
    // which is harmless (ids only order the rows).
    if (next_id_cache_ != nullptr && entry.id < std::numeric_limits<std::int64_t>::max()) {
        *next_id_cache_ = entry.id + 1;
    }
    return entry.id;
}

void HistoryStore::finish(std::int64_t id, const std::string& outcome, const std::string& finished_at,
                          std::int64_t duration_ms, const std::string& error,
                          std::optional<std::int64_t> statements_done) const {
    odbc::Parameter error_parameter = std::monostate{};
    if (!error.empty()) error_parameter = storable_error(error);
    if (statements_done) {
        // One statement, as without the journal: a step's bookkeeping costs no round trip more.
        connection_.execute(fmt::format("UPDATE {} SET outcome = ?, finished_at = ?, duration_ms = ?, error = ?, {} = ? "
                                        "WHERE id = ?",
                                        table_name, journal_column),
                            {outcome, finished_at, duration_ms, error_parameter, *statements_done, id});
        return;
    }
    connection_.execute(finish_sql(), {outcome, finished_at, duration_ms, error_parameter, id});
}

void HistoryStore::record_statements_done(std::int64_t id, std::int64_t statements_done) const {
    connection_.execute(journal_sql(), {statements_done, id});
}

std::vector<HistoryEntry> HistoryStore::entries(const std::optional<std::string>& track) const {
    if (!table_exists(connection_, database_, table_name)) return {};
    std::vector<odbc::Parameter> parameters;
    std::string where;
    if (track) {
        where = " WHERE track = ?";
        parameters.emplace_back(*track);
    }
    return read_rows(where, parameters);
}

std::vector<HistoryEntry> HistoryStore::last_entries() const {
    // A NULL track makes a group of its own, whose row is refused as entries() refuses it.
    return read_rows(fmt::format(" WHERE id IN (SELECT MAX(id) FROM {} GROUP BY track)", table_name), {});
}

std::vector<HistoryEntry> HistoryStore::read_rows(const std::string& where,
                                                  const std::vector<odbc::Parameter>& parameters) const {
    std::vector<HistoryEntry> result;
    // A table of an earlier release has no journal column: its rows have no journal.
    const bool journal = require_columns(connection_, database_, table_name, expected_columns, layout)
                             .count(journal_column) > 0;
    std::map<std::int64_t, std::size_t> rows_by_id;
    const auto read_row = [&](const odbc::Row& row) {
        const RowReader reader(row);
        HistoryEntry entry;
        entry.id = reader.id();
        entry.track = reader.text(1);
        entry.version = reader.version(2);
        entry.direction = reader.one_of(3, {"upgrade", "downgrade", "stamp", "repair"});
        entry.from_version = reader.version(4);
        entry.to_version = reader.version(5);
        entry.plugin_id = row[6].value_or("");
        entry.plugin_version = row[7].value_or("");
        entry.library_path = row[8].value_or("");
        entry.checksum = row[9].value_or("");
        entry.os_user = row[10].value_or("");
        entry.host_name = row[11].value_or("");
        entry.started_at = row[12].value_or("");
        entry.finished_at = row[13].value_or("");
        entry.duration_ms = reader.optional_integer(14);
        entry.outcome = reader.one_of(15, {"started", "succeeded", "failed"});
        entry.error = row[16].value_or("");
        if (journal) {
            entry.statements_done = reader.optional_integer(17);
            if (entry.statements_done && *entry.statements_done < 0) {
                refuse_history(fmt::format("row id {}: {} is {}, a negative count", entry.id, journal_column,
                                           *entry.statements_done));
            }
        }
        if (++rows_by_id[entry.id] == 2) {
            refuse_history(fmt::format("holds 2 rows with id {}, where every row has its own", entry.id));
        }
        result.push_back(std::move(entry));
        return true;
    };
    connection_.for_each_row(fmt::format("SELECT {}{} FROM {}{} ORDER BY id", columns,
                                         journal ? std::string(", ") + journal_column : std::string(), table_name,
                                         where),
                             parameters, read_row);
    return result;
}

std::optional<DirtyTrack> HistoryStore::dirty(const HistoryEntry& last) const {
    if (database_.dialect.transactional_ddl()) return std::nullopt;
    const bool step = last.direction == "upgrade" || last.direction == "downgrade";
    if (step && (last.outcome == "started" || last.outcome == "failed")) return DirtyTrack{last};
    return std::nullopt;
}

AppliedSteps::AppliedSteps(const std::vector<HistoryEntry>& entries) {
    // Oldest first, so a later success of the same step (applied again after a downgrade) replaces an earlier one.
    for (const auto& entry : entries) {
        if (entry.direction == "upgrade" && entry.outcome == "succeeded") {
            latest_[{entry.track, entry.version}] = &entry;
        }
    }
}

const HistoryEntry* AppliedSteps::find(const std::string& track, std::int64_t version) const {
    const auto found = latest_.find({track, version});
    return found == latest_.end() ? nullptr : found->second;
}

std::optional<std::string> AppliedSteps::checksum(const std::string& track, std::int64_t version) const {
    const HistoryEntry* applied = find(track, version);
    if (applied == nullptr || applied->checksum.empty()) return std::nullopt;
    return applied->checksum;
}

}  // namespace migration_host
