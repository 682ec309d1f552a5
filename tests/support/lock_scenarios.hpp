// The run-lock scenarios every lock must pass (8 hosts at once, a holder killed mid-step), and the helpers they share.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "test_database.hpp"

namespace test_support {

// How the hosts of a scenario lock: with the database's own lock, or with the portable lease lock forced on.
struct LockSetup {
    std::map<std::string, std::string> environment;  // given to every host the scenario runs
    // Set for the portable lock: a killed holder's row then outlives it by this lease, which the next run waits out
    // and takes over, saying from whom.
    std::optional<int> lease_seconds;
    std::string label;  // for the figures the scenarios report: "" or " (portable lock)"
};

LockSetup native_lock();
// MIGRATION_HOST_FORCE_PORTABLE_LOCK=1 with MIGRATION_HOST_LOCK_LEASE_SECONDS=`lease_seconds`.
LockSetup portable_lock(int lease_seconds);

// The test plugins the scenarios run: cinder continued by cinder_more, plus manila (5 steps); slow's one step.
const std::vector<std::string>& chained_plugins();
const std::vector<std::string>& slow_plugin();

// The variables slow's step reads.
inline constexpr const char* sleep_variable = "MIGRATION_HOST_TEST_SLEEP_MS";
inline constexpr const char* ready_variable = "MIGRATION_HOST_TEST_READY_FILE";
inline constexpr const char* release_variable = "MIGRATION_HOST_TEST_RELEASE_FILE";

double seconds_since(std::chrono::steady_clock::time_point start);

// `global` goes before the command, as the host's CLI expects global options.
HostRun host_run(const TestDatabase& database, const std::vector<std::string>& plugin_dirs,
                 const std::vector<std::string>& command, const std::vector<std::string>& global = {},
                 std::map<std::string, std::string> environment = {});

// Every history row, oldest first, as "track@version direction outcome".
std::vector<std::string> history_rows(const TestDatabase& database);

struct TempDir {
    std::string path = make_temp_dir("mh-concurrency");
    TempDir() = default;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
};

void touch(const std::string& path);

// Polls for the file slow's step creates once it runs: the kill or the contender must come while the step is in
// progress, however slowly the host started. False when the host ended first or `limit` passed.
bool wait_for_ready_file(const std::string& path, BackgroundHost& host, std::chrono::seconds limit);

// A host inside slow's step, so holding the run lock, until the file `release` exists (two minutes at most):
// however slowly a contender starts on a busy machine, the holder is still there when it gives up.
BackgroundHost start_lock_holder(const TestDatabase& database, const std::string& ready, const std::string& release,
                                 const LockSetup& setup = native_lock());

// 8 hosts started at once on a fresh database, three rounds: each step applied exactly once, by one host; the
// others find nothing to do, after waiting for the lock.
void check_simultaneous_upgrades(Backend backend, const LockSetup& setup);

// A host killed with SIGKILL inside slow's step: the next run gets the lock (at once for a lock the database or the
// kernel frees; after the lease for the portable one) and finds the step rolled back, or on MySQL the track dirty,
// which it finishes by resuming the step after what the killed attempt recorded.
void check_killed_mid_step(Backend backend, const LockSetup& setup);

}  // namespace test_support
