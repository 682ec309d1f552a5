// The portable run lock for databases without a server-side one: a leased row in migration_host_lock, kept alive from a connection of its own.
// SPDX-License-Identifier: Apache-2.0
#include "engine/lease_lock.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "engine/history.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

using Clock = std::chrono::steady_clock;

// One lock per database: the table is the database's own.
constexpr const char* row_name = "run";
constexpr auto poll_interval = std::chrono::milliseconds(100);
constexpr std::uint32_t default_lease_seconds = 30;
constexpr std::uint32_t min_lease_seconds = 2;
constexpr std::uint32_t max_lease_seconds = 3600;

// Plain SQL-92 types, so that any database the host reaches through ODBC can hold it. `token` is NULL while nobody
// holds the lock; `heartbeat` is what waiters watch (see docs/locking.md); the times are informational only, each
// written by the holder's own clock.
constexpr const char* create_table_sql =
    "CREATE TABLE migration_host_lock (lock_name VARCHAR(64) NOT NULL PRIMARY KEY, token VARCHAR(64), "
    "holder VARCHAR(255), heartbeat INTEGER NOT NULL, lease_seconds INTEGER NOT NULL, acquired_at VARCHAR(32), "
    "renewed_at VARCHAR(32))";

std::optional<std::uint32_t> parse_whole_number(std::string_view text) {
    std::uint32_t value = 0;
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::int64_t number_or_zero(const std::optional<std::string>& text) {
    std::int64_t value = 0;
    if (text) std::from_chars(text->data(), text->data() + text->size(), value);
    return value;
}

struct LockRow {
    std::optional<std::string> token;  // nullopt: free
    std::string holder;
    std::int64_t heartbeat = 0;
    std::int64_t lease_seconds = 0;
    std::string renewed_at;

    std::string describe() const {
        return fmt::format("{} (lease {} s, last renewed {} by its clock)", holder.empty() ? "?" : holder,
                           lease_seconds, renewed_at.empty() ? "never" : renewed_at);
    }
};

std::optional<LockRow> read_row(const odbc::Connection& connection) {
    const auto rows = connection.query(
        fmt::format("SELECT token, holder, heartbeat, lease_seconds, renewed_at FROM {} WHERE lock_name = ?",
                    lease_lock_table),
        {std::string(row_name)});
    if (rows.empty() || rows.front().size() < 5) return std::nullopt;
    const odbc::Row& row = rows.front();
    LockRow lock;
    lock.token = row[0];
    lock.holder = row[1].value_or("");
    lock.heartbeat = number_or_zero(row[2]);
    lock.lease_seconds = number_or_zero(row[3]);
    lock.renewed_at = row[4].value_or("");
    return lock;
}

// Whether an UPDATE conditioned on the row's state changed it. Every UPDATE here changes a column, so MySQL's
// count of changed (not matched) rows is the right one; a driver that cannot count (-1) is answered by the row.
bool row_changed(std::int64_t count, const odbc::Connection& connection, const std::optional<std::string>& token) {
    if (count >= 0) return count > 0;
    const auto row = read_row(connection);
    return row && row->token == token;
}

// The table and its one row, created by the first host that needs them. Two hosts doing so at once: one CREATE or
// INSERT fails, and the table or row is there all the same.
void ensure_table_and_row(const odbc::Connection& connection, const DatabaseInfo& database) {
    if (!table_exists(connection, database, lease_lock_table)) {
        const auto created = connection.try_execute(create_table_sql);
        if (const auto* failure = std::get_if<odbc::Diagnostic>(&created)) {
            if (!table_exists(connection, database, lease_lock_table)) {
                throw HostError(ExitCode::refused, fmt::format("cannot create the lock table {}: {}", lease_lock_table,
                                                               failure->to_string()));
            }
        } else {
            spdlog::info("created {}", lease_lock_table);
        }
    }
    if (read_row(connection)) return;
    const auto inserted = connection.try_execute(
        fmt::format("INSERT INTO {} (lock_name, token, holder, heartbeat, lease_seconds) VALUES (?, NULL, NULL, 0, 0)",
                    lease_lock_table),
        {std::string(row_name)});
    if (const auto* failure = std::get_if<odbc::Diagnostic>(&inserted); failure && !read_row(connection)) {
        throw HostError(ExitCode::refused,
                        fmt::format("cannot add the lock row to {}: {}", lease_lock_table, failure->to_string()));
    }
}

std::string new_token() {
    std::random_device random;
    std::string token;
    for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", random());
    return token;
}

// Who this run is, for the operator who finds the row: the same user and host as the history rows.
std::string this_holder() {
    const RunBy run_by = current_run_by();
    return fmt::format("{}@{} pid {}, since {}", run_by.os_user, run_by.host_name, getpid(), utc_now_iso8601())
        .substr(0, 255);
}

class LeaseLock final : public RunLock {
public:
    LeaseLock(const odbc::Connection& connection, DatabaseInfo database, ConnectionOpener open_connection)
        : step_connection_(connection),
          database_(std::move(database)),
          open_connection_(std::move(open_connection)),
          lease_(lease_length()),
          token_(new_token()),
          holder_(this_holder()) {}
    LeaseLock(const LeaseLock&) = delete;
    LeaseLock& operator=(const LeaseLock&) = delete;

    ~LeaseLock() override {
        if (renewer_.joinable()) {
            {
                const std::lock_guard guard(mutex_);
                stopping_ = true;
            }
            wake_.notify_all();
            renewer_.join();
        }
        if (claimed_ && lost_.empty()) release();
    }

    std::string name() const override { return fmt::format("portable lease lock '{}' in {}", row_name, lease_lock_table); }

    std::optional<std::string> holder() const override {
        try {
            const auto row = read_row(connection());
            if (!row || !row->token) return std::nullopt;
            return row->describe();
        } catch (const odbc::Error& error) {
            spdlog::debug("cannot tell who holds the run lock: {}", error.what());
            return std::nullopt;
        }
    }

    bool still_held() const override {
        const std::lock_guard guard(mutex_);
        return !claimed_ || (lost_.empty() && Clock::now() - last_renewal_sent_ < lease_);
    }

protected:
    void prepare() override {
        if (!open_connection_) throw HostError(ExitCode::refused, "the portable lease lock needs a second connection");
        lock_connection_ = open_connection_();
        // Every statement here is short: one that hangs must not outlive the lease it is meant to keep.
        odbc::StatementTimeout timeout = lock_connection_->statement_timeout();
        const auto lease_seconds = static_cast<std::uint32_t>(lease_.count());
        if (timeout.seconds == 0 || timeout.seconds > lease_seconds) timeout.seconds = lease_seconds;
        lock_connection_->set_statement_timeout(std::move(timeout));
        ensure_table_and_row(*lock_connection_, database_);
    }

    std::string why_not_held() const override {
        const std::lock_guard guard(mutex_);
        if (!lost_.empty()) return lost_;
        return fmt::format("its lease of {} s was not renewed in time (last renewal {:.1f} s ago{}), so another host "
                           "may have taken it over",
                           lease_.count(), std::chrono::duration<double>(Clock::now() - last_renewal_sent_).count(),
                           renewal_failure_.empty() ? "" : "; renewing failed: " + renewal_failure_);
    }

    bool take_within(std::chrono::seconds wait) override {
        const auto deadline = Clock::now() + wait;
        for (;;) {
            if (attempt()) return true;
            if (Clock::now() >= deadline) return false;
            std::this_thread::sleep_for(poll_interval);
        }
    }

private:
    // What a waiter last saw of another holder's row, and since when (by this host's steady clock).
    struct Observed {
        std::string token;
        std::int64_t heartbeat = 0;
        Clock::time_point since;
    };

    // The lock connection once prepared (acquire); before that (try_acquire) the step connection, only read.
    const odbc::Connection& connection() const { return lock_connection_ ? *lock_connection_ : step_connection_; }

    bool attempt() {
        // try_acquire: whether anyone holds it now, without a write (a missing table or row: nobody ever did).
        if (!lock_connection_) {
            if (!table_exists(step_connection_, database_, lease_lock_table)) return true;
            const auto row = read_row(step_connection_);
            return !row || !row->token;
        }
        const auto row = read_row(*lock_connection_);
        if (!row) {
            // Deleted by hand while this run waited.
            ensure_table_and_row(*lock_connection_, database_);
            return false;
        }
        if (!row->token) return claim("token IS NULL", {}, *row);
        const auto now = Clock::now();
        if (observed_ && observed_->token == *row->token && observed_->heartbeat == row->heartbeat) {
            // Only a heartbeat that stood still for a whole lease, on this host's own clock, means a dead holder:
            // no two hosts' clocks are compared (see docs/locking.md).
            if (now - observed_->since >= std::chrono::seconds(std::max<std::int64_t>(row->lease_seconds, 1))) {
                const double silent = std::chrono::duration<double>(now - observed_->since).count();
                if (claim("token = ? AND heartbeat = ?", {*row->token, row->heartbeat}, *row)) {
                    spdlog::warn("took over the lock {} from {}: its heartbeat had not moved for {:.1f} s", name(),
                                 row->describe(), silent);
                    return true;
                }
                observed_.reset();
            }
        } else {
            observed_ = Observed{*row->token, row->heartbeat, now};
        }
        return false;
    }

    // One conditional UPDATE in its own (autocommitted) transaction: of hosts racing for the row, one changes it.
    bool claim(const std::string& condition, const std::vector<odbc::Parameter>& condition_parameters,
               const LockRow& before) {
        const auto sent = Clock::now();
        const std::string now = utc_now_iso8601();
        std::vector<odbc::Parameter> parameters{token_, holder_, static_cast<std::int64_t>(lease_.count()), now, now,
                                                std::string(row_name)};
        parameters.insert(parameters.end(), condition_parameters.begin(), condition_parameters.end());
        const auto result = lock_connection_->try_execute(
            fmt::format("UPDATE {} SET token = ?, holder = ?, heartbeat = 0, lease_seconds = ?, acquired_at = ?, "
                        "renewed_at = ? WHERE lock_name = ? AND {}",
                        lease_lock_table, condition),
            parameters);
        if (const auto* failure = std::get_if<odbc::Diagnostic>(&result)) {
            // Another host's claim at the same moment may fail this one (a deadlock or serialization error); the
            // next poll looks again. Said once per cause, not every poll.
            if (failure->message != last_claim_failure_) {
                spdlog::warn("claiming {} failed (trying again while waiting): {}", name(), failure->to_string());
                last_claim_failure_ = failure->message;
            }
            return false;
        }
        if (!row_changed(std::get<std::int64_t>(result), *lock_connection_, token_)) return false;
        spdlog::debug("claimed {} (previous holder: {})", name(), before.token ? before.describe() : "none");
        {
            const std::lock_guard guard(mutex_);
            claimed_ = true;
            last_renewal_sent_ = sent;
        }
        renewer_ = std::thread([this] { keep_renewing(); });
        return true;
    }

    // On the lock connection, which nothing else uses while this thread runs.
    void keep_renewing() {
        const auto interval = std::chrono::duration_cast<Clock::duration>(lease_) / 3;
        std::unique_lock guard(mutex_);
        while (!wake_.wait_for(guard, interval, [this] { return stopping_; })) {
            guard.unlock();
            const auto sent = Clock::now();
            const auto result = lock_connection_->try_execute(
                fmt::format("UPDATE {} SET heartbeat = heartbeat + 1, renewed_at = ? WHERE lock_name = ? AND token = ?",
                            lease_lock_table),
                {utc_now_iso8601(), std::string(row_name), token_});
            std::optional<bool> renewed;
            std::string failure;
            if (const auto* diagnostic = std::get_if<odbc::Diagnostic>(&result)) {
                failure = diagnostic->to_string();
            } else {
                try {
                    renewed = row_changed(std::get<std::int64_t>(result), *lock_connection_, token_);
                } catch (const odbc::Error& error) {
                    failure = error.what();
                }
            }
            guard.lock();
            if (renewed == std::optional<bool>(true)) {
                last_renewal_sent_ = sent;
                renewal_failure_.clear();
            } else if (renewed == std::optional<bool>(false)) {
                lost_ = "another host took it over, or an operator cleared it with 'migration-host unlock --force'";
                spdlog::warn("lost the lock {}: {}", name(), lost_);
                return;
            } else {
                // Tried again next time: the lease outlives two failures, and still_held() says when it did not.
                if (failure != renewal_failure_) spdlog::warn("renewing the lease of {} failed: {}", name(), failure);
                renewal_failure_ = failure;
            }
        }
    }

    void release() {
        const auto released = lock_connection_->try_execute(
            fmt::format("UPDATE {} SET token = NULL, heartbeat = heartbeat + 1, renewed_at = ? WHERE lock_name = ? "
                        "AND token = ?",
                        lease_lock_table),
            {utc_now_iso8601(), std::string(row_name), token_});
        if (std::holds_alternative<odbc::Diagnostic>(released)) {
            spdlog::warn("could not release {} ({}): the next host takes it over once its lease of {} s has run out",
                         name(), std::get<odbc::Diagnostic>(released).to_string(), lease_.count());
        }
    }

    const odbc::Connection& step_connection_;
    DatabaseInfo database_;
    ConnectionOpener open_connection_;
    std::chrono::seconds lease_;
    std::string token_;
    std::string holder_;
    std::unique_ptr<odbc::Connection> lock_connection_;
    std::optional<Observed> observed_;
    std::string last_claim_failure_;

    // Shared with the renewing thread.
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    bool claimed_ = false;
    Clock::time_point last_renewal_sent_;  // when the last renewal that succeeded was sent
    std::string lost_;                     // why the row is not this run's any more
    std::string renewal_failure_;
    std::thread renewer_;  // last: started after everything it uses exists
};

UnlockOutcome not_locked(const std::optional<LockRow>& row) {
    std::string last;
    if (row && !row->holder.empty()) last = fmt::format(" (last held by {}, released {})", row->holder, row->renewed_at);
    return {UnlockOutcome::Kind::not_locked, "Not locked: nobody holds the portable lock" + last + "."};
}

// The row `seen` was read holding the lock, and is now free (or gone): someone released it in the meantime, most
// likely another unlock run at the same time. Nothing is left to do, as for a lock found free.
UnlockOutcome released_meanwhile(const LockRow& seen) {
    return {UnlockOutcome::Kind::not_locked,
            fmt::format("Not locked: the portable lock held by {} is already free (released meanwhile, by another "
                        "unlock or by its holder).",
                        seen.describe())};
}

}  // namespace

bool portable_lock_forced() {
    const char* value = std::getenv("MIGRATION_HOST_FORCE_PORTABLE_LOCK");
    if (value == nullptr) return false;
    const std::string_view text(value);
    return text == "1" || text == "true" || text == "yes" || text == "on";
}

std::chrono::seconds lease_length() {
    const char* value = std::getenv("MIGRATION_HOST_LOCK_LEASE_SECONDS");
    if (value == nullptr || *value == '\0') return std::chrono::seconds(default_lease_seconds);
    const auto seconds = parse_whole_number(value);
    if (!seconds || *seconds < min_lease_seconds || *seconds > max_lease_seconds) {
        throw HostError(ExitCode::usage,
                        fmt::format("invalid MIGRATION_HOST_LOCK_LEASE_SECONDS '{}': expected a whole number of "
                                    "seconds from {} to {}",
                                    value, min_lease_seconds, max_lease_seconds));
    }
    return std::chrono::seconds(*seconds);
}

std::unique_ptr<RunLock> make_lease_lock(const odbc::Connection& connection, const DatabaseInfo& database,
                                         const ConnectionOpener& open_connection) {
    return std::make_unique<LeaseLock>(connection, database, open_connection);
}

UnlockOutcome unlock_lease_lock(const odbc::Connection& connection, const DatabaseInfo& database, bool force) {
    if (!table_exists(connection, database, lease_lock_table)) {
        return {UnlockOutcome::Kind::not_locked,
                fmt::format("Not locked: there is no {} table, so no run ever took the portable lock here.",
                            lease_lock_table)};
    }
    auto row = read_row(connection);
    if (!row || !row->token) return not_locked(row);
    // Forced: whatever the heartbeat, as long as the holder is the one named to the operator. Otherwise also only
    // if the heartbeat is still the one watched, so that a renewal racing the release wins.
    const auto clear = [&](const LockRow& seen, bool heartbeat_too) {
        std::vector<odbc::Parameter> parameters{utc_now_iso8601(), std::string(row_name), *seen.token};
        if (heartbeat_too) parameters.emplace_back(seen.heartbeat);
        const auto count = connection.execute(
            fmt::format("UPDATE {} SET token = NULL, heartbeat = heartbeat + 1, renewed_at = ? WHERE lock_name = ? "
                        "AND token = ?{}",
                        lease_lock_table, heartbeat_too ? " AND heartbeat = ?" : ""),
            parameters);
        return row_changed(count, connection, std::nullopt);
    };
    // A clear that changed nothing lost a race: to another unlock or the holder's own release (the row is free now:
    // nothing left to do), or to a run that renewed the lease or took the lock over (held now, by a live run).
    const auto held_now = [&] {
        const auto now = read_row(connection);
        return now && now->token;
    };
    if (force) {
        if (!clear(*row, false)) {
            if (!held_now()) return released_meanwhile(*row);
            return {UnlockOutcome::Kind::refused,
                    fmt::format("the lock changed hands while it was being released (it was held by {}): run "
                                "'migration-host unlock' again to see who holds it now",
                                row->describe())};
        }
        return {UnlockOutcome::Kind::released,
                fmt::format("Released the portable lock held by {} (--force: if that run is still alive, it stops "
                            "before its next step).",
                            row->describe())};
    }
    // A live holder moves the heartbeat every third of its lease; one that has not for a whole lease is dead.
    const auto lease = std::chrono::seconds(std::max<std::int64_t>(row->lease_seconds, 1));
    spdlog::info("watching the heartbeat of the lock held by {} for {} s: a live holder renews it every {:.1f} s",
                 row->describe(), lease.count(), static_cast<double>(lease.count()) / 3.0);
    const auto start = Clock::now();
    while (Clock::now() - start < lease) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        const auto now = read_row(connection);
        if (!now || !now->token) return released_meanwhile(*row);
        if (*now->token != *row->token || now->heartbeat != row->heartbeat) {
            return {UnlockOutcome::Kind::refused,
                    fmt::format("the portable lock is held by {} and its lease is alive (renewed within the last {} "
                                "s): a run is in progress; wait for it to end or stop it, or clear the lock anyway "
                                "with 'migration-host unlock --force'",
                                now->describe(), lease.count())};
        }
    }
    if (!clear(*row, true)) {
        if (!held_now()) return released_meanwhile(*row);
        return {UnlockOutcome::Kind::refused,
                fmt::format("the lock held by {} was renewed or taken over at the last moment: its holder is alive; "
                            "run 'migration-host unlock' again to see who holds it now",
                            row->describe())};
    }
    return {UnlockOutcome::Kind::released,
            fmt::format("Released the portable lock held by {}: its lease of {} s had run out (heartbeat unchanged "
                        "for {:.1f} s).",
                        row->describe(), lease.count(), std::chrono::duration<double>(Clock::now() - start).count())};
}

}  // namespace migration_host
