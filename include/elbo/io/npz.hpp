// NumPy's .npz archives (np.savez, np.savez_compressed): a zip file (zip.hpp) with one .npy member
// (npy.hpp) per array, named "<key>.npy". np.savez stores members, np.savez_compressed deflates them.
//
// The reader lists the arrays and reads one array without reading the others; `stream` passes an
// array's data on in chunks as it is decoded, for arrays too large to hold twice (dSprites' 3 GB of
// images become a 377 MB bit mask in dsprites_file.cpp). The writer stores arrays uncompressed
// (zip64 where needed), readable by np.load.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "elbo/io/npy.hpp"
#include "elbo/io/zip.hpp"

namespace elbo::io {

class NpzReader {
 public:
  explicit NpzReader(const std::string& path);
  explicit NpzReader(InputFile file);

  // Array names (member names without ".npy"), in archive order.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  // Reads one array into a new CPU tensor. Fails naming the archive and the names it holds when absent.
  Tensor read(const std::string& name) const;
  // Parses the array's header, calls on_header, then passes the array's data bytes to on_data in order
  // (chunks of any size). Size and CRC-32 are checked at the end.
  void stream(const std::string& name, const std::function<void(const NpyHeader&)>& on_header,
              const ByteSink& on_data) const;

  const ZipReader& zip() const { return zip_; }

 private:
  const ZipEntry& entry(const std::string& name) const;
  ZipReader zip_;
};

// Writes arrays as an uncompressed .npz, atomically. Names must be unique and non-empty.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& arrays,
               bool force_zip64 = false);

}  // namespace elbo::io
