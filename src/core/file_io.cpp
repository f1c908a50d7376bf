#include "mer/core/file_io.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mer/core/error.h"

namespace mer {

std::string WriteErrorText(int error) {
  if (error == ENOSPC) return "disk full";
  if (error == EDQUOT) return "disk quota exceeded";
  return std::strerror(error);
}

int OpenForAppending(const std::filesystem::path& path) {
  // O_NOFOLLOW refuses a link (ELOOP); O_NONBLOCK keeps a FIFO without a reader from blocking the open.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    if (error == ELOOP) throw OutputError(path.string() + ": is a link; mer only appends to regular files");
    if (error == ENXIO) throw OutputError(path.string() + ": is a FIFO; mer only appends to regular files");
    throw OutputError(path.string() + ": cannot open for appending (" + std::strerror(error) + ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw OutputError(path.string() + ": exists and is not a regular file; mer only appends to regular files");
  }
  ::fcntl(fd, F_SETFL, O_WRONLY | O_APPEND);  // blocking writes again (a regular file never blocks anyway)
  return fd;
}

void AppendToFile(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = OpenForAppending(path);
  const ssize_t n = ::write(fd, bytes.data(), bytes.size());
  const int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(bytes.size())) {
    throw OutputError(WriteErrorText(n < 0 ? error : ENOSPC) + " appending to " + path.string());
  }
}

FileLock::FileLock(const std::filesystem::path& path, const std::string& what) : own_fd_(true) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int error = errno;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    throw OutputError(path.string() + ": cannot be used as a lock file (" +
                      (error == ELOOP ? std::string("a link") : std::string(std::strerror(error))) +
                      "; mer locks only regular files)");
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    const ssize_t n = ::pread(fd_, pid, sizeof(pid) - 1, 0);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (holder.empty() || holder.find_first_not_of("0123456789") != std::string::npos) holder = "unknown";
    ::close(fd_);
    fd_ = -1;
    throw ConfigError(what + " is in use by another mer (pid " + holder + "): wait for it to finish or choose another");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; a second process then names the holder "unknown".
  }
}

FileLock::FileLock(int fd, const std::string& what) : fd_(fd) {
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    fd_ = -1;
    throw ConfigError(what + " is in use by another mer: wait for it to finish or choose another");
  }
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  ::flock(fd_, LOCK_UN);
  if (own_fd_) ::close(fd_);
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw OutputError(path.string() + ": exists and is not a regular file (" +
                      (std::filesystem::is_directory(status) ? "a folder" : "a device, FIFO or socket") +
                      "); mer only replaces regular files");
  }
  static std::atomic<unsigned> counter{0};
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  // O_EXCL | O_NOFOLLOW: never write through a link (or file) someone placed at the temporary name.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw OutputError(path.string() + ": cannot create file (" + std::strerror(errno) +
                      "; does the folder exist and is it writable?)");
  }
  // Every failure (a full disk, a file size limit, an I/O error) removes the temporary file and leaves the
  // previous version of `path` as it was.
  const auto fail = [&](int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return OutputError(WriteErrorText(error) + " writing " + path.string());
  };
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw fail(n < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    throw OutputError(WriteErrorText(error) + " writing " + path.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw OutputError(path.string() + ": cannot replace file: " + ec.message());
  }
}

std::string WhyNotReadableFile(const std::filesystem::path& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return "cannot open: " + ec.message();  // e.g. a symlink loop
  if (!std::filesystem::exists(status)) return "not found";
  if (std::filesystem::is_directory(status)) return "is a directory, expected a file";
  if (!std::filesystem::is_regular_file(status)) return "is not a regular file (a device, FIFO or socket)";
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read its size: " + ec.message();
  if (size > max_bytes) {
    return "is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes);
  }
  return "";
}

std::string ReadFile(const std::filesystem::path& path) {
  if (const std::string why = WhyNotReadableFile(path); !why.empty()) throw InputError(path.string() + ": " + why);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open file (missing or unreadable)");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace mer
