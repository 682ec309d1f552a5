// The per-track summary of the history (migration_host_track_state): a row per track to read instead of every step.
// SPDX-License-Identifier: Apache-2.0
#include "engine/track_summary.hpp"

#include <fmt/format.h>

#include <charconv>

namespace migration_host {
namespace {

const std::vector<ExpectedColumn> expected_columns = expected_columns_of(TrackSummaryStore::table());

constexpr std::string_view layout = "the table the host creates (a cache of the history; it may be dropped)";

using Ranges = std::vector<std::pair<std::int64_t, std::int64_t>>;

std::string ranges_text(const Ranges& ranges) {
    std::string text;
    for (const auto& [first, last] : ranges) {
        if (!text.empty()) text += ',';
        text += std::to_string(first);
        if (last != first) text += fmt::format("-{}", last);
    }
    return text;
}

std::optional<std::int64_t> number_in(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
    return value;
}

// The ranges `text` lists, ascending and apart; nullopt for anything the host does not write.
std::optional<Ranges> parse_ranges(std::string_view text) {
    Ranges ranges;
    while (!text.empty()) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const auto dash = item.find('-');
        const auto first = number_in(item.substr(0, dash));
        const auto last = dash == std::string_view::npos ? first : number_in(item.substr(dash + 1));
        if (!first || !last || *last < *first || (!ranges.empty() && *first <= ranges.back().second + 1)) {
            return std::nullopt;
        }
        ranges.emplace_back(*first, *last);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
        if (text.empty()) return std::nullopt;
    }
    return ranges;
}

// The number a summary column holds, or nullopt for NULL and anything else: the summary is then not used.
std::optional<std::int64_t> stored_number(const std::optional<std::string>& value) {
    return value ? parse_stored_version(*value) : std::nullopt;
}

}  // namespace

void ChecksumDigest::add(std::int64_t version, const std::string& checksum) {
    const std::string item = fmt::format("{}:{}\n", version, checksum);
    for (const char c : item) {
        state_ ^= static_cast<unsigned char>(c);
        state_ *= 1099511628211ULL;  // FNV-1a 64 prime
    }
}

std::string ChecksumDigest::text() const {
    return fmt::format("fnv1a64:{:016x}", state_);
}

std::optional<ChecksumDigest> ChecksumDigest::from_text(const std::string& text) {
    constexpr std::string_view prefix = "fnv1a64:";
    if (text.size() != prefix.size() + 16 || text.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    ChecksumDigest digest;
    const char* begin = text.data() + prefix.size();
    const auto [end, error] = std::from_chars(begin, text.data() + text.size(), digest.state_, 16);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return digest;
}

void TrackSummary::extend(std::int64_t next_version, const std::string& checksum) {
    version = next_version;
    if (!checksum.empty()) {
        ChecksumDigest digest = ChecksumDigest::from_text(checksums_digest).value_or(ChecksumDigest());
        digest.add(next_version, checksum);
        checksums_digest = digest.text();
        return;
    }
    Ranges ranges = parse_ranges(unchecked_versions).value_or(Ranges());
    if (!ranges.empty() && ranges.back().second + 1 == next_version) {
        ranges.back().second = next_version;
    } else {
        ranges.emplace_back(next_version, next_version);
    }
    unchecked_versions = ranges_text(ranges);
}

bool TrackSummary::unchecked(std::int64_t at) const {
    for (const auto& [first, last] : parse_ranges(unchecked_versions).value_or(Ranges())) {
        if (at >= first && at <= last) return true;
    }
    return false;
}

TrackSummary summarize_track(const std::string& track, std::int64_t version, const AppliedSteps& applied_steps) {
    TrackSummary summary;
    summary.track = track;
    summary.checksums_digest = ChecksumDigest().text();
    for (std::int64_t at = 1; at <= version; ++at) summary.extend(at, applied_steps.checksum(track, at).value_or(""));
    return summary;
}

const schema::Table& TrackSummaryStore::table() {
    using namespace schema;
    static const Table declared(
        table_name,
        {
            // Tracks differ in case where MySQL's default collation would take them for one.
            Column("track", String(250).mysql_charset("utf8mb4").mysql_collation("utf8mb4_bin")).primary_key(),
            Column("version", BigInteger()).nullable(false),
            Column("history_rows", BigInteger()).nullable(false),
            Column("last_id", BigInteger()).nullable(false),
            Column("checksums_digest", String(64)).nullable(false),
            Column("unchecked_versions", Text()).nullable(false),
        });
    return declared;
}

std::string TrackSummaryStore::create_table_sql(const Dialect& dialect) {
    return host_table_sql(table(), dialect);
}

std::map<std::string, std::pair<std::int64_t, std::int64_t>> TrackSummaryStore::history_counts() const {
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts;
    const auto rows = connection_.query(
        fmt::format("SELECT track, COUNT(*), MAX(id) FROM {} GROUP BY track", HistoryStore::table_name));
    for (const auto& row : rows) {
        const auto count = stored_number(row.at(1));
        const auto last = stored_number(row.at(2));
        // A row the host did not write: the caller's summaries cannot match, and the whole history is read.
        if (!row.at(0) || !count || !last) return {};
        counts[*row.at(0)] = {*count, *last};
    }
    return counts;
}

std::optional<SummarizedHistory> TrackSummaryStore::read_current(const VersionMap& versions) const {
    if (!table_exists(connection_, database_, table_name) ||
        !table_exists(connection_, database_, HistoryStore::table_name)) {
        return std::nullopt;
    }
    require_columns(connection_, database_, table_name, expected_columns, layout);
    SummarizedHistory history;
    const auto rows =
        connection_.query(fmt::format("SELECT track, version, history_rows, last_id, checksums_digest, "
                                      "unchecked_versions FROM {}",
                                      table_name));
    for (const auto& row : rows) {
        TrackSummary summary;
        const auto version = stored_number(row.at(1));
        const auto history_rows = stored_number(row.at(2));
        const auto last_id = stored_number(row.at(3));
        if (!row.at(0) || !version || !history_rows || !last_id || !row.at(4) || !row.at(5) ||
            !ChecksumDigest::from_text(*row.at(4)) || !parse_ranges(*row.at(5))) {
            return std::nullopt;
        }
        summary.track = *row.at(0);
        summary.version = *version;
        summary.history_rows = *history_rows;
        summary.last_id = *last_id;
        summary.checksums_digest = *row.at(4);
        summary.unchecked_versions = *row.at(5);
        if (summary.version != version_of(versions, summary.track)) return std::nullopt;
        if (!history.tracks.emplace(summary.track, std::move(summary)).second) return std::nullopt;
    }
    const auto counts = history_counts();
    if (counts.size() != history.tracks.size()) return std::nullopt;
    for (const auto& [track, count] : counts) {
        const auto summary = history.tracks.find(track);
        if (summary == history.tracks.end() || summary->second.history_rows != count.first ||
            summary->second.last_id != count.second) {
            return std::nullopt;
        }
    }
    const HistoryStore store(connection_, database_);
    for (auto& entry : store.last_entries()) {
        const std::string track = entry.track;
        if (!history.last_entries.emplace(track, std::move(entry)).second) return std::nullopt;
    }
    if (history.last_entries.size() != history.tracks.size()) return std::nullopt;
    return history;
}

void TrackSummaryStore::store(const std::vector<TrackSummary>& summaries, bool every_track) const {
    if (!table_exists(connection_, database_, table_name)) connection_.execute(create_table_sql(database_.dialect));
    odbc::Transaction transaction(connection_);
    if (every_track) connection_.execute(fmt::format("DELETE FROM {}", table_name));
    const std::string insert = fmt::format(
        "INSERT INTO {} (track, version, history_rows, last_id, checksums_digest, unchecked_versions) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        table_name);
    const std::string remove = fmt::format("DELETE FROM {} WHERE track = ?", table_name);
    for (const auto& summary : summaries) {
        if (!every_track) connection_.execute(remove, {summary.track});
        connection_.execute(insert, {summary.track, summary.version, summary.history_rows, summary.last_id,
                                     summary.checksums_digest, summary.unchecked_versions});
    }
    transaction.commit();
}

}  // namespace migration_host
