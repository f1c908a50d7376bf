// Small filesystem helpers with errors that name the file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mer {

// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so readers never see a partial
// file and an existing file is replaced only by a complete one. Throws OutputError naming the path.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file; throws InputError naming the path.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace mer
