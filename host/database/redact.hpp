// Removes secrets (ODBC passwords) from any text before it is printed or logged.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace migration_host {

// Replaces the value of every attribute whose key ends in PWD, PASSWORD or
// PASSWD (any case, spaces allowed around '=') with "***". The value runs to
// the next ';' or the end of the text; a braced value ({...}, "}}" standing for
// '}') runs to its closing brace and then on to the next ';', so no byte of
// it survives whatever it holds, "***" included: nothing in a value is ever
// taken for an earlier redaction. Safe on any text, not only on connection
// strings; redacting twice gives what redacting once gave. Text that follows
// a value on the same attribute (no ';' between) is dropped with it, so a
// caller that appends to a redacted connection string ends it first (see
// redact_connection_string).
std::string redact_secrets(std::string_view text);

// A connection string as the host prints it: redact_secrets, ended with ';'
// when it ends in a redacted value, so that text appended after it (": the
// driver's reason") survives every later redaction of the whole line.
std::string redact_connection_string(std::string_view connection_string);

}  // namespace migration_host
