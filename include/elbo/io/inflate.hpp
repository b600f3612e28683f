// Decoding DEFLATE streams (RFC 1951): the compression inside zip (.npz), gzip (.gz) and PNG.
//
// A stream is a sequence of blocks, the last one flagged. A block is
//   * stored (type 0): LEN raw bytes (LEN and its complement NLEN follow, byte-aligned), or
//   * Huffman-coded with the fixed code of §3.2.6 (type 1), or with a dynamic code (type 2) that the
//     block sends first, itself Huffman-coded with a code-length code (§3.2.7).
// A coded block is a sequence of symbols: 0–255 are literal bytes, 256 ends the block, 257–285 start
// a match <length 3–258, distance 1–32768>: copy `length` bytes from `distance` bytes back in the
// output (the copy may overlap what it writes: distance 1 repeats the last byte).
// Huffman codes are canonical: the code lengths alone define the codes (§3.2.2).
//
// The decoder reads its input from memory and streams its output: bytes leave through `sink` in
// chunks, while the last 32 KiB (the farthest a match can reach) stay in a window. Sizes are 64-bit,
// so a member of several GB (dSprites' images: 3 GB) decodes in constant memory. The structure
// follows Mark Adler's puff.c (zlib's reference decoder); for speed, codes of up to 9 bits are decoded
// with one table look-up. stb_image's zlib decoder takes `int` sizes (at most 2 GB of output); the
// tests and the fuzz target check this decoder against it on the streams both accept.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace elbo::io {

// Receives decoded bytes, in order; it may throw (to stop decoding at a size limit).
using ByteSink = std::function<void(const uint8_t* data, size_t n)>;

// Decodes the raw deflate stream at the start of `in` and returns how many bytes of `in` it occupies
// (the stream ends with its last block). Errors name `what`, the byte offset (`in` starts at
// `file_offset` in the file) and the fault: unexpected end of data, invalid block type, stored length
// not matching its complement, over-subscribed or incomplete code, invalid symbol, or a match
// reaching before the start of the output.
uint64_t inflate(std::span<const uint8_t> in, const ByteSink& sink, const std::string& what,
                 uint64_t file_offset = 0);

}  // namespace elbo::io
