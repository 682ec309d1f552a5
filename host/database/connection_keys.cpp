// The connection-string and odbc.ini keys each known ODBC driver reads, and the check that a connection gives no other.
// SPDX-License-Identifier: Apache-2.0
#include "database/connection_keys.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "bounded_list.hpp"
#include "database/odbc.hpp"
#include "exit_codes.hpp"

namespace migration_host {
namespace {

// Who reads a key, and where.
enum KeyReaders : std::uint8_t {
    sqlite3 = 1,     // Debian's SQLite3 driver (sqlite3odbc.c, drvdriverconnect and its DSN reads)
    mariadb = 2,     // MariaDB Connector/ODBC 3.1 (ma_dsn.c, DsnKeys[], aliases included)
    postgresql = 4,  // psqlODBC 13 (dlg_specific.c, copyConnAttributes; getDSNinfo and get_Ci_Drivers for odbc.ini)
    every_driver = sqlite3 | mariadb | postgresql,
    in_string = 8,     // read in a connection string
    in_odbc_ini = 16,  // read in a DSN's odbc.ini section
    anywhere = in_string | in_odbc_ini,
};

struct KnownKey {
    const char* name;  // as the driver's documentation spells it; compared in any case, as the drivers do
    unsigned readers;
};

// One table for the three drivers. psqlODBC has long names (read anywhere) and short ones, "A0"..., "server", "UID",
// "pwd" (read in a connection string only: getDSNinfo asks odbc.ini for the long names); MariaDB reads its aliases
// everywhere; the SQLite3 driver reads each of its keys in both places, "pwd" in the string only.
constexpr KnownKey known_keys[] = {
    // The driver manager's own (ODBC's SQLDriverConnect keywords) in a connection string.
    {"DRIVER", every_driver | in_string},
    {"DSN", every_driver | in_string},
    {"FILEDSN", every_driver | in_string},
    {"SAVEFILE", every_driver | in_string},
    {"UID", every_driver | in_string},
    {"PWD", every_driver | in_string},
    // What unixODBC itself reads in a DSN's odbc.ini section.
    {"Driver", every_driver | in_odbc_ini},
    {"Driver64", every_driver | in_odbc_ini},
    {"Setup", every_driver | in_odbc_ini},
    {"Setup64", every_driver | in_odbc_ini},
    {"Description", every_driver | anywhere},
    {"Trace", every_driver | in_odbc_ini},
    {"TraceFile", every_driver | anywhere},
    {"Threading", every_driver | in_odbc_ini},
    {"DontDLClose", every_driver | in_odbc_ini},
    {"UsageCount", every_driver | in_odbc_ini},
    {"FileUsage", every_driver | in_odbc_ini},
    {"CPTimeout", every_driver | in_odbc_ini},
    {"CPTimeToLive", every_driver | in_odbc_ini},
    {"DisableGetFunctions", every_driver | in_odbc_ini},
    {"DMEnvAttr", every_driver | in_odbc_ini},
    {"DMConnAttr", every_driver | anywhere},
    {"DMStmtAttr", every_driver | anywhere},
    {"IconvEncoding", every_driver | in_odbc_ini},

    // SQLite3
    {"Database", sqlite3 | postgresql | anywhere},
    {"Timeout", sqlite3 | anywhere},
    {"StepAPI", sqlite3 | anywhere},
    {"SyncPragma", sqlite3 | anywhere},
    {"NoTXN", sqlite3 | anywhere},
    {"ShortNames", sqlite3 | anywhere},
    {"LongNames", sqlite3 | anywhere},
    {"NoCreat", sqlite3 | anywhere},
    {"NoWCHAR", sqlite3 | anywhere},
    {"FKSupport", sqlite3 | anywhere},
    {"LoadExt", sqlite3 | anywhere},
    {"JournalMode", sqlite3 | anywhere},
    {"JDConv", sqlite3 | anywhere},
    {"BigInt", sqlite3 | anywhere},
    {"OEMCP", sqlite3 | anywhere},

    // MariaDB Connector/ODBC
    {"DATABASE", mariadb | anywhere},
    {"DB", mariadb | anywhere},
    {"SERVER", mariadb | anywhere},
    {"SERVERNAME", mariadb | anywhere},
    {"USER", mariadb | anywhere},
    {"PASSWORD", mariadb | anywhere},
    {"PORT", mariadb | anywhere},
    {"UID", mariadb | in_odbc_ini},
    {"PWD", mariadb | in_odbc_ini},
    {"OPTIONS", mariadb | anywhere},
    {"OPTION", mariadb | anywhere},
    {"NamedPipe", mariadb | anywhere},
    {"TCPIP", mariadb | anywhere},
    {"INITSTMT", mariadb | anywhere},
    {"CONN_TIMEOUT", mariadb | anywhere},
    {"AUTO_RECONNECT", mariadb | anywhere},
    {"NO_PROMPT", mariadb | anywhere},
    {"CHARSET", mariadb | anywhere},
    {"TRACE", mariadb | in_string},
    {"PLUGIN_DIR", mariadb | anywhere},
    {"SSLKEY", mariadb | anywhere},
    {"SSLCERT", mariadb | anywhere},
    {"SSLCA", mariadb | anywhere},
    {"SSLCAPATH", mariadb | anywhere},
    {"SSLCIPHER", mariadb | anywhere},
    {"SSLVERIFY", mariadb | anywhere},
    {"TLSPEERFP", mariadb | anywhere},
    {"TLSPEERFPLIST", mariadb | anywhere},
    {"SSLFP", mariadb | anywhere},
    {"SSLFPLIST", mariadb | anywhere},
    {"SSLCRL", mariadb | anywhere},
    {"SSLCRLPATH", mariadb | anywhere},
    {"SOCKET", mariadb | anywhere},
    {"SAVEFILE", mariadb | in_odbc_ini},
    {"USE_MYCNF", mariadb | anywhere},
    {"TLSVERSION", mariadb | anywhere},
    {"FORCETLS", mariadb | anywhere},
    {"SERVERKEY", mariadb | anywhere},
    {"TLSKEYPWD", mariadb | anywhere},
    {"INTERACTIVE", mariadb | anywhere},
    {"FORWARDONLY", mariadb | anywhere},
    {"SCHEMANOERROR", mariadb | anywhere},
    {"READ_TIMEOUT", mariadb | anywhere},
    {"WRITE_TIMEOUT", mariadb | anywhere},
    {"NOLOCALINFILE", mariadb | anywhere},
    {"NULLISCURRENT", mariadb | anywhere},
    {"STREAMRS", mariadb | anywhere},
    {"NO_CACHE", mariadb | anywhere},

    // psqlODBC: long names, then the short ones it also takes in a connection string.
    {"Servername", postgresql | anywhere},
    {"Port", postgresql | anywhere},
    {"Username", postgresql | anywhere},
    {"Password", postgresql | anywhere},
    {"ReadOnly", postgresql | anywhere},
    {"Protocol", postgresql | anywhere},
    {"ShowOidColumn", postgresql | anywhere},
    {"FakeOidIndex", postgresql | anywhere},
    {"RowVersioning", postgresql | anywhere},
    {"ShowSystemTables", postgresql | anywhere},
    {"ConnSettings", postgresql | anywhere},
    {"pqopt", postgresql | anywhere},
    {"UpdatableCursors", postgresql | anywhere},
    {"LFConversion", postgresql | anywhere},
    {"TrueIsMinus1", postgresql | anywhere},
    {"BI", postgresql | anywhere},
    {"NumericAs", postgresql | anywhere},
    {"ByteaAsLongVarBinary", postgresql | anywhere},
    {"UseServerSidePrepare", postgresql | anywhere},
    {"LowerCaseIdentifier", postgresql | anywhere},
    {"KeepaliveTime", postgresql | anywhere},
    {"KeepaliveInterval", postgresql | anywhere},
    {"BatchSize", postgresql | anywhere},
    {"OptionalErrors", postgresql | anywhere},
    {"IgnoreTimeout", postgresql | anywhere},
    {"SSLmode", postgresql | anywhere},
    {"AB", postgresql | anywhere},
    {"XaOpt", postgresql | anywhere},
    {"Fetch", postgresql | anywhere},
    {"Debug", postgresql | anywhere},
    {"CommLog", postgresql | anywhere},
    {"UniqueIndex", postgresql | anywhere},
    {"UnknownSizes", postgresql | anywhere},
    {"Lie", postgresql | anywhere},
    {"Parse", postgresql | anywhere},
    {"UseDeclareFetch", postgresql | anywhere},
    {"MaxVarcharSize", postgresql | anywhere},
    {"MaxLongVarcharSize", postgresql | anywhere},
    {"TextAsLongVarchar", postgresql | anywhere},
    {"UnknownsAsLongVarchar", postgresql | anywhere},
    {"BoolsAsChar", postgresql | anywhere},
    {"ExtraSysTablePrefixes", postgresql | anywhere},
    {"FetchRefcursors", postgresql | anywhere},
    {"TranslationDLL", postgresql | in_odbc_ini},
    {"TranslationOption", postgresql | in_odbc_ini},
    {"server", postgresql | in_string},
    {"DX", postgresql | in_string},
    {"CX", postgresql | in_string},
    {"A0", postgresql | in_string},
    {"A1", postgresql | in_string},
    {"A2", postgresql | in_string},
    {"A3", postgresql | in_string},
    {"A4", postgresql | in_string},
    {"A5", postgresql | in_string},
    {"A6", postgresql | in_string},
    {"A7", postgresql | in_string},
    {"A9", postgresql | in_string},
    {"B0", postgresql | in_string},
    {"B1", postgresql | in_string},
    {"B2", postgresql | in_string},
    {"B3", postgresql | in_string},
    {"B6", postgresql | in_string},
    {"B7", postgresql | in_string},
    {"B8", postgresql | in_string},
    {"B9", postgresql | in_string},
    {"C0", postgresql | in_string},
    {"C2", postgresql | in_string},
    {"C4", postgresql | in_string},
    {"C5", postgresql | in_string},
    {"C6", postgresql | in_string},
    {"C7", postgresql | in_string},
    {"C8", postgresql | in_string},
    {"C9", postgresql | in_string},
    {"CA", postgresql | in_string},
    {"D1", postgresql | in_string},
    {"D2", postgresql | in_string},
    {"D5", postgresql | in_string},
    {"D6", postgresql | in_string},
    {"D7", postgresql | in_string},
    {"D8", postgresql | in_string},
    {"D9", postgresql | in_string},
    {"DA", postgresql | in_string},
};

std::string lower_case(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

unsigned reader_of(DriverKind driver) {
    switch (driver) {
        case DriverKind::sqlite3:
            return sqlite3;
        case DriverKind::mariadb:
            return mariadb;
        case DriverKind::postgresql:
            return postgresql;
        case DriverKind::other:
            break;
    }
    return 0;
}

unsigned place_of(KeyPlace place) {
    return place == KeyPlace::connection_string ? in_string : in_odbc_ini;
}

bool reads(const KnownKey& known, DriverKind driver, KeyPlace place) {
    return (known.readers & reader_of(driver)) != 0 && (known.readers & place_of(place)) != 0;
}

// Levenshtein distance, any case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::string x = lower_case(a);
    const std::string y = lower_case(b);
    std::vector<std::size_t> row(y.size() + 1);
    for (std::size_t j = 0; j <= y.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= x.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= y.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] == y[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[y.size()];
}

// How far `typed` is from `known`: its edit distance, or one more than its distance to the known key's start, so that
// a key cut short ("Servr" for "Servername") finds the key it starts rather than an unrelated short one.
std::size_t typo_distance(std::string_view typed, std::string_view known) {
    const std::size_t whole = edit_distance(typed, known);
    if (known.size() <= typed.size()) return whole;
    return std::min(whole, edit_distance(typed, known.substr(0, typed.size())) + 1);
}

// Oracle's MySQL Connector/ODBC counts as DriverKind::mariadb (the same servers), but reads keys of its own
// (SSLMODE, NO_SSPS...): only MariaDB's connector is held to MariaDB's keys.
DriverKind checked_driver(DriverKind driver, const std::string& driver_name) {
    if (driver != DriverKind::mariadb) return driver;
    const std::string library = driver_name.find('/') == std::string::npos
                                    ? odbc::profile_string(driver_name, "Driver", "odbcinst.ini").value_or(driver_name)
                                    : driver_name;
    const std::string names =
        lower_case(driver_name) + " " + lower_case(std::filesystem::path(library).filename().string());
    const bool maria = names.find("maodbc") != std::string::npos || names.find("mariadb") != std::string::npos;
    return maria ? driver : DriverKind::other;
}

void check_keys(const std::vector<std::string>& keys, DriverKind driver, KeyPlace place,
                const std::vector<std::string>& allowed, const std::string& where, std::string_view named_by) {
    for (const auto& key : keys) {
        if (key.empty() || is_known_connection_key(driver, key, place)) continue;
        const std::string lower = lower_case(key);
        if (std::any_of(allowed.begin(), allowed.end(), [&](const auto& a) { return lower_case(a) == lower; })) {
            spdlog::debug("connection key '{}' {}: passed on, as --allow-connection-key says", key, where);
            continue;
        }
        const auto nearest = nearest_connection_key(driver, key, place);
        throw HostError(ExitCode::usage,
                        fmt::format("unknown connection key '{}' {}{}{} (the driver would ignore it; "
                                    "--allow-connection-key {} passes it on)",
                                    key, where, named_by.empty() ? "" : " in " + std::string(named_by),
                                    nearest ? fmt::format(": did you mean '{}'?", *nearest) : "", key));
    }
}

}  // namespace

bool is_known_connection_key(DriverKind driver, std::string_view key, KeyPlace place) {
    if (driver == DriverKind::other) return true;
    const std::string lower = lower_case(key);
    return std::any_of(std::begin(known_keys), std::end(known_keys), [&](const KnownKey& known) {
        return reads(known, driver, place) && lower_case(known.name) == lower;
    });
}

std::optional<std::string> nearest_connection_key(DriverKind driver, std::string_view key, KeyPlace place) {
    std::optional<std::string> nearest;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    for (const auto& known : known_keys) {
        if (!reads(known, driver, place)) continue;
        const std::size_t distance = typo_distance(key, known.name);
        if (distance < best) {
            best = distance;
            nearest = known.name;
        }
    }
    // Further than a third of the key (at least 2) is another word, not a typo.
    if (best > std::max<std::size_t>(2, key.size() / 3)) return std::nullopt;
    return nearest;
}

void check_connection_keys(const ConnectionTarget& target, const std::vector<std::string>& allowed,
                           std::string_view named_by) {
    const auto name = target.driver_name();
    const DriverKind driver = checked_driver(target.driver(), name.value_or(""));
    if (driver == DriverKind::other) {
        spdlog::debug(
            "connection keys not checked for driver '{}'{}: the host knows those of SQLite3, MariaDB "
            "Connector/ODBC and psqlODBC only",
            name.value_or("(none named)"), named_by.empty() ? "" : " in " + std::string(named_by));
        return;
    }
    const std::string driver_named = name.value_or("its driver");
    check_keys(target.keys(), driver, KeyPlace::connection_string, allowed, "for " + driver_named, named_by);
    if (const auto& dsn = target.dsn_name()) {
        check_keys(odbc::profile_keys(*dsn, "odbc.ini"), driver, KeyPlace::odbc_ini, allowed,
                   fmt::format("in odbc.ini's [{}] for {}", *dsn, driver_named), named_by);
    }
}

}  // namespace migration_host
