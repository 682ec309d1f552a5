// Removes secrets (ODBC passwords) from any text before it is printed or logged.
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

// A key is secret when it ends in one of these (PWD, Password, TLSKEYPASSWORD...).
constexpr std::array<std::string_view, 3> secret_key_endings{"pwd", "password", "passwd"};

bool is_secret_key(std::string_view key) {
    return std::any_of(secret_key_endings.begin(), secret_key_endings.end(), [&](std::string_view ending) {
        return key.size() >= ending.size() && equals_ignore_case(key.substr(key.size() - ending.size()), ending);
    });
}

// "***" followed by the end of a value: text this function already redacted.
bool already_redacted(std::string_view text, std::size_t value) {
    if (text.substr(value, 3) != "***") return false;
    const std::size_t after = value + 3;
    return after == text.size() || std::string_view(";: )}'\"").find(text[after]) != std::string_view::npos;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
    std::string out;
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
        while (eq < text.size() && text[eq] == ' ') ++eq;
        const std::string_view key = text.substr(i, key_end - i);
        const bool is_secret = eq < text.size() && text[eq] == '=' && is_secret_key(key);
        if (!is_secret) {
            out.append(text.substr(i, key_end - i));
            i = key_end;
            continue;
        }
        out.append(text.substr(i, eq + 1 - i));
        std::size_t value = eq + 1;
        if (already_redacted(text, value)) {
            // Already redacted (messages are redacted again before printing):
            // what follows is not part of the secret.
            out += "***";
            i = value + 3;
            continue;
        }
        if (value < text.size() && text[value] == '{') {
            // ODBC braces: '}}' inside stands for one '}'.
            std::size_t j = value + 1;
            while (j < text.size()) {
                if (text[j] == '}') {
                    if (j + 1 < text.size() && text[j + 1] == '}') {
                        j += 2;
                        continue;
                    }
                    ++j;
                    break;
                }
                ++j;
            }
            value = j;
        } else {
            while (value < text.size() && text[value] != ';') ++value;
        }
        out += "***";
        i = value;
    }
    return out;
}

}  // namespace migration_host
