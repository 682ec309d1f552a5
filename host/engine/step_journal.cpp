// The statement journal of a step on MySQL/MariaDB: each completed statement counted in its history row, data statements grouped in transactions, and a resumed step's completed statements skipped.
// SPDX-License-Identifier: Apache-2.0
#include "engine/step_journal.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace migration_host {
namespace {

// The statement's first keyword, upper case, past blanks, comments and opening parentheses.
std::string first_keyword(std::string_view sql) {
    std::size_t at = 0;
    while (at < sql.size()) {
        const char c = sql[at];
        if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '(') {
            ++at;
        } else if (sql.substr(at, 2) == "/*") {
            const auto end = sql.find("*/", at + 2);
            at = end == std::string_view::npos ? sql.size() : end + 2;
        } else if (sql.substr(at, 2) == "--" || c == '#') {
            const auto end = sql.find('\n', at);
            at = end == std::string_view::npos ? sql.size() : end + 1;
        } else {
            break;
        }
    }
    std::string keyword;
    while (at < sql.size() && std::isalpha(static_cast<unsigned char>(sql[at])) != 0) {
        keyword += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[at++])));
    }
    return keyword;
}

odbc::Diagnostic journal_failure(const std::string& what) {
    return {"HY000", 0, what};
}

}  // namespace

StatementKind classify_statement(std::string_view sql) {
    static constexpr std::array<std::string_view, 7> data{"INSERT", "UPDATE", "DELETE", "REPLACE",
                                                          "SELECT", "WITH",   "VALUES"};
    const std::string keyword = first_keyword(sql);
    if (std::find(data.begin(), data.end(), keyword) != data.end()) return StatementKind::data;
    if (keyword == "SET") return StatementKind::session;
    return StatementKind::other;
}

bool says_already_applied(const odbc::Diagnostic& diagnostic) {
    static constexpr std::array<std::int32_t, 6> codes{1050, 1051, 1060, 1061, 1091, 1826};
    if (std::find(codes.begin(), codes.end(), diagnostic.native_error) != codes.end()) return true;
    // MariaDB answers a foreign key whose name exists with InnoDB's duplicate key error inside 1005 (MySQL: 1826).
    return diagnostic.native_error == 1005 && diagnostic.message.find("errno: 121 ") != std::string::npos;
}

StepJournal::StepJournal(const odbc::Connection& connection, const HistoryStore& history, std::int64_t row_id,
                         JournalResume resume)
    : connection_(connection),
      history_(history),
      row_id_(row_id),
      resume_(std::move(resume)),
      done_(resume_.completed),
      counted_(resume_.completed) {}

std::variant<StatementGate::Decision, odbc::Diagnostic> StepJournal::before(std::size_t number,
                                                                            std::string_view sql) noexcept {
    // Every statement before this one has ended: completed, or failed and passed over by the step.
    done_ = std::max(done_, number - 1);
    const StatementKind kind = classify_statement(sql);
    if (number <= resume_.completed) {
        if (number <= resume_.expected.size() && resume_.expected[number - 1] != sql) {
            return journal_failure(fmt::format(
                "cannot resume: statement {} is not what the step rendered before it ran, so the {} statements the "
                "interrupted attempt recorded cannot be matched to this run's; the track stays dirty: see "
                "'migration-host repair'",
                number, resume_.completed));
        }
        // The killed session's settings went with it; what the statements changed in the database stays.
        return kind == StatementKind::session ? Decision::run : Decision::skip;
    }
    try {
        if (kind == StatementKind::data) {
            if (!in_transaction_) {
                connection_.execute("START TRANSACTION");
                in_transaction_ = true;
                transaction_start_ = done_;
            }
        } else if (kind == StatementKind::other) {
            if (auto failure = settle()) return *failure;
            // Data statements commit with the count, so only a statement of this kind can be in doubt.
            if (resume_.next_in_doubt && number == resume_.completed + 1) in_doubt_ = number;
        }
    } catch (const std::exception& error) {
        return journal_failure(fmt::format("the statement journal could not be written: {}", error.what()));
    }
    return Decision::run;
}

void StepJournal::after(std::size_t number) noexcept {
    done_ = std::max(done_, number);
}

bool StepJournal::excused(std::size_t number, const odbc::Diagnostic& diagnostic) noexcept {
    if (number != in_doubt_ || !says_already_applied(diagnostic)) return false;
    spdlog::info("statement {} was already applied by the interrupted attempt (the database answers: {})", number,
                 diagnostic.to_string());
    done_ = std::max(done_, number);
    return true;
}

std::optional<odbc::Diagnostic> StepJournal::settle() noexcept {
    try {
        if (done_ > counted_) {
            history_.record_statements_done(row_id_, static_cast<std::int64_t>(done_));
            counted_ = done_;
        }
        if (in_transaction_) {
            connection_.execute("COMMIT");
            in_transaction_ = false;
        }
    } catch (const std::exception& error) {
        return journal_failure(fmt::format("the statement journal could not be written: {}", error.what()));
    }
    return std::nullopt;
}

void StepJournal::begin_final() {
    if (in_transaction_) return;
    connection_.execute("START TRANSACTION");
    in_transaction_ = true;
    transaction_start_ = done_;
}

void StepJournal::commit() {
    if (!in_transaction_) return;
    connection_.execute("COMMIT");
    in_transaction_ = false;
    counted_ = done_;
}

void StepJournal::roll_back() noexcept {
    if (!in_transaction_) return;
    in_transaction_ = false;
    const auto result = connection_.try_execute("ROLLBACK");
    if (const auto* failure = std::get_if<odbc::Diagnostic>(&result)) {
        spdlog::debug("rolling back the step's open transaction failed: {}", failure->to_string());
    }
    done_ = transaction_start_;
    counted_ = std::min(counted_, done_);
}

}  // namespace migration_host
