// Makes text from databases and plugins safe to show on a terminal: every control character visible, nothing acted on.
// SPDX-License-Identifier: Apache-2.0
#include "command_line/terminal_text.hpp"

#include <fmt/format.h>

#include "engine/utf8.hpp"

namespace migration_host {
namespace {

// Characters that change how a terminal shows what follows, though they print nothing themselves.
bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||       // C0, DEL, C1 (U+009B is CSI on some terminals)
           c == 0x061c || c == 0x200e || c == 0x200f ||  // bidirectional marks
           (c >= 0x2028 && c <= 0x202e) ||               // line and paragraph separators, bidi embeddings
           (c >= 0x2066 && c <= 0x2069);                 // bidi isolates
}

}  // namespace

std::string escape_nonprintable(std::string_view text) {
    std::string result;
    result.reserve(text.size());
    const auto escape_bytes = [&result](std::string_view bytes) {
        for (const char byte : bytes) result += fmt::format("\\x{:02x}", static_cast<unsigned char>(byte));
    };
    for (std::size_t at = 0; at < text.size();) {
        const utf8::Sequence sequence = utf8::decode(text, at);
        if (sequence.length == 0) {
            escape_bytes(text.substr(at, 1));
            ++at;
            continue;
        }
        const std::string_view bytes = text.substr(at, sequence.length);
        at += sequence.length;
        switch (sequence.code_point) {
            case U'\n':
                result += "\\n";
                break;
            case U'\r':
                result += "\\r";
                break;
            case U'\t':
                result += "\\t";
                break;
            default:
                if (is_control(sequence.code_point)) {
                    escape_bytes(bytes);
                } else {
                    result.append(bytes);
                }
        }
    }
    return result;
}

namespace {

// The length in bytes of the sequence at `at`; an invalid byte counts alone.
std::size_t sequence_length(std::string_view text, std::size_t at) {
    const std::size_t length = utf8::decode(text, at).length;
    return length == 0 ? 1 : length;
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t columns = 0;
    for (std::size_t at = 0; at < text.size(); at += sequence_length(text, at)) ++columns;
    return columns;
}

std::string cut_to_width(std::string_view text, std::size_t columns) {
    if (display_width(text) <= columns) return std::string(text);
    if (columns == 0) return {};
    std::size_t at = 0;
    for (std::size_t kept = 0; kept + 1 < columns; ++kept) at += sequence_length(text, at);
    return std::string(text.substr(0, at)) + "\xe2\x80\xa6";  // U+2026
}

std::string cut_start_to_width(std::string_view text, std::size_t columns) {
    const std::size_t width = display_width(text);
    if (width <= columns) return std::string(text);
    if (columns == 0) return {};
    std::size_t at = 0;
    for (std::size_t dropped = 0; dropped < width - (columns - 1); ++dropped) at += sequence_length(text, at);
    return "\xe2\x80\xa6" + std::string(text.substr(at));
}

std::string cut_middle_to_width(std::string_view text, std::size_t columns) {
    if (display_width(text) <= columns) return std::string(text);
    if (columns == 0) return {};
    // The head ends in the ellipsis; the tail comes without its own (3 bytes).
    const std::string head = cut_to_width(text, (columns + 1) / 2);
    return head + cut_start_to_width(text, columns - display_width(head) + 1).substr(3);
}

}  // namespace migration_host
