// Fuzz target: no part of a password survives redaction, whatever it holds or follows; redaction is idempotent.
// SPDX-License-Identifier: Apache-2.0
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "database/redact.hpp"
#include "fuzz_check.hpp"

using migration_host::redact_connection_string;
using migration_host::redact_secrets;

namespace {

// The password is written as ODBC writes any value: bare when it can be, braced ('}' doubled) when it holds a ';'
// or starts (after blanks) with '{'. Both readings agree then on where it ends.
std::string encode_value(const std::string& value) {
    const auto first = value.find_first_not_of(" \t\n\v\f\r");
    const bool needs_braces =
        value.find(';') != std::string::npos || (first != std::string::npos && value[first] == '{');
    if (!needs_braces) return value;
    std::string out = "{";
    for (const char c : value) {
        out += c;
        if (c == '}') out += '}';
    }
    return out + "}";
}

bool has_high_byte(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::string ascii(std::string text) {
    for (char& c : text) c = static_cast<char>(c & 0x7f);
    return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Any text: redacting again changes nothing.
    const std::string_view whole(reinterpret_cast<const char*>(data), size);
    const std::string once = redact_secrets(whole);
    fuzz::require(redact_secrets(once) == once, "redact_secrets is idempotent", whole);
    const std::string connection_once = redact_connection_string(whole);
    fuzz::require(redact_secrets(connection_once) == connection_once, "a redacted connection string stays as it is",
                  whole);

    // A password attribute among arbitrary attributes. Only the password holds bytes >= 0x80, and one in every four
    // of its bytes is one: a surviving run of four password bytes would show as a high byte in the output.
    FuzzedDataProvider provider(data, size);
    static const char* const keys[] = {"PWD", "pwd", "Password", "PASSWORD", "passwd", "TLSKEYPASSWORD", "x_Pwd"};
    const std::string key = keys[provider.ConsumeIntegralInRange<std::size_t>(0, std::size(keys) - 1)];
    const std::string blanks_before_equals(provider.ConsumeIntegralInRange<std::size_t>(0, 2), ' ');
    const std::string prefix = ascii(provider.ConsumeRandomLengthString(256));
    const std::string raw_password = ascii(provider.ConsumeRandomLengthString(256));
    std::string password;
    for (std::size_t i = 0; i < raw_password.size(); ++i) {
        password += raw_password[i];
        if (i % 3 == 2) password += static_cast<char>(0x80 | (raw_password[i] & 0x7f));
    }
    if (password.empty() || !has_high_byte(password)) password += static_cast<char>(0xff);
    const std::string suffix = ascii(provider.ConsumeRemainingBytesAsString());
    // The ';' before the key starts an attribute whatever the prefix holds.
    const std::string text = prefix + ";" + key + blanks_before_equals + "=" + encode_value(password) + ";" + suffix;

    const std::string redacted = redact_secrets(text);
    fuzz::require(!has_high_byte(redacted), "no byte of the password survives redact_secrets", text);
    fuzz::require(!has_high_byte(redact_connection_string(text)),
                  "no byte of the password survives redact_connection_string", text);
    fuzz::require(!has_high_byte(redact_secrets(redact_connection_string(text) + ": " + suffix)),
                  "nor a second redaction of a message around it", text);
    return 0;
}
