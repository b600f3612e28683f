// gzip files (RFC 1952): one or more members, each
//
//   ID1 ID2 = 1F 8B, CM = 8 (deflate), FLG, MTIME (4), XFL, OS          10 bytes
//   [FEXTRA: XLEN (2) + XLEN bytes] [FNAME: text, 0] [FCOMMENT: text, 0] [FHCRC: 2 bytes]
//   deflate data (inflate.hpp)
//   CRC32 (4) of the uncompressed data, ISIZE (4): its length mod 2^32     both little-endian
//
// The reader parses the header itself, inflates, and checks CRC32 and ISIZE of every member.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace elbo::io {

// True when the bytes start with the gzip magic 1F 8B.
bool is_gzip(std::span<const uint8_t> bytes);

// The uncompressed content of a gzip file held in memory (all members, concatenated). `what` names
// the file in errors. Output beyond `max_output` bytes fails (a guard for callers that know the size).
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what,
                            uint64_t max_output = UINT64_MAX);

// A gzip file holding `data` in stored (uncompressed) deflate blocks: valid for every gzip reader,
// for writing test fixtures and small files without a compressor.
std::vector<uint8_t> gzip_stored(std::span<const uint8_t> data);

}  // namespace elbo::io
