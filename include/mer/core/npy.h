// NumPy .npy files (format 1.0): float32 little-endian, C order, as numpy.save writes them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mer {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

// The bytes of a .npy file holding `data` with `shape` ('<f4', fortran_order False); header padded to 64 bytes.
std::string EncodeNpy(const std::vector<int64_t>& shape, const float* data);

// Writes atomically (temporary file + rename): a failure never leaves a partial file or destroys an old one.
void SaveNpy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data);

// Reads a .npy of dtype '<f4' or '<f8' (converted to float32), C order. Errors name the file and the problem.
NpyArray LoadNpy(const std::filesystem::path& path);
// The same from the file's bytes; `source` names it in errors. Shapes are bounded (each dimension and the product
// at most 2^40 items) and must match the data that follows the header exactly.
NpyArray ParseNpy(const std::string& bytes, const std::string& source);

}  // namespace mer
