// Header-only column types after SQLAlchemy's: Integer, String(n), Text and the rest, with MySQL's character set and collation.
// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plain C++17, standard library only. Nothing here writes SQL: render_column.hpp (in
// render.hpp) writes each type per dialect (Type::sql). model.hpp includes it.

#include <migration_host/dialect.hpp>

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace migration_host::schema {

namespace detail {

// Table and type options that are pasted into DDL (MySQL's engine, character set and
// collation names): empty, or only [A-Za-z0-9_], so that no option can carry other SQL.
inline void check_option_word(const std::string& value, const char* what) {
    const auto ok = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    if (!std::all_of(value.begin(), value.end(), ok)) {
        throw std::invalid_argument(std::string(what) + " '" + value + "' may only contain letters, digits and '_'");
    }
}

}  // namespace detail

// A column type. Make one with the factories below: Integer(), BigInteger(),
// String(n), Text(), Float(), Numeric(p, s), Date(), DateTime(), Boolean().
enum class TypeKind { integer, string, datetime, boolean, text, big_integer, float_, numeric, date };

class Type {
public:
    // `length` is for strings only (and must then be > 0); 0 for every other kind.
    explicit Type(TypeKind kind, std::size_t length = 0) : kind_(kind), length_(length) {
        if (kind == TypeKind::string && length == 0) {
            throw std::invalid_argument("String length must be greater than 0");
        }
        if (kind != TypeKind::string && length != 0) {
            throw std::invalid_argument("only String has a length");
        }
    }

    // Numeric(precision, scale): 0 < precision, scale <= precision.
    static Type numeric(std::size_t precision, std::size_t scale) {
        if (precision == 0 || scale > precision) {
            throw std::invalid_argument("Numeric needs 0 < precision and scale <= precision");
        }
        Type type(TypeKind::numeric);
        type.precision_ = precision;
        type.scale_ = scale;
        return type;
    }
    // Boolean(create_constraint=True): a CHECK (name IN (0, 1)) where the dialect has no
    // native boolean (SQLite, MySQL), as SQLAlchemy 1.4 renders it.
    static Type boolean_with_check() {
        Type type(TypeKind::boolean);
        type.check_ = true;
        return type;
    }

    // MySQL's character set and collation of a String or Text column, as SQLAlchemy's
    // mysql.VARCHAR(n, charset=..., collation=...) and mysql.TEXT(...):
    //     String(250).mysql_charset("utf8mb4").mysql_collation("utf8mb4_bin")
    // renders `VARCHAR(250) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin` on MySQL and plain
    // `VARCHAR(250)` elsewhere. Copies with the option set; throws std::invalid_argument
    // for any other kind, or a name with characters other than [A-Za-z0-9_].
    Type mysql_charset(std::string charset) const {
        check_character_option(charset, "mysql_charset");
        Type copy = *this;
        copy.mysql_charset_ = std::move(charset);
        return copy;
    }
    Type mysql_collation(std::string collation) const {
        check_character_option(collation, "mysql_collation");
        Type copy = *this;
        copy.mysql_collation_ = std::move(collation);
        return copy;
    }

    TypeKind kind() const noexcept { return kind_; }
    std::size_t length() const noexcept { return length_; }
    std::size_t precision() const noexcept { return precision_; }
    std::size_t scale() const noexcept { return scale_; }
    bool creates_check() const noexcept { return check_; }
    // Empty when not set.
    const std::string& mysql_charset_name() const noexcept { return mysql_charset_; }
    const std::string& mysql_collation_name() const noexcept { return mysql_collation_; }

    // The type as the dialect's DDL writes it: INTEGER, BIGINT, VARCHAR(255), TEXT, FLOAT,
    // NUMERIC(p, s), DATE, DATETIME (MySQL, SQLite) or TIMESTAMP WITHOUT TIME ZONE
    // (PostgreSQL), BOOLEAN or BOOL (MySQL); on MySQL with its CHARACTER SET and COLLATE.
    // Defined in render_column.hpp (render::type_sql), which render.hpp includes.
    std::string sql(Dialect dialect) const;

    // As SQLAlchemy's repr(): Integer(), String(length=255), DateTime(), Boolean(), Text(), ...;
    // with a MySQL character set or collation, its MySQL type's:
    // VARCHAR(charset='utf8mb4', collation='utf8mb4_bin', length=250), TEXT(charset='utf8mb4').
    std::string repr() const {
        if (!mysql_charset_.empty() || !mysql_collation_.empty()) {
            std::string arguments;
            const auto add = [&](const std::string& argument) {
                arguments += (arguments.empty() ? "" : ", ") + argument;
            };
            if (!mysql_charset_.empty()) add("charset='" + mysql_charset_ + "'");
            if (!mysql_collation_.empty()) add("collation='" + mysql_collation_ + "'");
            if (kind_ == TypeKind::string) add("length=" + std::to_string(length_));
            return (kind_ == TypeKind::string ? "VARCHAR(" : "TEXT(") + arguments + ")";
        }
        switch (kind_) {
            case TypeKind::integer: return "Integer()";
            case TypeKind::string: return "String(length=" + std::to_string(length_) + ")";
            case TypeKind::datetime: return "DateTime()";
            case TypeKind::boolean: return check_ ? "Boolean(create_constraint=True)" : "Boolean()";
            case TypeKind::text: return "Text()";
            case TypeKind::big_integer: return "BigInteger()";
            case TypeKind::float_: return "Float()";
            case TypeKind::numeric:
                return "Numeric(precision=" + std::to_string(precision_) + ", scale=" + std::to_string(scale_) + ")";
            case TypeKind::date: return "Date()";
        }
        return "";
    }

    friend bool operator==(const Type& a, const Type& b) noexcept {
        return a.kind_ == b.kind_ && a.length_ == b.length_ && a.precision_ == b.precision_ &&
               a.scale_ == b.scale_ && a.check_ == b.check_ && a.mysql_charset_ == b.mysql_charset_ &&
               a.mysql_collation_ == b.mysql_collation_;
    }
    friend bool operator!=(const Type& a, const Type& b) noexcept { return !(a == b); }

private:
    void check_character_option(const std::string& name, const char* what) const {
        if (kind_ != TypeKind::string && kind_ != TypeKind::text) {
            throw std::invalid_argument("only String and Text have a character set or collation");
        }
        detail::check_option_word(name, what);
    }

    TypeKind kind_;
    std::size_t length_;
    std::size_t precision_ = 0;
    std::size_t scale_ = 0;
    bool check_ = false;
    std::string mysql_charset_;    // MySQL only; empty: the table's default
    std::string mysql_collation_;  // MySQL only; empty: the character set's default
};

inline Type Integer() { return Type(TypeKind::integer); }
inline Type BigInteger() { return Type(TypeKind::big_integer); }
inline Type String(std::size_t length) { return Type(TypeKind::string, length); }
inline Type Text() { return Type(TypeKind::text); }
inline Type Float() { return Type(TypeKind::float_); }
inline Type Numeric(std::size_t precision, std::size_t scale) { return Type::numeric(precision, scale); }
inline Type Date() { return Type(TypeKind::date); }
inline Type DateTime() { return Type(TypeKind::datetime); }
inline Type Boolean() { return Type(TypeKind::boolean); }  // renders no CHECK constraint
// Boolean(create_constraint=True): CHECK (col IN (0, 1)) on SQLite and MySQL.
inline Type CheckedBoolean() { return Type::boolean_with_check(); }

}  // namespace migration_host::schema
