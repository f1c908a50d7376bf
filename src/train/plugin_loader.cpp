#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "mer/core/error.h"
#include "mer/train/plugin.h"

namespace mer::train {
namespace {

std::filesystem::path PluginPath() {
  if (const char* env = std::getenv("MER_TORCH_PLUGIN"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : exe.parent_path()) / "libmer_torch.so";
}

const TorchPlugin* Load() {
  const std::filesystem::path path = PluginPath();
  // RTLD_GLOBAL: LibTorch and the CUDA libraries it needs must be in the global namespace, as when a program links
  // them or Python's torch loads them. cuDNN 9 (libcudnn.so.9) opens its graph and engine libraries itself at
  // cudnnCreate, and they find cuDNN's symbols through the global scope: inside a plugin opened RTLD_LOCAL that lookup
  // returns null and the first convolution on a GPU jumps to address 0 (SIGSEGV in cudnn::graph::LibraryConfig::init).
  // Only later-loaded libraries see these symbols; `mer` itself exports none, so nothing it holds is replaced.
  void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_GLOBAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw Error(path.string() + ": cannot load the LibTorch plugin (" + (why ? why : "unknown error") +
                "); build it with scripts/build.sh or set MER_TORCH_PLUGIN");
  }
  using Entry = const TorchPlugin* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, "mer_torch_plugin"));
  if (entry == nullptr || entry()->abi != kPluginAbi) {
    throw Error(path.string() + ": not a mer LibTorch plugin of this version (rebuild mer)");
  }
  return entry();
}

}  // namespace

std::shared_future<const TorchPlugin*> LoadTorchPluginAsync() {
  static std::once_flag once;
  static std::shared_future<const TorchPlugin*> future;
  std::call_once(once, [] { future = std::async(std::launch::async, Load).share(); });
  return future;
}

const TorchPlugin& LoadTorchPlugin() { return *LoadTorchPluginAsync().get(); }

void Rethrow(const PluginError& error) {
  if (error.kind == 2) throw ConfigError(error.message);
  throw Error(error.message);
}

}  // namespace mer::train
