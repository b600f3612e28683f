// CRC-32, the checksum of zip, gzip and PNG (ISO 3309, ITU-T V.42; PNG specification, Annex D).
//
// The bits of each byte enter least significant first, so the register shifts right and the
// generator polynomial x³²+x²⁶+x²³+…+x+1 is written reversed, 0xEDB88320. The register starts
// at 0xFFFFFFFF and the result is complemented: crc32("123456789") = 0xCBF43926.
//
// Byte at a time (Sarwate): crc = T0[(crc ⊕ byte) & 0xFF] ⊕ (crc >> 8), with T0[i] the remainder of
// the byte i. Eight bytes at a time ("slicing-by-8", Kounavis & Berry 2008) combines eight table
// look-ups, Tk[i] = T0[Tk−1[i] & 0xFF] ⊕ (Tk−1[i] >> 8), for the same result about 4× faster.
#pragma once
#include <cstddef>
#include <cstdint>

namespace elbo::io {

// The CRC of data[0..n) continuing a CRC of the bytes before it (0 for none):
// crc32(b, crc32(a)) == crc32(a followed by b).
uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

}  // namespace elbo::io
