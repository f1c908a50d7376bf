// `mer`: a thin dispatcher. Every subcommand lives in its own file; errors are caught here once and mapped to
// exit codes with a one-line message.
#include <dlfcn.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.h"
#include "mer/core/error.h"
#include "mer/core/strings.h"
#include "mer/version.h"
#include "stderr_filter.h"

namespace {

// OpenMP (used by LibTorch and libsoxr) starts $OMP_NUM_THREADS threads: 100000 of them hung a run. More than four
// per core is brought down to the cores (one line on stderr), before the library reads it.
void BoundOmpThreads() {
  const char* value = std::getenv("OMP_NUM_THREADS");
  if (!value) return;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  char* end = nullptr;
  const long requested = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || requested <= static_cast<long>(4 * cores)) return;
  std::cerr << "mer: OMP_NUM_THREADS=" << std::string(value).substr(0, 20) << " is more than 4 threads per core: using "
            << cores << "\n";
  ::setenv("OMP_NUM_THREADS", std::to_string(cores).c_str(), 1);
  // libgomp may already be loaded (libsoxr links it) and has read the variable: set its count too.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) set(static_cast<int>(cores));
}

// An error as printed: bytes that are not UTF-8 escaped (\xNN), and a message that quotes a huge input (a 10 MB CSV
// cell, a 5,000-character path) cut at 1,000 characters, so it stays one readable line.
std::string Printed(const char* what) {
  std::string text = mer::Utf8Escaped(what);
  constexpr std::size_t kMax = 1000;
  std::size_t cut = kMax;
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole chars
  if (text.size() > kMax) text = text.substr(0, cut) + "... (" + std::to_string(text.size() - cut) + " more bytes)";
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mer::cli;
  // A file-size limit (ulimit -f) would kill mer with SIGXFSZ mid-write; ignored, the write fails with EFBIG and is
  // reported as the failed write it is (one line, exit 1, no temporary file left).
  std::signal(SIGXFSZ, SIG_IGN);
  BoundOmpThreads();
  const StderrFilter filter;
  CLI::App app{"mer: music emotion recognition (log-mel features, datasets, models)"};
  app.set_version_flag("--version", std::string("mer ") + mer::kVersion);
  app.require_subcommand(1);
  std::vector<Command> commands = {AddFeaturesCommand(app)};
  for (auto& command : AddDataCommands(app)) commands.push_back(std::move(command));
  for (auto& command : AddRunCommands(app)) commands.push_back(std::move(command));
  commands.push_back(AddSearchCommand(app));
  commands.push_back(AddReportCommand(app));
  commands.push_back(AddEmbedCommand(app));
  try {
    app.parse(argc, argv);
    for (auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mer: usage error: " << e.what() << " (see mer --help)\n";
    return kExitUsage;
  } catch (const mer::ConfigError& e) {
    std::cerr << "mer: config error: " << Printed(e.what()) << "\n";
    return kExitUsage;
  } catch (const mer::Error& e) {
    std::cerr << "mer: error: " << Printed(e.what()) << "\n";
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << "mer: error: out of memory\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "mer: internal error: " << Printed(e.what()) << "\n";
    return kExitFailure;
  }
}
