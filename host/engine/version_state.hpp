// Reads and writes each track's version in sqlalchemy-migrate's migrate_version table, refusing what it cannot read
// SPDX-License-Identifier: Apache-2.0
// exactly.
#pragma once

#include <migration_host/model.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "database/database.hpp"
#include "database/odbc.hpp"
#include "engine/planner.hpp"

namespace migration_host {

// The number a stored integer's text holds, accepting only the canonical base-10 form of a 64-bit integer: "0", or
// an optional '-' and digits without a leading zero ("42", "-7"), in range. That is how every driver returns an
// integer column. Anything else is nullopt: a '+', spaces, leading zeros, "-0", decimals, exponents, trailing text,
// values beyond 64 bits. A stored value is either exactly a number or refused, never guessed at.
std::optional<std::int64_t> parse_stored_version(std::string_view text);

// `text` as an SQL string literal ('it''s'), for the hints in messages.
std::string sql_literal(std::string_view text);

// A column the host reads from one of its tables, and whether it must be of an integer type.
struct ExpectedColumn {
    const char* name;
    bool integer;
};

// Every column of one of the host's table declarations, in order, integer when declared Integer or BigInteger. The
// names point into `table`, which must outlive the result (the stores' declarations live as long as the process).
std::vector<ExpectedColumn> expected_columns_of(const schema::Table& table);

// `table`'s CREATE TABLE as the host sends it: the SDK's rendering for `dialect` (own_tables_spelling), on one line.
std::string host_table_sql(const schema::Table& table, const Dialect& dialect);

// Throws HostError(refused) naming the table and column when one of `columns` is missing from `table`, or is
// declared with a type that is not an integer type where one is needed. `layout` says what the table should be.
// Databases whose catalog the host does not know are not checked. Returns every column the table declares, in lower
// case (empty where the catalog is not known), so that a caller can tell whether a column added later is there.
std::set<std::string> require_columns(const odbc::Connection& connection, const DatabaseInfo& database, const std::string& table,
                     const std::vector<ExpectedColumn>& columns, std::string_view layout);

struct TrackVersion {
    std::string track;  // repository_id
    std::optional<std::string> repository_path;
    std::int64_t version = 0;
};

// The table layout is exactly sqlalchemy-migrate's, so that the host can take
// over a database that the original Python tool migrated, and the reverse.
class VersionStore {
public:
    static constexpr const char* table_name = "migrate_version";

    // sqlalchemy-migrate's declaration of the table.
    static const schema::Table& table();

    // The statements the store issues to write, one place for the run and for the offline script (sql command):
    // sqlalchemy-migrate's CREATE TABLE (the same on every dialect); registering a track (values: track, repository
    // path); moving a track (values: new version, track, old version).
    static std::string create_table_sql(const Dialect& dialect);
    static std::string add_track_sql();
    static std::string set_version_sql();

    VersionStore(const odbc::Connection& connection, const DatabaseInfo& database)
        : connection_(connection), database_(database) {}

    bool table_exists() const;
    // Returns true when it had to create the table.
    bool create_table_if_missing() const;

    // Every row; empty when the table does not exist. Throws HostError(refused), naming the row and how to put it
    // right, for anything no step may be planned from: a table without sqlalchemy-migrate's columns, a NULL
    // repository_id, a version that is NULL, not exactly an integer, or negative, and two rows for one track.
    std::vector<TrackVersion> rows() const;
    VersionMap versions() const;

    // Throws HostError(refused) when a stored row is not exactly one of `catalog`'s tracks but would be taken for
    // it: a name differing only in ASCII case or trailing spaces, or one the database's collation compares as
    // equal (MySQL's repository_id ignores case). Writing the track would hit or move that row instead.
    void require_exact_track_rows(const VersionMap& stored, const Catalog& catalog) const;

    // Registers a track at version 0 (sqlalchemy-migrate's version_control).
    void add_track(const std::string& track, const std::string& repository_path) const;

    // Moves a track from `from` to `to`, checking that exactly one row changed.
    // Returns why it did not: someone else moved the track in between, or the
    // database refused the update (e.g. a transaction a step left aborted).
    [[nodiscard]] std::optional<std::string> compare_and_set(const std::string& track, std::int64_t from,
                                                             std::int64_t to) const;

private:
    const odbc::Connection& connection_;
    const DatabaseInfo& database_;
};

}  // namespace migration_host
