// Makes text from databases and plugins safe to show on a terminal: every control character visible, nothing acted on.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace migration_host {

// `text` with everything a terminal could act on made visible: "\n", "\r" and "\t" for those, "\xHH" for every
// byte of other control characters (C0, DEL, C1 such as U+009B CSI, bidirectional and line/paragraph separators)
// and for each byte that is not valid UTF-8. Printable UTF-8 passes unchanged. Every line the host prints that
// can hold database or plugin text goes through this: stdout (print_line), the top-level error report and the log.
std::string escape_nonprintable(std::string_view text);

}  // namespace migration_host
