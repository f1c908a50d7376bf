// Small filesystem helpers with errors that name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mer {

// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so readers never see a partial
// file and an existing file is replaced only by a complete one. Only a regular file (or a link to one) is ever
// replaced: a device node, FIFO, socket or folder at `path` is refused (as root, `--out /dev/null` must not
// destroy /dev/null). Throws OutputError naming the path.
void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes);
// Opens `path` for appending (O_APPEND; created 0644 when absent) and returns the descriptor. Only a regular file is
// ever appended to: a link (even to a regular file: as root, appending through a planted link would write into its
// target), a FIFO (checked without blocking), device, socket or folder is refused. Throws OutputError naming the path.
int OpenForAppending(const std::filesystem::path& path);
// Appends `bytes` to `path` (as OpenForAppending) in one write(); OutputError naming the path when it fails or is cut.
void AppendToFile(const std::filesystem::path& path, std::string_view bytes);
// An advisory lock (flock) held while the object lives, on `path` (created; a regular file only). Another process
// holding it makes the constructor throw ConfigError "<what> is in use by another mer (pid N): ..."; the lock file
// holds the holder's pid. A process that dies releases its lock with it.
class FileLock {
 public:
  FileLock(const std::filesystem::path& path, const std::string& what);
  // Locks an open descriptor (e.g. an output being appended to) instead of a lock file; no pid is recorded.
  FileLock(int fd, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
  bool own_fd_ = false;
};
// What a failed write's errno says to the user: "disk full" (ENOSPC), "disk quota exceeded" (EDQUOT), else strerror.
std::string WriteErrorText(int error);

// The largest text or data file mer reads whole (configs, annotation tables, split files, caches, .npy): 1 GiB.
constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{1} << 30;

// "" when `path` is a regular file (or a link to one) of at most `max_bytes`, else why not ("not found", "is a
// folder", "is not a regular file (a device, FIFO or socket)", "is N bytes, more than the limit of M").
// Checked before opening, so a FIFO or /dev/zero never blocks or grows without bound.
std::string WhyNotReadableFile(const std::filesystem::path& path, std::uintmax_t max_bytes = kMaxInputFileBytes);

// Reads a whole regular file of at most kMaxInputFileBytes; throws InputError naming the path.
std::string ReadFile(const std::filesystem::path& path);

}  // namespace mer
