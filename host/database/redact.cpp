// Removes secrets (ODBC passwords) from any text before it is printed or logged.
// SPDX-License-Identifier: Apache-2.0
#include "database/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace migration_host {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_key_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

bool is_blank(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// A key is secret when it ends in one of these (PWD, Password, TLSKEYPASSWORD...).
constexpr std::array<std::string_view, 3> secret_key_endings{"pwd", "password", "passwd"};

bool is_secret_key(std::string_view key) {
    return std::any_of(secret_key_endings.begin(), secret_key_endings.end(), [&](std::string_view ending) {
        return key.size() >= ending.size() && equals_ignore_case(key.substr(key.size() - ending.size()), ending);
    });
}

// Where the value starting at `start` ends, judged only by the connection-string grammar and never by what the
// value holds. Drivers disagree on the details (leading blanks before a brace, text after a closing brace, "}}"),
// so the extent taken is the widest any of them could read: a braced value runs to its closing brace, and every
// value then runs on to the next ';'. Never shorter than the plain "up to the next ';'" reading.
std::size_t end_of_value(std::string_view text, std::size_t start) {
    std::size_t position = start;
    while (position < text.size() && is_blank(text[position])) ++position;
    if (position < text.size() && text[position] == '{') {
        ++position;
        while (position < text.size()) {
            if (text[position] == '}') {
                if (position + 1 < text.size() && text[position + 1] == '}') {
                    position += 2;  // "}}" stands for one '}' inside the braces
                    continue;
                }
                ++position;
                break;
            }
            ++position;
        }
    }
    return std::min(text.find(';', position), text.size());
}

struct Redacted {
    std::string text;
    bool ends_in_secret = false;  // the last thing in `text` is a "***" this pass wrote
};

Redacted redact(std::string_view text) {
    Redacted result;
    std::string& out = result.text;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        // A key starts at the beginning of the text or after a non-key character.
        const bool at_key_start = is_key_char(text[i]) && (i == 0 || !is_key_char(text[i - 1]));
        if (!at_key_start) {
            out += text[i++];
            continue;
        }
        std::size_t key_end = i;
        while (key_end < text.size() && is_key_char(text[key_end])) ++key_end;
        std::size_t eq = key_end;
        while (eq < text.size() && is_blank(text[eq])) ++eq;
        const std::string_view key = text.substr(i, key_end - i);
        if (eq >= text.size() || text[eq] != '=' || !is_secret_key(key)) {
            out.append(key);
            i = key_end;
            continue;
        }
        out.append(text.substr(i, eq + 1 - i));
        out += "***";
        i = end_of_value(text, eq + 1);
        result.ends_in_secret = i == text.size();
    }
    return result;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
    return redact(text).text;
}

std::string redact_connection_string(std::string_view connection_string) {
    Redacted redacted = redact(connection_string);
    if (redacted.ends_in_secret) redacted.text += ';';
    return std::move(redacted.text);
}

}  // namespace migration_host
