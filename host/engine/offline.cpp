// Runs a step offline (statements recorded, not executed): step checksums, and the tables a first step would create.
#include "engine/offline.hpp"

#include <boost/crc.hpp>
#include <fmt/format.h>

#include <regex>

#include "plugins/host_api.hpp"

namespace migration_host {

OfflineRender render_upgrade_offline(const Migration& migration, const DatabaseInfo& database) {
    StepExecutor executor(nullptr, database);
    const StepResult result = executor.run(migration.upgrade, migration.label() + " (offline)");
    return {result.succeeded, executor.recorded(), result.error};
}

std::string step_checksum(const Migration& migration, const DatabaseInfo& database) {
    if (!migration.checksum.empty()) return migration.checksum;
    const OfflineRender render = render_upgrade_offline(migration, database);
    if (!render.succeeded) return "";
    // CRC-32 as Flyway uses it: a change detector, not a security measure.
    boost::crc_32_type crc;
    for (const auto& statement : render.statements) {
        crc.process_bytes(statement.data(), statement.size());
        crc.process_byte('\n');
    }
    return fmt::format("crc32:{:08x}", crc.checksum());
}

bool checksum_matches(const std::string& recorded, const Migration& migration, const DatabaseInfo& database) {
    return recorded == step_checksum(migration, database);
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
