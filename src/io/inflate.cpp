#include "elbo/io/inflate.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "elbo/error.hpp"

namespace elbo::io {

namespace {

constexpr int kMaxBits = 15;           // longest Huffman code (§3.2.7)
constexpr int kFastBits = 9;           // codes up to this length are decoded by one look-up
constexpr int kMaxLitLenCodes = 286;   // 0–255 literals, 256 end of block, 257–285 lengths
constexpr int kMaxDistCodes = 30;
constexpr int kFixedLitLenCodes = 288; // the fixed code also assigns 286 and 287 (never valid)
constexpr size_t kWindow = 32768;      // farthest distance a match can reach
constexpr size_t kBuffer = 1 << 18;    // output buffer: the window plus room to decode into
constexpr size_t kMaxMatch = 258;

// Match lengths and distances: a symbol selects a base, followed by `extra` bits added to it (§3.2.5).
constexpr uint16_t kLengthBase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr uint8_t kLengthExtra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint16_t kDistBase[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,    65,    97,    129,
                                    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr uint8_t kDistExtra[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// The order in which a dynamic block sends the code lengths of the code-length code (§3.2.7).
constexpr uint8_t kCodeLengthOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// A canonical Huffman code given by its code lengths (§3.2.2).
struct Huffman {
  uint16_t count[kMaxBits + 1];            // number of codes of each length (count[0]: unused symbols)
  uint16_t symbol[kFixedLitLenCodes];      // symbols ordered by (code length, symbol value)
  // fast[b] for the next kFastBits input bits b: (length << 9) | symbol when a code of at most
  // kFastBits bits is a prefix of b (in stream order), else 0.
  uint16_t fast[1 << kFastBits];
};

class Inflater {
 public:
  Inflater(std::span<const uint8_t> in, const ByteSink& sink, const std::string& what, uint64_t file_offset)
      : in_(in), sink_(sink), what_(what), file_offset_(file_offset), out_(new uint8_t[kBuffer]) {}

  uint64_t run() {
    bool last = false;
    while (!last) {
      last = bits(1) == 1;
      uint32_t type = bits(2);
      if (type == 0) stored_block();
      else if (type == 1) fixed_block();
      else if (type == 2) dynamic_block();
      else fail("invalid block type 3");
    }
    flush_all();
    return pos_ - static_cast<uint64_t>(bitcount_ / 8);  // whole unused bytes in the bit buffer go back
  }

 private:
  [[noreturn]] void fail(const char* reason) const {
    uint64_t at = file_offset_ + pos_ - static_cast<uint64_t>(bitcount_ / 8);
    elbo::detail::fail(what_, ": corrupt deflate data near byte offset ", at, ": ", reason);
  }

  // ---- bits, least significant first (§3.1.1) ----
  void refill() {
    while (bitcount_ <= 56 && pos_ < in_.size()) {
      bitbuf_ |= static_cast<uint64_t>(in_[pos_++]) << bitcount_;
      bitcount_ += 8;
    }
  }
  uint32_t bits(int k) {  // k ≤ 32
    if (bitcount_ < k) {
      refill();
      if (bitcount_ < k) fail("unexpected end of data");
    }
    uint32_t v = static_cast<uint32_t>(bitbuf_ & ((uint64_t{1} << k) - 1));
    bitbuf_ >>= k;
    bitcount_ -= k;
    return v;
  }

  // ---- Huffman codes ----
  // Builds a code from lengths[0..n); returns 0 for a complete code, > 0 for an incomplete one
  // (codes left unused), and fails for an over-subscribed one (more codes than lengths allow).
  int build(Huffman& h, const uint8_t* lengths, int n) {
    std::memset(h.count, 0, sizeof h.count);
    for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
    if (h.count[0] == n) {  // no codes: complete enough for a block that never uses it
      std::memset(h.fast, 0, sizeof h.fast);
      return 1;
    }
    int left = 1;
    for (int len = 1; len <= kMaxBits; ++len) {
      left <<= 1;
      left -= h.count[len];
      if (left < 0) fail("over-subscribed Huffman code");
    }
    uint16_t offset[kMaxBits + 2];  // first index in symbol[] of each length
    offset[1] = 0;
    for (int len = 1; len <= kMaxBits; ++len) offset[len + 1] = static_cast<uint16_t>(offset[len] + h.count[len]);
    for (int s = 0; s < n; ++s)
      if (lengths[s] != 0) h.symbol[offset[lengths[s]]++] = static_cast<uint16_t>(s);
    // Fast table: canonical codes are consecutive integers within a length, shorter lengths first.
    std::memset(h.fast, 0, sizeof h.fast);
    int code = 0, index = 0;
    for (int len = 1; len <= kFastBits; ++len) {
      for (int i = 0; i < h.count[len]; ++i, ++code, ++index) {
        int reversed = 0;  // the code's bits arrive most significant first: reverse them
        for (int b = 0; b < len; ++b) reversed |= ((code >> b) & 1) << (len - 1 - b);
        for (int fill = reversed; fill < (1 << kFastBits); fill += 1 << len)
          h.fast[fill] = static_cast<uint16_t>((len << 9) | h.symbol[index]);
      }
      code <<= 1;
    }
    return left;
  }

  int decode(const Huffman& h) {
    if (bitcount_ < kMaxBits) refill();
    uint16_t entry = h.fast[bitbuf_ & ((1u << kFastBits) - 1)];
    if (entry != 0 && (entry >> 9) <= bitcount_) {
      bitbuf_ >>= entry >> 9;
      bitcount_ -= entry >> 9;
      return entry & 511;
    }
    // Longer codes, one bit at a time: `code` is the bits read so far; codes of length `len` are
    // the integers [first, first + count[len]) (puff.c's decode()).
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= kMaxBits; ++len) {
      code |= static_cast<int>(bits(1));
      int count = h.count[len];
      if (code - first < count) return h.symbol[index + (code - first)];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  // ---- output window ----
  void make_room(size_t n) {
    if (wpos_ + n <= kBuffer) return;
    sink_(out_.get() + sent_, wpos_ - sent_);
    size_t keep = wpos_ < kWindow ? wpos_ : kWindow;
    std::memmove(out_.get(), out_.get() + wpos_ - keep, keep);
    wpos_ = keep;
    sent_ = keep;
  }
  void flush_all() {
    if (wpos_ > sent_) sink_(out_.get() + sent_, wpos_ - sent_);
    sent_ = wpos_;
  }

  // ---- blocks ----
  void stored_block() {
    // Drop the bits up to the byte boundary, then give whole buffered bytes back to the input.
    bits(bitcount_ % 8);
    pos_ -= static_cast<size_t>(bitcount_ / 8);
    bitbuf_ = 0;
    bitcount_ = 0;
    if (in_.size() - pos_ < 4) fail("unexpected end of data in a stored block's length");
    uint32_t len = in_[pos_] | (in_[pos_ + 1] << 8);
    uint32_t nlen = in_[pos_ + 2] | (in_[pos_ + 3] << 8);
    if (len != (~nlen & 0xFFFFu)) fail("stored block length does not match its complement");
    pos_ += 4;
    if (in_.size() - pos_ < len) fail("unexpected end of data in a stored block");
    make_room(len);
    std::memcpy(out_.get() + wpos_, in_.data() + pos_, len);
    wpos_ += len;
    pos_ += len;
  }

  void fixed_block() {
    uint8_t lengths[kFixedLitLenCodes + 32];
    for (int s = 0; s < 144; ++s) lengths[s] = 8;
    for (int s = 144; s < 256; ++s) lengths[s] = 9;
    for (int s = 256; s < 280; ++s) lengths[s] = 7;
    for (int s = 280; s < kFixedLitLenCodes; ++s) lengths[s] = 8;
    build(litlen_, lengths, kFixedLitLenCodes);
    for (int s = 0; s < 32; ++s) lengths[s] = 5;  // the fixed code also names distances 30, 31 (invalid)
    build(dist_, lengths, 32);
    codes();
  }

  void dynamic_block() {
    int nlen = static_cast<int>(bits(5)) + 257, ndist = static_cast<int>(bits(5)) + 1;
    int ncode = static_cast<int>(bits(4)) + 4;
    if (nlen > kMaxLitLenCodes || ndist > kMaxDistCodes) fail("too many length or distance codes");
    uint8_t lengths[kMaxLitLenCodes + kMaxDistCodes] = {};
    for (int i = 0; i < ncode; ++i) lengths[kCodeLengthOrder[i]] = static_cast<uint8_t>(bits(3));
    Huffman lencode;
    if (build(lencode, lengths, 19) != 0) fail("incomplete code-length code");
    // Code lengths of both codes, one sequence; 16 repeats the previous length 3–6 times, 17 and 18
    // repeat zero 3–10 and 11–138 times.
    int index = 0;
    while (index < nlen + ndist) {
      int symbol = decode(lencode);
      if (symbol < 16) {
        lengths[index++] = static_cast<uint8_t>(symbol);
        continue;
      }
      uint8_t value = 0;
      int repeat;
      if (symbol == 16) {
        if (index == 0) fail("length repeat with no previous length");
        value = lengths[index - 1];
        repeat = 3 + static_cast<int>(bits(2));
      } else if (symbol == 17) {
        repeat = 3 + static_cast<int>(bits(3));
      } else {
        repeat = 11 + static_cast<int>(bits(7));
      }
      if (index + repeat > nlen + ndist) fail("code lengths repeat past the end");
      while (repeat-- > 0) lengths[index++] = value;
    }
    if (lengths[256] == 0) fail("no code for end of block");
    // As zlib: an incomplete code is allowed only when it is a single code of one bit.
    int left = build(litlen_, lengths, nlen);
    if (left > 0 && nlen != litlen_.count[0] + litlen_.count[1]) fail("incomplete literal/length code");
    left = build(dist_, lengths + nlen, ndist);
    if (left > 0 && ndist != dist_.count[0] + dist_.count[1]) fail("incomplete distance code");
    codes();
  }

  // Literals and matches until the end-of-block symbol.
  void codes() {
    for (;;) {
      int symbol = decode(litlen_);
      if (symbol < 256) {
        make_room(1);
        out_[wpos_++] = static_cast<uint8_t>(symbol);
        continue;
      }
      if (symbol == 256) return;
      symbol -= 257;
      if (symbol >= 29) fail("invalid length symbol");
      size_t length = kLengthBase[symbol] + bits(kLengthExtra[symbol]);
      symbol = decode(dist_);
      if (symbol >= 30) fail("invalid distance symbol");
      size_t distance = kDistBase[symbol] + bits(kDistExtra[symbol]);
      make_room(kMaxMatch);
      if (distance > wpos_) fail("match distance reaches before the start of the output");
      uint8_t* dst = out_.get() + wpos_;
      const uint8_t* src = dst - distance;
      if (distance >= length) {
        std::memcpy(dst, src, length);
      } else if (distance == 1) {
        std::memset(dst, *src, length);  // a run of the last byte
      } else {
        // Overlapping: the last `distance` bytes repeat. Copy them in pieces of at most `distance`
        // bytes, each piece reading only bytes already written.
        for (size_t done = 0; done < length; done += distance)
          std::memcpy(dst + done, src + done, std::min(distance, length - done));
      }
      wpos_ += length;
    }
  }

  std::span<const uint8_t> in_;
  const ByteSink& sink_;
  const std::string& what_;
  uint64_t file_offset_;
  size_t pos_ = 0;       // next input byte to load into the bit buffer
  uint64_t bitbuf_ = 0;  // loaded bits not yet used, next bit in bit 0
  int bitcount_ = 0;
  std::unique_ptr<uint8_t[]> out_;  // output window: [0, sent_) already given to the sink
  size_t wpos_ = 0, sent_ = 0;
  Huffman litlen_, dist_;
};

}  // namespace

uint64_t inflate(std::span<const uint8_t> in, const ByteSink& sink, const std::string& what, uint64_t file_offset) {
  Inflater inflater(in, sink, what, file_offset);
  return inflater.run();
}

}  // namespace elbo::io
