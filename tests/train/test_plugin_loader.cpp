// The LibTorch plugin is loaded into the global namespace (issue 29): cuDNN 9 opens its graph and engine libraries
// itself and they look cuDNN's symbols up through the global scope; with the plugin opened RTLD_LOCAL that lookup
// returned null and every CUDA convolution crashed. The same lookup is made here on the CPU.
#include <dlfcn.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "mer/train/plugin.h"

namespace mer::train {
namespace {

TEST(PluginLoader, LibTorchAndItsLibrariesAreInTheGlobalNamespace) {
  ::setenv("MER_TORCH_PLUGIN", MER_TORCH_PLUGIN_PATH, 1);
  const TorchPlugin& plugin = LoadTorchPlugin();
  EXPECT_EQ(plugin.abi, kPluginAbi);
  // The plugin's own entry point is reachable without a handle.
  EXPECT_NE(::dlsym(RTLD_DEFAULT, "mer_torch_plugin"), nullptr) << "the plugin was opened RTLD_LOCAL";
  // With a CUDA LibTorch (the build's, scripts/install-deps.sh) the plugin brings cuDNN in: its engine libraries
  // resolve cudnn* symbols globally. A CPU-only LibTorch has no cuDNN, and nothing more to check.
  void* cudnn = ::dlopen("libcudnn.so.9", RTLD_LAZY | RTLD_NOLOAD);
  if (!MER_TORCH_LINKS_CUDNN) {
    EXPECT_EQ(cudnn, nullptr);
    return;
  }
  ASSERT_NE(cudnn, nullptr) << "the plugin of a CUDA LibTorch did not load cuDNN 9";
  EXPECT_NE(::dlsym(RTLD_DEFAULT, "cudnnCreate"), nullptr)
      << "cuDNN is loaded but not global: cudnnCreate would crash in cudnn::graph::LibraryConfig::init";
  ::dlclose(cudnn);
}

}  // namespace
}  // namespace mer::train
