#include <cerrno>
#include <cstdlib>

#include <gtest/gtest.h>

#include "mer/core/error.h"
#include "mer/core/file_io.h"
#include "mer/core/npy.h"
#include "support/test_support.h"

namespace mer {
namespace {

// What a failed write says (issue 17: a full disk while writing a checkpoint must read "disk full writing
// RUN/last.pt"; test_train's file-size-limit test drives the same path end to end with EFBIG).
TEST(FileIo, WriteErrorsSayWhatHappened) {
  EXPECT_EQ(WriteErrorText(ENOSPC), "disk full");
  EXPECT_EQ(WriteErrorText(EDQUOT), "disk quota exceeded");
  EXPECT_EQ(WriteErrorText(EFBIG), "File too large");
  test::TempDir dir;
  try {
    WriteFileAtomically(dir / "no_such_folder" / "x.npy", "bytes");
    ADD_FAILURE() << "wrote into a missing folder";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("x.npy: cannot create file (No such file or directory"), std::string::npos)
        << e.what();
  }
}

TEST(Npy, HeaderIsNumpyFormatOneAlignedTo64Bytes) {
  const std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  const std::string bytes = EncodeNpy({2, 3}, data.data());
  ASSERT_EQ(bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)), 0);
  const std::size_t header = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header) % 64, 0u);
  EXPECT_NE(bytes.find("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + header + data.size() * 4);
  EXPECT_NE(EncodeNpy({4}, data.data()).find("'shape': (4,)"), std::string::npos);
}

TEST(Npy, RoundTripsAndRejectsDamagedFiles) {
  test::TempDir dir;
  const std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 5.0f, 6.0f};
  SaveNpy(dir / "a.npy", {3, 2}, data.data());
  const NpyArray back = LoadNpy(dir / "a.npy");
  EXPECT_EQ(back.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(back.data, data);
  std::string bytes = test::ReadBytes(dir / "a.npy");
  test::WriteBytes(dir / "short.npy", bytes.substr(0, bytes.size() - 4));
  EXPECT_THROW(LoadNpy(dir / "short.npy"), InputError);
  test::WriteBytes(dir / "text.npy", "hello");
  EXPECT_THROW(LoadNpy(dir / "text.npy"), InputError);
  EXPECT_THROW(LoadNpy(dir / "missing.npy"), InputError);
}

TEST(Npy, NumpyLoadsWhatWeWrite) {
  test::TempDir dir;
  std::vector<float> data(128 * 7);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i) * 0.5f - 10.0f;
  SaveNpy(dir / "m.npy", {128, 7}, data.data());
  const std::string script =
      "import numpy as np, sys; a = np.load(sys.argv[1]); "
      "assert a.dtype == np.float32 and a.shape == (128, 7), (a.dtype, a.shape); "
      "assert a[3, 5] == (3 * 7 + 5) * 0.5 - 10, a[3, 5]";
  const std::string command = std::string(MER_PYTHON) + " -c \"" + script + "\" '" + (dir / "m.npy").string() + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << "numpy could not load the file (numpy is in the venv of "
                                                "scripts/install-deps.sh)";
}

}  // namespace
}  // namespace mer
