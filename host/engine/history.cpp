// The append-only step history (migration_host_history): one row per step attempt, and what it says about dirty tracks.
#include "engine/history.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>

namespace migration_host {
namespace {

const char* const columns =
    "id, track, version, direction, from_version, to_version, plugin_id, plugin_version, library_path, checksum, "
    "os_user, host_name, started_at, finished_at, duration_ms, outcome, error";

std::int64_t number(const std::optional<std::string>& value) {
    return value ? std::stoll(*value) : 0;
}

}  // namespace

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

bool HistoryStore::create_table_if_missing() const {
    if (table_exists(connection_, database_, table_name)) return false;
    // Plain types only, the same on every database; ids are assigned by the
    // host under the run lock, so no dialect's autoincrement is needed.
    connection_.execute(fmt::format(
        "CREATE TABLE {} (id INTEGER NOT NULL, track VARCHAR(250) NOT NULL, version INTEGER NOT NULL, "
        "direction VARCHAR(16) NOT NULL, from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, "
        "plugin_id VARCHAR(250), plugin_version VARCHAR(100), library_path TEXT, checksum VARCHAR(100), "
        "os_user VARCHAR(250), host_name VARCHAR(250), started_at VARCHAR(32) NOT NULL, finished_at VARCHAR(32), duration_ms INTEGER, "
        "outcome VARCHAR(16) NOT NULL, error TEXT, PRIMARY KEY (id)){}",
        table_name,
        // Error texts may hold any character; a latin1 database default must not mangle them.
        database_.dialect == "mysql" ? " DEFAULT CHARSET=utf8mb4" : ""));
    return true;
}

std::int64_t HistoryStore::append(HistoryEntry entry) const {
    const auto rows = connection_.query(fmt::format("SELECT COALESCE(MAX(id), 0) + 1 FROM {}", table_name));
    entry.id = number(rows.at(0).at(0));
    const auto optional_text = [](const std::string& text) -> odbc::Parameter {
        if (text.empty()) return std::monostate{};
        return text;
    };
    odbc::Parameter duration = std::monostate{};
    if (entry.duration_ms) duration = *entry.duration_ms;
    connection_.execute(fmt::format("INSERT INTO {} ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    table_name, columns),
                        {entry.id, entry.track, entry.version, entry.direction, entry.from_version, entry.to_version,
                         optional_text(entry.plugin_id), optional_text(entry.plugin_version),
                         optional_text(entry.library_path), optional_text(entry.checksum), optional_text(entry.os_user), optional_text(entry.host_name),
                         entry.started_at, optional_text(entry.finished_at), duration, entry.outcome,
                         optional_text(entry.error)});
    return entry.id;
}

void HistoryStore::finish(std::int64_t id, const std::string& outcome, const std::string& finished_at,
                          std::int64_t duration_ms, const std::string& error) const {
    odbc::Parameter error_parameter = std::monostate{};
    if (!error.empty()) error_parameter = error;
    connection_.execute(
        fmt::format("UPDATE {} SET outcome = ?, finished_at = ?, duration_ms = ?, error = ? WHERE id = ?", table_name),
        {outcome, finished_at, duration_ms, error_parameter, id});
}

std::vector<HistoryEntry> HistoryStore::entries(const std::optional<std::string>& track) const {
    std::vector<HistoryEntry> result;
    if (!table_exists(connection_, database_, table_name)) return result;
    std::vector<odbc::Parameter> parameters;
    std::string where;
    if (track) {
        where = " WHERE track = ?";
        parameters.emplace_back(*track);
    }
    for (const auto& row :
         connection_.query(fmt::format("SELECT {} FROM {}{} ORDER BY id", columns, table_name, where), parameters)) {
        HistoryEntry entry;
        entry.id = number(row[0]);
        entry.track = row[1].value_or("");
        entry.version = number(row[2]);
        entry.direction = row[3].value_or("");
        entry.from_version = number(row[4]);
        entry.to_version = number(row[5]);
        entry.plugin_id = row[6].value_or("");
        entry.plugin_version = row[7].value_or("");
        entry.library_path = row[8].value_or("");
        entry.checksum = row[9].value_or("");
        entry.os_user = row[10].value_or("");
        entry.host_name = row[11].value_or("");
        entry.started_at = row[12].value_or("");
        entry.finished_at = row[13].value_or("");
        if (row[14]) entry.duration_ms = std::stoll(*row[14]);
        entry.outcome = row[15].value_or("");
        entry.error = row[16].value_or("");
        result.push_back(std::move(entry));
    }
    return result;
}

std::optional<DirtyTrack> HistoryStore::dirty(const std::vector<HistoryEntry>& track_entries) const {
    if (has_transactional_ddl(database_) || track_entries.empty()) return std::nullopt;
    // Only the last attempt counts: a later success (step, stamp or repair)
    // means the operator or the host has brought the track back to a known state.
    const HistoryEntry& last = track_entries.back();
    const bool step = last.direction == "upgrade" || last.direction == "downgrade";
    if (step && (last.outcome == "started" || last.outcome == "failed")) return DirtyTrack{last};
    return std::nullopt;
}

std::optional<std::string> HistoryStore::applied_checksum(const std::vector<HistoryEntry>& entries,
                                                          const std::string& track, std::int64_t version) {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->track == track && it->version == version && it->direction == "upgrade" && it->outcome == "succeeded") {
            if (it->checksum.empty()) return std::nullopt;
            return it->checksum;
        }
    }
    return std::nullopt;
}

}  // namespace migration_host
