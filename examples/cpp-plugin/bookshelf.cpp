// The bookshelf plugin: a complete migration-host plugin in C++17 with the operations SDK (track "bookshelf", 1-4).
// SPDX-License-Identifier: Apache-2.0
#include <migration_host/operations.hpp>
#include <migration_host/plugin.hpp>
#include <migration_host/schema.hpp>

#include <string>
#include <utility>
#include <vector>

namespace {

using migration_host::render::ColumnChange;
using migration_host::sdk::Host;
using migration_host::sdk::Op;
using namespace migration_host::schema;

// --- what each version leaves ---
// Operations that change an existing table (alter_column, drop_column, foreign keys) take its current definition,
// as Alembic's batch mode does: MySQL's MODIFY repeats a whole column, and SQLite, which cannot ALTER most things,
// rebuilds the table from it (create, copy the rows, drop, rename, recreate the indexes).

TableOptions innodb(std::vector<Index> indexes = {}) {
    TableOptions options;
    options.mysql_engine = "InnoDB";
    options.indexes = std::move(indexes);
    return options;
}

Table authors(int version) {
    std::vector<Column> columns{Column("id", Integer()).primary_key(), Column("name", String(100)).nullable(false)};
    if (version >= 4) columns.push_back(Column("sort_name", String(110)));
    return Table("authors", std::move(columns), innodb());
}

Table books(int version) {
    std::vector<Column> columns{Column("id", Integer()).primary_key(),
                                Column("author_id", Integer(), ForeignKey("authors.id")).nullable(false),
                                Column("title", String(version >= 3 ? 255 : 100)).nullable(false)};
    std::vector<Index> indexes{{"ix_books_title", {"title"}}};
    if (version >= 2) {
        columns.push_back(Column("isbn", String(17)));
        indexes.push_back({"ix_books_isbn", {"isbn"}, true});
    }
    return Table("books", std::move(columns), innodb(std::move(indexes)));
}

// --- the steps: each throws on failure; sdk::step turns that into the step's status and message ---

// 1: two tables, a foreign key, an index.
void create_tables(Host& host) {
    Op op(host);
    op.create_table(authors(1));
    op.create_table(books(1));
}
void drop_tables(Host& host) {
    Op op(host);
    op.drop_table("books");
    op.drop_table("authors");
}

// 2: a new column and a unique index on it.
void add_isbn(Host& host) {
    Op op(host);
    op.add_column("books", Column("isbn", String(17)));
    op.create_index("books", {"ix_books_isbn", {"isbn"}, true});
}
// Dropping the column drops its index on every database.
void drop_isbn(Host& host) {
    Op(host).drop_column(books(2), "isbn");
}

// 3: a longer column (MySQL MODIFY, PostgreSQL ALTER ... TYPE, a rebuild on SQLite).
void lengthen_titles(Host& host) {
    ColumnChange change;
    change.type = String(255);
    Op(host).alter_column(books(2), "title", change);
}
void shorten_titles(Host& host) {
    ColumnChange change;
    change.type = String(100);
    Op(host).alter_column(books(3), "title", change);
}

// 4: a data migration. Values are bound, never pasted into SQL, so "O'Brien" needs no escaping.
std::string sort_name(const std::string& name) {  // "Tove Jansson" -> "Jansson, Tove"
    const auto space = name.rfind(' ');
    return space == std::string::npos ? name : name.substr(space + 1) + ", " + name.substr(0, space);
}
void fill_sort_names(Host& host) {
    Op op(host);
    op.add_column("authors", Column("sort_name", String(110)));
    for (const auto& row : op.rows("SELECT id, name FROM authors")) {
        op.update("authors", {{"sort_name", sort_name(row[1].value_or(""))}}, "id = ?", {row[0]});
    }
}
void drop_sort_names(Host& host) {
    Op(host).drop_column(authors(4), "sort_name");
}

namespace sdk = migration_host::sdk;

constexpr mh_migration v1 = sdk::Migration("bookshelf", 1, "001_authors_and_books")
                                .upgrade(sdk::step<&create_tables>)
                                .downgrade(sdk::step<&drop_tables>)
                                .build();
constexpr mh_migration v2 =
    sdk::Migration("bookshelf", 2, "002_isbn").upgrade(sdk::step<&add_isbn>).downgrade(sdk::step<&drop_isbn>).build();
constexpr mh_migration v3 = sdk::Migration("bookshelf", 3, "003_longer_titles")
                                .upgrade(sdk::step<&lengthen_titles>)
                                .downgrade(sdk::step<&shorten_titles>)
                                .build();
// The host renders an upgrade offline to checksum it, and offline a query fails: a step that reads the database
// vouches for its own checksum (change it when the step changes).
constexpr mh_migration v4 = sdk::Migration("bookshelf", 4, "004_author_sort_names")
                                .upgrade(sdk::step<&fill_sort_names>)
                                .downgrade(sdk::step<&drop_sort_names>)
                                .checksum("bookshelf:004_author_sort_names:1")
                                .build();

const mh_migration* const migrations[] = {&v1, &v2, &v3, &v4};
constexpr const char* description = "Track bookshelf: authors and books, then ISBNs, longer titles and sort names";
constexpr mh_plugin_descriptor descriptor =
    sdk::make_descriptor("bookshelf", "Bookshelf (C++ example)", "1.0.0", description, migrations);

}  // namespace

MIGRATION_HOST_PLUGIN(descriptor)
