// Removes secrets (ODBC passwords) from any text before it is printed or logged.
#pragma once

#include <string>
#include <string_view>

namespace migration_host {

// Replaces the value of every attribute whose key ends in PWD, PASSWORD or
// PASSWD (any case; braced or not) with "***". Safe on any text, not only on
// connection strings, and on text it already redacted.
std::string redact_secrets(std::string_view text);

}  // namespace migration_host
