#include "stderr_filter.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

namespace mer::cli {
namespace {

bool IsMpg123Chatter(const std::string& line) {
  return line.rfind("Warning: ", 0) == 0 || line.rfind("Note: ", 0) == 0 || line.rfind("[src/libmpg123/", 0) == 0 ||
         line.rfind("[libmpg123/", 0) == 0;
}

// LibTorch's c10d logs its socket failures through glog before throwing; mer's own error line says the same.
bool IsC10dLog(const std::string& line) {
  return line.rfind("WARNING: Logging before InitGoogleLogging()", 0) == 0 || line.find("] [c10d] ") != std::string::npos;
}

bool Dropped(const std::string& line) { return IsMpg123Chatter(line) || IsC10dLog(line); }

void WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n <= 0) return;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

StderrFilter::StderrFilter() {
  int fds[2];
  if (::pipe(fds) != 0) return;
  original_ = ::dup(STDERR_FILENO);
  if (original_ < 0 || ::dup2(fds[1], STDERR_FILENO) < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (original_ >= 0) ::close(original_);
    original_ = -1;
    return;
  }
  ::close(fds[1]);
  pipe_read_ = fds[0];
  reader_ = std::thread([read_fd = pipe_read_, out_fd = original_] {
    std::string pending;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(read_fd, buffer, sizeof(buffer))) > 0) {
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        const std::string line = pending.substr(0, newline + 1);
        pending.erase(0, newline + 1);
        if (!Dropped(line)) WriteAll(out_fd, line.data(), line.size());
      }
    }
    if (!pending.empty() && !Dropped(pending)) WriteAll(out_fd, pending.data(), pending.size());
  });
}

StderrFilter::~StderrFilter() {
  if (original_ < 0) return;
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stderr);
  ::dup2(original_, STDERR_FILENO);  // closes the pipe's last write end: the reader sees EOF after draining
  reader_.join();
  ::close(pipe_read_);
  ::close(original_);
}

}  // namespace mer::cli
