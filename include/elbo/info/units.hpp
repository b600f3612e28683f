// Units of information. Every estimator in elbo/info reports bits (logarithms to base 2), as
// Murphy, Dillavou & Bassett (2024) do; multiply by ln 2 for nats (natural logarithms).
//
//     1 bit = ln 2 nats ≈ 0.693 nats,     1 nat = 1/ln 2 bits ≈ 1.443 bits
#pragma once

namespace elbo::info {

constexpr double kLn2 = 0.693147180559945309417232121458176568;  // nats per bit

constexpr double bits_to_nats(double bits) { return bits * kLn2; }
constexpr double nats_to_bits(double nats) { return nats / kLn2; }

}  // namespace elbo::info
