// Removes secrets (ODBC passwords) from any text before it is printed or logged.
#pragma once

#include <string>
#include <string_view>

namespace migration_host {

// Replaces the value of every PWD= / Password= attribute (any case, braced or
// not) with "***". Safe on any text, not only on connection strings.
std::string redact_secrets(std::string_view text);

}  // namespace migration_host
