// Runs a step offline (statements recorded, not executed): step checksums, and the tables a first step would create.
// SPDX-License-Identifier: Apache-2.0
#include "engine/offline.hpp"

#include <boost/crc.hpp>
#include <fmt/format.h>

#include <cstring>
#include <regex>

#include "plugins/host_api.hpp"

namespace migration_host {

namespace {

// What a step sees offline: the database's kind only. Its name and version
// describe one environment (a staging copy restored under another name, a
// server upgraded in place), and nothing derived offline may depend on them;
// plugin.h documents both as empty offline.
DatabaseInfo environment_free(const DatabaseInfo& database, std::string_view database_name = {}) {
    DatabaseInfo neutral;
    neutral.dbms_name = database.dbms_name;
    neutral.dialect = database.dialect;
    neutral.database_name = database_name;
    return neutral;
}

OfflineRender render_step(const Migration& migration, mh_step_fn step, const std::string& label,
                          const DatabaseInfo& seen_by_step) {
    StepExecutor executor(nullptr, seen_by_step);
    const StepResult result = executor.run(step, label + " (offline)", migration.plugin->path().string());
    return {result.succeeded, executor.recorded(), executor.recorded_statements(), result.error,
            executor.query_refused()};
}

OfflineRender render_as(const Migration& migration, const DatabaseInfo& seen_by_step) {
    return render_step(migration, migration.upgrade, migration.label(), seen_by_step);
}

// CRC-32 as Flyway uses it: a change detector, not a security measure. Guards are left out: they came after the
// checksums that databases hold, and describe the checks a step makes, not the change it makes.
std::string crc32_of(const OfflineRender& render) {
    if (!render.succeeded) return "";
    boost::crc_32_type crc;
    for (const auto& statement : render.statements) {
        if (is_offline_guard(statement)) continue;
        crc.process_bytes(statement.data(), statement.size());
        crc.process_byte('\n');
    }
    return fmt::format("crc32:{:08x}", crc.checksum());
}

}  // namespace

bool is_offline_guard(std::string_view statement) {
    return statement.substr(0, std::strlen(MH_OFFLINE_GUARD_MARKER)) == MH_OFFLINE_GUARD_MARKER;
}

OfflineRender render_upgrade_offline(const Migration& migration, const DatabaseInfo& database,
                                     std::string_view database_name) {
    return render_as(migration, environment_free(database, database_name));
}

OfflineRender render_downgrade_offline(const Migration& migration, const DatabaseInfo& database,
                                       std::string_view database_name) {
    if (migration.downgrade == nullptr) return {false, {}, {}, migration.label() + " is irreversible", false};
    return render_step(migration, migration.downgrade, migration.label() + " downgrade",
                       environment_free(database, database_name));
}

std::string step_checksum(const Migration& migration, const DatabaseInfo& database) {
    if (!migration.checksum.empty()) return migration.checksum;
    return crc32_of(render_upgrade_offline(migration, database));
}

bool checksum_matches(const std::string& recorded, const std::string& current, const Migration& migration,
                      const DatabaseInfo& database) {
    if (recorded == current) return true;
    // Host 0.1 rendered with the connection's database name and DBMS version:
    // its checksums still match on the database they were recorded on.
    const bool environment_was_rendered = !database.database_name.empty() || !database.dbms_version.empty();
    return migration.checksum.empty() && environment_was_rendered && recorded == crc32_of(render_as(migration, database));
}

std::vector<std::string> tables_created_by(const std::vector<std::string>& statements) {
    static const std::regex create_table(
        R"re(^\s*CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:`([^`]+)`|"([^"]+)"|([A-Za-z0-9_$]+)))re",
        std::regex::icase);
    std::vector<std::string> tables;
    for (const auto& statement : statements) {
        std::smatch match;
        if (!std::regex_search(statement, match, create_table)) continue;
        for (std::size_t group = 1; group <= 3; ++group) {
            if (match[group].matched) tables.push_back(match[group].str());
        }
    }
    return tables;
}

}  // namespace migration_host
