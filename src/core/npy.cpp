#include "mer/core/npy.h"

#include <cstring>
#include <numeric>
#include <regex>

#include "mer/core/error.h"
#include "mer/core/file_io.h"

namespace mer {
namespace {

static_assert(sizeof(float) == 4, "float32 required");

bool HostIsLittleEndian() {
  const uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

std::string EncodeNpy(const std::vector<int64_t>& shape, const float* data) {
  if (!HostIsLittleEndian()) throw OutputError("writing .npy on a big-endian host is not supported");
  // numpy writes "(3,)" for one dimension and "(2, 3)" for two.
  std::string shape_text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    shape_text += std::to_string(shape[i]);
    if (shape.size() == 1) shape_text += ",";
    if (i + 1 < shape.size()) shape_text += ", ";
  }
  shape_text += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const std::size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  const std::size_t total = ((preamble + header.size() + 1 + 63) / 64) * 64;
  header.append(total - preamble - header.size() - 1, ' ');
  header += '\n';
  const int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>((header.size() >> 8) & 0xff);
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(count) * sizeof(float));
  return bytes;
}

void SaveNpy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data) {
  WriteFileAtomically(path, EncodeNpy(shape, data));
}

NpyArray LoadNpy(const std::filesystem::path& path) { return ParseNpy(ReadFile(path), path.string()); }

NpyArray ParseNpy(const std::string& bytes, const std::string& source) {
  const auto fail = [&](const std::string& why) -> InputError { return InputError(source + ": " + why); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw fail("not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw fail("truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw fail("unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) throw fail("truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<>|]?[a-z][0-9]+)'"))) throw fail("no dtype in header");
  const std::string descr = m[1];
  if (descr != "<f4" && descr != "<f8") throw fail("dtype " + descr + " not supported (expected <f4 or <f8)");
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) throw fail("Fortran order not supported");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) throw fail("no shape in header");
  NpyArray array;
  const std::string dims = m[1];
  const std::regex number("[0-9]+");
  constexpr int64_t kMaxItems = int64_t{1} << 40;
  int64_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number); it != std::sregex_iterator(); ++it) {
    const std::string digits = it->str();
    const int64_t dimension = digits.size() > 13 ? kMaxItems + 1 : std::stoll(digits);  // 13 digits: no out_of_range
    if (dimension > kMaxItems) throw fail("shape dimension " + digits.substr(0, 20) + " is too large");
    array.shape.push_back(dimension);
    if (array.shape.back() > 0 && count > kMaxItems / array.shape.back()) throw fail("shape holds too many items");
    count *= array.shape.back();
  }
  const std::size_t item = descr == "<f4" ? 4 : 8;
  const std::size_t data_offset = offset + header_len;
  if (bytes.size() - data_offset != static_cast<std::size_t>(count) * item) {
    throw fail("data size " + std::to_string(bytes.size() - data_offset) + " bytes does not match shape (" +
               std::to_string(count) + " items of " + std::to_string(item) + " bytes)");
  }
  array.data.resize(static_cast<std::size_t>(count));
  if (array.data.empty()) return array;  // a shape with a zero dimension: no data to copy
  if (item == 4) {
    std::memcpy(array.data.data(), bytes.data() + data_offset, array.data.size() * 4);
  } else {
    for (std::size_t i = 0; i < array.data.size(); ++i) {
      double d;
      std::memcpy(&d, bytes.data() + data_offset + i * 8, 8);
      array.data[i] = static_cast<float>(d);
    }
  }
  return array;
}

}  // namespace mer
