// safetensors files (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range ({"name": {"dtype", "shape", "data_offsets": [begin, end]}},
// plus an optional "__metadata__" object of strings), then the raw little-endian data. mer reads float32 ("F32")
// tensors only: the pretrained weights of scripts/import_musicnn.py.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace mer {

struct SafeTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
};

struct SafeTensorsFile {
  std::map<std::string, SafeTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Reads and checks a whole file (a regular file of at most 1 GiB). Throws InputError naming the file and the
// problem: too short, a header length beyond the file, a header that is not JSON, a tensor that is not F32, a shape
// whose size differs from its byte range, a range outside the data or overlapping another.
SafeTensorsFile LoadSafeTensors(const std::filesystem::path& path);
// The same from the file's bytes; `source` names it in errors.
SafeTensorsFile ParseSafeTensors(const std::string& bytes, const std::string& source);

}  // namespace mer
