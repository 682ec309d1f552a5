// Strict UTF-8 decoding, one sequence at a time, for the texts the host stores and prints (history errors, output).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

namespace migration_host::utf8 {

// One decoded sequence: its length in bytes (0 when the bytes at that position are not valid UTF-8) and its code
// point. Valid means the shortest form, no UTF-16 surrogate, nothing above U+10FFFF (RFC 3629).
struct Sequence {
    std::size_t length = 0;
    char32_t code_point = 0;
};

inline Sequence decode(std::string_view text, std::size_t at) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char first = byte(at);
    if (first < 0x80) return {1, first};
    std::size_t length = 0;
    char32_t code_point = 0;
    if (first >= 0xc2 && first <= 0xdf) {
        length = 2;
        code_point = first & 0x1fU;
    } else if (first >= 0xe0 && first <= 0xef) {
        length = 3;
        code_point = first & 0x0fU;
    } else if (first >= 0xf0 && first <= 0xf4) {
        length = 4;
        code_point = first & 0x07U;
    } else {
        return {};
    }
    if (text.size() - at < length) return {};
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xc0U) != 0x80U) return {};
        code_point = (code_point << 6) | (byte(at + i) & 0x3fU);
    }
    const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
    if (overlong || surrogate || code_point > 0x10ffff) return {};
    return {length, code_point};
}

// Whether every byte of `text` belongs to a valid sequence.
inline bool is_valid(std::string_view text) noexcept {
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = decode(text, at).length;
        if (length == 0) return false;
        at += length;
    }
    return true;
}

}  // namespace migration_host::utf8
