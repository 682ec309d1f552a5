// The per-track summary (migration_host_track_state): what runs leave in it, that one made step by step equals one made
// from the whole history, and which commands read it instead of the history. SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

#ifndef TEST_PLUGIN_ROOT
#error "TEST_PLUGIN_ROOT must be defined by the build"
#endif

using namespace test_support;

namespace {

const std::string cinder_more = TEST_PLUGIN_ROOT "/cinder_more";
const std::string variant = TEST_PLUGIN_ROOT "/variant";

ProcessResult run_cinder(const TestDatabase& db, const std::vector<std::string>& arguments) {
    return run_with(db, {CINDER_PLUGIN_DIR, cinder_more}, arguments);
}

void require_success(const ProcessResult& result, const std::string& what) {
    INFO(what << ":\n" << result.all());
    REQUIRE(result.exit_code == 0);
}

// Every stored summary, one line per track: "track version rows last_id digest unchecked".
std::map<std::string, std::string> summaries(const TestDatabase& db) {
    std::map<std::string, std::string> result;
    for (const auto& row : db.query("SELECT track, version, history_rows, last_id, checksums_digest, "
                                    "unchecked_versions FROM migration_host_track_state")) {
        result[row.at(0).value_or("NULL")] =
            fmt::format("v{} rows {} last {} {} unchecked '{}'", row.at(1).value_or("NULL"), row.at(2).value_or("NULL"),
                        row.at(3).value_or("NULL"), row.at(4).value_or("NULL"), row.at(5).value_or("NULL"));
    }
    return result;
}

// What the history and migrate_version say now, in the same shape, without the digest columns' values checked.
std::string counted(const TestDatabase& db, const std::string& track) {
    const auto rows = db.query("SELECT COUNT(*), MAX(id) FROM migration_host_history WHERE track = ?", {track});
    return fmt::format("v{} rows {} last {}", db.version_of(track).value_or(0), rows.at(0).at(0).value_or("NULL"),
                       rows.at(0).at(1).value_or("NULL"));
}

// The summary of `track` agrees with the history and the version row as they are.
void check_current(const TestDatabase& db, const std::string& track) {
    const auto stored = summaries(db);
    REQUIRE(stored.count(track) == 1);
    INFO("summary: " << stored.at(track));
    CHECK(stored.at(track).rfind(counted(db, track) + " fnv1a64:", 0) == 0);
}

// A summary the host makes anew from the whole history (the table dropped, then a no-op upgrade) equals the stored
// one, which runs extended step by step.
void check_rebuilt_equal(const TestDatabase& db) {
    const auto before = summaries(db);
    REQUIRE(!before.empty());
    db.execute("DROP TABLE migration_host_track_state");
    require_success(run_cinder(db, {"upgrade"}), "no-op upgrade");
    CHECK(summaries(db) == before);
}

// Each of `commands` exits `exit_code`, its errors holding `error_part` (when not empty).
void check_commands(const TestDatabase& db, const std::vector<std::vector<std::string>>& commands, int exit_code,
                    const std::string& error_part) {
    for (const auto& command : commands) {
        const auto result = run_cinder(db, command);
        INFO(fmt::format("{}:\n{}", fmt::join(command, " "), result.all()));
        CHECK(result.exit_code == exit_code);
        if (!error_part.empty()) CHECK(contains(result.err, error_part));
    }
}

void check_runs_keep_it_current(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    require_success(run_with(*db, {CINDER_PLUGIN_DIR}, {"upgrade"}), "upgrade to cinder@1");
    check_current(*db, "cinder");
    const auto first = summaries(*db).at("cinder");
    CHECK(contains(first, "unchecked ''"));

    // Extended by the next run, which started from a current summary.
    require_success(run_cinder(*db, {"upgrade"}), "upgrade to cinder@3");
    check_current(*db, "cinder");
    CHECK(summaries(*db).at("cinder") != first);
    check_rebuilt_equal(*db);

    // A downgrade leaves it behind the history (it is not rewritten), and the next upgrade makes it anew.
    const auto at_3 = summaries(*db).at("cinder");
    require_success(run_cinder(*db, {"downgrade", "cinder@1"}), "downgrade to cinder@1");
    CHECK(summaries(*db).at("cinder") == at_3);
    require_success(run_cinder(*db, {"status"}), "status after the downgrade");
    require_success(run_cinder(*db, {"upgrade"}), "upgrade back to cinder@3");
    check_current(*db, "cinder");
    // The same checksums applied again: the same digest, over more rows.
    CHECK(summaries(*db).at("cinder").substr(summaries(*db).at("cinder").find(" fnv1a64:")) ==
          at_3.substr(at_3.find(" fnv1a64:")));
    check_rebuilt_equal(*db);
}

void check_stamped_versions_unchecked(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    // cinder@1's schema made by hand, then stamped: no checksum is recorded for it.
    require_success(run_with(*db, {CINDER_PLUGIN_DIR}, {"upgrade"}), "upgrade to cinder@1");
    db->execute("DELETE FROM migration_host_history");
    db->execute("DROP TABLE migration_host_track_state");
    db->execute("DELETE FROM migrate_version");
    require_success(run_cinder(*db, {"stamp", "cinder@1"}), "stamp cinder@1");
    require_success(run_cinder(*db, {"upgrade"}), "upgrade to cinder@3");
    check_current(*db, "cinder");
    CHECK(contains(summaries(*db).at("cinder"), "unchecked '1'"));
    check_rebuilt_equal(*db);
    // And a track whose first steps the host never recorded at all: a version row from the original tool.
    require_success(run_cinder(*db, {"downgrade", "cinder@2"}), "downgrade to cinder@2");
    db->execute("DELETE FROM migration_host_history");
    db->execute("DROP TABLE migration_host_track_state");
    require_success(run_cinder(*db, {"upgrade"}), "upgrade from a version set by another tool");
    check_current(*db, "cinder");
    CHECK(contains(summaries(*db).at("cinder"), "unchecked '1-2'"));
    check_rebuilt_equal(*db);
}

void check_what_reads_it(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    require_success(run_cinder(*db, {"upgrade"}), "upgrade to cinder@3");
    check_current(*db, "cinder");

    // A row edited in place, not the track's last: the summary still describes the history's rows, so status, plan
    // and a no-op upgrade read it instead; validate and history read every row and refuse.
    db->execute("UPDATE migration_host_history SET outcome = 'bogus' WHERE id = 1");
    check_commands(*db, {{"status"}, {"plan"}, {"upgrade"}}, 0, "");
    check_commands(*db, {{"validate"}, {"history"}}, 5, "migration_host_history row id 1: outcome is 'bogus'");

    // The same edit on a track's last row is read by every command.
    db->execute("UPDATE migration_host_history SET outcome = 'succeeded' WHERE id = 1");
    db->execute("UPDATE migration_host_history SET outcome = 'bogus' WHERE id = 3");
    check_commands(*db, {{"status"}, {"plan"}, {"upgrade"}}, 5, "migration_host_history row id 3: outcome is 'bogus'");
    db->execute("UPDATE migration_host_history SET outcome = 'succeeded' WHERE id = 3");

    // A row added by hand: the summary no longer describes the history, and every command reads all of it.
    db->execute(
        "INSERT INTO migration_host_history (id, track, version, direction, from_version, to_version, "
        "started_at, outcome) VALUES (4, 'cinder', 2, 'sideways', 3, 3, '2026-01-01T00:00:00.000Z', "
        "'succeeded')");
    check_commands(*db, {{"status"}, {"plan"}, {"upgrade"}}, 5, "'sideways'");
    db->execute("DELETE FROM migration_host_history WHERE id = 4");

    // A summary that says other than the history (a count off by one) is not used: the edited row is refused again.
    db->execute("UPDATE migration_host_history SET outcome = 'bogus' WHERE id = 1");
    db->execute("UPDATE migration_host_track_state SET history_rows = history_rows + 1");
    const auto stale = run_cinder(*db, {"status"});
    INFO(stale.all());
    CHECK(stale.exit_code == 5);
    CHECK(contains(stale.err, "row id 1: outcome is 'bogus'"));
}

void check_changed_step_named(Backend backend) {
    const auto db = TestDatabase::create(backend);
    if (!db) return;
    require_success(run_with(*db, {variant}, {"upgrade"}), "upgrade");
    REQUIRE(summaries(*db).size() == 1);
    const auto same = run_with(*db, {variant}, {"upgrade"});
    INFO(same.all());
    CHECK(same.exit_code == 0);
    CHECK(!contains(same.err, "changed since it was applied"));
    // The loaded step renders other SQL than it did: the digest differs, and the step is named from the history.
    const auto changed = run_with(*db, {variant}, {"upgrade"}, {{"MIGRATION_HOST_TEST_VARIANT", "b"}});
    INFO(changed.all());
    CHECK(changed.exit_code == 0);
    CHECK(contains(changed.err, "variant@1 (001_variant) changed since it was applied"));
    CHECK(!contains(changed.err, "variant@2"));
}

}  // namespace

TEST_CASE("mysql: a dirty track is found from its last row when the summary stands in for the history",
          "[mysql][track_summary]") {
    const auto db = TestDatabase::create(Backend::mysql);
    if (!db) return;
    require_success(run_cinder(*db, {"upgrade"}), "upgrade to cinder@3");
    check_current(*db, "cinder");
    // As a host killed in the middle of cinder@3 leaves it (the row written 'started' first), without a new row.
    db->execute("UPDATE migration_host_history SET outcome = 'started', finished_at = NULL WHERE id = 3");
    const auto status = run_cinder(*db, {"status", "--check"});
    INFO(status.all());
    CHECK(status.exit_code == 7);
    const auto upgrade = run_cinder(*db, {"upgrade"});
    INFO(upgrade.all());
    CHECK(upgrade.exit_code == 5);
    CHECK(contains(upgrade.err, "track cinder is dirty"));
}

#define TRACK_SUMMARY_CASES(backend_tag, backend)                                                                    \
    TEST_CASE(backend_tag ": runs keep each track's summary current, and it equals one made from the whole history", \
              "[" backend_tag "][track_summary]") {                                                                  \
        check_runs_keep_it_current(backend);                                                                         \
    }                                                                                                                \
    TEST_CASE(backend_tag ": versions stamped or set by another tool are summarized as unchecked",                   \
              "[" backend_tag "][track_summary]") {                                                                  \
        check_stamped_versions_unchecked(backend);                                                                   \
    }                                                                                                                \
    TEST_CASE(backend_tag ": status, plan and upgrade read the summary, validate and history every row",             \
              "[" backend_tag "][track_summary]") {                                                                  \
        check_what_reads_it(backend);                                                                                \
    }                                                                                                                \
    TEST_CASE(backend_tag ": upgrade names a changed step when the summary stands in for the history",               \
              "[" backend_tag "][track_summary]") {                                                                  \
        check_changed_step_named(backend);                                                                           \
    }

TRACK_SUMMARY_CASES("sqlite", Backend::sqlite)
TRACK_SUMMARY_CASES("mysql", Backend::mysql)
TRACK_SUMMARY_CASES("postgresql", Backend::postgresql)
