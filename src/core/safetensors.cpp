#include "mer/core/safetensors.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "mer/core/error.h"
#include "mer/core/file_io.h"

namespace mer {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit
constexpr int64_t kMaxItems = int64_t{1} << 40;

[[noreturn]] void Fail(const std::string& source, const std::string& what) {
  throw InputError(source + ": not a usable safetensors weight file: " + what);
}

std::vector<int64_t> ReadShape(const nlohmann::json& shape, const std::string& source, const std::string& name) {
  if (!shape.is_array()) Fail(source, "tensor \"" + name + "\" has no shape array");
  std::vector<int64_t> dims;
  int64_t items = 1;
  for (const auto& d : shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(kMaxItems)) {
      Fail(source, "tensor \"" + name + "\" has a shape entry that is not a size");
    }
    dims.push_back(d.get<int64_t>());
    if (dims.back() != 0 && items > kMaxItems / dims.back()) Fail(source, "tensor \"" + name + "\" is too large");
    items *= dims.back();
  }
  return dims;
}

}  // namespace

SafeTensorsFile ParseSafeTensors(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 8) Fail(source, "shorter than its 8-byte header length");
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  if (header_bytes > kMaxHeaderBytes || header_bytes > bytes.size() - 8) {
    Fail(source, "its header length (" + std::to_string(header_bytes) + " bytes) runs past the end of the file (cut short?)");
  }
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_bytes), nullptr, false);
  if (!header.is_object()) Fail(source, "its header is not a JSON object");
  const std::size_t data_begin = 8 + static_cast<std::size_t>(header_bytes);
  const uint64_t data_bytes = bytes.size() - data_begin;
  SafeTensorsFile file;
  std::multimap<uint64_t, std::pair<uint64_t, std::string>> ranges;  // begin -> (end, name)
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) Fail(source, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) Fail(source, "__metadata__." + key + " is not a string");
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("data_offsets")) {
      Fail(source, "tensor \"" + name + "\" lacks dtype or data_offsets");
    }
    if (entry["dtype"] != "F32") Fail(source, "tensor \"" + name + "\" is " + entry["dtype"].dump() + ", mer reads F32 only");
    SafeTensor tensor;
    tensor.shape = ReadShape(entry.value("shape", nlohmann::json()), source, name);
    const nlohmann::json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      Fail(source, "tensor \"" + name + "\" has data_offsets that are not [begin, end]");
    }
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    int64_t items = 1;
    for (int64_t d : tensor.shape) items *= d;
    if (begin > end || end > data_bytes) {
      Fail(source, "tensor \"" + name + "\" lies outside the file's " + std::to_string(data_bytes) + " data bytes (cut short?)");
    }
    if (end - begin != static_cast<uint64_t>(items) * 4) {
      Fail(source, "tensor \"" + name + "\" holds " + std::to_string(end - begin) + " bytes for " +
                       std::to_string(items) + " float32 values");
    }
    ranges.insert({begin, {end, name}});
    tensor.data.resize(static_cast<std::size_t>(items));
    if (items > 0) std::memcpy(tensor.data.data(), bytes.data() + data_begin + begin, static_cast<std::size_t>(end - begin));
    file.tensors.emplace(name, std::move(tensor));
  }
  uint64_t previous_end = 0;
  std::string previous;
  for (const auto& [begin, end_name] : ranges) {
    if (begin == end_name.first) continue;  // an empty tensor occupies no bytes
    if (begin < previous_end) Fail(source, "tensors \"" + previous + "\" and \"" + end_name.second + "\" overlap");
    previous_end = end_name.first;
    previous = end_name.second;
  }
  return file;
}

SafeTensorsFile LoadSafeTensors(const std::filesystem::path& path) {
  return ParseSafeTensors(ReadFile(path), path.string());
}

}  // namespace mer
