// SPDX-License-Identifier: MIT OR Apache-2.0
// pagewalk host: text from outside (file names, command-line input, guest output) made safe to print. A file named
// "\e[2J.toml" must not clear the user's terminal, and invalid UTF-8 must not make a JSON line invalid.
#pragma once

#include <string>
#include <string_view>

namespace pagewalk::host {

/// For a terminal or a log: control characters, DEL and bytes that are not valid UTF-8 become \xNN (a backslash
/// itself stays); valid UTF-8 and printable ASCII are kept.
std::string printable(std::string_view text);

/// The body of a JSON string (no quotes): `"` and `\` escaped, control characters as \u00NN, bytes that are not
/// valid UTF-8 replaced by U+FFFD, so the output is always valid JSON.
void append_json_string_body(std::string& out, std::string_view text);

}  // namespace pagewalk::host
